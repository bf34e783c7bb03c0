"""Older name of actions.shared.agency (tests/security import it): the same module object, so that setting
`actions.common._agencies` sets the one the actions use."""
import sys

from actions.shared import agency

sys.modules[__name__] = agency
