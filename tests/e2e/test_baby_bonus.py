"""Baby Bonus end to end: real Rasa + action server + agency service over REST, a logged-in parent (Singpass token in
the message metadata, as the web widget sends it). Each test says what MSF then holds.

Children born before 14 Feb 2023 have had every cash gift instalment by now, so only the younger ones get a
"next payment" line. Seeded families used (moments/agencies/seed.py), one child each so the tests do not depend
on each other's order: Faizal → Irfan (en), Goh → Yu Xuan (zh), Ahmad → Adam (ms), Rajesh → Kavya (ta), Koh by SMS
(stops at the summary), Ong → Rui En (correction), Farah → Alya (outage), Priya → Arjun (digression + cancel, then
the slow-agency retry). A family may also have a newborn registered by the birth-registration tests, so the child
is named in the first message (or picked).
"""
import time
from contextlib import contextmanager

import pytest

from moments.agency_client.client import Agencies
from moments.agencies.seed import PEOPLE
from moments.channels.gateway import WEBHOOK_PATH, conversation_id_for
from moments.channels.simulator import SmsPhone
from testkit import Chat, clear_faults, fault, logged_in, say, texts, written_in  # noqa: F401

pytestmark = pytest.mark.slow

NRIC = {p.key: p.nric for p in PEOPLE}
NAME = {p.key: p.name for p in PEOPLE}


@pytest.fixture(scope="module")
def agency(servers):
    return Agencies(base_url=servers.agencies_url, api_key=servers.secrets["AGENCIES_API_KEY"])


def applications(agency, chat, child_key):
    return [a for a in agency.msf.applications(chat.token) if a["child"]["name"] == NAME[child_key]]


# -- without a login -------------------------------------------------------------------------------------------------

def to_the_summary(chat, start: str, bank: str, account: str) -> None:
    """Consent, bank, account and the applicant as trustee: the summary is shown."""
    say(chat, start, "utter_ask_myinfo_consent")
    say(chat, "yes", "utter_ask_bb_bank")
    say(chat, bank, "utter_ask_bb_account")
    say(chat, account, "utter_ask_bb_trustee")
    say(chat, "yes", "utter_baby_bonus_summary")


@contextmanager
def msf_fault(servers, **faults):
    """MSF misbehaves (outage, latency) inside the block; cleared however the block ends."""
    fault(servers, "msf", **faults)
    try:
        yield
    finally:
        clear_faults(servers)


def test_without_login_questions_get_the_facts_and_applying_asks_to_log_in(chat):
    say(chat, "how much baby bonus will I get for my first child?",
        "utter_baby_bonus_info", "utter_baby_bonus_login_for_personal")
    say(chat, "i want to apply for baby bonus", "utter_login_required")


# -- the journey in each language ------------------------------------------------------------------------------------
def test_apply_in_english(servers, agency):
    chat = logged_in(servers, "faizal")
    say(chat, "I want to apply for the baby bonus for Irfan", "utter_ask_myinfo_consent")
    replies = say(chat, "yes", "utter_ask_bb_bank")                    # the only child: no question
    assert [b["payload"] for b in replies[0]["buttons"]] == ["DBS/POSB", "OCBC", "UOB"]
    replies = say(chat, "posb", "utter_ask_bb_account")
    assert "DBS/POSB" in replies[0]["text"]
    replies = say(chat, "123-45678-9", "utter_ask_bb_trustee")
    assert NAME["faizal"] in replies[0]["text"] and NAME["aisyah"] in replies[0]["buttons"][1]["title"]
    replies = say(chat, "yes", "utter_baby_bonus_summary")
    assert "Muhammad Irfan" in replies[0]["text"] and "123456789" in replies[0]["text"]
    replies = say(chat, "yes", "utter_baby_bonus_submitted", "utter_baby_bonus_payments_started",
                  "utter_baby_bonus_next_payment")
    reference = chat.slot("bb_reference")
    assert reference.startswith("BB-") and reference in replies[0]["text"]
    assert chat.slot("bb_bank") is None and chat.slot("bb_family") is None  # the journey's answers are cleared

    [held] = applications(agency, chat, "irfan")
    assert (held["reference"], held["bank"], held["account_number_masked"], held["cda_trustee"]["name"]) == (
        reference, "DBS/POSB", "******6789", NAME["faizal"])

    replies = say(chat, "apply baby bonus", "utter_baby_bonus_all_applied")  # consent is not asked twice
    assert reference in replies[0]["text"]


def test_apply_in_chinese_with_the_other_parent_as_trustee(servers, agency):
    chat = logged_in(servers, "goh")
    say(chat, "我要为Yu Xuan申请婴儿花红", "utter_ask_myinfo_consent")
    say(chat, "好的", "utter_ask_bb_bank")
    say(chat, "星展银行", "utter_ask_bb_account")
    say(chat, "0123456789", "utter_ask_bb_trustee")
    replies = say(chat, "让我太太当受托人", "utter_baby_bonus_summary")
    assert NAME["tay"] in replies[0]["text"]
    replies = say(chat, "是的", "utter_baby_bonus_submitted", "utter_baby_bonus_payments_started")
    assert chat.slot("language") == "zh" and all(written_in("zh", t) for t in texts(replies))

    [held] = applications(agency, chat, "yu-xuan")
    assert held["reference"] == chat.slot("bb_reference") and held["bank"] == "DBS/POSB"
    assert held["cda_trustee"]["name"] == NAME["tay"]
    assert held["benefits"]["scheme"]["id"] == "previous"  # born 13 Feb 2023: the earlier amounts


def test_apply_in_malay_picking_one_of_several_children(servers, agency):
    chat = logged_in(servers, "ahmad")
    say(chat, "saya nak mohon bonus bayi", "utter_ask_myinfo_consent")
    replies = say(chat, "ya", "utter_baby_bonus_children_already_applied", "utter_ask_bb_child")
    assert "BB-SEED0001" in replies[0]["text"]                       # Ayden joined in 2021
    titles = [b["title"] for b in replies[1]["buttons"]]
    assert any(t.startswith(NAME["adam"]) for t in titles) and any(t.startswith(NAME["alya"]) for t in titles)
    assert not any(t.startswith(NAME["iman"]) for t in titles)       # too old to apply
    say(chat, "Adam", "utter_ask_bb_bank")
    say(chat, "UOB", "utter_ask_bb_account")
    say(chat, "123456789", "utter_bb_account_wrong_length", "utter_ask_bb_account")  # UOB: 10 digits
    say(chat, "1234567890", "utter_ask_bb_trustee")
    say(chat, "ya", "utter_baby_bonus_summary")
    replies = say(chat, "ya, hantar", "utter_baby_bonus_submitted", "utter_baby_bonus_payments_started")
    assert chat.slot("language") == "ms" and all(written_in("ms", t) for t in texts(replies))

    [held] = applications(agency, chat, "adam")
    assert (held["bank"], held["account_number_masked"], held["cda_trustee"]["name"]) == (
        "UOB", "******7890", NAME["ahmad"])


def test_apply_starting_in_english_then_in_tamil(servers, agency):
    chat = logged_in(servers, "rajesh")
    say(chat, "apply baby bonus for Kavya", "utter_ask_myinfo_consent")
    say(chat, "yes", "utter_ask_bb_bank")
    replies = say(chat, "தமிழில் பேசுங்கள்", "utter_language_changed", "utter_ask_bb_bank")  # the question, in Tamil
    assert all(written_in("ta", t) for t in texts(replies))
    say(chat, "OCBC", "utter_ask_bb_account")
    say(chat, "1234 5678 9012", "utter_ask_bb_trustee")
    replies = say(chat, "என் மனைவி", "utter_baby_bonus_summary")
    assert NAME["priya"] in replies[0]["text"]
    replies = say(chat, "ஆம்", "utter_baby_bonus_submitted", "utter_baby_bonus_payments_started")
    assert all(written_in("ta", t) for t in texts(replies))

    [held] = applications(agency, chat, "kavya")
    assert (held["bank"], held["account_number_masked"], held["cda_trustee"]["name"]) == (
        "OCBC", "******9012", NAME["priya"])


def test_by_sms_numbered_menus_and_the_date_of_birth_check_before_the_summary(servers, agency):
    """Koh texts from her registered mobile: buttons come as numbered menus, and before anything could be submitted
    she confirms her date of birth (digits, day month year). She stops at the summary (Rui En is applied for later)."""
    koh = next(p for p in PEOPLE if p.key == "koh")
    url = f"{servers.rasa_url}{WEBHOOK_PATH}"
    phone = SmsPhone(url, koh.mobile, token=servers.env["TWILIO_AUTH_TOKEN"])
    conversation = Chat(servers, sender=conversation_id_for(koh.mobile, servers.env["SMS_CONVERSATION_KEY"]))

    def text(body, *expected):
        reply = phone.send(body)
        assert reply.status == 200 and reply.messages, reply.text[:300]
        assert conversation.last_responses() == list(expected), (body, reply.messages)
        return reply.joined()

    text("apply baby bonus", "utter_ask_myinfo_consent")
    assert "2" in text("1", "utter_ask_bb_bank")                     # "1" = Yes on the consent menu
    text("2", "utter_ask_bb_account")                                  # 2nd bank on the menu: OCBC
    assert conversation.slot("bb_bank") == "OCBC"
    text("123456789012", "utter_ask_bb_trustee")
    text("yes", "utter_ask_sms_identity_confirmed")
    text("0000", "utter_sms_identity_wrong", "utter_ask_sms_identity_confirmed")
    summary = text(koh.born.strftime("%d %m %Y"), "utter_baby_bonus_summary")
    assert "OCBC" in summary and "123456789012" in summary
    text("stop", "utter_journey_stopped")
    assert applications(agency, logged_in(servers, "koh"), "rui-en") == []


# -- correction, digression, cancel, outage --------------------------------------------------------------------------
def test_correction_at_the_summary(servers, agency):
    chat = logged_in(servers, "ong")
    say(chat, "apply for baby bonus", "utter_ask_myinfo_consent")
    say(chat, "ok", "utter_ask_bb_bank")
    say(chat, "UOB", "utter_ask_bb_account")
    say(chat, "1234567890", "utter_ask_bb_trustee")
    replies = say(chat, "me", "utter_baby_bonus_summary")
    assert "UOB" in replies[0]["text"]
    replies = say(chat, "change bank to OCBC", "utter_baby_bonus_summary")  # 10 digits fit OCBC too
    assert "OCBC" in replies[0]["text"] and "UOB" not in replies[0]["text"]
    say(chat, "yes", "utter_baby_bonus_submitted", "utter_baby_bonus_payments_started",
        "utter_baby_bonus_next_payment")

    [held] = applications(agency, chat, "rui-en")
    assert held["bank"] == "OCBC" and held["account_number_masked"] == "******7890"


def test_questions_in_the_middle_then_stop(servers, agency):
    chat = logged_in(servers, "priya")
    say(chat, "i want to apply baby bonus for Arjun", "utter_ask_myinfo_consent")
    say(chat, "yes", "utter_ask_bb_bank")
    say(chat, "what documents do i need to register a birth?", "utter_birth_registration_info", "utter_ask_bb_bank")
    replies = say(chat, "how much baby bonus does Arjun get?", "utter_baby_bonus_family_previous",
                  "utter_baby_bonus_other_children", "utter_ask_bb_bank")
    assert NAME["arjun"] in replies[0]["text"] and "$8,000" in replies[0]["text"]  # 1st child, born 2018
    say(chat, "DBS", "utter_ask_bb_account")
    say(chat, "stop", "utter_journey_stopped")
    assert chat.slot("bb_bank") is None and chat.slot("requested_slot") is None

    assert applications(agency, chat, "arjun") == []


def test_agency_outage_at_submission_then_retry(servers, agency):
    chat = logged_in(servers, "farah")
    to_the_summary(chat, "apply baby bonus for Alya pls", "DBS", "987654321")
    with msf_fault(servers, outage=True):
        say(chat, "yes", "utter_agency_unavailable", "utter_baby_bonus_summary")
    assert (chat.slot("bb_bank"), chat.slot("bb_account"), chat.slot("bb_trustee")) == (
        "DBS/POSB", "987654321", "applicant")                        # what they entered is kept
    say(chat, "yes", "utter_baby_bonus_submitted", "utter_baby_bonus_payments_started")

    [held] = applications(agency, chat, "alya")
    assert held["reference"] == chat.slot("bb_reference")


def test_a_slow_agency_that_did_apply_is_not_applied_twice(servers, agency):
    """The first POST times out on our side but MSF completes it; "yes" again sends the same Idempotency-Key.
    While MSF is this slow the replay and the look-up cannot find out either, so the citizen hears that it may have
    gone through and will not be submitted twice (tests/e2e/test_lost_in_transit.py has the cases found out)."""
    chat = logged_in(servers, "priya")
    to_the_summary(chat, "apply baby bonus for Arjun", "OCBC", "1234567890")
    with msf_fault(servers, latency_ms=6000):                         # the client gives up after 5 s
        say(chat, "yes", "utter_agency_outcome_unknown", "utter_baby_bonus_summary")
    time.sleep(2)                                                     # MSF finishes the first request
    say(chat, "yes", "utter_baby_bonus_submitted", "utter_baby_bonus_payments_started")

    [held] = applications(agency, chat, "arjun")
    assert held["reference"] == chat.slot("bb_reference")


# -- this family's amounts -------------------------------------------------------------------------------------------
def test_question_when_logged_in_explains_this_familys_amounts(servers, agency):
    chat = logged_in(servers, "koh")
    say(chat, "how much baby bonus will Rui En get?", "utter_ask_bb_info_consent")
    replies = chat.say("yes")
    names = chat.last_responses()
    assert names[0] == "utter_baby_bonus_family_current", names
    assert NAME["rui-en"] in replies[0]["text"] and "$11,000" in replies[0]["text"] and "$4,000" in replies[0]["text"]
    assert names[1] in ("utter_baby_bonus_joined", "utter_baby_bonus_not_joined_due")
    say(chat, "how about the co-matching for baby bonus?", *names)   # consent is not asked again


def test_a_yes_means_apply_only_after_an_answer_that_offered_to_apply(servers, agency):
    """"ok" after "You haven't applied for … I can apply with you now" starts the application for that child (the
    independent table's s9 covers four languages); after an answer about a child who has joined, it is only a yes."""
    chat = logged_in(servers, "farah")
    say(chat, "how much baby bonus for Ayden?", "utter_ask_bb_info_consent")
    chat.say("yes")
    assert "utter_baby_bonus_joined" in chat.last_responses(), chat.last_responses()
    say(chat, "ok", "utter_how_can_help")
    assert [a["reference"] for a in applications(agency, chat, "ayden")] == ["BB-SEED0001"]
