"""Fixtures for action unit tests: the one seam where fake agencies replace the real ones, and a frozen clock."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterator

import sys
from pathlib import Path

import pytest

from actions.shared import agency, clock

sys.path.insert(0, str(Path(__file__).parent))  # actions_testkit, whatever pytest's import mode

from actions_testkit import FROZEN_NOW  # noqa: E402


@pytest.fixture
def use_agencies() -> Iterator[Callable[[Any], Any]]:
    """`use_agencies(fake)`: every action's `agencies()` returns `fake` (an object with .myinfo, .ica, .msf, .health,
    .singpass as the test needs) until the test ends."""
    before = agency._agencies

    def install(fake: Any) -> Any:
        agency._agencies = fake
        return fake

    yield install
    agency._agencies = before


@pytest.fixture
def frozen_clock(monkeypatch) -> Callable[[datetime], datetime]:
    """Freezes the actions' clock at FROZEN_NOW; call it with another datetime to move it."""
    def freeze(at: datetime = FROZEN_NOW) -> datetime:
        monkeypatch.setattr(clock, "now", lambda: at)
        return at

    freeze()
    return freeze
