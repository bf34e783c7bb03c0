"""Vaccinations, appointments and status: formatter, clinic search, validators and actions, with the agencies faked
at the edge (tests/unit/conftest.py use_agencies) and the clock frozen (frozen_clock). Trackers are built the way
the action server receives them."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.appointments import answers as ap
from actions.appointments import clinic_search
from actions.appointments.actions import (
    ActionAskAppointmentClinic,
    ActionAskAppointmentSlot,
    ActionAskBookConfirm,
    ActionBookAppointmentDone,
    ActionListAppointments,
)
from actions.appointments.clinic_search import ClinicDirectory
from actions.appointments.form import (
    ValidateBookAppointmentForm,
    ValidateCancelAppointmentForm,
    ValidateRescheduleAppointmentForm,
)
from actions.appointments.vaccinations import ActionVaccinationStatus
from actions.shared.labels import RECORDS, SERVICES, STATES, VACCINES
from actions.status import ActionShowStatus
from moments.text.formatting import format_date, format_datetime, parse_time
from moments.agency_client.client import AgencyError
from moments.agencies.seed import CLINICS
from moments.nlu.scripts import count_scripts

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain")).as_dict()
from actions_testkit import FROZEN_NOW  # noqa: E402  (the frozen clock's day; tests/unit/conftest.py)

TODAY = FROZEN_NOW.date()


def run(coro):
    return asyncio.run(coro)


# --- fake agencies ---------------------------------------------------------------------------------------------------

CLINIC_LIST = [{"id": c[0], "name": {"en": c[1], "zh": c[2], "ms": c[3], "ta": c[4]}, "address": c[5],
                "postal_code": c[6], "cluster": c[7], "services": ["vaccination", "developmental_screening"],
                "distance_km": None} for c in CLINICS]
AMK = next(c for c in CLINIC_LIST if c["id"] == "ang-mo-kio")


def slot_at(slot_id: int, day: date, hh: int, mm: int) -> dict:
    return {"id": slot_id, "clinic_id": "ang-mo-kio", "service": "vaccination",
            "starts_at": f"{day.isoformat()}T{hh:02d}:{mm:02d}:00+08:00",
            "ends_at": f"{day.isoformat()}T{hh:02d}:{mm + 15:02d}:00+08:00"}


def appointment(reference="AP-TEST0001", day=None, hh=9, mm=30, child=("c1", "Irfan"), count=0, status="booked"):
    day = day or TODAY + timedelta(days=7)
    return {"reference": reference, "status": status, "service": "vaccination",
            "child": {"id": child[0], "name": child[1]}, "clinic": AMK, "slot_id": 1,
            "starts_at": f"{day.isoformat()}T{hh:02d}:{mm:02d}:00+08:00",
            "ends_at": f"{day.isoformat()}T{hh:02d}:{mm + 15:02d}:00+08:00", "reschedule_count": count,
            "cancel_reason": None, "created_at": "2026-01-01T00:00:00+08:00", "updated_at": "2026-01-01T00:00:00+08:00"}


class Recorder:
    def __init__(self):
        self.calls = []
        self.fail = {}  # method -> AgencyError raised once (or always with "always")

    def _maybe_fail(self, method):
        err = self.fail.get(method)
        if err is not None:
            if not getattr(err, "always", False):
                del self.fail[method]
            raise err


class FakeHealth(Recorder):
    def __init__(self):
        super().__init__()
        self.free = [slot_at(101, TODAY + timedelta(days=3), 9, 30), slot_at(102, TODAY + timedelta(days=3), 9, 45),
                     slot_at(103, TODAY + timedelta(days=3), 14, 15)]
        self.booked = [appointment()]

    def clinics(self, name=None, postal_code=None, limit=None):
        self.calls.append(("clinics", postal_code))
        self._maybe_fail("clinics")
        if postal_code:
            if len(postal_code) != 6:
                raise AgencyError("postal_code_invalid", 422)
            return [{**AMK, "distance_km": 1.2}, {**CLINIC_LIST[-1], "distance_km": 2.5}]
        return CLINIC_LIST

    def slots(self, clinic_id, service="vaccination", date_from=None, date_to=None, limit=None):
        self.calls.append(("slots", clinic_id, service, date_from, date_to, limit))
        self._maybe_fail("slots")
        return [s for s in self.free if s["starts_at"][:10] >= date_from][:limit]

    def book(self, token, child_id, slot_id, idempotency_key=None):
        self.calls.append(("book", token, child_id, slot_id, idempotency_key))
        self._maybe_fail("book")
        s = next(s for s in self.free if s["id"] == slot_id)
        return {**appointment(reference="AP-NEW00001", child=(child_id, "Irfan")), "starts_at": s["starts_at"]}

    def reschedule(self, token, reference, slot_id, idempotency_key=None):
        self.calls.append(("reschedule", reference, slot_id, idempotency_key))
        self._maybe_fail("reschedule")
        s = next(s for s in self.free if s["id"] == slot_id)
        return {**appointment(reference=reference, count=1), "starts_at": s["starts_at"]}

    def cancel(self, token, reference, reason=None, idempotency_key=None):
        self.calls.append(("cancel", reference, idempotency_key))
        self._maybe_fail("cancel")
        return appointment(reference=reference, status="cancelled")

    def appointments(self, token, status=None):
        self.calls.append(("appointments", status))
        self._maybe_fail("appointments")
        return self.booked

    def immunisations(self, token, child_id):
        self.calls.append(("immunisations", child_id))
        doses = [
            {"code": "MMR-1", "status": "overdue", "due_on": "2026-01-01"},
            {"code": "VAR-1", "status": "overdue", "due_on": "2026-01-01"},
            {"code": "FLU-Y2", "status": "due", "due_on": "2026-11-01"},
            {"code": "MMRV-1", "status": "upcoming", "due_on": "2027-01-03"},
            {"code": "DTAP-B", "status": "upcoming", "due_on": "2027-04-03"},
            {"code": "BCG", "status": "completed", "due_on": "2025-01-01"},
        ]
        return {"child": {"id": child_id}, "doses": doses}


class FakeMyInfo(Recorder):
    def __init__(self):
        super().__init__()
        self.children = [{"id": "c1", "name": "Muhammad Irfan bin Muhammad Faizal", "date_of_birth": "2025-10-24"}]

    def person(self, token):
        self.calls.append(("person", token))
        self._maybe_fail("person")
        return {"id": "p1", "nric": "S8810201A", "name": "Parent", "children": self.children}


class FakeIca(Recorder):
    def registrations(self, token):
        self._maybe_fail("registrations")
        return [{"reference": "BR-AAAA1111", "status": "registered", "registered_at": "2026-11-20T10:00:00+08:00",
                 "child": {"name": "Tan Kai Xuan"}}]

    def notifications(self, token, include_registered=False):
        self._maybe_fail("notifications")
        return [{"status": "open", "date_of_birth": "2026-11-20", "registration_deadline": "2027-01-01"}]


class FakeMsf(Recorder):
    def applications(self, token):
        self._maybe_fail("applications")
        return [{"reference": "BB-BBBB2222", "status": "approved", "child": {"name": "Tan Kai Xuan"}}]


class FakeAgencies:
    def __init__(self):
        self.health, self.myinfo, self.ica, self.msf = FakeHealth(), FakeMyInfo(), FakeIca(), FakeMsf()


def unavailable():
    return AgencyError("agency_unavailable", 503, "outage")


@pytest.fixture(autouse=True)
def fake(use_agencies, frozen_clock):
    ClinicDirectory.reset()
    yield use_agencies(FakeAgencies())
    ClinicDirectory.reset()


# --- trackers --------------------------------------------------------------------------------------------------------

def tracker(slots=None, text="", intent="nlu_fallback", form="book_appointment_form", entities=None,
            history=(), channel="rest", token="tok-1"):
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    events = [{"event": "user", "text": t, "parse_data": {"intent": {"name": i}}, "input_channel": channel,
               "metadata": {"token": token} if token else {}} for t, i in history]
    events.append({"event": "user", "text": text, "parse_data": latest, "input_channel": channel,
                   "metadata": {"token": token} if token else {}})
    base = {"language": "en", "requested_slot": None}
    return Tracker("conv-appt", {**base, **(slots or {})}, latest, events, False, None,
                   {"name": form} if form else {}, "action_listen")


def responses(dispatcher):
    return [m.get("response") for m in dispatcher.messages]


def message(dispatcher, name):
    return next(m for m in dispatcher.messages if m.get("response") == name)


BOOK_READY = {
    "myinfo_consent": True, "appointment_children": [{"id": "c1", "name": "Irfan", "date_of_birth": "2025-10-24"}],
    "appointment_child": "c1", "appointment_service": "vaccination", "appointment_clinic": "ang-mo-kio",
    "appointment_date": (TODAY + timedelta(days=3)).isoformat(), "appointment_slot": 101,
    "appointment_offered_slots": [{"id": 101, "starts_at": slot_at(101, TODAY + timedelta(days=3), 9, 30)["starts_at"]},
                                  {"id": 102, "starts_at": slot_at(102, TODAY + timedelta(days=3), 9, 45)["starts_at"]}],
}


# --- the formatter ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,expected", [
    ("en", "Tue 1 Dec 2026, 9:30 am"),
    ("zh", "2026年12月1日（星期二）上午9:30"),
    ("ms", "Selasa, 1 Dis 2026, 9.30 pagi"),
    ("ta", "செவ்வாய், 1 டிசம்பர் 2026, காலை 9:30"),
])
def test_dates_and_times_read_naturally_in_each_language(lang, expected):
    assert format_datetime("2026-12-01T09:30:00+08:00", lang) == expected


@pytest.mark.parametrize("lang,expected", [
    ("en", "Sat 5 Dec, 2:15 pm"), ("zh", "12月5日（星期六）下午2:15"), ("ms", "Sabtu, 5 Dis, 2.15 petang"),
    ("ta", "சனி, 5 டிசம்பர், மதியம் 2:15"),
])
def test_afternoon_without_year(lang, expected):
    assert format_datetime(datetime(2026, 12, 5, 14, 15), lang, year=False) == expected


def test_agency_times_in_another_zone_are_shown_in_singapore_time():
    assert format_datetime("2026-12-01T01:30:00+00:00", "en") == "Tue 1 Dec 2026, 9:30 am"
    assert format_date(date(2027, 1, 3), "zh") == "2027年1月3日（星期日）"


@pytest.mark.parametrize("text,expected", [
    ("9:30", (9, 30)), ("9.45am", (9, 45)), ("2pm", (14, 0)), ("2.15 pm", (14, 15)), ("2.30", (14, 30)),
    ("下午两点半", (14, 30)), ("上午9点", (9, 0)), ("10点15分", (10, 15)), ("pukul 2.15 petang", (14, 15)),
    ("காலை 9:30", (9, 30)), ("மாலை 3 மணி", (15, 0)), ("12.30 tengah hari", (12, 30)), ("the 10 o'clock one", (10, 0)),
    ("10 oclock can", (10, 0)), ("kaalai 10 manikku", (10, 0)),
    ("next monday", None), ("3/12", None), ("1", None), ("25:99", None),
])
def test_times_as_parents_type_them(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("table", [SERVICES, VACCINES, STATES, RECORDS])
def test_every_label_exists_in_four_languages_in_their_scripts(table):
    for key, names in table.items():
        assert set(names) == {"en", "zh", "ms", "ta"}, key
        assert count_scripts(names["zh"]).han > 0, key
        assert count_scripts(names["ta"]).tamil > 0, key
        assert names["en"].count("{") == names["zh"].count("{") == names["ms"].count("{") == names["ta"].count("{")


# --- clinic search ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query,clinic", [
    ("AMK", "ang-mo-kio"), ("宏茂桥", "ang-mo-kio"), ("Poliklinik Tampines", "tampines"), ("tampinese poly", "tampines"),
    ("toa payoh pls", "toa-payoh"), ("淡滨尼综合诊疗所", "tampines"), ("தெம்பனிஸ் பலதுறை மருந்தகம்", "tampines"),
    ("cck", "choa-chu-kang"), ("can book at queenstown?", "queenstown"), ("pungol", "punggol"), ("batok", "bukit-batok"),
])
def test_clinics_found_by_short_forms_typos_and_any_language(query, clinic):
    assert clinic_search.find(query, CLINIC_LIST).clinic["id"] == clinic


def test_unknown_clinic_gets_suggestions_not_a_guess():
    match = clinic_search.find("Poliklinik Bedok", CLINIC_LIST)
    assert not match.found and match.candidates
    assert not clinic_search.find("nak book vaksin je, bb dah 2 bulan", CLINIC_LIST).found


# --- booking: the questions -------------------------------------------------------------------------------------------

def test_clinic_by_short_name(fake):
    d = CollectingDispatcher()
    out = run(ValidateBookAppointmentForm().validate_appointment_clinic("AMK", d, tracker(), DOMAIN))
    assert out["appointment_clinic"] == "ang-mo-kio" and not d.messages


def test_unknown_clinic_says_so_and_suggests(fake):
    d = CollectingDispatcher()
    out = run(ValidateBookAppointmentForm().validate_appointment_clinic("Poliklinik Bedok", d, tracker(), DOMAIN))
    assert out["appointment_clinic"] is None and out["failed_tries"] == {"appointment_clinic": 1}
    assert responses(d) == ["utter_appointment_clinic_unknown"] and message(d, "utter_appointment_clinic_unknown")["query"]
    assert out["appointment_clinic_choices"]["kind"] == "suggested"


def test_postal_code_offers_the_nearest_then_a_number_picks_one(fake):
    form, d = ValidateBookAppointmentForm(), CollectingDispatcher()
    out = run(form.validate_appointment_clinic("560123", d, tracker(), DOMAIN))
    assert out == {"appointment_clinic": None, "appointment_clinic_choices": {
        "kind": "nearby", "postal_code": "560123", "ids": ["ang-mo-kio", "toa-payoh"], "distances": [1.2, 2.5]}}
    assert ("clinics", "560123") in fake.health.calls and not d.messages  # no failed try: the ask shows the choices
    asked = CollectingDispatcher()
    run(ActionAskAppointmentClinic().run(asked, tracker({"appointment_clinic_choices": out["appointment_clinic_choices"]},
                                                             ), DOMAIN))
    assert asked.messages[0]["response"] == "utter_ask_appointment_clinic_nearby"
    assert [b["payload"] for b in asked.messages[0]["buttons"]] == ["1", "2"]
    assert asked.messages[0]["buttons"][0]["title"] == "Ang Mo Kio Polyclinic (~1.2 km)"
    picked = run(form.validate_appointment_clinic("2", d, tracker({"appointment_clinic_choices": out[
        "appointment_clinic_choices"]}), DOMAIN))
    assert picked["appointment_clinic"] == "toa-payoh" and picked["appointment_clinic_choices"] is None


def test_date_in_the_past_future_and_far_away(fake):
    form = ValidateBookAppointmentForm()
    slots = {"appointment_clinic": "ang-mo-kio", "appointment_service": "vaccination"}
    d = CollectingDispatcher()
    assert run(form.validate_appointment_date("yesterday", d, tracker(slots), DOMAIN))["appointment_date"] is None
    assert responses(d) == ["utter_appointment_date_past"]
    d = CollectingDispatcher()
    far = (TODAY + timedelta(days=90)).strftime("%d/%m/%Y")
    assert run(form.validate_appointment_date(far, d, tracker(slots), DOMAIN))["appointment_date"] is None
    assert responses(d) == ["utter_appointment_date_too_far"]
    d = CollectingDispatcher()
    assert run(form.validate_appointment_date("bila-bila", d, tracker(slots), DOMAIN))["appointment_date"] is None
    assert responses(d) == ["utter_appointment_date_unclear"]
    d = CollectingDispatcher()
    out = run(form.validate_appointment_date("tomorrow", d, tracker(slots), DOMAIN))
    tomorrow = TODAY + timedelta(days=1)
    assert out["appointment_date"] == tomorrow.isoformat() and not d.messages
    assert [s["id"] for s in out["appointment_offered_slots"]] == [101, 102, 103]
    assert fake.health.calls[-1] == ("slots", "ang-mo-kio", "vaccination", tomorrow.isoformat(),
                                     (tomorrow + timedelta(days=13)).isoformat(), 5)


def test_no_free_times_and_outage_at_the_date_question(fake):
    form = ValidateBookAppointmentForm()
    slots = {"appointment_clinic": "ang-mo-kio", "appointment_service": "vaccination"}
    fake.health.free = []
    d = CollectingDispatcher()
    assert run(form.validate_appointment_date("tomorrow", d, tracker(slots), DOMAIN))["appointment_date"] is None
    assert responses(d) == ["utter_no_free_slots"]
    fake.health.fail["slots"] = unavailable()
    d = CollectingDispatcher()
    assert run(form.validate_appointment_date("tomorrow", d, tracker(slots), DOMAIN)) == {"appointment_date": None}
    assert responses(d) == ["utter_agency_unavailable"]


def test_slot_by_number_by_time_or_another_day(fake):
    form = ValidateBookAppointmentForm()
    d = CollectingDispatcher()
    assert run(form.validate_appointment_slot("2", d, tracker(BOOK_READY), DOMAIN))["appointment_slot"] == 102
    assert run(form.validate_appointment_slot("9.45am", d, tracker(BOOK_READY), DOMAIN))["appointment_slot"] == 102
    out = run(form.validate_appointment_slot("11:00", d, tracker(BOOK_READY), DOMAIN))
    assert out["appointment_slot"] is None and responses(d) == ["utter_appointment_slot_not_offered"]
    d = CollectingDispatcher()
    out = run(form.validate_appointment_slot("got other day? tomorrow can?", d, tracker(BOOK_READY), DOMAIN))
    assert out["appointment_slot"] is None and out["appointment_date"] == (TODAY + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("text, slot", [
    ("the first one", 101), ("second one pls", 102), ("the earlier one", 101), ("last", 102), ("第二个", 102),
    ("最晚的", 102), ("yang pertama", 101), ("paling awal", 101), ("கடைசி", 102), ("rendavathu", 102),
])
def test_slot_by_its_place_in_the_list(fake, text, slot):
    out = run(ValidateBookAppointmentForm().validate_appointment_slot(text, CollectingDispatcher(), tracker(BOOK_READY),
                                                                      DOMAIN))
    assert out["appointment_slot"] == slot


def test_slot_buttons_are_localised_times(fake):
    d = CollectingDispatcher()
    run(ActionAskAppointmentSlot().run(d, tracker({**BOOK_READY, "language": "zh"}), DOMAIN))
    msg = d.messages[0]
    assert msg["response"] == "utter_ask_appointment_slot" and msg["clinic"] == "宏茂桥综合诊疗所"
    assert [b["payload"] for b in msg["buttons"]] == ["1", "2"] and msg["buttons"][0]["title"].endswith("上午9:30")


def test_three_wrong_answers_offer_a_person():
    form = ValidateBookAppointmentForm()
    slots = {"appointment_children": BOOK_READY["appointment_children"] * 2}
    for tries in (1, 2, 3):
        d = CollectingDispatcher()
        out = form.validate_appointment_child("the tall one", d, tracker({**slots, "failed_tries": {
            "appointment_child": tries - 1}}), DOMAIN)
        assert out["failed_tries"]["appointment_child"] == tries
    assert responses(d) == ["utter_appointment_child_unclear", "utter_offer_handoff"]


def test_service_by_number_or_word_in_any_language():
    form, d = ValidateBookAppointmentForm(), CollectingDispatcher()
    for text, service in [("1", "vaccination"), ("2", "developmental_screening"), ("打疫苗", "vaccination"),
                          ("saringan perkembangan", "developmental_screening"), ("தடுப்பூசி", "vaccination")]:
        assert form.validate_appointment_service(text, d, tracker(), DOMAIN)["appointment_service"] == service


# --- booking: start, consent and prefill -----------------------------------------------------------------------------

def test_first_message_fills_service_clinic_and_date(fake):
    t = tracker(text="book a vaccination at AMK tomorrow", intent="book_appointment")
    d = CollectingDispatcher()
    events = run(ValidateBookAppointmentForm().run(d, t, DOMAIN))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["appointment_service"] == "vaccination" and slots["appointment_clinic"] == "ang-mo-kio"
    assert slots["appointment_date"] == (TODAY + timedelta(days=1)).isoformat()
    assert slots["requested_slot"] == "myinfo_consent" and not d.messages


def test_consent_loads_the_children_and_picks_the_only_one(fake):
    d = CollectingDispatcher()
    out = run(ValidateBookAppointmentForm().validate_myinfo_consent("yes", d, tracker(text="yes", intent="affirm"),
                                                                    DOMAIN))
    assert out["myinfo_consent"] is True and out["appointment_child"] == "c1"
    assert fake.myinfo.calls == [("person", "tok-1")]


def test_no_children_ends_the_journey(fake):
    fake.myinfo.children = []
    d = CollectingDispatcher()
    out = run(ValidateBookAppointmentForm().validate_myinfo_consent("yes", d, tracker(text="yes", intent="affirm"),
                                                                    DOMAIN))
    assert out["journey_aborted"] is True and responses(d) == ["utter_no_children"]


def test_a_bare_cancel_word_inside_the_form_stops_it():
    t = tracker({"requested_slot": "appointment_clinic"}, text="取消", intent="cancel_appointment")
    d = CollectingDispatcher()
    events = run(ValidateBookAppointmentForm().run(d, t, DOMAIN))
    assert responses(d) == ["utter_journey_stopped"]
    assert SlotSet("journey_aborted", True) in events and SlotSet("requested_slot", None) in events


def test_web_users_are_not_asked_the_sms_confirmation_but_sms_users_are(fake):
    form = ValidateBookAppointmentForm()
    slots = {k: v for k, v in BOOK_READY.items()}
    web = run(form.required_slots(form.domain_slots(DOMAIN), CollectingDispatcher(), tracker(slots), DOMAIN))
    sms = run(form.required_slots(form.domain_slots(DOMAIN), CollectingDispatcher(), tracker(slots, channel="sms"),
                                  DOMAIN))
    assert "sms_identity_confirmed" not in web
    assert sms[-2:] == ["sms_identity_confirmed", "confirm_submission"]


# --- booking: confirm, book, outage, slot taken, corrections ---------------------------------------------------------

def test_yes_books_with_an_idempotency_key_and_the_result_is_shown(fake):
    d = CollectingDispatcher()
    out = run(ValidateBookAppointmentForm().validate_confirm_submission("yes", d, tracker(BOOK_READY, "yes", "affirm"),
                                                                        DOMAIN))
    assert out["confirm_submission"] is True and out["appointment_result"]["reference"] == "AP-NEW00001"
    [(_, token, child, slot, key)] = [c for c in fake.health.calls if c[0] == "book"]
    assert (token, child, slot) == ("tok-1", "c1", 101) and key.startswith("moments-book_appointment-")
    shown = CollectingDispatcher()
    events = run(ActionBookAppointmentDone().run(shown, tracker({**BOOK_READY, **out, "language": "ms"}), DOMAIN))
    msg = message(shown, "utter_appointment_booked")
    assert msg["reference"] == "AP-NEW00001" and msg["clinic"] == "Poliklinik Ang Mo Kio" and "pagi" in msg["when"]
    assert SlotSet("appointment_result", None) in events and SlotSet("appointment_child", None) in events


def test_outage_keeps_everything_and_the_retry_uses_the_same_key(fake):
    form = ValidateBookAppointmentForm()
    fake.health.fail["book"] = unavailable()
    d = CollectingDispatcher()
    out = run(form.validate_confirm_submission("yes", d, tracker(BOOK_READY, "yes", "affirm"), DOMAIN))
    assert out == {"confirm_submission": None} and responses(d) == ["utter_agency_unavailable"]
    out = run(form.validate_confirm_submission("yes", d, tracker(BOOK_READY, "yes", "affirm"), DOMAIN))
    assert out["confirm_submission"] is True
    keys = [c[4] for c in fake.health.calls if c[0] == "book"]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_slot_taken_meanwhile_offers_the_next_free_ones(fake):
    fake.health.fail["book"] = AgencyError("slot_taken", 409, "taken")
    d = CollectingDispatcher()
    out = run(ValidateBookAppointmentForm().validate_confirm_submission("yes", d, tracker(BOOK_READY, "yes", "affirm"),
                                                                        DOMAIN))
    assert responses(d) == ["utter_slot_just_taken"]
    assert out["appointment_slot"] is None and out["confirm_submission"] is None
    assert [s["id"] for s in out["appointment_offered_slots"]] == [101, 102, 103]


def test_child_already_booked_is_told_the_existing_reference(fake):
    fake.health.fail["book"] = AgencyError("appointment_exists", 409, "exists",
                                           {"code": "appointment_exists", "appointment_reference": "AP-OLD00001"})
    d = CollectingDispatcher()
    out = run(ValidateBookAppointmentForm().validate_confirm_submission("yes", d, tracker(BOOK_READY, "yes", "affirm"),
                                                                        DOMAIN))
    assert out["journey_aborted"] is True
    assert message(d, "utter_appointment_exists")["reference"] == "AP-OLD00001"


def test_correction_in_free_text_at_the_summary(fake):
    form, d = ValidateBookAppointmentForm(), CollectingDispatcher()
    out = run(form.validate_confirm_submission("change the clinic to Tampines", d, tracker(BOOK_READY), DOMAIN))
    assert out["appointment_clinic"] == "tampines" and out["appointment_date"] is None and out["appointment_slot"] is None
    out = run(form.validate_confirm_submission("换到明天", d, tracker(BOOK_READY), DOMAIN))
    assert out["appointment_date"] == (TODAY + timedelta(days=1)).isoformat() and out["appointment_slot"] is None
    assert not fake.health.calls or all(c[0] != "book" for c in fake.health.calls)


def test_no_at_the_summary_asks_what_to_change(fake):
    form, d = ValidateBookAppointmentForm(), CollectingDispatcher()
    out = run(form.validate_confirm_submission("no", d, tracker(BOOK_READY, "no", "deny"), DOMAIN))
    assert out == {"confirm_submission": None, "appointment_changing": True}
    asked = CollectingDispatcher()
    run(ActionAskBookConfirm().run(asked, tracker({**BOOK_READY, **out}), DOMAIN))
    assert responses(asked) == ["utter_ask_appointment_change"]
    out = run(form.validate_confirm_submission("date", d, tracker({**BOOK_READY, **out}, "date"), DOMAIN))
    assert out["appointment_date"] is None and out["appointment_slot"] is None and out["appointment_changing"] is None


# --- reschedule and cancel --------------------------------------------------------------------------------------------

def test_the_only_upcoming_appointment_is_picked(fake):
    t = tracker(text="reschedule my appointment", intent="reschedule_appointment", form="reschedule_appointment_form")
    events = run(ValidateRescheduleAppointmentForm().run(CollectingDispatcher(), t, DOMAIN))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["appointment_pick"] == "AP-TEST0001" and slots["requested_slot"] == "appointment_date"
    assert fake.health.calls[0] == ("appointments", "booked")


def test_nothing_to_move_ends_the_journey(fake):
    fake.health.booked = [appointment(day=TODAY - timedelta(days=2))]
    d = CollectingDispatcher()
    t = tracker(text="cancel appointment", intent="cancel_appointment", form="cancel_appointment_form")
    events = run(ValidateCancelAppointmentForm().run(d, t, DOMAIN))
    assert responses(d) == ["utter_no_upcoming_appointments"]
    assert SlotSet("journey_aborted", True) in events and SlotSet("requested_slot", None) in events


def test_someone_elses_reference_is_refused(fake):
    fake.health.booked = [appointment(), appointment("AP-TEST0002", child=("c2", "Kavya"))]
    slots = {"appointment_upcoming": [ap.summarise(a) for a in fake.health.booked]}
    form, d = ValidateCancelAppointmentForm(), CollectingDispatcher()
    out = form.validate_appointment_pick("AP-SEED0001", d, tracker(slots, form="cancel_appointment_form"), DOMAIN)
    assert out["appointment_pick"] is None and message(d, "utter_appointment_pick_unknown")["reference"] == "AP-SEED0001"
    assert form.validate_appointment_pick("kavya", d, tracker(slots), DOMAIN)["appointment_pick"] == "AP-TEST0002"
    assert form.validate_appointment_pick("ap-test0001", d, tracker(slots), DOMAIN)["appointment_pick"] == "AP-TEST0001"


def reschedule_ready():
    return {"appointment_upcoming": [ap.summarise(appointment())], "appointment_pick": "AP-TEST0001",
            "appointment_date": BOOK_READY["appointment_date"], "appointment_slot": 102,
            "appointment_offered_slots": BOOK_READY["appointment_offered_slots"]}


def test_reschedule_moves_with_a_key_that_counts_the_moves(fake):
    d = CollectingDispatcher()
    t = tracker(reschedule_ready(), "yes", "affirm", form="reschedule_appointment_form")
    out = run(ValidateRescheduleAppointmentForm().validate_confirm_submission("yes", d, t, DOMAIN))
    assert out["confirm_submission"] is True and out["appointment_result"]["reschedule_count"] == 1
    [call] = [c for c in fake.health.calls if c[0] == "reschedule"]
    assert call[1:3] == ("AP-TEST0001", 102) and call[3].startswith("moments-reschedule_appointment-")


def test_reschedule_to_the_same_time_asks_for_another(fake):
    fake.health.fail["reschedule"] = AgencyError("slot_unchanged", 422)
    d = CollectingDispatcher()
    t = tracker(reschedule_ready(), "yes", "affirm", form="reschedule_appointment_form")
    out = run(ValidateRescheduleAppointmentForm().validate_confirm_submission("yes", d, t, DOMAIN))
    assert out["appointment_slot"] is None and out["confirm_submission"] is None
    assert responses(d) == ["utter_appointment_same_slot"]


def test_cancel_no_keeps_it_yes_cancels_and_a_gone_appointment_is_explained(fake):
    slots = {"appointment_upcoming": [ap.summarise(appointment())], "appointment_pick": "AP-TEST0001"}
    form = ValidateCancelAppointmentForm()
    d = CollectingDispatcher()
    out = run(form.validate_confirm_submission("no", d, tracker(slots, "no", "deny", form="cancel_appointment_form"),
                                               DOMAIN))
    assert out["journey_aborted"] is True and responses(d) == ["utter_appointment_kept"]
    assert not [c for c in fake.health.calls if c[0] == "cancel"]
    d = CollectingDispatcher()
    out = run(form.validate_confirm_submission("yes", d, tracker(slots, "yes", "affirm"), DOMAIN))
    assert out["confirm_submission"] is True and out["appointment_result"]["status"] == "cancelled"
    fake.health.fail["cancel"] = AgencyError("appointment_cancelled", 409)
    d = CollectingDispatcher()
    out = run(form.validate_confirm_submission("yes", d, tracker(slots, "yes", "affirm"), DOMAIN))
    assert out["journey_aborted"] is True and responses(d) == ["utter_appointment_no_longer_open"]


# --- list, vaccinations, status -----------------------------------------------------------------------------------------

def test_list_shows_upcoming_appointments_in_the_users_language(fake):
    fake.health.booked = [appointment(day=date(2026, 12, 1) if TODAY < date(2026, 12, 1) else TODAY + timedelta(days=3)),
                          appointment("AP-PAST0001", day=TODAY - timedelta(days=3))]
    d = CollectingDispatcher()
    run(ActionListAppointments().run(d, tracker({"language": "zh"}), DOMAIN))
    text = message(d, "utter_appointments_list")["appointments"]
    assert "AP-TEST0001" in text and "AP-PAST0001" not in text
    assert "宏茂桥综合诊疗所" in text and "疫苗接种" in text and "上午9:30" in text


@pytest.mark.parametrize("statuses, offered", [(("completed", "upcoming"), True), (("completed",), False)])
def test_an_up_to_date_child_is_offered_the_booking_of_the_next_dose_if_there_is_one(fake, monkeypatch, statuses,
                                                                                      offered):
    """By SMS the offer is the numbered "1" that books; with nothing left to give there is nothing to book."""
    fake.health.booked = []
    doses = [{"code": "BCG", "status": "completed", "due_on": "2025-01-01"},
             {"code": "MMRV-1", "status": "upcoming", "due_on": "2027-01-03"}]
    monkeypatch.setattr(fake.health, "immunisations", lambda token, child_id: {
        "child": {"id": child_id}, "doses": [d for d in doses if d["status"] in statuses]})
    d = CollectingDispatcher()
    run(ActionVaccinationStatus().run(d, tracker({"language": "ta"}, "vaccine", "ask_vaccination_schedule",
                                                 form=None), DOMAIN))
    assert responses(d)[0] == "utter_vaccinations_up_to_date"
    assert ("utter_vaccinations_offer_booking" in responses(d)) is offered


def test_vaccinations_due_and_overdue_for_the_only_young_child(fake):
    fake.health.booked = []
    d = CollectingDispatcher()
    run(ActionVaccinationStatus().run(d, tracker({"language": "ms"}, "vaksin apa anak saya perlu",
                                                 "ask_vaccination_schedule", form=None), DOMAIN))
    assert responses(d) == ["utter_vaccinations_overdue", "utter_vaccinations_due", "utter_vaccinations_next",
                            "utter_vaccinations_offer_booking"]
    assert message(d, "utter_vaccinations_overdue")["doses"] == "MMR dos 1, cacar air (varisela) dos 1"
    assert message(d, "utter_vaccinations_next")["doses"] == "MMRV"


def test_a_child_with_a_vaccination_booked_is_shown_it_with_move_and_cancel(fake):
    """A grandparent by SMS: "3" (vaccinations) → the child → the booking, and "1" moves it, "2" cancels it."""
    fake.health.booked = [appointment("AP-LATER001", day=TODAY + timedelta(days=9)), appointment(),
                          appointment("AP-PAST0001", day=TODAY - timedelta(days=3)),
                          appointment("AP-KAVYA001", child=("c2", "Kavya")),
                          {**appointment("AP-SCREEN01"), "service": "developmental_screening"}]
    d = CollectingDispatcher()
    run(ActionVaccinationStatus().run(d, tracker({"language": "ms"}, "vaksin apa anak saya perlu",
                                                 "ask_vaccination_schedule", form=None), DOMAIN))
    assert responses(d)[-1] == "utter_vaccinations_booked" and "utter_vaccinations_offer_booking" not in responses(d)
    lines = message(d, "utter_vaccinations_booked")["appointments"].splitlines()
    assert [line.rsplit("(", 1)[1] for line in lines] == ["AP-TEST0001)", "AP-LATER001)"], "this child's, in order"
    assert "Poliklinik Ang Mo Kio" in lines[0]


def test_the_vaccination_answer_goes_on_when_the_appointments_cannot_be_listed(fake):
    fake.health.fail["appointments"] = AgencyError("agency_unavailable", 503)
    d = CollectingDispatcher()
    run(ActionVaccinationStatus().run(d, tracker({"language": "en"}, "which vaccines are due",
                                                 "ask_vaccination_schedule", form=None), DOMAIN))
    assert responses(d)[-1] == "utter_vaccinations_offer_booking"


def test_vaccinations_ask_which_child_with_buttons_then_answer(fake):
    fake.myinfo.children.append({"id": "c2", "name": "Kavya d/o Rajesh", "date_of_birth": "2022-09-15"})
    d = CollectingDispatcher()
    run(ActionVaccinationStatus().run(d, tracker(text="which vaccines are due", intent="ask_vaccination_schedule",
                                                 form=None), DOMAIN))
    assert responses(d) == ["utter_ask_vaccination_child"]
    assert d.messages[0]["buttons"][1]["payload"] == '/ask_vaccination_schedule{"vaccination_child": "c2"}'
    d = CollectingDispatcher()
    run(ActionVaccinationStatus().run(d, tracker(text="/ask_vaccination_schedule", intent="ask_vaccination_schedule",
                                                 entities=[{"entity": "vaccination_child", "value": "c2"}], form=None),
                                      DOMAIN))
    assert ("immunisations", "c2") in fake.health.calls
    d = CollectingDispatcher()
    run(ActionVaccinationStatus().run(d, tracker(text="what jabs does kavya need", intent="ask_vaccination_schedule",
                                                 form=None), DOMAIN))
    assert [c for c in fake.health.calls if c[0] == "immunisations"][-1] == ("immunisations", "c2")


def test_status_lists_registrations_births_to_register_and_applications(fake):
    d = CollectingDispatcher()
    run(ActionShowStatus().run(d, tracker({"language": "zh"}, form=None), DOMAIN))
    items = message(d, "utter_status_list")["items"].splitlines()
    assert items[0].startswith("• 出生登记 BR-AAAA1111 — Tan Kai Xuan: 已登记")
    assert "尚未登记，请在2027年1月1日（星期五）之前上网登记" in items[1]
    assert items[2] == "• 婴儿花红 BB-BBBB2222 — Tan Kai Xuan: 已批准"


def test_status_with_one_agency_down_shows_the_rest_and_says_so(fake):
    fake.msf.fail["applications"] = unavailable()
    d = CollectingDispatcher()
    run(ActionShowStatus().run(d, tracker(form=None), DOMAIN))
    assert responses(d) == ["utter_status_list", "utter_status_partly_unavailable"]
    assert "BB-" not in message(d, "utter_status_list")["items"]


def test_a_new_start_forgets_answers_left_from_an_unfinished_journey(fake):
    stale = {**BOOK_READY, "confirm_submission": True, "appointment_changing": True}
    t = tracker(stale, text="book a vaccination for Irfan", intent="book_appointment")
    t.events.append({"event": "slot", "name": "confirm_submission", "value": True})  # Rasa's prefilled candidate
    d = CollectingDispatcher()
    events = run(ValidateBookAppointmentForm().run(d, t, DOMAIN))
    slots = {}
    for e in events:
        if e["event"] == "slot":
            slots[e["name"]] = e["value"]
    assert slots["confirm_submission"] is None and slots["appointment_slot"] is None
    assert slots["appointment_clinic"] is None and slots["appointment_service"] == "vaccination"
    assert slots["appointment_child"] == "c1"  # consent was given: the children are loaded again, Irfan is named
    assert slots["requested_slot"] == "appointment_clinic" and not d.messages


def test_a_clinic_name_taken_for_stop_by_the_classifier_still_answers_the_question(fake):
    t = tracker({"requested_slot": "appointment_clinic"}, text="宏茂桥", intent="stop")
    events = run(ValidateBookAppointmentForm().run(CollectingDispatcher(), t, DOMAIN))
    assert SlotSet("appointment_clinic", "ang-mo-kio") in events


def test_a_real_digression_is_left_to_the_rules(fake):
    for text, intent in [("how much is the baby bonus", "ask_baby_bonus"), ("stop", "stop"), ("请说华语", "change_language")]:
        t = tracker({"requested_slot": "appointment_clinic"}, text=text, intent=intent)
        d = CollectingDispatcher()
        events = run(ValidateBookAppointmentForm().run(d, t, DOMAIN))
        assert [e for e in events if e["name"] != "requested_slot"] == [] and not d.messages, text


@pytest.mark.parametrize("just_before, text, expected", [
    ("action_vaccination_status", "/book_appointment", "c2"),       # "1. Yes" to the offer after Aisha's list
    ("action_vaccination_status", "book for irfan", "c1"),          # a name said wins
    ("utter_greet", "/book_appointment", None),                     # any other start: "which child?"
])
def test_booking_right_after_one_childs_vaccinations_is_for_that_child(fake, just_before, text, expected):
    fake.myinfo.children = [{"id": "c1", "name": "Muhammad Irfan bin Muhammad Faizal", "date_of_birth": "2025-10-24"},
                            {"id": "c2", "name": "Nur Aisha binte Muhammad Faizal", "date_of_birth": "2026-10-01"}]
    t = tracker({"myinfo_consent": True, "vaccination_explained_child": "c2"}, text, "book_appointment")
    t.events[-1:-1] = [{"event": "action", "name": just_before}, {"event": "bot", "text": "…"},
                       {"event": "action", "name": "action_listen"}]
    out = run(ValidateBookAppointmentForm().before_validation(CollectingDispatcher(), t, True))
    assert out.get("appointment_child") == expected
    assert out.get("appointment_service") == ("vaccination" if just_before == "action_vaccination_status" else None)
