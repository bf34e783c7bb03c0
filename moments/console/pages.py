"""The trainer's pages of the console (review, train / evaluate / deploy, data), on top of moments.trainer."""
from __future__ import annotations


def install(app, state, tpl) -> None:
    """Adds the trainer's routes to the console app."""
