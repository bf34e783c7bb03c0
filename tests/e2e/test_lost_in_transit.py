"""The agency's answer lost in transit, end to end: real Rasa + action server + agency services over REST, a
logged-in parent. The agency does the work and commits it, then its answer never arrives (the `lost_replies` fault:
the connection dropped after the status line, or the answer held back past the client's read timeout). The citizen
must be told the real outcome with the real reference, the agency must hold exactly one record, and another "yes"
must not make a second one.

One stack for the module, with short client timeouts (read 1 s, 3.5 s to find out) so nothing waits 5 s; the seeded
families are this stack's own (a fresh agency database), so they do not collide with the journeys' e2e tests.
"""
from __future__ import annotations

import re
import time
from contextlib import contextmanager

import pytest

from moments.agencies.seed import PEOPLE
from moments.agency_client.client import Agencies
from testkit import MODEL, ROOT, Servers, clear_faults, fault, logged_in, notify_birth, say, texts

pytestmark = pytest.mark.slow

NAME = {p.key: p.name for p in PEOPLE}
QUICK = {"AGENCIES_READ_TIMEOUT": "1", "AGENCIES_WRITE_BUDGET": "3.5"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip("no trained model: `make train` first (make test does it)")
    s = Servers(tmp_path_factory.mktemp("lost-in-transit"))
    s.env.update(QUICK)
    try:
        s.start_assistant(MODEL, credentials=ROOT / "credentials.yml")
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def agency(servers):
    return Agencies(base_url=servers.agencies_url, api_key=servers.secrets["AGENCIES_API_KEY"])


@contextmanager
def answers_lost(servers, agency_name: str, **spec):
    fault(servers, agency_name, **spec)
    try:
        yield
    finally:
        clear_faults(servers)


def timed_say(chat, text, *expected):
    started = time.perf_counter()
    replies = say(chat, text, *expected)
    return replies, time.perf_counter() - started


def test_a_birth_registration_whose_answer_was_dropped_is_reported_with_its_reference(servers, agency):
    chat = logged_in(servers, "tan")
    baby = notify_birth(servers, "lim", "tan", days_ago=3, sex="M")
    say(chat, "I want to register my baby's birth", "utter_ask_myinfo_consent")
    say(chat, "yes", "utter_ask_birth_notification")
    say(chat, baby["enlb_number"], "utter_ask_birth_child_name")
    say(chat, "Tan Kai Ming", "utter_ask_birth_ethnic_name")
    say(chat, "skip", "utter_ask_birth_dialects")
    say(chat, "skip", "utter_birth_registration_summary")
    with answers_lost(servers, "ica", lost_replies=1):  # ICA registers, then the connection drops
        replies, took = timed_say(chat, "yes", "utter_birth_registered", "utter_offer_baby_bonus")
    [record] = [r for r in agency.ica.registrations(chat.token) if r["enlb_number"] == baby["enlb_number"]]
    assert record["reference"] in replies[0]["text"] and "$18.00" in replies[0]["text"], texts(replies)
    assert record["child"]["name"] == "Tan Kai Ming" and took < 8
    chat.say("yes")  # a second "yes" (a double tap) goes to the Baby Bonus offer, never to ICA again
    assert [r["reference"] for r in agency.ica.registrations(chat.token)
            if r["enlb_number"] == baby["enlb_number"]] == [record["reference"]]


def test_a_baby_bonus_application_whose_answers_all_come_too_late_is_found_by_the_look_up(servers, agency):
    chat = logged_in(servers, "faizal")
    say(chat, "I want to apply for the baby bonus for Irfan", "utter_ask_myinfo_consent")
    say(chat, "yes", "utter_ask_bb_bank")
    say(chat, "OCBC", "utter_ask_bb_account")
    say(chat, "1234567890", "utter_ask_bb_trustee")
    say(chat, "yes", "utter_baby_bonus_summary")
    # Every answer MSF gives to a write is held back 2.5 s (the client waits 1 s): the replay is lost too.
    with answers_lost(servers, "msf", lost_replies=50, lost_reply_delay_ms=2500):
        started = time.perf_counter()
        replies = chat.say("yes")
        took = time.perf_counter() - started
    assert chat.last_responses()[0] == "utter_baby_bonus_submitted", texts(replies)
    [application] = [a for a in agency.msf.applications(chat.token) if a["child"]["name"] == NAME["irfan"]]
    assert application["reference"] in replies[0]["text"] and chat.slot("bb_reference") == application["reference"]
    assert took < 8
    chat.say("yes")
    assert [a["reference"] for a in agency.msf.applications(chat.token)
            if a["child"]["name"] == NAME["irfan"]] == [application["reference"]]


def test_a_booking_nobody_can_confirm_is_said_to_be_unknown_and_yes_finds_the_one_booking(servers, agency):
    chat = logged_in(servers, "rajesh")
    say(chat, "book a vaccination for Kavya at Ang Mo Kio tomorrow", "utter_ask_myinfo_consent")
    say(chat, "yes", "utter_ask_appointment_slot")
    say(chat, "1", "utter_ask_book_appointment_confirm")
    # Nothing the Health agency says arrives: the booking's answer, the replays' and the look-ups'.
    with answers_lost(servers, "health", lost_replies=100, lost_replies_include_reads=True):
        replies, took = timed_say(chat, "yes", "utter_agency_outcome_unknown", "utter_ask_book_appointment_confirm")
    assert "twice" in replies[0]["text"] and took < 8
    [booked] = [a for a in agency.health.appointments(chat.token, status="booked")
                if a["child"]["name"] == NAME["kavya"]]  # it did go through, once
    replies = say(chat, "yes", "utter_appointment_booked")  # the same key: the stored answer, no second booking
    assert re.findall(r"AP-[0-9A-Z]{8}", "\n".join(texts(replies))) == [booked["reference"]]
    assert [a["reference"] for a in agency.health.appointments(chat.token, status="booked")
            if a["child"]["name"] == NAME["kavya"]] == [booked["reference"]]


def test_an_unknown_birth_registration_in_chinese_then_yes_shows_the_real_reference(servers, agency):
    chat = logged_in(servers, "wong")
    baby = notify_birth(servers, "wong", "chen", days_ago=5, sex="F")
    say(chat, "我想给宝宝办出生登记", "utter_ask_myinfo_consent")
    say(chat, "好的", "utter_ask_birth_notification")
    say(chat, baby["enlb_number"], "utter_ask_birth_child_name")
    say(chat, "Chen Xin Yi", "utter_ask_birth_ethnic_name")
    say(chat, "跳过", "utter_ask_birth_dialects")
    say(chat, "跳过", "utter_birth_registration_summary")
    with answers_lost(servers, "ica", lost_replies=100, lost_replies_include_reads=True):
        replies = say(chat, "是", "utter_agency_outcome_unknown", "utter_birth_registration_summary")
    assert "不会重复提交" in replies[0]["text"]
    [record] = [r for r in agency.ica.registrations(chat.token) if r["enlb_number"] == baby["enlb_number"]]
    replies = say(chat, "是", "utter_birth_registered", "utter_offer_baby_bonus")
    assert record["reference"] in replies[0]["text"]
    assert len([r for r in agency.ica.registrations(chat.token) if r["enlb_number"] == baby["enlb_number"]]) == 1


def book_a_vaccination(chat, start, consent, clinic, day, confirm) -> str:
    """Books a vaccination the normal way; returns its AP- reference."""
    say(chat, start, "utter_ask_myinfo_consent")
    say(chat, consent, "utter_ask_appointment_clinic")
    say(chat, clinic, "utter_ask_appointment_date")
    say(chat, day, "utter_ask_appointment_slot")
    say(chat, "1", "utter_ask_book_appointment_confirm")
    [ref] = re.findall(r"AP-[0-9A-Z]{8}", "\n".join(texts(say(chat, confirm, "utter_appointment_booked"))))
    return ref


def ask_for(chat, text, ref, expected):
    """Asks to move or cancel; picks `ref` when the family has several upcoming appointments."""
    replies = chat.say(text)
    if chat.last_responses() in (["utter_ask_appointment_pick_to_move"], ["utter_ask_appointment_pick_to_cancel"]):
        replies = chat.say(ref)
    assert chat.last_responses() == [expected], (text, texts(replies))
    return replies


def test_a_move_whose_answer_was_dropped_shows_the_new_time_and_a_second_yes_moves_nothing(servers, agency):
    chat = logged_in(servers, "faizal")
    ref = book_a_vaccination(chat, "book a vaccination for Irfan", "yes", "AMK", "next Monday", "yes")
    before = agency.health.appointment(chat.token, ref)
    ask_for(chat, "I need to reschedule the appointment", ref, "utter_ask_reschedule_date")
    replies = say(chat, "next Friday", "utter_ask_appointment_slot")
    new_time = [b["title"] for r in replies for b in r.get("buttons", []) if b["payload"] == "2"][0]
    say(chat, "2", "utter_ask_reschedule_confirm")
    with answers_lost(servers, "health", lost_replies=1):  # the Health agency moves it, then the connection drops
        replies, took = timed_say(chat, "yes", "utter_appointment_rescheduled")
    moved = agency.health.appointment(chat.token, ref)
    assert moved["reschedule_count"] == before["reschedule_count"] + 1 and moved["starts_at"] != before["starts_at"]
    assert ref in replies[0]["text"] and new_time.split()[-2] in replies[0]["text"], (new_time, texts(replies))
    assert took < 8
    chat.say("yes")  # a double tap: the move is done, nothing is sent to the Health agency again
    again = agency.health.appointment(chat.token, ref)
    assert (again["reschedule_count"], again["starts_at"], again["status"]) == \
        (moved["reschedule_count"], moved["starts_at"], "booked")


def test_a_cancellation_nobody_can_confirm_is_said_to_be_unknown_and_yes_in_chinese_cancels_it_once(servers, agency):
    chat = logged_in(servers, "tay")
    ref = book_a_vaccination(chat, "我要帮 Yu Xuan 预约打疫苗", "好", "宏茂桥", "下个星期二", "是的")
    ask_for(chat, "取消预约", ref, "utter_ask_cancel_confirm")
    # Nothing the Health agency says arrives: the cancellation's answer, the replays' and the look-ups'.
    with answers_lost(servers, "health", lost_replies=100, lost_replies_include_reads=True):
        replies = say(chat, "是", "utter_agency_outcome_unknown", "utter_ask_cancel_confirm")
    assert "不会重复提交" in replies[0]["text"]
    assert agency.health.appointment(chat.token, ref)["status"] == "cancelled"  # it did go through
    replies = say(chat, "是", "utter_appointment_cancelled")  # the same key: the stored answer, not "already gone"
    assert ref in replies[0]["text"] and "已取消" in replies[0]["text"], texts(replies)
    chat.say("是")
    cancelled = [a for a in agency.health.appointments(chat.token) if a["reference"] == ref]
    assert [a["status"] for a in cancelled] == ["cancelled"]
    assert not [a for a in agency.health.appointments(chat.token, status="booked")
                if a["child"]["name"] == NAME["yu-xuan"]]  # nothing else was booked or moved in its place
