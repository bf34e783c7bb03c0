"""The privacy suite scans every row of the tracker store and every log file of the stack it talks to, and books,
applies and forgets for seeded families: it gets a stack of its own, so what other suites did to the shared
`servers` (their bookings, their messages) can neither fail it nor hide in its scan."""
from __future__ import annotations

from typing import Iterator

import pytest

from testkit import MODEL, ROOT, Servers


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Iterator[Servers]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it for you)")
    s = Servers(tmp_path_factory.mktemp("privacy-servers"))
    try:
        s.start_assistant(MODEL, credentials=ROOT / "credentials.yml")
        yield s
    finally:
        s.stop()
