"""Fixtures for the agency service tests: a real uvicorn server in a subprocess, once on SQLite and once on PostgreSQL.

`server` is session-scoped and parametrised over both databases, so every API test runs twice. PostgreSQL gets a
fresh database per run (dropped afterwards); when PostgreSQL does not answer, that variant is skipped with a reason.
`family` makes fresh people straight in the database (parents, older children, a notification of live birth) so
that tests do not share state and can run in any order.
"""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # agencies_testkit, whatever pytest's import mode

from agencies_testkit import PG_HOST, PG_PORT, PG_SKIP, make_family, pg_connect, start_server, stop_server


@pytest.fixture(scope="session")
def postgres_url():
    try:
        admin, user = pg_connect("postgres")
    except Exception:  # noqa: BLE001 - any failure to connect means "not here"
        pytest.skip(PG_SKIP)
    name = f"agencies_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"agencies-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'agencies.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    srv = start_server(url, workdir, request.param)
    yield srv
    stop_server(srv)


@pytest.fixture
def no_faults(server):
    """Whatever a test injects is turned off afterwards."""
    yield server
    assert server.admin("DELETE", "/admin/v1/faults").status_code == 200


@pytest.fixture
def family(server):
    """A factory: family(older=[...], baby_days_ago=5, married=True, ...) -> Family."""
    return lambda **kw: make_family(server, **kw)
