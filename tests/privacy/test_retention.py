"""Retention: `python -m moments.privacy purge` on SQLite and PostgreSQL, handoff records, logs; masked log lines.

Conversations are written by the real tracker store (PrivateSQLTrackerStore, in this process) with their events'
timestamps set in the past; the command runs as an operator runs it (a subprocess with --db / --url).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from testkit import ROOT

DOMAIN = Domain.load(str(ROOT / "domain"))
DAY = 86400.0


@pytest.fixture
def env(tmp_path, monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("PRIVACY_KEY", key)
    monkeypatch.setenv("MOMENTS_VAR_DIR", str(tmp_path))
    return {**os.environ, "PRIVACY_KEY": key, "MOMENTS_VAR_DIR": str(tmp_path), "PYTHONWARNINGS": "ignore",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}


def conversation(store, sender: str, age_days: float, nric: str = "S8810201J") -> None:
    at = time.time() - age_days * DAY
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for i, event in enumerate([SessionStarted(), ActionExecuted("action_listen"),
                               UserUttered(f"hello, my IC is {nric}", {"intent": {"name": "greet", "confidence": 1}}),
                               SlotSet("bb_account", "1234567890"), BotUttered("Hello!")]):
        event.timestamp = at + i
        tracker.update(event)
    asyncio.run(store.save(tracker))


def purge(env, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "moments.privacy", "purge", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def senders(url: str) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        events = {r[0]: r[1] for r in conn.execute(sa.text("select sender_id, count(*) from events group by sender_id"))}
        index = {r[0] for r in conn.execute(sa.text("select distinct sender_id from privacy_index"))}
    engine.dispose()
    return {"events": events, "index": index}


def check_purge(env, store, url: str, option: list) -> None:
    conversation(store, "old-1", 45)
    conversation(store, "old-2", 31)
    conversation(store, "young", 29)
    conversation(store, "today", 0)
    before = senders(url)
    assert set(before["events"]) == {"old-1", "old-2", "young", "today"} and before["index"] == set(before["events"])
    out = purge(env, *option, "--older-than", "30d", "--no-handoffs")
    assert "purged 2 conversation(s) (10 events)" in out, out
    after = senders(url)
    assert after["events"] == {"young": 5, "today": 5}
    assert after["index"] == {"young", "today"}
    assert asyncio.run(store.retrieve("young")).get_slot("bb_account") == "1234567890"  # the young still read


def test_purge_on_sqlite(tmp_path, env):
    from moments.privacy.store import PrivateSQLTrackerStore

    db = tmp_path / "tracker.db"
    store = PrivateSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))
    check_purge(env, store, f"sqlite:///{db}", ["--db", str(db)])
    audit = [json.loads(line) for line in (tmp_path / "logs" / "privacy-audit.log").read_text().splitlines()]
    assert audit[-1]["what"] == "purge" and audit[-1]["conversations"] == 2 and "old-1" not in json.dumps(audit)


@pytest.mark.postgres
def test_purge_on_postgresql(env):
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3)
    except psycopg2.OperationalError as err:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({str(err).strip()[:80]}) - purge on PostgreSQL "
                    "not tested")
    admin.autocommit = True
    name = f"moments_purge_{uuid.uuid4().hex[:10]}"
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        from moments.privacy.store import PrivateSQLTrackerStore

        store = PrivateSQLTrackerStore(domain=DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432,
                                       username="postgres", password="", db=name)
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        check_purge(env, store, url, ["--url", url])
        store.engine.dispose()
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_purge_reads_the_tracker_store_from_endpoints_yml(tmp_path, env):
    from moments.privacy.store import PrivateSQLTrackerStore

    db = tmp_path / "from-endpoints.db"
    store = PrivateSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))
    conversation(store, "old", 40)
    conversation(store, "young", 1)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text('action_endpoint:\n  url: "http://x"\n  headers:\n    X: ${NOT_SET_HERE}\n'
                         "tracker_store:\n  type: moments.privacy.store.PrivateSQLTrackerStore\n"
                         f'  dialect: "sqlite"\n  db: "${{TRACKER_DB_FILE}}"\n')
    out = purge({**env, "TRACKER_DB_FILE": str(db)}, "--endpoints", str(endpoints), "--no-handoffs")
    assert "purged 1 conversation(s)" in out
    assert set(senders(f"sqlite:///{db}")["events"]) == {"young"}


def test_handoff_requests_and_rotated_logs_have_their_own_retention(tmp_path, env):
    from moments.handoff import HandoffRequest, HandoffStore

    handoffs = HandoffStore(url=f"sqlite:///{tmp_path / 'handoff.db'}")
    old = handoffs.record("conv-a", "msf", "en", "my ic S8810201J call 91234567")
    young = handoffs.record("conv-b", "ica", "zh", "hi")
    with handoffs.engine.begin() as conn:
        conn.execute(sa.update(HandoffRequest.__table__).where(HandoffRequest.__table__.c.reference == old.reference)
                     .values(created_at=datetime.now(timezone.utc) - timedelta(days=100)))
        kept = conn.execute(sa.select(HandoffRequest.__table__.c.last_message)).scalars().all()
    assert not any("S8810201J" in (m or "") or "91234567" in (m or "") for m in kept)  # masked when recorded

    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    (logs / "rasa.log.3").write_text("old")
    (logs / "rasa.log.1").write_text("recent")
    stale = time.time() - 40 * DAY
    os.utime(logs / "rasa.log.3", (stale, stale))
    out = purge(env, "--db", str(tmp_path / "empty.db"), "--handoff-url", f"sqlite:///{tmp_path / 'handoff.db'}",
                "--older-than", "30d", "--handoffs-older-than", "90d", "--logs", str(logs))
    assert "1 handoff request(s), 1 rotated log(s)" in out, out
    with handoffs.engine.connect() as conn:
        assert conn.execute(sa.select(HandoffRequest.__table__.c.reference)).scalars().all() == [young.reference]
    assert sorted(p.name for p in logs.iterdir()) == ["privacy-audit.log", "rasa.log.1"]


def test_logs_rotate_on_start(tmp_path):
    from moments.privacy.__main__ import rotate_logs

    logs = tmp_path / "logs"
    logs.mkdir()
    for generation in range(3):
        (logs / "rasa.log").write_text(f"run {generation}")
        (logs / "privacy-audit.log").write_text("audit")
        assert rotate_logs(logs, keep=2) == 1
    assert sorted(p.name for p in logs.iterdir()) == ["privacy-audit.log", "rasa.log.1", "rasa.log.2"]
    assert (logs / "rasa.log.1").read_text() == "run 2" and (logs / "rasa.log.2").read_text() == "run 1"


def test_every_log_line_is_masked_whoever_logs_it(capsys):
    from moments.privacy import logs

    record = logging.LogRecord("rasa.core.processor", logging.ERROR, __file__, 1,
                               "Encountered an exception while running action: %s %s",
                               ({"text": "IC S1234567D acct 123456789", "metadata": {"token": "eyJhbGciOiJI.eyJzdWIiOi.x"}},
                                "+65 9123 4567"), None)
    logs.MaskingFilter().filter(record)
    line = record.getMessage()
    assert "S****567D" in line and "*****6789" in line and "****4567" in line and "[token]" in line
    assert "S1234567D" not in line and "eyJ" not in line

    stream = logs.MaskingStream(sys.__stdout__)
    try:
        raise RuntimeError("user typed T1234567J")
    except RuntimeError:
        import traceback
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "crash", (), sys.exc_info())
    logs.mask_record(record)
    assert "T****567J" in record.exc_text and "T1234567J" not in record.exc_text
    assert stream.write("partial S12") and stream.write("34567D\n")


def test_rewrite_applies_the_rule_to_rows_an_older_install_stored(tmp_path, env):
    """Rows written by Rasa's plain SQL store (tokens, clear NRICs and accounts) are rewritten once; a second run
    changes nothing, and the conversation still reads back with its slot values."""
    from rasa.core.tracker_store import SQLTrackerStore

    from moments.privacy.store import PrivateSQLTrackerStore

    db = tmp_path / "old.db"
    plain = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker("legacy", DOMAIN.slots)
    for event in [SessionStarted(metadata={"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwIn0.c2lnbmF0dXJl"}),
                  ActionExecuted("action_listen"),
                  UserUttered("IC S8810201J", {"intent": {"name": "inform", "confidence": 1}},
                              metadata={"token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwIn0.c2lnbmF0dXJl"}),
                  SlotSet("bb_account", "1234567890")]:
        tracker.update(event)
    asyncio.run(plain.save(tracker))
    engine = sa.create_engine(f"sqlite:///{db}")
    raw = lambda: " ".join(r[0] for r in engine.connect().execute(sa.text("select data from events")))  # noqa: E731
    assert "S8810201J" in raw() and "eyJ" in raw()

    def run() -> str:
        out = subprocess.run([sys.executable, "-m", "moments.privacy", "rewrite", "--db", str(db)], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout

    assert "rewrote 3 stored event(s)" in run()
    assert "S8810201J" not in raw() and "eyJ" not in raw() and "1234567890" not in raw()
    assert "rewrote 0 stored event(s)" in run()
    back = asyncio.run(PrivateSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db)).retrieve("legacy"))
    assert back.get_slot("bb_account") == "1234567890"
