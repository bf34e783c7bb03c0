"""Vaccinations, polyclinic appointments and status end to end: real Rasa + action server + agency service over REST,
a logged-in parent (Singpass token in the message metadata, as the web widget sends it). Each test checks what the
Health agency then holds, through its own API.

Seeded families (moments/agencies/seed.py), one child and service per test so the tests do not depend on each other:
Faizal → Irfan (en), Goh → Yu Xuan (zh), Ahmad → Alya (ms), Rajesh → Kavya vaccination (ta); Priya → Kavya
screening (correction); Ong → Rui En (digression + language change); Tay → Yu Xuan screening (stop);
Farah → Ayden (outage); Aisyah → Irfan screening, raced by Farah booking Alya (slot taken).
The birth-registration tests may add a newborn to a family, so the child is named in the first message; a family
with several upcoming appointments is asked which one to move or cancel, and the test answers with the reference.
"""
import re
from datetime import datetime, timedelta

import pytest
import requests

from moments.text.formatting import SGT, format_date
from testkit import Chat
from moments.agency_client.client import Agencies
from moments.agencies.seed import PEOPLE
from moments.dates import parse_date
from moments.nlu.scripts import count_scripts

pytestmark = pytest.mark.slow

NRIC = {p.key: p.nric for p in PEOPLE}
NAME = {p.key: p.name for p in PEOPLE}
REFERENCE = re.compile(r"AP-[0-9A-Z]{8}")


@pytest.fixture(scope="module")
def agency(servers):
    return Agencies(base_url=servers.agencies_url, api_key=servers.secrets["AGENCIES_API_KEY"])


def written_in(lang, text):
    c = count_scripts(text)
    return {"zh": c.han > 0, "ta": c.tamil > 0}.get(lang, c.han == 0 and c.tamil == 0)


class Parent:
    """A logged-in parent's conversation, and what the Health agency holds for their children."""

    def __init__(self, servers, agency, key, lang):
        self.agency, self.lang = agency, lang
        self.token = agency.singpass.login(nric=NRIC[key])["access_token"]
        self.chat = Chat(servers, metadata={"token": self.token})
        self.replies = []

    def send(self, text):
        self.replies = self.chat.say(text)
        return self.chat.last_responses()

    def say(self, text, *expected):
        """Sends a message; the bot must answer with exactly `expected` (names of utter_… responses), in the
        conversation's language."""
        names = self.send(text)
        assert names == list(expected), (text, self.texts())
        assert all(written_in(self.lang, t) for t in self.texts()), self.texts()
        return self.replies

    def texts(self):
        return [r.get("text", "") for r in self.replies]

    def text(self):
        return "\n".join(self.texts())

    def buttons(self):
        return [b for r in self.replies for b in r.get("buttons", [])]

    def reference(self):
        found = REFERENCE.findall(self.text())
        assert found, self.texts()
        return found[0]

    def appointment(self, reference):
        return self.agency.health.appointment(self.token, reference)

    def booked(self, child_key, service=None):
        return [a for a in self.agency.health.appointments(self.token, status="booked")
                if a["child"]["name"] == NAME[child_key] and (service is None or a["service"] == service)]


def free_slots(agency, clinic, service, day, limit=5):
    return agency.health.slots(clinic, service=service, date_from=day.isoformat(),
                               date_to=(day + timedelta(days=13)).isoformat(), limit=limit)


def tomorrow():
    return datetime.now(SGT).date() + timedelta(days=1)


def fault(servers, agency_name, **spec):
    requests.put(f"{servers.agencies_url}/admin/v1/faults/{agency_name}", json=spec, headers=servers.admin_headers,
                 timeout=10).raise_for_status()


def clear_faults(servers):
    requests.delete(f"{servers.agencies_url}/admin/v1/faults", headers=servers.admin_headers, timeout=10).raise_for_status()


def move_and_cancel(p, ref, clinic, texts):
    """Moves appointment `ref` to another day and time, then cancels it, checking the agency after each step."""
    before = p.appointment(ref)
    names = p.send(texts["move"])
    if names == ["utter_ask_appointment_pick_to_move"]:  # the family has several upcoming appointments
        assert ref in [b["payload"] for b in p.buttons()]
        names = p.send(ref)
    assert names == ["utter_ask_reschedule_date"], p.texts()
    assert written_in(p.lang, p.text())
    p.say(texts["new_day"], "utter_ask_appointment_slot")
    p.say("2", "utter_ask_reschedule_confirm")
    p.say(texts["yes"], "utter_appointment_rescheduled")
    moved = p.appointment(ref)
    assert moved["status"] == "booked" and moved["reschedule_count"] == before["reschedule_count"] + 1
    assert moved["starts_at"] != before["starts_at"] and moved["clinic"]["id"] == clinic

    names = p.send(texts["cancel"])
    if names == ["utter_ask_appointment_pick_to_cancel"]:
        names = p.send(ref)
    assert names == ["utter_ask_cancel_confirm"], p.texts()
    assert ref in p.text()
    p.say(texts["yes"], "utter_appointment_cancelled")
    assert p.appointment(ref)["status"] == "cancelled"


# -- without a login ------------------------------------------------------------------------------------------------------

def test_without_login_the_schedule_and_how_to_log_in(chat):
    chat.say("what vaccinations does a baby need and when?")
    assert chat.last_responses() == ["utter_vaccination_info", "utter_vaccination_login_hint"]
    chat.say("i want to book a polyclinic appointment for my baby")
    assert chat.last_responses() == ["utter_login_required"]
    chat.say("check my application status")
    assert chat.last_responses() == ["utter_login_required"]


# -- the journey in each language -----------------------------------------------------------------------------------------

def test_vaccinations_then_book_move_and_cancel_in_english(servers, agency):
    p = Parent(servers, agency, "faizal", "en")
    p.say("what vaccinations is Irfan due for?", "utter_vaccinations_overdue", "utter_vaccinations_next",
          "utter_vaccinations_offer_booking")
    assert "MMR dose 1" in p.text() and "chickenpox" in p.text()
    p.say("book a vaccination for Irfan", "utter_ask_myinfo_consent")
    p.say("yes", "utter_ask_appointment_clinic")                 # child named, service said: not asked
    p.say("AMK", "utter_ask_appointment_date")
    p.say("next Monday", "utter_ask_appointment_slot")
    first = p.buttons()[0]
    assert first["payload"] == "1" and re.search(r"\d:\d\d [ap]m$", first["title"]), first
    p.say("1", "utter_ask_book_appointment_confirm")
    assert "Ang Mo Kio Polyclinic" in p.text() and NAME["irfan"] in p.text()
    p.say("yes", "utter_appointment_booked")
    ref = p.reference()
    appt = p.appointment(ref)
    assert appt["status"] == "booked" and appt["service"] == "vaccination" and appt["clinic"]["id"] == "ang-mo-kio"
    assert appt["child"]["name"] == NAME["irfan"]

    p.say("show me my appointments", "utter_appointments_list")
    assert ref in p.text() and "Ang Mo Kio Polyclinic" in p.text()
    move_and_cancel(p, ref, "ang-mo-kio", {"move": "I need to reschedule the appointment", "new_day": "next Friday",
                                           "cancel": "please cancel my appointment", "yes": "yes"})


# Book, list, move and cancel in each language: what the parent types, and what the summary and the agency show.
WALKTHROUGHS = [
    pytest.param(dict(
        parent="goh", lang="zh", start="我要帮 Yu Xuan 预约打疫苗", consent="好", clinic="宏茂桥", day="下个星期二",
        slot_title=r"上午|下午", summary_has=["宏茂桥综合诊疗所", "疫苗接种"], confirm="是的", clinic_id="ang-mo-kio",
        child=None, booked_for="yu-xuan", mine="我的预约",
        later={"move": "我要改预约时间", "new_day": "下个星期五", "cancel": "取消预约", "yes": "好"}), id="chinese"),
    pytest.param(dict(
        parent="ahmad", lang="ms", start="saya nak book vaksin untuk Alya", consent="ya", clinic="Poliklinik Tampines",
        day="Isnin depan", slot_title=r"(pagi|petang|tengah hari)$", summary_has=["Poliklinik Tampines", "vaksinasi"],
        confirm="ya", clinic_id="tampines", child=None, booked_for=None, mine="temujanji saya",
        later={"move": "saya nak tukar tarikh temujanji", "new_day": "Jumaat depan",
               "cancel": "batalkan temujanji saya", "yes": "ya"}), id="malay"),
    pytest.param(dict(
        parent="rajesh", lang="ta", start="Kavya-க்கு தடுப்பூசி போட அப்பாயிண்ட்மென்ட் வேண்டும்", consent="ஆம்",
        clinic="தெம்பனிஸ்", day="அடுத்த திங்கள்", slot_title=None, summary_has=["தெம்பனிஸ் பலதுறை மருந்தகம்"],
        confirm="ஆம்", clinic_id="tampines", child="kavya", booked_for=None, mine="என் அப்பாயிண்ட்மென்ட்கள்",
        later={"move": "அப்பாயிண்ட்மென்ட் நேரத்தை மாற்ற வேண்டும்", "new_day": "அடுத்த வெள்ளி",
               "cancel": "அப்பாயிண்ட்மென்ட்டை ரத்து செய்ய வேண்டும்", "yes": "ஆம்"}), id="tamil"),
]


@pytest.mark.parametrize("w", WALKTHROUGHS)
def test_book_move_and_cancel_in_each_language(servers, agency, w):
    p = Parent(servers, agency, w["parent"], w["lang"])
    p.say(w["start"], "utter_ask_myinfo_consent")
    p.say(w["consent"], "utter_ask_appointment_clinic")
    p.say(w["clinic"], "utter_ask_appointment_date")
    p.say(w["day"], "utter_ask_appointment_slot")
    if w["slot_title"]:
        assert re.search(w["slot_title"], p.buttons()[0]["title"]), p.buttons()[0]
    p.say("1", "utter_ask_book_appointment_confirm")
    assert all(part in p.text() for part in w["summary_has"]), p.text()
    p.say(w["confirm"], "utter_appointment_booked")
    ref = p.reference()
    appt = p.appointment(ref)
    assert appt["clinic"]["id"] == w["clinic_id"]
    if w["child"]:
        assert appt["child"]["name"] == NAME[w["child"]]
    if w["booked_for"]:
        assert [a["reference"] for a in p.booked(w["booked_for"], "vaccination")] == [ref]
    p.say(w["mine"], "utter_appointments_list")
    assert ref in p.text()
    move_and_cancel(p, ref, w["clinic_id"], w["later"])


# -- correction, digression, stop, outage, a slot taken meanwhile ----------------------------------------------------------

def test_correction_at_the_summary(servers, agency):
    p = Parent(servers, agency, "priya", "en")
    p.say("book a developmental screening for Kavya", "utter_ask_myinfo_consent")
    p.say("yes", "utter_ask_appointment_clinic")
    p.say("toa payoh", "utter_ask_appointment_date")
    p.say("tomorrow", "utter_ask_appointment_slot")
    p.say("1", "utter_ask_book_appointment_confirm")
    assert "Toa Payoh Polyclinic" in p.text()
    p.say("change the clinic to Tampines", "utter_ask_appointment_date")
    p.say("tomorrow", "utter_ask_appointment_slot")
    p.say("1", "utter_ask_book_appointment_confirm")
    assert "Tampines Polyclinic" in p.text()
    p.say("no", "utter_ask_appointment_change")                     # "no" → what to change
    p.say("date", "utter_ask_appointment_date")                     # the button's payload
    p.say("next Wednesday", "utter_ask_appointment_slot")
    p.say("1", "utter_ask_book_appointment_confirm")
    wednesday = parse_date("next Wednesday", tomorrow() - timedelta(days=1), prefer="future")
    assert format_date(wednesday, "en") in p.text()
    p.say("yes", "utter_appointment_booked")
    appt = p.appointment(p.reference())
    assert appt["clinic"]["id"] == "tampines" and appt["service"] == "developmental_screening"
    assert appt["child"]["name"] == NAME["kavya"] and appt["starts_at"][:10] == wednesday.isoformat()
    assert len(p.booked("kavya", "developmental_screening")) == 1


def test_questions_and_a_language_change_in_the_middle(servers, agency):
    p = Parent(servers, agency, "ong", "en")
    p.say("I'd like to book Rui En's vaccination", "utter_ask_myinfo_consent")
    p.say("ok", "utter_ask_appointment_clinic")
    p.say("how much is the baby bonus?", "utter_baby_bonus_info", "utter_ask_appointment_clinic")
    p.lang = "zh"
    p.say("请说华语", "utter_language_changed", "utter_ask_appointment_clinic")
    p.say("淡滨尼", "utter_ask_appointment_date")
    p.say("明天", "utter_ask_appointment_slot")
    p.say("1", "utter_ask_book_appointment_confirm")
    p.say("是", "utter_appointment_booked")
    [appt] = p.booked("rui-en", "vaccination")
    assert appt["clinic"]["id"] == "tampines" and appt["reference"] in p.text()
    assert [a["reference"] for a in p.booked("rui-en", "developmental_screening")] == ["AP-SEED0001"]  # untouched


def test_stop_in_the_middle_books_nothing(servers, agency):
    p = Parent(servers, agency, "tay", "zh")
    before = p.booked("yu-xuan", "developmental_screening")
    p.say("帮 Yu Xuan 预约发育检查", "utter_ask_myinfo_consent")
    p.say("好的", "utter_ask_appointment_clinic")
    p.say("宏茂桥", "utter_ask_appointment_date")
    p.say("取消", "utter_journey_stopped")
    assert p.booked("yu-xuan", "developmental_screening") == before
    assert p.chat.slot("appointment_clinic") is None and not (p.chat.tracker().get("active_loop") or {}).get("name")
    # (the Chinese journey above cancelled its booking) nothing left to move: said at once, and the form is gone
    p.say("我要改预约时间", "utter_no_upcoming_appointments")
    assert p.chat.slot("appointment_upcoming") is None and not (p.chat.tracker().get("active_loop") or {}).get("name")


def test_agency_outage_keeps_the_answers_and_the_retry_books_once(servers, agency):
    p = Parent(servers, agency, "farah", "en")
    p.say("book a vaccination for Ayden at Queenstown tomorrow", "utter_ask_myinfo_consent")
    p.say("yes", "utter_ask_appointment_slot")                      # service, clinic and day were in the request
    p.say("1", "utter_ask_book_appointment_confirm")
    fault(servers, "health", outage=True)
    try:
        p.say("yes", "utter_agency_unavailable", "utter_ask_book_appointment_confirm")
    finally:
        clear_faults(servers)
    assert p.booked("ayden") == []
    p.say("yes", "utter_appointment_booked")
    [appt] = p.booked("ayden")
    assert appt["reference"] == p.reference() and appt["clinic"]["id"] == "queenstown"


def test_a_slot_taken_meanwhile_offers_the_next_free_ones(servers, agency):
    p = Parent(servers, agency, "aisyah", "en")
    p.say("book a developmental screening for Irfan at Jurong tomorrow", "utter_ask_myinfo_consent")
    p.say("yes", "utter_ask_appointment_slot")
    [first] = free_slots(agency, "jurong", "developmental_screening", tomorrow(), limit=1)
    p.say("1", "utter_ask_book_appointment_confirm")
    rival = agency.singpass.login(nric=NRIC["farah"])["access_token"]  # another parent gets there first
    alya = next(c for c in agency.myinfo.person(rival)["children"] if c["name"] == NAME["alya"])
    agency.health.book(rival, alya["id"], first["id"], idempotency_key="rival-booking-for-the-slot-taken-test")
    p.say("yes", "utter_slot_just_taken", "utter_ask_appointment_slot")
    p.say("1", "utter_ask_book_appointment_confirm")
    p.say("yes", "utter_appointment_booked")
    [appt] = p.booked("irfan", "developmental_screening")
    assert appt["slot_id"] != first["id"] and appt["starts_at"] >= first["starts_at"]


# -- lists and status -----------------------------------------------------------------------------------------------------

def test_appointments_listed_with_the_clinic_in_the_users_language(servers, agency):
    p = Parent(servers, agency, "koh", "zh")
    p.say("我的预约有哪些", "utter_appointments_list")
    assert "AP-SEED0001" in p.text() and "宏茂桥综合诊疗所" in p.text() and "发育检查" in p.text()


@pytest.mark.parametrize("lang,text,approved", [
    ("en", "check my application status", "approved"),
    ("ta", "என் விண்ணப்ப நிலை என்ன", "அங்கீகரிக்கப்பட்டது"),
])
def test_status_of_registrations_and_applications(servers, agency, lang, text, approved):
    p = Parent(servers, agency, "farah", lang)
    p.say(text, "utter_status_list")
    assert f"BB-SEED0001 — {NAME['ayden']}: {approved}" in p.text()
