"""The privacy suite scans every row of the tracker store and every log file of the stack it talks to, and books,
applies and forgets for seeded families: it gets a stack of its own, so what other suites did to the shared
`servers` (their bookings, their messages) can neither fail it nor hide in its scan."""
from __future__ import annotations

import pytest

from testkit import running_servers


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    with running_servers(tmp_path_factory.mktemp("privacy-servers")) as s:
        yield s
