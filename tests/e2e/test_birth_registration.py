"""Birth registration end to end: real Rasa + action server + agency service over REST, a logged-in parent (Singpass
token in the message metadata, as the web widget sends it). Each test says what ICA then holds.

Every test registers a baby of its own: a fresh notification of live birth from the hospital feed
(POST /admin/v1/live-birth-notifications), so the seeded babies stay for the demo and other journeys' tests.
Families (moments/agencies/seed.py) not used by the Baby Bonus tests: Tan (en), Wong (zh), Nurul, a single mother
(ms), Anitha (ta), Lim (correction), Daniel (digression), Zhang (cancel), Chen (outage), Lee (late).
"""

import pytest

from testkit import Chat, clear_faults, fault, logged_in, notify_birth, say, texts, written_in  # noqa: F401
from moments.agency_client.client import Agencies
from moments.agencies.seed import PEOPLE

pytestmark = pytest.mark.slow

NRIC = {p.key: p.nric for p in PEOPLE}


@pytest.fixture(scope="module")
def agency(servers):
    return Agencies(base_url=servers.agencies_url, api_key=servers.secrets["AGENCIES_API_KEY"])


new_baby = notify_birth


def registered(agency, chat, enlb: str) -> list:
    """ICA's registrations of this baby, as the parent sees them."""
    return [r for r in agency.ica.registrations(chat.token) if r["enlb_number"] == enlb]


def still_open(agency, chat, enlb: str) -> bool:
    return any(n["enlb_number"] == enlb and n["status"] == "open" for n in agency.ica.notifications(chat.token))


def start_and_pick(chat, start: str, consent: str, baby: dict, lang: str):
    """Start, consent to MyInfo, pick the baby by its button."""
    replies = say(chat, start, "utter_ask_myinfo_consent")
    assert written_in(lang, replies[0]["text"])
    replies = say(chat, consent, "utter_ask_birth_notification")
    payloads = [b["payload"] for b in replies[0]["buttons"]]
    assert baby["enlb_number"] in payloads, payloads
    say(chat, baby["enlb_number"], "utter_ask_birth_child_name")


# -- without a login ---------------------------------------------------------------------------------------------------
def test_without_login_the_bot_says_how_to_log_in(chat):
    say(chat, "I want to register my baby's birth", "utter_login_required")
    assert chat.slot("birth_notification") is None


# -- the journey in each language --------------------------------------------------------------------------------------
def test_register_in_english_then_the_baby_bonus_is_offered(servers, agency):
    chat = logged_in(servers, "tan")                      # the father registers
    baby = new_baby(servers, "lim", "tan", days_ago=4, sex="M", at="08:42")
    start_and_pick(chat, "I want to register my baby's birth", "yes", baby, "en")
    say(chat, "Tan Kai Xuan", "utter_ask_birth_ethnic_name")
    say(chat, "陈凯轩", "utter_ask_birth_dialects")
    assert chat.slot("language") == "en"                       # a Chinese name does not switch the conversation
    replies = say(chat, "Hokkien, Teochew", "utter_birth_registration_summary")
    summary = replies[0]["text"]
    assert "Tan Kai Xuan" in summary and "陈凯轩" in summary and "Boy" in summary and baby["enlb_number"] in summary
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/affirm", "/correct_field", "/stop"]
    replies = say(chat, "/affirm", "utter_birth_registered", "utter_offer_baby_bonus")
    [record] = registered(agency, chat, baby["enlb_number"])
    assert record["reference"].startswith("BR-") and record["reference"] in replies[0]["text"]
    assert record["certificate"]["url"] in replies[0]["text"] and "$18.00" in replies[0]["text"]
    assert record["child"]["name"] == "Tan Kai Xuan" and record["child"]["ethnic_name"] == "陈凯轩"
    assert record["child"]["sex"] == "M" and record["child"]["time_of_birth"] == "08:42"
    assert record["parents_marital_status"] == "married" and record["father"]["nric"] == NRIC["tan"]
    assert record["dialects"] == {"mother": "Hokkien", "father": "Teochew"}
    assert record["registered_by"]["nric"] == NRIC["tan"]
    assert "Tan Kai Xuan" in replies[1]["text"]
    # "yes" to the offer starts the Baby Bonus journey (its form, built by the Baby Bonus journey)
    chat.say("yes")
    assert chat.last_bot_actions()[:2] == ["action_check_identity", "baby_bonus_form"]


# One walkthrough per language: who registers, what they type, and what ICA then holds.
WALKTHROUGHS = [
    pytest.param(dict(
        lang="zh", parent="wong", other="chen", days_ago=6, sex="F", start="我想给宝宝办出生登记", consent="好的",
        name="Chen Yu Xuan", ethnic="陈雨萱", dialects="跳过", summary_has="女", confirm="是", reference_shown=True,
        record={"child.name": "Chen Yu Xuan", "child.ethnic_name": "陈雨萱", "child.ethnic_script": "han",
                "dialects": {"mother": None, "father": None}}), id="chinese"),
    pytest.param(dict(
        lang="ms", parent="nurul", other=None, days_ago=2, sex="F", start="saya nak daftar kelahiran anak saya",
        consent="ya", name="Nur Iman binte Osman", ethnic="langkau", dialects="Jawa", summary_has="tidak berkahwin",
        confirm="ya", reference_shown=True,
        record={"child.name": "Nur Iman binte Osman", "child.ethnic_name": None,
                "parents_marital_status": "not_married", "father": None,
                "dialects": {"mother": "Javanese", "father": None}}), id="malay-as-a-single-mother"),
    pytest.param(dict(
        lang="ta", parent="anitha", other="lee", days_ago=10, sex="M",
        start="என் குழந்தையின் பிறப்பை பதிவு செய்ய வேண்டும்", consent="ஆம்", name="Kavin Raj", ethnic="கவின் ராஜ்",
        dialects="தவிர்", summary_has="ஆண்", confirm="ஆம்", reference_shown=False,
        record={"child.name": "Kavin Raj", "child.ethnic_name": "கவின் ராஜ்", "child.ethnic_script": "tamil",
                "parents_marital_status": "married"}), id="tamil"),
]


def at(record: dict, path: str):
    for key in path.split("."):
        record = record[key]
    return record


@pytest.mark.parametrize("w", WALKTHROUGHS)
def test_register_in_each_language(servers, agency, w):
    chat = logged_in(servers, w["parent"])
    baby = new_baby(servers, w["parent"], w["other"], days_ago=w["days_ago"], sex=w["sex"])
    start_and_pick(chat, w["start"], w["consent"], baby, w["lang"])
    say(chat, w["name"], "utter_ask_birth_ethnic_name")
    say(chat, w["ethnic"], "utter_ask_birth_dialects")
    replies = say(chat, w["dialects"], "utter_birth_registration_summary")
    assert written_in(w["lang"], replies[0]["text"]) and w["summary_has"] in replies[0]["text"]
    replies = say(chat, w["confirm"], "utter_birth_registered", "utter_offer_baby_bonus")
    assert written_in(w["lang"], replies[0]["text"])
    [record] = registered(agency, chat, baby["enlb_number"])
    assert {path: at(record, path) for path in w["record"]} == w["record"]
    if w["reference_shown"]:
        assert record["reference"] in replies[0]["text"]


# -- a correction, a digression, a cancel, an outage, a late birth ----------------------------------------------------------
def test_corrections_at_the_summary_in_free_text(servers, agency):
    chat = logged_in(servers, "lim")
    baby = new_baby(servers, "lim", "tan", days_ago=1, sex="F")
    start_and_pick(chat, "register my newborn pls", "yes", baby, "en")
    say(chat, "Tan Jia Hui", "utter_ask_birth_ethnic_name")
    say(chat, "skip", "utter_ask_birth_dialects")               # the NLU reads "skip" as stop; it still skips
    say(chat, "skip", "utter_birth_registration_summary")
    replies = say(chat, "change the name to Tan Wei Ling", "utter_birth_registration_summary")
    assert "Tan Wei Ling" in replies[0]["text"]
    replies = say(chat, "中文名字改成陈慧玲", "utter_birth_registration_summary")   # and now in Chinese
    assert "陈慧玲" in replies[0]["text"] and written_in("zh", replies[0]["text"])
    say(chat, "出生日期改一下", "utter_ask_birth_child_dob")       # the field alone: asked again
    replies = say(chat, "明天", "utter_birth_date_future", "utter_ask_birth_child_dob")
    assert written_in("zh", replies[0]["text"])
    say(chat, "昨天", "utter_birth_registration_summary")
    say(chat, "/correct_field", "utter_ask_birth_field_to_change")
    say(chat, '/correct_field{"birth_field": "birth_dialects"}', "utter_ask_birth_dialects")
    say(chat, "福建", "utter_birth_registration_summary")
    say(chat, "是", "utter_birth_registered", "utter_offer_baby_bonus")
    [record] = registered(agency, chat, baby["enlb_number"])
    assert record["child"]["name"] == "Tan Wei Ling" and record["child"]["ethnic_name"] == "陈慧玲"
    assert record["dialects"] == {"mother": "Hokkien", "father": "Hokkien"}


def test_a_name_with_an_everyday_word_is_shown_back_before_ica_sees_it(servers, agency):
    chat = logged_in(servers, "lim")
    baby = new_baby(servers, "lim", "tan", days_ago=2, sex="M")
    start_and_pick(chat, "register my baby's birth", "yes", baby, "en")
    replies = say(chat, "Marcus Tan Only", "utter_ask_birth_name_checked")
    assert "Marcus Tan Only" in replies[0]["text"]
    say(chat, "/deny", "utter_ask_birth_child_name")           # "Change the name": asked again
    say(chat, "Marcus Tan", "utter_ask_birth_ethnic_name")       # an ordinary name is not questioned
    say(chat, "skip", "utter_ask_birth_dialects")
    say(chat, "skip", "utter_birth_registration_summary")
    replies = say(chat, "sorry name should be Ryan Tan Jun Wei Lah Please", "utter_birth_registration_summary")
    assert "Ryan Tan Jun Wei" in replies[0]["text"] and "Lah" not in replies[0]["text"]
    say(chat, "change the name to ryan tan only", "utter_ask_birth_name_checked")   # a corrected name: checked again
    say(chat, "/affirm", "utter_birth_registration_summary")
    say(chat, "/affirm", "utter_birth_registered", "utter_offer_baby_bonus")
    [record] = registered(agency, chat, baby["enlb_number"])
    assert record["child"]["name"] == "Ryan Tan Only"          # what the parent confirmed twice, nothing else


def test_questions_and_a_language_change_in_the_middle_then_the_form_resumes(servers, agency):
    chat = logged_in(servers, "daniel")
    baby = new_baby(servers, "maria", "daniel", days_ago=7, sex="M")
    start_and_pick(chat, "I'd like to register the birth of my son", "yes", baby, "en")
    replies = say(chat, "what's the deadline to register?", "utter_birth_info_deadline_for_baby",
                  "utter_ask_birth_child_name")
    assert "35 days left" in replies[0]["text"]
    say(chat, "how much is the fee?", "utter_birth_info_fee", "utter_ask_birth_child_name")
    replies = say(chat, "can you speak Malay", "utter_language_changed", "utter_ask_birth_child_name")
    assert written_in("ms", replies[-1]["text"]) and chat.slot("language") == "ms"
    say(chat, "Gabriel de Souza", "utter_ask_birth_ethnic_name")
    say(chat, "tiada", "utter_ask_birth_dialects")
    say(chat, "tiada", "utter_birth_registration_summary")
    say(chat, "ya", "utter_birth_registered", "utter_offer_baby_bonus")
    [record] = registered(agency, chat, baby["enlb_number"])
    assert record["child"]["name"] == "Gabriel de Souza" and record["mother"]["nric"] == NRIC["maria"]


@pytest.mark.parametrize("lang,start,consent,cancel", [
    ("zh", "我要登记宝宝出生", "好", "取消"),
    ("en", "register birth", "yes", "stop"),
])
def test_cancel_in_the_middle_submits_nothing(servers, agency, lang, start, consent, cancel):
    chat = logged_in(servers, "zhang")
    baby = new_baby(servers, "liu", "zhang", days_ago=9, sex="F")
    start_and_pick(chat, start, consent, baby, lang)
    say(chat, "Zhang Xin Yi", "utter_ask_birth_ethnic_name")
    replies = say(chat, cancel, "utter_journey_stopped")
    assert written_in(lang, replies[0]["text"])
    tracker = chat.tracker()
    assert tracker["active_loop"].get("name") is None and tracker["slots"]["birth_child_name"] is None
    assert registered(agency, chat, baby["enlb_number"]) == [] and still_open(agency, chat, baby["enlb_number"])


def test_agency_outage_at_submission_keeps_the_answers_and_the_retry_registers_once(servers, agency):
    chat = logged_in(servers, "chen")
    baby = new_baby(servers, "wong", "chen", days_ago=3, sex="M")
    start_and_pick(chat, "help me register my baby's birth", "yes", baby, "en")
    say(chat, "Chen Jun Hao", "utter_ask_birth_ethnic_name")
    say(chat, "陈俊豪", "utter_ask_birth_dialects")
    say(chat, "Teochew", "utter_birth_registration_summary")
    fault(servers, "ica", outage=True)
    try:
        replies = say(chat, "yes", "utter_agency_unavailable", "utter_birth_registration_summary")
        assert "Chen Jun Hao" in replies[1]["text"]                         # everything kept
    finally:
        clear_faults(servers)
    assert registered(agency, chat, baby["enlb_number"]) == []
    say(chat, "yes", "utter_birth_registered", "utter_offer_baby_bonus")
    [record] = registered(agency, chat, baby["enlb_number"])               # exactly one
    assert record["child"]["name"] == "Chen Jun Hao" and record["dialects"] == {"mother": "Teochew", "father": "Teochew"}


def test_a_late_birth_is_explained_and_nothing_is_submitted(servers, agency):
    chat = logged_in(servers, "lee")
    [late] = [n for n in agency.ica.notifications(chat.token) if n["status"] == "late"]   # seeded: 43 days ago
    say(chat, "i want to register my daughter's birth", "utter_ask_myinfo_consent")
    say(chat, "yes", "utter_ask_birth_notification")
    replies = say(chat, late["enlb_number"], "utter_birth_registration_late")
    assert late["registration_deadline"][8:10].lstrip("0") in replies[0]["text"]
    assert chat.tracker()["active_loop"].get("name") is None
    assert registered(agency, chat, late["enlb_number"]) == []
    # asked again in the same conversation: MyInfo consent is not asked twice
    say(chat, "register birth", "utter_ask_birth_notification")


def test_nobody_to_register_ends_the_journey_politely(servers, agency):
    chat = logged_in(servers, "ho")                       # no children, no notification of live birth
    say(chat, "I want to register my baby's birth", "utter_ask_myinfo_consent")
    say(chat, "yes", "utter_birth_no_notification")
    assert chat.tracker()["active_loop"].get("name") is None
