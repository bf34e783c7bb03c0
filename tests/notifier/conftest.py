from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from notifier_testkit import pg_database, start_twilio  # noqa: E402


@pytest.fixture(scope="session")
def twilio(tmp_path_factory):
    endpoint = start_twilio(tmp_path_factory.mktemp("twilio"))
    yield endpoint
    endpoint.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'notifier.db'}"
        return
    made = pg_database()
    if made is None:
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432 — PostgreSQL variant skipped")
    url, drop = made
    yield url
    drop()
