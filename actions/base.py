"""Older name of actions.shared.form (tests/security import it): the same module object."""
import sys

from actions.shared import form

sys.modules[__name__] = form
