"""The notifier on a frozen, movable clock, with its real database (SQLite and PostgreSQL) and the real local Twilio
endpoint; the due list is the test's (tests/e2e/test_reminders.py uses the real agencies)."""
from __future__ import annotations

import secrets
import threading
from datetime import datetime

import pytest

from moments.notifier import store as store_module
from moments.notifier.clock import FrozenClock, SGT
from moments.notifier.notifier import Config, Notifier
from moments.notifier.sms import SmsSender
from moments.notifier.store import Store
from notifier_testkit import CONVERSATION_KEY, TOKEN, Due, vaccination

MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=SGT)


def phone() -> str:
    return f"+659{secrets.randbelow(10**7):07d}"


@pytest.fixture
def store(store_url):
    s = Store(store_url).migrate()
    yield s
    s.dispose()


def notifier(store, twilio, due, clock, **config) -> Notifier:
    sender = SmsSender(twilio.url, twilio.account_sid, TOKEN, "+6580000000")
    return Notifier(Config(conversation_key=CONVERSATION_KEY, **config), store, sender, clock, due)


def subscribe(store, n: Notifier, mobile: str, language: str = "en") -> str:
    cid = n.conversation_id(mobile)
    store.set_status(cid, "on", language, MORNING.replace(tzinfo=None))
    return cid


def test_a_reminder_is_sent_once_however_often_the_notifier_runs(store, twilio):
    due, clock, mobile = Due(), FrozenClock(MORNING), phone()
    n = notifier(store, twilio, due, clock)
    cid = subscribe(store, n, mobile)
    due.items[mobile] = [vaccination()]
    assert n.run_once().sent == 1
    assert n.run_once().already == 1
    clock.advance(days=1)
    assert n.run_once().sent == 0
    [m] = twilio.messages(mobile)
    assert m["body"].startswith("Moments: Irfan's vaccination is due on Mon 14 Dec") and "Reply 1 to book" in m["body"]
    assert int(m["num_segments"]) <= 2
    menu = store.take_menu(cid)  # what "1" means on the parent's reply
    assert menu["options"][0][1] == '/book_appointment{"vaccination_child": "c1"}'
    assert "Irfan" not in str(menu)  # no personal data at rest: titles are generic, the body is not kept
    assert store.take_menu(cid) is None  # taken once


def test_nothing_is_texted_in_quiet_hours_and_it_arrives_at_nine(store, twilio):
    due, clock, mobile = Due(), FrozenClock(MORNING.replace(hour=21, minute=0)), phone()
    n = notifier(store, twilio, due, clock)
    subscribe(store, n, mobile)
    due.items[mobile] = [vaccination()]
    assert n.run_once().quiet
    clock.advance(hours=3)  # midnight
    assert n.run_once().quiet
    clock.advance(hours=8, minutes=59)  # 08:59
    assert n.run_once().quiet and twilio.messages(mobile) == []
    clock.advance(minutes=1)
    assert n.run_once().sent == 1 and len(twilio.messages(mobile)) == 1


def test_at_most_n_reminders_a_week_and_the_rest_later_if_still_due(store, twilio):
    due, clock, mobile = Due(), FrozenClock(MORNING), phone()
    n = notifier(store, twilio, due, clock, weekly_cap=2)
    subscribe(store, n, mobile)
    due.items[mobile] = [vaccination(child_id=f"c{i}", due_on=f"2026-12-1{i}") for i in range(3)]
    first = n.run_once()
    assert (first.sent, first.capped) == (2, 1)
    clock.advance(days=6)
    assert n.run_once().capped == 1
    clock.advance(days=1, minutes=1)
    assert n.run_once().sent == 1
    assert len(twilio.messages(mobile)) == 3


def test_only_parents_who_opted_in_get_reminders_and_stop_means_stop(store, twilio):
    due, clock, mobile, other = Due(), FrozenClock(MORNING), phone(), phone()
    n = notifier(store, twilio, due, clock)
    cid = subscribe(store, n, mobile)
    due.items[other] = [vaccination()]  # never opted in
    store.set_status(cid, "off", "en", MORNING.replace(tzinfo=None))  # STOP
    due.items[mobile] = [vaccination()]
    assert n.run_once().sent == 0
    assert twilio.messages(mobile) == [] and twilio.messages(other) == []


def test_the_agency_down_during_a_run_means_late_not_lost(store, twilio):
    due, clock, mobile = Due(), FrozenClock(MORNING), phone()
    n = notifier(store, twilio, due, clock)
    subscribe(store, n, mobile)
    due.items[mobile] = [vaccination()]
    due.down = True
    assert n.run_once().agency_down
    due.down = False
    clock.advance(hours=2)
    assert n.run_once().sent == 1 and n.run_once().sent == 0
    assert len(twilio.messages(mobile)) == 1


def test_two_replicas_racing_send_each_reminder_once(store, twilio):
    due, clock = Due(), FrozenClock(MORNING)
    replicas = [notifier(store, twilio, due, clock, workers=4) for _ in range(2)]
    mobiles = [phone() for _ in range(12)]
    for m in mobiles:
        subscribe(store, replicas[0], m)
        due.items[m] = [vaccination(), vaccination(child_id="c2", name="Aisyah", due_on="2026-12-12")]
    go = threading.Barrier(2)
    results = []

    def run(n):
        go.wait()
        results.append(n.run_once())

    threads = [threading.Thread(target=run, args=(n,)) for n in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in results) == 24
    assert all(len(twilio.messages(m)) == 2 for m in mobiles)
    assert store.duplicates() == 0


class Killed(BaseException):
    """What kill -9 does to a run: it stops here, no handler runs."""


def test_killed_between_claim_and_send_it_is_sent_once_after_the_lease(store, twilio, monkeypatch):
    due, clock, mobile = Due(), FrozenClock(MORNING), phone()
    n = notifier(store, twilio, due, clock)
    subscribe(store, n, mobile)
    due.items[mobile] = [vaccination()]

    def kill(_claim):
        raise Killed

    n.after_claim = kill
    with pytest.raises(Killed):
        n.run_once()
    survivor = notifier(store, twilio, due, clock)
    assert survivor.run_once().already == 1  # within the lease: the claim may still be in flight
    monkeypatch.setattr(store_module, "LEASE_SECONDS", 0.0)
    assert survivor.run_once().recovered == 1
    assert survivor.run_once().recovered == 0
    assert len(twilio.messages(mobile)) == 1


def test_killed_after_the_provider_took_it_it_is_not_sent_again(store, twilio, monkeypatch):
    due, clock, mobile = Due(), FrozenClock(MORNING), phone()
    n = notifier(store, twilio, due, clock)
    subscribe(store, n, mobile, "ta")
    due.items[mobile] = [vaccination()]
    real_send = n.sms.send

    def send_then_die(to, body):
        real_send(to, body)
        raise Killed

    n.sms.send = send_then_die
    with pytest.raises(Killed):
        n.run_once()
    monkeypatch.setattr(store_module, "LEASE_SECONDS", 0.0)
    survivor = notifier(store, twilio, due, clock)
    assert survivor.run_once().recovered == 1
    [m] = twilio.messages(mobile)
    assert "Irfan" in m["body"] and "தடுப்பூசி" in m["body"]
    assert store.counts() == {"sent": 1}
