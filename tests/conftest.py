"""Shared fixtures. Helpers live in tests/testkit.py (import them from there, never from conftest: several
test folders have a conftest.py and Python would import the wrong one)."""
from __future__ import annotations

from typing import Iterator

import pytest

from testkit import Chat, Servers, running_servers


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Iterator[Servers]:
    """Agency services, action server and Rasa (the trained model, credentials.yml) for the whole session."""
    with running_servers(tmp_path_factory.mktemp("servers")) as s:
        yield s


@pytest.fixture
def chat(servers) -> Chat:
    return Chat(servers)
