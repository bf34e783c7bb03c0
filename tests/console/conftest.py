"""Fixtures of the console tests (helpers in console_testkit.py: import them from there, never from a conftest)."""
from __future__ import annotations

from typing import Iterator, List, Optional
from pathlib import Path

import pytest

from console_testkit import Console, Store, console_secrets, start_console, stop
from testkit import chromium_browser


# Module scope: Playwright's sync API keeps an event loop running while it is open, and later suites (tests/trainer)
# call asyncio.run(); tests/console has no __init__.py, so "package" would keep it open for the whole session.
@pytest.fixture(scope="module")
def browser():
    yield from chromium_browser()


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "tracker.db", console_secrets()["PRIVACY_KEY"])


@pytest.fixture
def console_for(tmp_path) -> Iterator:
    started: List[Console] = []

    def make(store: Store, project_root: Optional[Path] = None, **extra) -> Console:
        c = start_console(tmp_path / f"console{len(started)}", store.url, project_root,
                          {"PRIVACY_KEY": store.privacy_key, **extra})
        started.append(c)
        return c

    yield make
    for c in started:
        stop(c.proc)
