"""Shared fixtures. Helpers live in tests/testkit.py (import them from there, never from conftest: several
test folders have a conftest.py and Python would import the wrong one)."""
from __future__ import annotations

from typing import Iterator

import pytest

from testkit import MODEL, ROOT, Chat, Servers


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Iterator[Servers]:
    """Agency services, action server and Rasa (the trained model, credentials.yml) for the whole session."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it for you)")
    s = Servers(tmp_path_factory.mktemp("servers"))
    try:
        s.start_assistant(MODEL, credentials=ROOT / "credentials.yml")
        yield s
    finally:
        s.stop()


@pytest.fixture
def chat(servers) -> Chat:
    return Chat(servers)
