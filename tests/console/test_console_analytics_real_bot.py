"""The analytics' reading of the events checked against the real bot: journeys run through Rasa, the action server
and the agency services (the session's `servers`), then counted from the tracker store they wrote."""
from __future__ import annotations

import time

import pytest

from moments.console import analytics
from testkit import logged_in, notify_birth, say


pytestmark = pytest.mark.slow


def runs_of(servers, *senders, now=None):
    url = f"sqlite:///{servers.workdir / 'tracker.db'}"
    return [r for r in analytics.journeys_of(analytics.read_rows(url), time.time() if now is None else now)
            if r.sender in senders]


def test_a_registered_birth_counts_as_completed_and_a_left_one_as_abandoned_at_its_question(servers):
    done = logged_in(servers, "tan")
    baby = notify_birth(servers, "lim", "tan", days_ago=5, sex="F", at="09:10")
    say(done, "I want to register my baby's birth", "utter_ask_myinfo_consent")
    say(done, "yes", "utter_ask_birth_notification")
    say(done, baby["enlb_number"], "utter_ask_birth_child_name")
    say(done, "Tan Mei Ling", "utter_ask_birth_ethnic_name")
    say(done, "陈美玲", "utter_ask_birth_dialects")
    say(done, "Hokkien, Teochew", "utter_birth_registration_summary")
    say(done, "/affirm", "utter_birth_registered", "utter_offer_baby_bonus")

    left = logged_in(servers, "anitha")
    notify_birth(servers, "anitha", "lee", days_ago=3, sex="M")
    say(left, "என் குழந்தையின் பிறப்பை பதிவு செய்ய வேண்டும்", "utter_ask_myinfo_consent")

    [completed] = runs_of(servers, done.sender)
    assert (completed.journey, completed.lang, completed.channel, completed.outcome) == (
        "birth_registration", "en", "rest", "completed")
    assert completed.completed_turns == 7 and completed.completed > completed.started
    [going] = runs_of(servers, left.sender)
    assert (going.journey, going.lang, going.outcome, going.step) == (
        "birth_registration", "ta", "in_progress", "myinfo_consent")
    # an hour later, nobody answered: abandoned at the consent question
    [gone] = runs_of(servers, left.sender, now=time.time() + 3600)
    assert (gone.outcome, gone.step) == ("abandoned", "myinfo_consent")
