"""The tracker store's rules without servers: what a saved turn looks like in the table, and back."""
from __future__ import annotations

import asyncio
import json
import re
import sqlite3

import pytest
from cryptography.fernet import Fernet
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from testkit import ROOT

NRIC = re.compile(r"[STFGM]\d{7}[A-Z]")
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwZXJzb24tMSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
DOMAIN = Domain.load(str(ROOT / "domain"))


@pytest.fixture
def key(monkeypatch):
    k = Fernet.generate_key().decode()
    monkeypatch.setenv("PRIVACY_KEY", k)
    return k


def make_store(tmp_path):
    from moments.privacy.store import PrivateSQLTrackerStore
    return PrivateSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))


def rows(tmp_path):
    with sqlite3.connect(tmp_path / "t.db") as db:
        return db.execute("select sender_id, type_name, intent_name, action_name, data from events").fetchall()


def turn(tracker):
    meta = {"channel": "web", "token": JWT, "person_id": "person-1", "phone": "+6591234567"}
    tracker.update(SessionStarted(metadata=meta))
    tracker.update(SlotSet("session_started_metadata", meta))
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("my account is 123-45678-9, IC S1234567D, call 9123 4567",
                               {"intent": {"name": "inform", "confidence": 1.0}, "entities": []}, metadata=meta))
    tracker.update(SlotSet("bb_account", "123456789"))
    tracker.update(SlotSet("birth_myinfo", {"nric": "S1234567D", "spouse_nric": "S7654321A"}))
    tracker.update(SlotSet("language", "en"))
    tracker.update(BotUttered("Account 123456789 at DBS/POSB. Certificate: http://x/ica/v1/certificates/abcdef123456"))


def test_saved_turn_has_no_token_no_clear_identifier_and_reads_back(tmp_path, key):
    store = make_store(tmp_path)
    tracker = DialogueStateTracker("conv-1", DOMAIN.slots)
    turn(tracker)
    asyncio.run(store.save(tracker))
    table = rows(tmp_path)
    assert len(table) == len(tracker.events)
    dump = json.dumps(table, ensure_ascii=False)
    assert "eyJ" not in dump and "person-1" not in dump
    assert not NRIC.search(dump), dump
    assert "123456789" not in dump and "123-45678-9" not in dump and "9123 4567" not in dump
    assert "abcdef123456" not in dump
    user = next(json.loads(r[4]) for r in table if r[1] == "user")
    assert user["text"] == "my account is *****6789, IC S****567D, call ****4567"  # what review reads
    assert "token" not in user["metadata"] and user["metadata"]["channel"] == "web"
    assert next(json.loads(r[4]) for r in table if r[1] == "slot" and r[3] == "language")["value"] == "en"
    assert next(json.loads(r[4]) for r in table if r[3] == "bb_account")["value"].startswith("enc:v1:")

    back = asyncio.run(store.retrieve("conv-1"))
    assert back.get_slot("bb_account") == "123456789"          # the form can submit it on a later turn
    assert back.get_slot("birth_myinfo")["nric"] == "S1234567D"
    assert "token" not in (back.get_slot("session_started_metadata") or {})
    said = [e for e in back.events if e.type_name == "user"][0]
    # the channel's identifiers come back for Rasa's authenticated API; the token never does
    assert said.metadata == {"channel": "web", "person_id": "person-1", "phone": "+6591234567"}


def test_rotated_key_still_reads_and_old_key_alone_does_not(tmp_path, key, monkeypatch):
    store = make_store(tmp_path)
    tracker = DialogueStateTracker("conv-2", DOMAIN.slots)
    turn(tracker)
    asyncio.run(store.save(tracker))
    monkeypatch.setenv("PRIVACY_KEY", Fernet.generate_key().decode() + "," + key)  # rotate: new key first
    assert asyncio.run(make_store(tmp_path).retrieve("conv-2")).get_slot("bb_account") == "123456789"
    monkeypatch.setenv("PRIVACY_KEY", Fernet.generate_key().decode())  # the old key dropped
    assert asyncio.run(make_store(tmp_path).retrieve("conv-2")).get_slot("bb_account") is None


def test_forget_marker_deletes_the_conversation(tmp_path, key):
    store = make_store(tmp_path)
    tracker = DialogueStateTracker("conv-3", DOMAIN.slots)
    turn(tracker)
    asyncio.run(store.save(tracker))
    other = DialogueStateTracker("conv-4", DOMAIN.slots)
    turn(other)
    asyncio.run(store.save(other))
    tracker = asyncio.run(store.retrieve("conv-3"))
    tracker.update(SlotSet("privacy_forget", True))
    asyncio.run(store.save(tracker))
    assert {r[0] for r in rows(tmp_path)} == {"conv-4"}
    assert asyncio.run(store.retrieve("conv-3")) is None


def test_review_reads_the_masked_store(tmp_path, key):
    from moments.trainer import review

    store = make_store(tmp_path)
    tracker = DialogueStateTracker("conv-5", DOMAIN.slots)
    turn(tracker)
    asyncio.run(store.save(tracker))
    messages = review.read_user_messages(f"sqlite:///{tmp_path / 't.db'}")
    assert [m.text for m in messages] == ["my account is *****6789, IC S****567D, call ****4567"]


def test_a_turn_in_flight_when_an_officer_forgets_does_not_store_the_conversation_again(tmp_path, key):
    import time

    from moments.privacy.crypto import Vault
    from moments.privacy.tables import delete_conversations

    store = make_store(tmp_path)
    tracker = DialogueStateTracker("conv-6", DOMAIN.slots)
    turn(tracker)
    asyncio.run(store.save(tracker))
    in_flight = asyncio.run(store.retrieve("conv-6"))   # Rasa is handling a turn of this conversation …
    in_flight.update(UserUttered("one more thing", {"intent": {"name": "inform", "confidence": 1.0}}))
    time.sleep(0.01)
    with store.engine.begin() as conn:                   # … when an officer forgets it
        assert delete_conversations(conn, ["conv-6"], vault=Vault.from_env()) == len(tracker.events)
    in_flight.update(BotUttered("answer after the deletion"))
    asyncio.run(store.save(in_flight))
    assert [json.loads(r[4])["event"] for r in rows(tmp_path)] == ["bot"]  # only what came after the deletion


def test_replacing_the_events_through_rasas_api_replaces_the_rows(tmp_path, key):
    """PUT /conversations/<id>/tracker/events saves a tracker built from the given events: [] empties it."""
    store = make_store(tmp_path)
    tracker = DialogueStateTracker("conv-7", DOMAIN.slots)
    turn(tracker)
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("conv-7"))      # an ordinary next turn still appends
    again.update(UserUttered("hello again", {"intent": {"name": "greet", "confidence": 1.0}}))
    asyncio.run(store.save(again))
    assert len(rows(tmp_path)) == len(tracker.events) + 1
    asyncio.run(store.save(DialogueStateTracker.from_dict("conv-7", [], DOMAIN.slots)))
    assert rows(tmp_path) == []
    one = DialogueStateTracker.from_dict("conv-7", [ActionExecuted("action_listen").as_dict()], DOMAIN.slots)
    asyncio.run(store.save(one))
    assert [r[3] for r in rows(tmp_path)] == ["action_listen"]
