"""Birth registration: reading answers in four languages, the form's validation and the actions, with the agencies
faked at the edge (a fake `Agencies` with the calls the journey makes)."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.birth_registration.actions as bra
import actions.birth_registration.form as br
from actions.birth_registration.answers import (
    check_child_name, check_date_of_birth, check_dialects, check_ethnic_name, check_sex,
    parse_correction, question_topic,
)
from moments.agency_client.client import AgencyError
from moments.text.formatting import format_date

TODAY = date(2026, 11, 28)  # a Saturday
MOTHER = {"nric": "S9210102I", "name": "Lim Hui Min"}
FATHER = {"nric": "S9010101C", "name": "Tan Wei Ming"}


def notification(enlb="NLB2026000101", born=TODAY - timedelta(days=5), status="open", sex="M", father=FATHER,
                 reference=None) -> Dict[str, Any]:
    deadline = born + timedelta(days=42)
    return {
        "enlb_number": enlb, "hospital": {"code": "KKH", "name": "KK Women's and Children's Hospital"},
        "date_of_birth": born.isoformat(), "time_of_birth": "08:42", "sex": sex, "birth_weight_g": 3260,
        "mother": {"id": "m", **MOTHER}, "father": {"id": "f", **father} if father else None,
        "registration_deadline": deadline.isoformat(), "days_left": (deadline - TODAY).days, "status": status,
        "registration_reference": reference,
    }


MYINFO_LIM = {"nric": MOTHER["nric"], "name": MOTHER["name"], "marital_status": "married",
              "spouse": {"id": "f", **FATHER}, "children": []}


class FakeIca:
    def __init__(self, notifications: List[dict], fail: Optional[AgencyError] = None):
        self._notifications = notifications
        self.fail = fail
        self.registered: List[tuple] = []

    def notifications(self, token: str, include_registered: bool = False) -> List[dict]:
        if self.fail and self.fail.unavailable:
            raise self.fail
        return [n for n in self._notifications if include_registered or n["status"] != "registered"]

    def register_birth(self, token: str, form: dict, idempotency_key: Optional[str] = None) -> dict:
        self.registered.append((token, form, idempotency_key))
        if self.fail:
            raise self.fail
        return {"reference": "BR-7K3M9Q2X", "child": {"name": form["child_name"], "birth_certificate_number": "T2612345A"},
                "fee": {"amount": "18.00"},
                "certificate": {"url": "http://ica.example/ica/v1/certificates/abc", "expires_at": "2027-02-26T10:00:00+08:00"}}


class FakeMyInfo:
    def __init__(self, person: dict, fail: Optional[AgencyError] = None):
        self._person, self.fail = person, fail

    def person(self, token: str) -> dict:
        if self.fail:
            raise self.fail
        return self._person


class FakeAgencies:
    def __init__(self, notifications=None, person=None, ica_fail=None, myinfo_fail=None):
        self.ica = FakeIca(notifications if notifications is not None else [notification()], ica_fail)
        self.myinfo = FakeMyInfo(person or MYINFO_LIM, myinfo_fail)


@pytest.fixture
def fake(use_agencies, frozen_clock):
    frozen_clock(datetime.combine(TODAY, time(10, 0)))
    return use_agencies(FakeAgencies())


def tracker(slots: Optional[Dict[str, Any]] = None, text: str = "", intent: str = "nlu_fallback",
            entities: Optional[list] = None, language: str = "en", channel: str = "rest",
            before: Optional[List[dict]] = None) -> Tracker:
    """A conversation whose latest message is `text`; `before` are earlier events (e.g. the language then)."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    events = (before or []) + [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel,
                                "metadata": {"token": "tok-lim"}}]
    all_slots = {"language": language, "requested_slot": None, **(slots or {})}
    return Tracker("conv-birth", all_slots, latest, events, False, None, {"name": br.FORM}, "action_listen")


def chosen(**more) -> Dict[str, Any]:
    """Slots after the baby was chosen (married parents, the baby born 5 days ago)."""
    n = br.compact_notification(notification())
    return {"myinfo_consent": True, "birth_myinfo": {"nric": MOTHER["nric"], "name": MOTHER["name"],
                                                     "marital_status": "married", "spouse_nric": FATHER["nric"]},
            "birth_notifications": [n], "birth_notification": n["enlb"], "birth_details": {**n, "married": True},
            "birth_child_sex": "M", "birth_child_dob": n["date_of_birth"], **more}


def complete(**more) -> Dict[str, Any]:
    return chosen(**{"birth_child_name": "Tan Kai Xuan", "birth_ethnic_name": "陈凯轩",
                     "birth_dialects": {"mother": "Hokkien", "father": "Teochew"},
                     "requested_slot": "confirm_submission", **more})


def run(coro_or_value):
    return asyncio.run(coro_or_value) if asyncio.iscoroutine(coro_or_value) else coro_or_value


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("response") for m in dispatcher.messages]


# -- reading answers -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,field,value", [
    ("change the name to Tan Wei Ming", "birth_child_name", "Tan Wei Ming"),
    ("名字改成陈伟明", "birth_child_name", "陈伟明"),
    ("tukar nama kepada Ahmad Danial", "birth_child_name", "Ahmad Danial"),
    ("பெயரை Kavin Raj என்று மாற்று", "birth_child_name", "Kavin Raj"),
    ("பெயர் Kavin Raj ஆக மாற்றவும்", "birth_child_name", "Kavin Raj"),
    ("change the chinese name to 陈伟明", "birth_ethnic_name", "陈伟明"),
    ("英文名字改成 Tan Wei Ming 吧", "birth_child_name", "Tan Wei Ming"),
    ("出生日期改成昨天", "birth_child_dob", "昨天"),
    ("the date of birth should be yesterday", "birth_child_dob", "yesterday"),
    ("tarikh lahir sepatutnya semalam", "birth_child_dob", "semalam"),
    ("பிறந்த தேதியை 3 ஆகஸ்ட் ஆக மாற்று", "birth_child_dob", "3 ஆகஸ்ட்"),
    ("性别改成女", "birth_child_sex", "女"),
    ("change dialects to Hokkien and Teochew", "birth_dialects", "Hokkien and Teochew"),
    ("tukar nama bayi kepada Siti Laila", "birth_child_name", "Siti Laila"),
    ("change the name to Tan Wei Ming please", "birth_child_name", "Tan Wei Ming"),
    ("change the name", "birth_child_name", None),
    ("the name is wrong", "birth_child_name", None),
    ("change hospital to NUH", "fixed", "NUH"),
    ("change something", None, None),
])
def test_corrections_are_read_in_four_languages(text, field, value):
    correction = parse_correction(text)
    assert correction is not None and (correction.field, correction.value) == (field, value)


@pytest.mark.parametrize("text, name", [
    ("the name should be Lim Jia En only, thanks.", "Lim Jia En"),
    ("name wrong lah, change to Ryan Goh Wei Jie can or not?", "Ryan Goh Wei Jie"),
    ("英文名字应该是 Ong Xin Hui 才对啦", "Ong Xin Hui"), ("不好意思，名字是 Teo Kai Wen 的", "Teo Kai Wen"),
    ("nama salah la, Siti Nur Aleesya binti Rosli tu", "Siti Nur Aleesya binti Rosli"),
    ("tolong tukar nama jadi Haris Danial bin Mohd Yusof ye", "Haris Danial bin Mohd Yusof"),
    ("peyar thappu, Divya d/o Ramesh nu podunga", "Divya d/o Ramesh"),
    ("பெயர் Sanjay s/o Mani என்று இருக்கணும்", "Sanjay s/o Mani"),
    ("baby peru Rohan Kumar nu irukanum pa", "Rohan Kumar"),
])
def test_the_capitalised_name_is_taken_from_the_words_around_it(text, name):
    correction = parse_correction(text)
    assert correction is not None and (correction.field, correction.value) == ("birth_child_name", name)


@pytest.mark.parametrize("text", ["Tan Kai Xuan", "yes", "/affirm", "nama dia Ahmad", "name isabel", "Hokkien"])
def test_answers_that_are_not_corrections(text):
    assert parse_correction(text) is None


@pytest.mark.parametrize("raw,expected", [
    ("tan kai xuan", "Tan Kai Xuan"),
    ("Tan Kai Xuan", "Tan Kai Xuan"),
    ("his name is Rajesh s/o Kumar", "Rajesh s/o Kumar"),
    ("nama dia ahmad danial bin faizal", "Ahmad Danial bin Faizal"),
    ("名字是 Tan Wei Ming", "Tan Wei Ming"),
    ("Nur Aisyah binte Muhammad Faizal", "Nur Aisyah binte Muhammad Faizal"),
    ("O'Connor-Lim, Ryan", "O'Connor-Lim, Ryan"),
])
def test_valid_names(raw, expected):
    assert check_child_name(raw).value == expected


@pytest.mark.parametrize("raw,error", [
    ("Tan Kai Xuan 2", "utter_birth_name_has_digits"),
    ("Tan#Kai", "utter_birth_name_has_symbols"),
    ("Tan Kai Xuan :)", "utter_birth_name_has_symbols"),
    ("陈凯轩", "utter_birth_name_not_english"),
    ("கவின்", "utter_birth_name_not_english"),
    ("A", "utter_birth_name_length"),
    ("A" * 67, "utter_birth_name_length"),
    ("-Tan", "utter_birth_name_has_symbols"),
    ("no", "utter_birth_name_needed"),
    ("skip", "utter_birth_name_needed"),
])
def test_invalid_names_say_what_is_wrong(raw, error):
    assert check_child_name(raw).error == error


def test_symbols_are_named_in_the_message():
    assert check_child_name("Tan#Kai!").values == {"symbols": "! #"}


@pytest.mark.parametrize("raw,expected", [("陈凯轩", "陈凯轩"), ("கவின் ராஜ்", "கவின் ராஜ்"), ("محمد آدم", "محمد آدم"),
                                          ("skip", ""), ("跳过", ""), ("tiada", ""), ("/deny", ""), ("中文名字是 林佳慧", "林佳慧")])
def test_ethnic_names(raw, expected):
    assert check_ethnic_name(raw).value == expected


@pytest.mark.parametrize("raw", ["Tan 陈", "陈凯轩கவின்", "陈" * 31])
def test_ethnic_names_in_one_script_only(raw):
    assert check_ethnic_name(raw).error == "utter_birth_ethnic_name_invalid"


@pytest.mark.parametrize("raw,sex", [("boy", "M"), ("girl", "F"), ("男", "M"), ("女儿", "F"), ("perempuan", "F"),
                                     ("lelaki", "M"), ("ஆண்", "M"), ("பெண்", "F"), ("it's a baby girl", "F")])
def test_sex_in_four_languages(raw, sex):
    assert check_sex(raw).value == sex


def test_sex_unclear():
    assert check_sex("boy or girl").error == "utter_birth_sex_not_understood"


@pytest.mark.parametrize("raw,expected", [
    ("yesterday", "2026-11-27"), ("昨天", "2026-11-27"), ("semalam", "2026-11-27"), ("நேற்று", "2026-11-27"),
    ("3 Mac", "2026-03-03"), ("上个星期二", "2026-11-17"), ("23/11/2026", "2026-11-23"),
])
def test_natural_dates_of_birth(raw, expected):
    assert check_date_of_birth(raw, TODAY).value == expected


@pytest.mark.parametrize("raw,error", [("31/2/2026", "utter_birth_date_impossible"), ("tomorrow", "utter_birth_date_future"),
                                       ("明天", "utter_birth_date_future"), ("hello", "utter_birth_date_not_understood")])
def test_impossible_and_future_dates_are_refused(raw, error):
    assert check_date_of_birth(raw, TODAY).error == error


def test_date_must_match_the_hospitals_notification():
    checked = check_date_of_birth("yesterday", TODAY, on_record="2026-11-23")
    assert checked.error == "utter_birth_date_mismatch" and checked.values["on_record"] == "2026-11-23"


@pytest.mark.parametrize("raw,expected", [
    ("Hokkien", {"mother": "Hokkien", "father": "Hokkien"}),
    ("Hokkien, Teochew", {"mother": "Hokkien", "father": "Teochew"}),
    ("father Teochew, mother Hokkien", {"mother": "Hokkien", "father": "Teochew"}),
    ("福建话和潮州话", {"mother": "Hokkien", "father": "Teochew"}),
    ("orang jawa", {"mother": "Javanese", "father": "Javanese"}),
    ("தமிழ்", {"mother": "Tamil", "father": "Tamil"}),
    ("skip", {}),
])
def test_dialects(raw, expected):
    assert check_dialects(raw, father_on_certificate=True).value == expected


def test_no_fathers_dialect_without_the_father_on_the_certificate():
    assert check_dialects("Hokkien", father_on_certificate=False).value == {"mother": "Hokkien", "father": None}
    assert check_dialects("123", True).error == "utter_birth_dialect_invalid"


@pytest.mark.parametrize("lang,text", [("en", "23 Nov 2026"), ("zh", "2026年11月23日"), ("ms", "23 Nov 2026"),
                                       ("ta", "23 நவம்பர் 2026")])
def test_dates_shown_in_each_language(lang, text):
    assert format_date("2026-11-23", lang, weekday=False) == text


@pytest.mark.parametrize("question,topic", [
    ("how much is the fee", "fee"), ("by when must i register", "deadline"), ("dalam berapa hari mesti daftar", "deadline"),
    ("没结婚可以登记吗", "unmarried"), ("what if i miss the 42 days", "late"), ("报生纸怎么下载", "certificate"),
    ("what documents do i need", "documents"), ("பிறப்பு பதிவுக்கு கட்டணம் எவ்வளவு", "fee"), ("who can register", None),
])
def test_question_topics(question, topic):
    assert question_topic(question) == topic


# -- the form ----------------------------------------------------------------------------------------------------------
def validate(method: str, value: Any, t: Tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    form = br.ValidateBirthRegistrationForm()
    result = run(getattr(form, method)(value, dispatcher, t, {}))
    return result, responses(dispatcher)


def test_consent_prefills_from_myinfo_and_ica(fake):
    result, said = validate("validate_myinfo_consent", "yes", tracker(text="yes", intent="affirm",
                                                                      slots={"requested_slot": "myinfo_consent"}))
    assert result["myinfo_consent"] is True and said == []
    assert result["birth_myinfo"] == {"nric": MOTHER["nric"], "name": MOTHER["name"], "marital_status": "married",
                                      "spouse_nric": FATHER["nric"]}
    assert [n["enlb"] for n in result["birth_notifications"]] == ["NLB2026000101"]


def test_consent_given_earlier_prefills_when_the_form_starts(fake):
    result, _ = validate("validate_myinfo_consent", True, tracker(text="register birth", intent="register_birth"))
    assert result["myinfo_consent"] is True and result["birth_notifications"]


def test_nothing_to_register_ends_the_journey(fake):
    fake.ica._notifications = []
    result, said = validate("validate_myinfo_consent", "yes", tracker(text="yes", intent="affirm"))
    assert said == ["utter_birth_no_notification"] and result["journey_aborted"] is True


def test_agency_down_at_the_start_ends_the_journey_politely(fake):
    fake.myinfo.fail = AgencyError("agency_unavailable", 503)
    result, said = validate("validate_myinfo_consent", "ya", tracker(text="ya", intent="affirm"))
    assert said == ["utter_agency_unavailable"] and result["journey_aborted"] is True


def test_declined_consent_ends_the_journey(fake):
    result, said = validate("validate_myinfo_consent", "no", tracker(text="no", intent="deny"))
    assert said == ["utter_consent_declined"] and result["journey_aborted"] is True


def test_choosing_the_baby_prefills_sex_date_and_parents(fake):
    slots = chosen()
    for key in ("birth_notification", "birth_details", "birth_child_sex", "birth_child_dob"):
        slots.pop(key)
    result, said = validate("validate_birth_notification", "NLB2026000101", tracker(slots, text="NLB2026000101"))
    assert said == []
    assert result["birth_notification"] == "NLB2026000101"
    assert result["birth_child_sex"] == "M" and result["birth_child_dob"] == "2026-11-23"
    assert result["birth_details"]["married"] is True and result["birth_details"]["hospital_code"] == "KKH"


def test_a_number_picks_from_the_list_and_yes_picks_the_only_one(fake):
    slots = {k: v for k, v in chosen().items() if k != "birth_notification"}
    assert validate("validate_birth_notification", "1", tracker(slots, text="1"))[0]["birth_notification"] == "NLB2026000101"
    assert validate("validate_birth_notification", "yes", tracker(slots, text="yes", intent="affirm"))[0][
        "birth_notification"] == "NLB2026000101"


@pytest.mark.parametrize("text", ["the first one", "第一个", "yang pertama", "முதலாவது"])
def test_a_place_in_words_picks_from_the_list(fake, text):
    slots = {k: v for k, v in chosen().items() if k != "birth_notification"}
    assert validate("validate_birth_notification", text, tracker(slots, text=text))[0][
        "birth_notification"] == "NLB2026000101"


def test_a_late_baby_is_explained_not_registered(fake):
    late = br.compact_notification(notification(enlb="NLB2026000105", born=TODAY - timedelta(days=50), status="late"))
    t = tracker({"birth_notifications": [late]}, text="NLB2026000105", language="zh")
    result, said = validate("validate_birth_notification", "NLB2026000105", t)
    assert said == ["utter_birth_registration_late"] and result["journey_aborted"] is True


def test_an_unknown_enlb_is_refused_with_the_number(fake):
    t = tracker({"birth_notifications": [br.compact_notification(notification())]}, text="NLB 2026 999999")
    result, said = validate("validate_birth_notification", "NLB 2026 999999", t)
    assert said == ["utter_birth_notification_not_found"] and result["birth_notification"] is None


def test_an_enlb_registered_already_gives_its_reference(fake):
    fake.ica._notifications.append(notification(enlb="NLB2026000102", status="registered", reference="BR-AAAA1111"))
    t = tracker({"birth_notifications": [br.compact_notification(notification())]}, text="NLB2026000102")
    dispatcher = CollectingDispatcher()
    result = run(br.ValidateBirthRegistrationForm().validate_birth_notification("NLB2026000102", dispatcher, t, {}))
    assert result["birth_notification"] is None
    assert dispatcher.messages[0]["response"] == "utter_birth_already_registered"
    assert dispatcher.messages[0]["reference"] == "BR-AAAA1111"


def test_a_chinese_name_typed_in_an_english_chat_keeps_english(fake):
    before = [{"event": "slot", "name": "language", "value": "en"}]
    t = tracker(chosen(requested_slot="birth_ethnic_name"), text="陈凯轩", language="zh", before=before)
    result, said = validate("validate_birth_ethnic_name", "陈凯轩", t)
    assert result["birth_ethnic_name"] == "陈凯轩" and result["language"] == "en" and said == []


def test_a_name_with_digits_is_refused_and_counted(fake):
    result, said = validate("validate_birth_child_name", "Tan Kai Xuan 2", tracker(chosen(), text="Tan Kai Xuan 2"))
    assert said == ["utter_birth_name_has_digits"]
    assert result["birth_child_name"] is None and result["failed_tries"] == {"birth_child_name": 1}


def test_the_third_failed_name_offers_a_person(fake):
    t = tracker(chosen(failed_tries={"birth_child_name": 2}), text="12345")
    assert validate("validate_birth_child_name", "12345", t)[1] == ["utter_birth_name_has_digits", "utter_offer_handoff"]


def test_cancel_words_the_nlu_misreads_stop_the_journey(fake):
    result, said = validate("validate_birth_child_name", "取消", tracker(chosen(), text="取消", intent="cancel_appointment"))
    assert said == ["utter_journey_stopped"]
    assert result["requested_slot"] is None and result["journey_aborted"] is True and result["birth_notification"] is None


def test_a_correction_of_another_field_while_asked_the_name(fake):
    t = tracker(chosen(requested_slot="birth_child_name"), text="change the dialect to Hokkien", intent="correct_field")
    result, _ = validate("validate_birth_child_name", "change the dialect to Hokkien", t)
    assert result["birth_dialects"] == {"mother": "Hokkien", "father": "Hokkien"} and result["birth_child_name"] is None


def test_sex_asked_again_must_match_the_notification(fake):
    result, said = validate("validate_birth_child_sex", "girl", tracker(chosen(birth_child_sex=None), text="girl"))
    assert said == ["utter_birth_sex_mismatch"] and result["birth_child_sex"] is None


def test_date_asked_again_accepts_a_natural_date(fake):
    slots = chosen(birth_child_dob=None)
    slots["birth_details"]["date_of_birth"] = "2026-11-27"
    result, said = validate("validate_birth_child_dob", "semalam", tracker(slots, text="semalam", language="ms"))
    assert result["birth_child_dob"] == "2026-11-27" and said == []


@pytest.mark.parametrize("text,intent", [("skip", "stop"), ("none", "deny")])
def test_skip_the_nlu_reads_as_stop_still_skips(fake, text, intent):
    t = tracker(chosen(requested_slot="birth_ethnic_name"), text=text, intent=intent)
    form = br.ValidateBirthRegistrationForm()
    extracted = run(form.extract_birth_ethnic_name(CollectingDispatcher(), t, {}))
    assert extracted == ({"birth_ethnic_name": text} if intent == "stop" else {})


def test_an_enlb_the_nlu_reads_as_a_question_is_still_the_answer(fake):
    t = tracker(chosen(requested_slot="birth_notification"), text="NLB2026000101", intent="ask_baby_bonus")
    extracted = run(br.ValidateBirthRegistrationForm().extract_birth_notification(CollectingDispatcher(), t, {}))
    assert extracted == {"birth_notification": "NLB2026000101"}


def test_a_correction_the_nlu_reads_as_a_question_is_still_a_correction(fake):
    t = tracker(complete(), text="名字改成陈伟明", intent="ask_birth_registration", language="zh")
    extracted = run(br.ValidateBirthRegistrationForm().extract_confirm_submission(CollectingDispatcher(), t, {}))
    assert extracted == {"confirm_submission": "名字改成陈伟明"}


def test_sms_users_confirm_who_they_are_before_the_summary(fake):
    domain_slots = ["myinfo_consent", "birth_notification", "birth_child_name", "birth_ethnic_name", "birth_child_sex",
                    "birth_child_dob", "birth_dialects", "sms_identity_confirmed", "confirm_submission"]
    form = br.ValidateBirthRegistrationForm()
    web = run(form.required_slots(domain_slots, CollectingDispatcher(), tracker(), {}))
    sms = run(form.required_slots(domain_slots, CollectingDispatcher(), tracker(channel="sms"), {}))
    assert "sms_identity_confirmed" not in web
    assert sms.index("sms_identity_confirmed") == sms.index("confirm_submission") - 1


# -- the summary: corrections and submission ------------------------------------------------------------------------
def test_yes_registers_with_the_notification_and_myinfo_details(fake):
    result, said = validate("validate_confirm_submission", "/affirm", tracker(complete(), text="/affirm", intent="affirm"))
    assert said == []
    [(token, form, key)] = fake.ica.registered
    assert token == "tok-lim" and key.startswith("moments-birth_registration-")
    assert form == {"enlb_number": "NLB2026000101", "child_name": "Tan Kai Xuan", "child_ethnic_name": "陈凯轩",
                    "sex": "M", "date_of_birth": "2026-11-23", "time_of_birth": "08:42", "hospital": "KKH",
                    "mother_nric": MOTHER["nric"], "father_nric": FATHER["nric"], "parents_marital_status": "married",
                    "mother_dialect": "Hokkien", "father_dialect": "Teochew"}
    assert result["confirm_submission"] is True and result["birth_registration_result"]["reference"] == "BR-7K3M9Q2X"


def test_unmarried_parents_register_without_the_father(fake):
    slots = complete()
    slots["birth_details"]["married"] = False
    validate("validate_confirm_submission", "yes", tracker(slots, text="yes", intent="affirm"))
    form = fake.ica.registered[0][1]
    assert form["parents_marital_status"] == "not_married" and form["father_nric"] is None
    assert form["father_dialect"] is None


def test_an_outage_keeps_everything_and_a_retry_uses_the_same_key(fake):
    fake.ica.fail = AgencyError("agency_unavailable", 503)
    t = tracker(complete(), text="yes", intent="affirm")
    result, said = validate("validate_confirm_submission", "yes", t)
    assert said == ["utter_agency_unavailable"]
    assert result == {"confirm_submission": None, "birth_change_menu": False}  # nothing else is cleared
    fake.ica.fail = None
    result, _ = validate("validate_confirm_submission", "yes", t)
    assert result["confirm_submission"] is True
    assert fake.ica.registered[0][2] == fake.ica.registered[1][2]


@pytest.mark.parametrize("text,lang,slot,value", [
    ("change the name to Tan Wei Ming", "en", "birth_child_name", "Tan Wei Ming"),
    ("名字改成陈伟明", "zh", "birth_ethnic_name", "陈伟明"),
    ("tukar nama kepada Ahmad Danial", "ms", "birth_child_name", "Ahmad Danial"),
    ("பெயரை Kavin Raj என்று மாற்று", "ta", "birth_child_name", "Kavin Raj"),
    ("change the dialect to Cantonese", "en", "birth_dialects", {"mother": "Cantonese", "father": "Cantonese"}),
])
def test_a_correction_at_the_summary_sets_the_field_and_shows_the_summary_again(fake, text, lang, slot, value):
    result, said = validate("validate_confirm_submission", text, tracker(complete(), text=text, intent="correct_field",
                                                                         language=lang))
    assert result[slot] == value and result["confirm_submission"] is None and said == []
    assert fake.ica.registered == []


def test_change_the_name_alone_asks_it_again(fake):
    result, _ = validate("validate_confirm_submission", "change the name",
                         tracker(complete(), text="change the name", intent="correct_field"))
    assert result["birth_child_name"] is None and result["confirm_submission"] is None


def test_an_invalid_correction_is_refused_and_the_field_asked_again(fake):
    result, said = validate("validate_confirm_submission", "change the name to R2D2",
                            tracker(complete(), text="change the name to R2D2", intent="correct_field"))
    assert said == ["utter_birth_name_has_digits"] and result["birth_child_name"] is None


def test_change_without_a_field_shows_the_list_and_a_button_clears_that_field(fake):
    result, _ = validate("validate_confirm_submission", "/correct_field",
                         tracker(complete(), text="/correct_field", intent="correct_field"))
    assert result == {"confirm_submission": None, "birth_change_menu": True}
    entities = [{"entity": "birth_field", "value": "birth_child_dob"}]
    result, _ = validate("validate_confirm_submission", "/correct_field", tracker(
        complete(birth_change_menu=True), text='/correct_field{"birth_field": "birth_child_dob"}', intent="correct_field",
        entities=entities))
    assert result["birth_child_dob"] is None and result["birth_change_menu"] is False


@pytest.mark.parametrize("text,intent,lang", [
    ("yes", "affirm", "en"), ("ok lor", "affirm", "en"), ("是的", "affirm", "zh"), ("ya", "affirm", "ms"),
    ("ஆம்", "affirm", "ta"), ("no", "deny", "en"), ("tak ada", "deny", "ms"),
])
def test_yes_or_no_to_what_would_you_like_to_change_never_submits(fake, text, intent, lang):
    """The list of fields asks "what would you like to change?": a yes there is not a yes to the summary."""
    result, said = validate("validate_confirm_submission", text, tracker(
        complete(birth_change_menu=True), text=text, intent=intent, language=lang))
    assert fake.ica.registered == []
    assert result == {"confirm_submission": None, "birth_change_menu": False}  # the summary is shown again
    result, _ = validate("validate_confirm_submission", "yes", tracker(complete(), text="yes", intent="affirm"))
    assert result["confirm_submission"] is True and len(fake.ica.registered) == 1


def test_the_hospitals_details_cannot_be_changed_here(fake):
    result, said = validate("validate_confirm_submission", "change hospital to NUH",
                            tracker(complete(), text="change hospital to NUH", intent="correct_field"))
    assert said == ["utter_birth_field_fixed"] and result["confirm_submission"] is None


def test_something_else_at_the_summary_explains_the_buttons(fake):
    result, said = validate("validate_confirm_submission", "hmm", tracker(complete(), text="hmm"))
    assert said == ["utter_birth_confirm_help"] and result["confirm_submission"] is None


def test_late_at_submission_is_explained(fake):
    fake.ica.fail = AgencyError("registration_late", 422, "closed", {"code": "registration_late", "deadline": "2026-11-20"})
    result, said = validate("validate_confirm_submission", "yes", tracker(complete(), text="yes", intent="affirm"))
    assert said == ["utter_birth_registration_late"] and result["journey_aborted"] is True


def test_a_name_ica_refuses_is_asked_again(fake):
    fake.ica.fail = AgencyError("name_invalid", 422, "bad name", {"code": "name_invalid"})
    result, said = validate("validate_confirm_submission", "yes", tracker(complete(), text="yes", intent="affirm"))
    assert said == ["utter_birth_name_refused"] and result["birth_child_name"] is None
    assert "journey_aborted" not in result


def test_an_expired_login_at_submission(fake):
    fake.ica.fail = AgencyError("token_expired", 401, "expired", {"code": "token_expired"})
    result, said = validate("validate_confirm_submission", "yes", tracker(complete(), text="yes", intent="affirm"))
    assert said == ["utter_login_expired"] and result["journey_aborted"] is True


# -- questions and the actions around the form ------------------------------------------------------------------------
def run_action(action, t: Tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = run(action.run(dispatcher, t, {}))
    return events, dispatcher.messages


def test_one_button_per_baby_in_the_users_language(fake):
    slots = {"birth_notifications": [br.compact_notification(notification()),
                                     br.compact_notification(notification(enlb="NLB2026000199", sex="F"))]}
    _, [message] = run_action(bra.ActionAskBirthNotification(), tracker(slots, language="zh"))
    assert message["response"] == "utter_ask_birth_notification"
    assert message["buttons"] == [{"title": "男 · 2026年11月23日 · KKH", "payload": "NLB2026000101"},
                                  {"title": "女 · 2026年11月23日 · KKH", "payload": "NLB2026000199"}]


def test_twins_get_buttons_that_tell_them_apart(fake):
    first, second, third = (br.compact_notification(notification(enlb=f"NLB202600010{i}", sex="F")) for i in (1, 2, 3))
    second["time_of_birth"], third["time_of_birth"] = "08:51", "08:51"  # triplets: two born the same minute
    _, [message] = run_action(bra.ActionAskBirthNotification(),
                              tracker({"birth_notifications": [first, second, third]}, language="en"))
    titles = [b["title"] for b in message["buttons"]]
    assert titles[0].endswith("· KKH · 8:42 am") and titles[1].endswith("· 8:51 am · NLB2026000102")
    assert len(set(titles)) == 3


def test_summary_shows_every_field_in_the_users_language(fake):
    _, [message] = run_action(bra.ActionAskBirthConfirmSubmission(), tracker(complete(), language="ta"))
    assert message["response"] == "utter_birth_registration_summary"
    assert message["child_name"] == "Tan Kai Xuan" and message["ethnic_name"] == "陈凯轩"
    assert message["sex"] == "ஆண்" and message["date_of_birth"] == "23 நவம்பர் 2026"
    assert message["mother"] == "Lim Hui Min (S****102I)" and message["dialects"] == "ஹொக்கியன் / தியோச்சூ"
    assert message["hospital"] == "கே.கே. மகளிர், குழந்தைகள் மருத்துவமனை" and message["enlb"] == "NLB2026000101"


def test_after_change_the_list_of_fields_is_shown(fake):
    _, [message] = run_action(bra.ActionAskBirthConfirmSubmission(), tracker(complete(birth_change_menu=True)))
    assert message["response"] == "utter_ask_birth_field_to_change"


def test_finish_shows_the_reference_fee_and_link_and_clears_the_journey(fake):
    result = {"reference": "BR-7K3M9Q2X", "child_name": "Tan Kai Xuan", "certificate_number": "T2612345A",
              "fee": "18.00", "url": "http://ica.example/c", "expires": "2027-02-26"}
    events, [message] = run_action(bra.ActionFinishBirthRegistration(),
                                   tracker(complete(birth_registration_result=result), language="ms"))
    assert message["response"] == "utter_birth_registered" and message["reference"] == "BR-7K3M9Q2X"
    assert message["fee"] == "18.00" and message["expires"] == "26 Feb 2027" and message["url"] == "http://ica.example/c"
    assert SlotSet("birth_registered", True) in events and SlotSet("birth_registered_child", "Tan Kai Xuan") in events
    assert SlotSet("birth_child_name", None) in events and SlotSet("birth_details", None) in events


@pytest.mark.parametrize("channel, url", [("sms", "http://ica.example/c/7K3M9Q2XABCDEFGHIJKLMNOP"),
                                          ("rest", "http://ica.example/ica/v1/certificates/BR-7K3M9Q2X.1.abc")])
def test_by_sms_the_certificate_is_the_short_link(fake, channel, url):
    result = {"reference": "BR-7K3M9Q2X", "child_name": "Tan Kai Xuan", "certificate_number": "T2612345A",
              "fee": "18.00", "url": "http://ica.example/ica/v1/certificates/BR-7K3M9Q2X.1.abc",
              "short_url": "http://ica.example/c/7K3M9Q2XABCDEFGHIJKLMNOP", "expires": "2027-02-26"}
    _, [message] = run_action(bra.ActionFinishBirthRegistration(),
                              tracker(complete(birth_registration_result=result), channel=channel))
    assert message["url"] == url and "short_url" not in message


def test_finish_without_a_registration_says_nothing_more(fake):
    events, messages = run_action(bra.ActionFinishBirthRegistration(), tracker({"journey_aborted": True}))
    assert messages == [] and SlotSet("birth_registered", False) in events and SlotSet("journey_aborted", None) in events


def test_questions_mid_form_get_the_answer_for_this_baby(fake):
    _, [message] = run_action(bra.ActionAnswerBirthRegistration(),
                              tracker(chosen(), text="what's the deadline to register?", intent="ask_birth_registration"))
    assert message["response"] == "utter_birth_info_deadline_for_baby"
    assert message["deadline"] == "4 Jan 2027" and message["days_left"] == 37


@pytest.mark.parametrize("text,response", [("how much is the fee", "utter_birth_info_fee"),
                                           ("我们没结婚，怎么登记", "utter_birth_info_unmarried"),
                                           ("bila boleh muat turun sijil", "utter_birth_info_certificate"),
                                           ("who can register", "utter_birth_registration_info")])
def test_questions_answered_by_topic(fake, text, response):
    _, [message] = run_action(bra.ActionAnswerBirthRegistration(), tracker(text=text, intent="ask_birth_registration"))
    assert message["response"] == response


def test_reset_clears_every_journey_slot():
    events, _ = run_action(bra.ActionResetBirthRegistration(), tracker(complete()))
    assert {e["name"] for e in events} == set(br.JOURNEY_SLOTS) and all(e["value"] is None for e in events)


# -- questions asked in the middle of the form (issue 13: the fee asked loosely got the Baby Bonus amounts) ---------
@pytest.mark.parametrize("text, expected", [
    ("eh so registering need to pay how much ah", "utter_birth_info_fee"), ("登记要钱吗", "utter_birth_info_fee"),
    ("kena bayar ke nak daftar?", "utter_birth_info_fee"), ("how much is the baby bonus", "utter_baby_bonus_info"),
    ("婴儿花红多少钱", "utter_baby_bonus_info"), ("cda boleh dapat berapa", "utter_baby_bonus_info"),
])
def test_a_money_question_in_the_form_gets_the_answer_it_asks_for(fake, text, expected):
    t = tracker(complete(), text=text, intent="ask_baby_bonus")
    _, messages = run_action(bra.ActionAnswerBirthRegistration(), t)
    assert [m["response"] for m in messages] == [expected]


@pytest.mark.parametrize("text, expected", [
    ("எவ்வளவு பணம் கட்டணும்?", "utter_birth_info_fee"), ("how much to pay ah", "utter_birth_info_fee"),
    ("vaccines free or need to pay", "utter_vaccination_info"), ("when is the first jab", "utter_vaccination_info"),
])
def test_a_fee_question_taken_for_a_vaccination_question_gets_the_fee(fake, text, expected):
    t = tracker(complete(), text=text, intent="ask_vaccination_schedule")
    _, messages = run_action(bra.ActionAnswerBirthRegistration(), t)
    assert [m["response"] for m in messages] == [expected]


@pytest.mark.parametrize("slot, text, expected", [
    ("birth_child_name", "eh need to pay how much ah", "utter_birth_info_fee"),
    ("birth_child_name", "எவ்வளவு பணம் கட்டணும்?", "utter_birth_info_fee"),
    ("birth_ethnic_name", "要等几天才可以拿证书？", "utter_birth_info_certificate"),
])
def test_a_question_where_a_name_is_asked_is_answered_and_never_taken_for_the_name(fake, slot, text, expected):
    result, said = validate(f"validate_{slot}", text, tracker(text=text, intent="inform"))
    assert said == [expected] and result[slot] is None


# -- a name with an everyday word in it is shown back on its own (issue 13) --------------------------------------
DOMAIN_SLOTS = ["myinfo_consent", "birth_notification", "birth_child_name", "birth_name_checked", "birth_ethnic_name",
                "birth_child_sex", "birth_child_dob", "birth_dialects", "sms_identity_confirmed", "confirm_submission"]


def required(slots):
    form = br.ValidateBirthRegistrationForm()
    return run(form.required_slots(list(DOMAIN_SLOTS), CollectingDispatcher(), tracker(slots), {}))


@pytest.mark.parametrize("name, asked", [("Marcus Tan Jun Wei Only", True), ("Aisyah binte Kamal La", True),
                                         ("Tan Hui Ya", False), ("Tan Kai Xuan", False), ("Lim Ah Man", False)])
def test_only_a_name_with_an_everyday_word_is_shown_back(name, asked):
    assert ("birth_name_checked" in required(complete(birth_child_name=name))) is asked
    assert "birth_name_checked" not in required(complete(birth_child_name=name, birth_name_checked=name))


@pytest.mark.parametrize("answer, intent, name, checked", [
    ("yes", "affirm", "Marcus Tan Only", "Marcus Tan Only"), ("/deny", "deny", None, None),
    ("2", "nlu_fallback", None, None), ("Marcus Tan", "inform", "Marcus Tan", None),
])
def test_the_parent_confirms_changes_or_retypes_the_name(fake, answer, intent, name, checked):
    slots = complete(birth_child_name="Marcus Tan Only", requested_slot="birth_name_checked")
    result, _ = validate("validate_birth_name_checked", answer, tracker(slots, text=answer, intent=intent))
    assert result["birth_name_checked"] == checked and result.get("birth_child_name", "Marcus Tan Only") == name


def test_an_unchecked_name_with_an_everyday_word_never_reaches_ica(fake):
    t = tracker(complete(birth_child_name="Marcus Tan Only"), text="yes", intent="affirm")
    result, _ = validate("validate_confirm_submission", "yes", t)
    assert result["confirm_submission"] is None and result["birth_name_checked"] is None
    assert fake.ica.registered == []
    checked = tracker(complete(birth_child_name="Marcus Tan Only", birth_name_checked="Marcus Tan Only"), text="yes",
                      intent="affirm")
    result, _ = validate("validate_confirm_submission", "yes", checked)
    assert result["confirm_submission"] is True and fake.ica.registered[0][1]["child_name"] == "Marcus Tan Only"
