"""Baby Bonus actions with tracker fixtures; the agencies are faked at the edge (a fake `Agencies` object) and
answer in the service's own shapes (the MSF presenter over the real rules)."""
import asyncio
import json
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.baby_bonus.form as bb
from actions.baby_bonus.actions import (
    ActionAskBabyBonusConfirmSubmission,
    ActionAskBbChild,
    ActionAskBbTrustee,
    ActionExplainBabyBonus,
    ActionFinishBabyBonus,
    benefit_messages,
)
from actions.baby_bonus.answers import (
    account_digits,
    account_problem,
    join_or,
    ordinal,
    parse_bank,
    parse_corrections,
    parse_trustee,
)
from actions.baby_bonus.form import ValidateBabyBonusForm, ValidateBabyBonusInfoForm
from moments.text.formatting import format_date
from moments.rules import baby_bonus as rules
from moments.agencies.baby_bonus import _present
from moments.agency_client.client import AgencyError

TODAY = date.today()
ME = {"id": "p-lim", "name": "Lim Hui Min", "nric": "S9210102H"}
SPOUSE = {"id": "p-tan", "name": "Tan Wei Ming", "nric": "S9010101D"}


def kid(key, name, born, citizen=True):
    return SimpleNamespace(id=f"c-{key}", nric=f"T{key}", name=name, sex="F", date_of_birth=born,
                           born_at=datetime.combine(born, datetime.min.time()),
                           residential_status="citizen" if citizen else "permanent_resident")


class FakeAgencies:
    """MyInfo + MSF for one family. `fail` maps a method name to the AgencyError it raises (once or always)."""

    def __init__(self, children, applications=None, married=True, other_parent=SPOUSE):
        self.children = children                      # [(SimpleNamespace child, birth order)]
        self.applications = dict(applications or {})  # child id -> reference
        self.married = married
        self.other_parent = other_parent
        self.fail = {}
        self.apply_calls = []
        self.myinfo = SimpleNamespace(person=self.person, person_by_nric=self.person_by_nric)
        self.msf = SimpleNamespace(baby_bonus=self.baby_bonus, apply=self.apply)

    def _maybe_fail(self, name):
        err = self.fail.get(name)
        if err is not None:
            if getattr(err, "once", False):
                del self.fail[name]
            raise err

    def person(self, token):
        self._maybe_fail("person")
        return {**ME, "children": [{"id": c.id, "birth_certificate_number": c.nric, "name": c.name, "sex": c.sex,
                                    "date_of_birth": c.date_of_birth.isoformat(), "time_of_birth": "09:00",
                                    "residential_status": c.residential_status} for c, _ in self.children]}

    def person_by_nric(self, token, nric):
        return {"id": "x", "name": "child", "nric": nric, "mother": ME, "father": self.other_parent}

    def position(self, child_id, today=TODAY):
        child, order = next((c, o) for c, o in self.children if c.id == child_id)
        a = rules.assess(child.date_of_birth, order, citizen=child.residential_status == "citizen",
                         parents_married=self.married, today=today)
        ref = self.applications.get(child_id)
        app = SimpleNamespace(reference=ref, status="approved") if ref else None
        return json.loads(_present(a, child, app, today).json())

    def baby_bonus(self, token, child_id):
        self._maybe_fail("baby_bonus")
        return self.position(child_id)

    def apply(self, token, child_id, bank, bank_account_number, cda_trustee_nric, idempotency_key=None):
        self.apply_calls.append({"child_id": child_id, "bank": bank, "account": bank_account_number,
                                 "trustee": cda_trustee_nric, "key": idempotency_key})
        self._maybe_fail("apply")
        if child_id in self.applications:
            raise AgencyError("application_exists", 409, "exists",
                              {"code": "application_exists", "application_reference": self.applications[child_id]})
        self.applications[child_id] = "BB-TEST0001"
        child = next(c for c, _ in self.children if c.id == child_id)
        trustee = ME if cda_trustee_nric == ME["nric"] else self.other_parent
        return {"reference": "BB-TEST0001", "status": "approved", "child": {"name": child.name}, "bank": bank,
                "account_number_masked": "******" + bank_account_number[-4:], "cda_trustee": trustee,
                "benefits": self.position(child_id)}


def once(err):
    err.once = True
    return err


NEWBORN = kid("newborn", "Tan Xin Yi", TODAY - timedelta(days=5))
TODDLER = kid("toddler", "Tan Jun Hao", TODAY - timedelta(days=400))
OLDER = kid("older", "Tan Mei Mei", date(2019, 2, 2))


@pytest.fixture
def fake(use_agencies):
    agencies = FakeAgencies([(NEWBORN, 1)])
    use_agencies(agencies)
    return agencies


def family_of(agencies):
    return asyncio.run(bb.load_family("tok"))


def tracker(slots=None, text="", intent=None, language="en", token="tok", events=None, active_loop=None,
            channel="rest", entities=None):
    parse = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    user = {"event": "user", "text": text, "parse_data": parse, "input_channel": channel,
            "metadata": {"token": token} if token else {}}
    return Tracker("conv-bb", {"language": language, **(slots or {})}, parse, [*(events or []), user], False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def responses(dispatcher):
    return [m.get("response") for m in dispatcher.messages]


def run(coro):
    return asyncio.run(coro)


def has(message, **expected):
    """The message carries these values (it has others too: text, buttons, …)."""
    return {k: message.get(k) for k in expected} == expected


# -- values formatted for each language --------------------------------------------------------------------------
def test_dates_ordinals_and_lists_follow_the_language():
    assert [format_date(date(2023, 2, 14), lang) for lang in ("en", "zh", "ms", "ta")] == [
        "Tue 14 Feb 2023", "2023年2月14日（星期二）", "Selasa, 14 Feb 2023", "செவ்வாய், 14 பிப்ரவரி 2023"]
    assert [ordinal(n, "en") for n in (1, 2, 3, 4, 11, 12, 13, 21)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st"]
    assert (ordinal(3, "zh"), ordinal(3, "ms"), ordinal(3, "ta")) == ("第3个", "ke-3", "3வது")
    assert join_or((9, 10), "en") == "9 or 10" and join_or((9, 10), "zh") == "9或10"
    assert join_or((10,), "ta") == "10" and join_or((10, 12), "ms") == "10 atau 12"


# -- understanding answers ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,bank", [
    ("DBS/POSB", "DBS/POSB"), ("posb", "DBS/POSB"), ("dbs bank", "DBS/POSB"), ("星展银行", "DBS/POSB"),
    ("OCBC", "OCBC"), ("ocbs", "OCBC"), ("obcc lah", "OCBC"), ("华侨银行", "OCBC"), ("United Overseas Bank", "UOB"),
    ("uob pls", "UOB"), ("大华", "UOB"), ("UOB-க்கு மாத்துங்க", "UOB"),
    ("Maybank", None), ("hello", None), ("DBS or OCBC", None), ("", None),
])
def test_banks_are_recognised_by_name_typo_and_script(text, bank):
    assert parse_bank(text) == bank


def test_account_numbers_follow_the_agencys_lengths_per_bank():
    assert account_digits("123-45678-9") == "123456789"
    assert account_digits("my POSB acct is 0123 456 789") == "0123456789"
    assert account_digits("none") is None
    assert account_problem("DBS/POSB", "123456789") is None and account_problem("DBS/POSB", "1234567890") is None
    assert account_problem("UOB", "123456789") == "length" and account_problem("UOB", "1234567890") is None
    assert account_problem("OCBC", "123456789012") is None and account_problem("OCBC", "12345678901") == "length"
    assert account_problem("OCBC", None) == "not_digits"


@pytest.mark.parametrize("text,role", [
    ("/affirm", None), ("my wife", "other_parent"), ("Tan Wei Ming", "other_parent"),
    ("tan wei ming pls", "other_parent"),
    ("me", "applicant"), ("myself", "applicant"), ("我", "applicant"), ("我太太", "other_parent"),
    ("我先生当受托人", "other_parent"), ("isteri saya", "other_parent"), ("saya sendiri", "applicant"),
    ("என் மனைவி", "other_parent"), ("நானே", "applicant"), ("Lim Hui Min", "applicant"), ("whoever", None),
])
def test_trustee_answers_in_four_languages(text, role):
    assert parse_trustee(text, ME, SPOUSE) == role


FAMILY = {"applicant": ME, "children": [
    {"id": "c-newborn", "name": "Tan Xin Yi", "eligible": True, "reference": None, "other_parent": SPOUSE},
    {"id": "c-toddler", "name": "Tan Jun Hao", "eligible": True, "reference": None, "other_parent": SPOUSE},
]}


@pytest.mark.parametrize("text,expected", [
    ("change bank to OCBC", [("bank", "OCBC")]),
    ("银行改成UOB", [("bank", "UOB")]),
    ("tukar bank ke UOB", [("bank", "UOB")]),
    ("வங்கியை UOB ஆக மாற்று", [("bank", "UOB")]),
    ("change account number to 0123456789", [("account", "0123456789")]),
    ("户口号码改成 1234-567-890", [("account", "1234567890")]),
    ("use my OCBC account 1234567890 instead", [("bank", "OCBC"), ("account", "1234567890")]),
    ("change trustee to my wife", [("trustee", "other_parent")]),
    ("受托人改成我自己", [("trustee", "applicant")]),
    ("tukar pemegang amanah kepada isteri saya", [("trustee", "other_parent")]),
    ("அறங்காவலரை என் மனைவியாக மாற்று", [("trustee", "other_parent")]),
    ("no, it's for Jun Hao", [("child", "c-toddler")]),
    ("change the bank", [("bank", None)]),
    ("我要改户口号码", [("account", None)]),
    ("tukar pemegang amanah", [("trustee", None)]),
    ("கணக்கு எண்ணை மாற்ற வேண்டும்", [("account", None)]),
    ("yes", []), ("/affirm", []), ("/deny", []),
])
def test_corrections_at_the_summary_in_four_languages(text, expected):
    assert parse_corrections(text, FAMILY, "c-newborn") == expected


def test_a_typed_nric_is_not_taken_for_an_account_number():
    assert parse_corrections("trustee S9010101D", FAMILY, "c-newborn") == [("trustee", "other_parent")]
    assert parse_corrections("S1234567D", FAMILY, "c-newborn") == []


# -- what MSF says, as responses -----------------------------------------------------------------------------------
def test_first_child_under_the_current_scheme_gets_the_full_schedule(fake):
    [(name, values), (offer, due)] = benefit_messages(fake.position("c-newborn"), "en")
    assert name == "utter_baby_bonus_family_current"
    assert values["cash_total"] == "$11,000" and values["order"] == "1st"
    assert (values["at_birth"], values["at_6_months"], values["at_12_months"], values["at_18_months"]) == (
        "$3,000", "$1,500", "$1,500", "$1,000")
    assert values["first_step_grant"] == "$5,000" and values["co_matching_cap"] == "$4,000"
    assert offer == "utter_baby_bonus_not_joined_due" and due["due_amount"] == "$3,000"


def test_third_child_and_the_previous_scheme():
    agencies = FakeAgencies([(NEWBORN, 3), (OLDER, 1)])
    [(name, values), _] = benefit_messages(agencies.position("c-newborn"), "zh")
    assert name == "utter_baby_bonus_family_current" and values["cash_total"] == "$13,000"
    assert values["at_birth"] == "$4,000" and values["co_matching_cap"] == "$9,000" and values["order"] == "第3个"
    [(name, values), _] = benefit_messages(agencies.position("c-older"), "ms")
    assert name == "utter_baby_bonus_family_previous" and values["cash_total"] == "$8,000"
    assert values["at_15_months"] == "$1,500" and values["first_step_grant"] == "$3,000"
    assert values["date_of_birth"] == "Sabtu, 2 Feb 2019"


def test_unmarried_parents_get_the_cda_only_and_non_citizens_nothing():
    single = FakeAgencies([(NEWBORN, 1)], married=False)
    assert benefit_messages(single.position("c-newborn"), "en")[0][0] == "utter_baby_bonus_family_cda_only"
    pr = FakeAgencies([(kid("pr", "Zhang Xin", TODAY - timedelta(days=15), citizen=False), 1)])
    assert benefit_messages(pr.position("c-pr"), "en") == [
        ("utter_baby_bonus_not_citizen", {"child_name": "Zhang Xin"})]


def test_window_closed_and_joined_children():
    old = FakeAgencies([(kid("iman", "Nur Iman", date(2012, 3, 10)), 1)])
    [(name, values)] = benefit_messages(old.position("c-iman"), "en")
    assert name == "utter_baby_bonus_window_closed" and values["apply_by"] == "Tue 31 Dec 2024"
    joined = FakeAgencies([(TODDLER, 1)], applications={"c-toddler": "BB-SEED0001"})
    messages = dict(benefit_messages(joined.position("c-toddler"), "en"))
    assert messages["utter_baby_bonus_joined"] == {"child_name": "Tan Jun Hao", "reference": "BB-SEED0001"}
    assert messages["utter_baby_bonus_next_payment"]["amount"] == "$1,000"  # the 18-month instalment comes next


# -- ask_baby_bonus --------------------------------------------------------------------------------------------------
def test_question_without_login_gets_the_general_facts_and_how_to_log_in(fake):
    dispatcher = CollectingDispatcher()
    run(ActionExplainBabyBonus().run(dispatcher, tracker(text="baby bonus how much", intent="ask_baby_bonus",
                                                         token=None), {}))
    assert responses(dispatcher) == ["utter_baby_bonus_info", "utter_baby_bonus_login_for_personal"]


def test_question_with_consent_explains_the_youngest_child_and_offers_the_others(use_agencies):
    agencies = FakeAgencies([(TODDLER, 1), (NEWBORN, 2)])
    use_agencies(agencies)
    dispatcher = CollectingDispatcher()
    events = run(ActionExplainBabyBonus().run(
        dispatcher, tracker({"myinfo_consent": True}, "how much baby bonus", "ask_baby_bonus", language="ta"), {}))
    assert responses(dispatcher) == ["utter_baby_bonus_family_current", "utter_baby_bonus_not_joined_due",
                                     "utter_baby_bonus_other_children"]
    first = dispatcher.messages[0]
    assert first["child_name"] == "Tan Xin Yi" and first["order"] == "2வது"
    [button] = dispatcher.messages[-1]["buttons"]
    assert button == {"title": "Tan Jun Hao", "payload": '/ask_baby_bonus{"baby_bonus_child": "c-toddler"}'}
    # it offered to apply ("not joined"): a yes right after it is a yes to applying (data/rules/baby_bonus.yml)
    assert events == [SlotSet("bb_info_child", None), SlotSet("bb_apply_offered", False),
                      SlotSet("bb_explained_child", "c-newborn"), SlotSet("bb_apply_offered", True)]


def test_an_answer_about_a_child_already_in_the_scheme_offers_nothing_to_say_yes_to(use_agencies):
    use_agencies(FakeAgencies([(TODDLER, 1)], applications={"c-toddler": "BB-SEED0001"}))
    dispatcher = CollectingDispatcher()
    events = run(ActionExplainBabyBonus().run(
        dispatcher, tracker({"myinfo_consent": True}, "how much baby bonus", "ask_baby_bonus"), {}))
    assert "utter_baby_bonus_joined" in responses(dispatcher)
    assert SlotSet("bb_apply_offered", True) not in events and SlotSet("bb_apply_offered", False) in events


def test_question_about_a_named_or_chosen_child(use_agencies):
    agencies = FakeAgencies([(TODDLER, 1), (NEWBORN, 2)])
    use_agencies(agencies)
    for slots, text in (({"bb_info_child": "c-toddler"}, "/ask_baby_bonus"), ({}, "how much for jun hao ah")):
        dispatcher = CollectingDispatcher()
        run(ActionExplainBabyBonus().run(dispatcher, tracker({"myinfo_consent": True, **slots}, text,
                                                             "ask_baby_bonus"), {}))
        assert dispatcher.messages[0]["child_name"] == "Tan Jun Hao"


def test_question_without_consent_or_with_an_outage_still_gets_the_facts(fake):
    dispatcher = CollectingDispatcher()
    run(ActionExplainBabyBonus().run(dispatcher, tracker({"bb_info_consent": False}, "bb?", "ask_baby_bonus"), {}))
    assert responses(dispatcher) == ["utter_baby_bonus_info"]
    fake.fail["person"] = AgencyError("agency_unavailable", 503)
    dispatcher = CollectingDispatcher()
    run(ActionExplainBabyBonus().run(dispatcher, tracker({"myinfo_consent": True}, "bb?", "ask_baby_bonus"), {}))
    assert responses(dispatcher) == ["utter_agency_unavailable", "utter_baby_bonus_info"]


def test_info_consent_is_asked_once_and_counts_as_myinfo_consent():
    form = ValidateBabyBonusInfoForm()
    assert run(form.required_slots(["bb_info_consent"], None, tracker(), {})) == ["bb_info_consent"]
    assert run(form.required_slots(["bb_info_consent"], None, tracker({"myinfo_consent": True}), {})) == []
    assert run(form.required_slots(["bb_info_consent"], None, tracker({"bb_info_consent": False}), {})) == []
    out = form.validate_bb_info_consent("可以", CollectingDispatcher(), tracker(intent="affirm"), {})
    assert out["bb_info_consent"] is True and out["myinfo_consent"] is True
    assert form.validate_bb_info_consent("/deny", CollectingDispatcher(), tracker(intent="deny"), {})[
        "bb_info_consent"] is False


def test_the_info_form_validates_the_raw_answer_and_then_ends():
    """Through rasa_sdk's own run(): the typed answer is still text when required_slots is asked."""
    domain = {"forms": {"baby_bonus_info_form": {"required_slots": ["bb_info_consent"]}}, "slots": {}}
    t = tracker({"bb_info_consent": "yes"}, "yes", "affirm")
    t.events.append({"event": "slot", "name": "bb_info_consent", "value": "yes"})
    events = run(ValidateBabyBonusInfoForm().run(CollectingDispatcher(), t, domain))
    assert SlotSet("bb_info_consent", True) in events and SlotSet("myinfo_consent", True) in events
    assert events[-1] == SlotSet("requested_slot", None)


# -- apply_baby_bonus: consent loads the family ----------------------------------------------------------------------
def test_consent_loads_the_family_and_prefills_the_only_child_and_a_named_bank(fake):
    dispatcher = CollectingDispatcher()
    t = tracker(text="yes", intent="affirm", events=[
        {"event": "user", "text": "apply baby bonus, pay to my OCBC",
         "parse_data": {"intent": {"name": "apply_baby_bonus"}}}])
    out = run(ValidateBabyBonusForm().validate_myinfo_consent("yes", dispatcher, t, {}))
    assert out["myinfo_consent"] is True and out["bb_child"] == "c-newborn" and out["bb_bank"] == "OCBC"
    assert out["bb_trustee"] is None  # two parents: asked
    assert out["bb_family"]["children"][0]["other_parent"] == {"name": SPOUSE["name"], "nric": SPOUSE["nric"]}
    assert dispatcher.messages == []


def test_consent_given_earlier_is_validated_at_activation_without_asking(fake):
    out = run(ValidateBabyBonusForm().validate_myinfo_consent(True, CollectingDispatcher(), tracker(), {}))
    assert out["myinfo_consent"] is True and out["bb_child"] == "c-newborn"


def test_single_parent_is_the_trustee_without_a_question(use_agencies):
    agencies = FakeAgencies([(NEWBORN, 1)], married=False, other_parent=None)
    use_agencies(agencies)
    out = run(ValidateBabyBonusForm().validate_myinfo_consent(True, CollectingDispatcher(), tracker(), {}))
    assert out["bb_trustee"] == "applicant"


@pytest.mark.parametrize("children,applications,expected", [
    ([], {}, ["utter_baby_bonus_apply_no_children"]),
    ([(TODDLER, 1)], {"c-toddler": "BB-SEED0001"}, ["utter_baby_bonus_all_applied"]),
    ([(kid("iman", "Nur Iman", date(2012, 3, 10)), 1), (TODDLER, 2)], {"c-toddler": "BB-SEED0001"},
     ["utter_baby_bonus_window_closed", "utter_baby_bonus_children_already_applied"]),
])
def test_nobody_to_apply_for_ends_the_form_with_a_reason(use_agencies, children, applications, expected):
    agencies = FakeAgencies(children, applications=applications)
    use_agencies(agencies)
    dispatcher = CollectingDispatcher()
    out = run(ValidateBabyBonusForm().validate_myinfo_consent(True, dispatcher, tracker(), {}))
    assert out["journey_aborted"] is True and out["requested_slot"] is None
    assert responses(dispatcher) == expected
    if applications:
        assert "BB-SEED0001" in dispatcher.messages[-1]["children"]


def test_agency_down_at_the_start_is_said_and_ends_the_form(fake):
    fake.fail["person"] = AgencyError("agency_unavailable", 503)
    dispatcher = CollectingDispatcher()
    out = run(ValidateBabyBonusForm().validate_myinfo_consent(True, dispatcher, tracker(), {}))
    assert out["journey_aborted"] is True and responses(dispatcher) == ["utter_agency_unavailable"]


def test_declined_consent_ends_the_form_politely(fake):
    dispatcher = CollectingDispatcher()
    out = run(ValidateBabyBonusForm().validate_myinfo_consent("no", dispatcher, tracker(text="no", intent="deny"), {}))
    assert out["journey_aborted"] is True and responses(dispatcher) == ["utter_consent_declined"]


# -- the child -------------------------------------------------------------------------------------------------------
@pytest.fixture
def two_children(use_agencies):
    agencies = FakeAgencies([(TODDLER, 1), (NEWBORN, 2), (OLDER, 3)], applications={"c-older": "BB-SEED0001"})
    use_agencies(agencies)
    agencies.family = run(bb.load_family("tok"))
    return agencies


@pytest.mark.parametrize("just_before, expected", [("action_explain_baby_bonus", "c-toddler"), ("utter_greet", None)])
def test_apply_right_after_the_answer_about_one_child_is_for_that_child(two_children, just_before, expected):
    answered = [{"event": "user", "text": "how much for jun hao", "parse_data": {"intent": {"name": "ask_baby_bonus"}}},
                {"event": "action", "name": just_before}, {"event": "slot", "name": "bb_explained_child",
                                                           "value": "c-toddler"},
                {"event": "bot", "text": "…"}, {"event": "action", "name": "action_listen"},
                {"event": "user", "text": "apply", "parse_data": {"intent": {"name": "apply_baby_bonus"}}}]
    t = tracker({"bb_explained_child": "c-toddler"}, text="apply", intent="apply_baby_bonus", events=answered[:-1])
    t.events[-1]["parse_data"]["intent"]["name"] = "apply_baby_bonus"
    out = run(ValidateBabyBonusForm().validate_myinfo_consent(True, CollectingDispatcher(), t, {}))
    assert out.get("bb_child") == expected  # else "which child?" is asked: two can still join


def test_children_are_offered_youngest_first_as_numbered_buttons(two_children):
    dispatcher = CollectingDispatcher()
    run(ActionAskBbChild().run(dispatcher, tracker({"bb_family": two_children.family}, language="zh"), {}))
    [message] = dispatcher.messages
    assert message["response"] == "utter_ask_bb_child"
    assert [b["payload"] for b in message["buttons"]] == ["1", "2"]
    assert message["buttons"][0]["title"].startswith("Tan Xin Yi (") and "年" in message["buttons"][0]["title"]


@pytest.mark.parametrize("answer,child", [("1", "c-newborn"), ("2", "c-toddler"), ("Jun Hao", "c-toddler"),
                                          ("for xin yi pls", "c-newborn")])
def test_child_by_button_or_name(two_children, answer, child):
    out = ValidateBabyBonusForm().validate_bb_child(answer, CollectingDispatcher(),
                                                    tracker({"bb_family": two_children.family}), {})
    assert out["bb_child"] == child and out["bb_trustee"] is None


@pytest.mark.parametrize("text,intent,language", [("ரத்து", "inform", "ta"), ("取消", "cancel_appointment", "zh"),
                                                  ("batal", "deny", "ms"), ("cancel", "nlu_fallback", "en")])
def test_a_stop_word_at_which_child_stops_the_journey_instead_of_being_read_as_a_name(two_children, text, intent,
                                                                                      language):
    dispatcher = CollectingDispatcher()
    t = tracker({"bb_family": two_children.family, "requested_slot": "bb_child", "myinfo_consent": True}, text=text,
                intent=intent, language=language, active_loop="baby_bonus_form")
    events = run(ValidateBabyBonusForm().run(dispatcher, t, {"forms": {"baby_bonus_form": {"required_slots": []}}}))
    assert responses(dispatcher) == ["utter_journey_stopped"]
    assert SlotSet("journey_aborted", True) in events and SlotSet("requested_slot", None) in events
    assert SlotSet("bb_family", None) in events


def test_a_child_who_already_applied_gets_the_existing_reference(two_children):
    dispatcher = CollectingDispatcher()
    out = ValidateBabyBonusForm().validate_bb_child("Mei Mei", dispatcher,
                                                    tracker({"bb_family": two_children.family}), {})
    assert out["bb_child"] is None
    assert dispatcher.messages[0]["response"] == "utter_baby_bonus_already_applied"
    assert dispatcher.messages[0]["reference"] == "BB-SEED0001"


def test_three_unknown_children_offer_a_person(two_children):
    form, slots = ValidateBabyBonusForm(), {"bb_family": two_children.family}
    for attempt in range(3):
        dispatcher = CollectingDispatcher()
        out = form.validate_bb_child("9", dispatcher, tracker(slots), {})
        slots["failed_tries"] = out["failed_tries"]
    assert responses(dispatcher) == ["utter_bb_child_unknown", "utter_offer_handoff"]


# -- bank, account, trustee ------------------------------------------------------------------------------------------
def test_bank_answers(fake):
    form = ValidateBabyBonusForm()
    assert form.validate_bb_bank("ocbs", CollectingDispatcher(), tracker(), {})["bb_bank"] == "OCBC"
    assert form.validate_bb_bank("2", CollectingDispatcher(), tracker(), {})["bb_bank"] == "OCBC"
    assert form.validate_bb_bank("the second one", CollectingDispatcher(), tracker(), {})["bb_bank"] == "OCBC"
    assert form.validate_bb_bank("yang pertama", CollectingDispatcher(), tracker(), {})["bb_bank"] == "DBS/POSB"
    dispatcher = CollectingDispatcher()
    assert form.validate_bb_bank("Maybank", dispatcher, tracker(), {})["bb_bank"] is None
    assert responses(dispatcher) == ["utter_bb_bank_unknown"]


def test_account_number_messages_are_specific(fake):
    form = ValidateBabyBonusForm()
    assert form.validate_bb_account("123 456 789", CollectingDispatcher(), tracker({"bb_bank": "DBS/POSB"}), {})[
        "bb_account"] == "123456789"
    dispatcher = CollectingDispatcher()
    form.validate_bb_account("123456789", dispatcher, tracker({"bb_bank": "UOB"}, language="zh"), {})
    assert has(dispatcher.messages[0], response="utter_bb_account_wrong_length", bank="UOB", lengths="10", count=9)
    dispatcher = CollectingDispatcher()
    form.validate_bb_account("abc", dispatcher, tracker({"bb_bank": "OCBC"}), {})
    assert responses(dispatcher) == ["utter_bb_account_not_digits"]


def test_trustee_defaults_to_the_applicant_and_can_be_the_other_parent(fake):
    family = run(bb.load_family("tok"))
    form, slots = ValidateBabyBonusForm(), {"bb_family": family, "bb_child": "c-newborn"}
    assert form.validate_bb_trustee("/affirm", CollectingDispatcher(), tracker(slots, intent="affirm"), {})[
        "bb_trustee"] == "applicant"
    assert form.validate_bb_trustee("/deny", CollectingDispatcher(), tracker(slots, intent="deny"), {})[
        "bb_trustee"] == "other_parent"
    assert form.validate_bb_trustee("my husband", CollectingDispatcher(), tracker(slots), {})[
        "bb_trustee"] == "other_parent"
    dispatcher = CollectingDispatcher()
    assert form.validate_bb_trustee("my neighbour", dispatcher, tracker(slots), {})["bb_trustee"] is None
    assert dispatcher.messages[0]["response"] == "utter_bb_trustee_unknown"
    assert (dispatcher.messages[0]["applicant"], dispatcher.messages[0]["other_parent"]) == (ME["name"], SPOUSE["name"])


def test_trustee_question_names_both_parents(fake):
    family = run(bb.load_family("tok"))
    dispatcher = CollectingDispatcher()
    run(ActionAskBbTrustee().run(dispatcher, tracker({"bb_family": family, "bb_child": "c-newborn"}), {}))
    assert has(dispatcher.messages[0], response="utter_ask_bb_trustee", child_name="Tan Xin Yi",
               applicant=ME["name"], other_parent=SPOUSE["name"])


# -- the summary: corrections, yes, no -------------------------------------------------------------------------------
@pytest.fixture
def filled(fake):
    family = run(bb.load_family("tok"))
    return {"bb_family": family, "bb_child": "c-newborn", "bb_bank": "DBS/POSB", "bb_account": "123456789",
            "bb_trustee": "applicant", "myinfo_consent": True}


def test_summary_shows_every_answer(filled):
    dispatcher = CollectingDispatcher()
    run(ActionAskBabyBonusConfirmSubmission().run(dispatcher, tracker(filled), {}))
    m = dispatcher.messages[0]
    assert (m["response"], m["child_name"], m["bank"], m["account"], m["trustee"]) == (
        "utter_baby_bonus_summary", "Tan Xin Yi", "DBS/POSB", "123456789", ME["name"])


@pytest.mark.parametrize("text,lang", [("change bank to OCBC", "en"), ("银行改成OCBC", "zh"),
                                       ("tukar bank ke OCBC", "ms"), ("வங்கியை OCBC ஆக மாற்று", "ta")])
def test_changing_the_bank_at_the_summary_rechecks_the_account(filled, text, lang):
    dispatcher = CollectingDispatcher()
    out = run(ValidateBabyBonusForm().validate_confirm_submission(
        text, dispatcher, tracker(filled, text, "correct_field", language=lang), {}))
    assert out["bb_bank"] == "OCBC" and out["confirm_submission"] is None
    assert out["bb_account"] is None  # 9 digits fit DBS/POSB, not OCBC: asked again, with the reason
    assert dispatcher.messages[0]["response"] == "utter_bb_account_recheck"
    assert dispatcher.messages[0]["lengths"] == join_or((10, 12), lang)


def test_changing_the_trustee_and_account_at_the_summary(filled):
    form = ValidateBabyBonusForm()
    out = run(form.validate_confirm_submission("change trustee to my husband", CollectingDispatcher(),
                                               tracker(filled, intent="correct_field"), {}))
    assert out["bb_trustee"] == "other_parent" and out["confirm_submission"] is None
    out = run(form.validate_confirm_submission("account number is 9876543210", CollectingDispatcher(),
                                               tracker(filled, intent="correct_field"), {}))
    assert out["bb_account"] == "9876543210"


def test_no_at_the_summary_asks_what_to_change_then_asks_that_again(filled):
    form = ValidateBabyBonusForm()
    out = run(form.validate_confirm_submission("/deny", CollectingDispatcher(), tracker(filled, intent="deny"), {}))
    assert out == {"confirm_submission": None, "bb_correcting": True}
    dispatcher = CollectingDispatcher()
    run(ActionAskBabyBonusConfirmSubmission().run(dispatcher, tracker({**filled, "bb_correcting": True}), {}))
    assert responses(dispatcher) == ["utter_baby_bonus_what_to_change"]
    out = run(form.validate_confirm_submission("2", CollectingDispatcher(),
                                               tracker({**filled, "bb_correcting": True}), {}))
    assert out["bb_account"] is None and out["bb_correcting"] is None


def test_yes_submits_once_with_a_stable_idempotency_key(fake, filled):
    form = ValidateBabyBonusForm()
    out = run(form.validate_confirm_submission("yes", CollectingDispatcher(), tracker(filled, "yes", "affirm"), {}))
    assert out["confirm_submission"] is True and out["bb_reference"] == "BB-TEST0001"
    assert out["bb_result"]["account_masked"] == "******6789" and out["bb_result"]["paid_amount"] == 3000
    [call] = fake.apply_calls
    assert call == {"child_id": "c-newborn", "bank": "DBS/POSB", "account": "123456789", "trustee": ME["nric"],
                    "key": call["key"]}
    assert call["key"].startswith("moments-baby_bonus-")


def test_outage_at_submission_keeps_the_answers_and_the_retry_uses_the_same_key(fake, filled):
    form = ValidateBabyBonusForm()
    fake.fail["apply"] = once(AgencyError("agency_unavailable", 503))
    dispatcher = CollectingDispatcher()
    out = run(form.validate_confirm_submission("yes", dispatcher, tracker(filled, "yes", "affirm"), {}))
    assert out == {"confirm_submission": None} and responses(dispatcher) == ["utter_agency_unavailable"]
    out = run(form.validate_confirm_submission("yes", CollectingDispatcher(), tracker(filled, "yes", "affirm"), {}))
    assert out["bb_reference"] == "BB-TEST0001"
    first, second = fake.apply_calls
    assert first["key"] == second["key"]


def test_a_duplicate_application_says_the_existing_reference(fake, filled):
    fake.applications["c-newborn"] = "BB-OTHER001"  # the other parent applied meanwhile
    dispatcher = CollectingDispatcher()
    out = run(ValidateBabyBonusForm().validate_confirm_submission("yes", dispatcher,
                                                                  tracker(filled, "yes", "affirm"), {}))
    assert out["journey_aborted"] is True
    assert dispatcher.messages[0]["response"] == "utter_baby_bonus_already_applied"
    assert dispatcher.messages[0]["reference"] == "BB-OTHER001"


def test_finish_shows_the_reference_and_payments_then_clears_the_journey(fake, filled):
    out = run(ValidateBabyBonusForm().validate_confirm_submission("yes", CollectingDispatcher(),
                                                                  tracker(filled, "yes", "affirm"), {}))
    dispatcher = CollectingDispatcher()
    events = run(ActionFinishBabyBonus().run(dispatcher, tracker({**filled, **out}, language="ms"), {}))
    assert responses(dispatcher) == ["utter_baby_bonus_submitted", "utter_baby_bonus_payments_started",
                                     "utter_baby_bonus_next_payment"]
    assert dispatcher.messages[0]["reference"] == "BB-TEST0001" and dispatcher.messages[1]["paid_amount"] == "$3,000"
    assert SlotSet("bb_family", None) in events and SlotSet("confirm_submission", None) in events
    assert not any(e["name"] == "bb_reference" for e in events)


def test_the_form_asks_in_order_and_sms_users_confirm_their_identity(fake, filled):
    form = ValidateBabyBonusForm()
    domain_slots = ["myinfo_consent", "bb_child", "bb_bank", "bb_account", "bb_trustee", "sms_identity_confirmed",
                    "confirm_submission"]
    web = run(form.required_slots(domain_slots, CollectingDispatcher(), tracker(filled), {}))
    assert "sms_identity_confirmed" not in web and web[-1] == "confirm_submission"
    sms = run(form.required_slots(domain_slots, CollectingDispatcher(), tracker(filled, channel="sms"), {}))
    assert sms[-2:] == ["sms_identity_confirmed", "confirm_submission"]
    typed = tracker({**filled, "sms_identity_confirmed": "0000"}, "0000", channel="sms")  # not checked yet
    assert "sms_identity_confirmed" in run(form.required_slots(domain_slots, CollectingDispatcher(), typed, {}))
    assert run(form.required_slots(domain_slots, CollectingDispatcher(), tracker({"journey_aborted": True}), {})) == []


def test_the_form_reads_the_message_that_started_it_not_an_older_application():
    """Applied for one child earlier; now an "ok" to the offer about another child started the form: the old
    "apply for Jun Hao" must not name the child."""
    from actions.shared.tracker import form_start_text
    events = [{"event": "user", "text": "apply baby bonus for jun hao", "parse_data": {"intent": {"name": "apply_baby_bonus"}}},
              {"event": "active_loop", "name": "baby_bonus_form"}, {"event": "active_loop", "name": None},
              {"event": "user", "text": "how much for xin yi", "parse_data": {"intent": {"name": "ask_baby_bonus"}}},
              {"event": "action", "name": "action_explain_baby_bonus"},
              {"event": "user", "text": "ok can", "parse_data": {"intent": {"name": "affirm"}}},
              {"event": "active_loop", "name": "baby_bonus_form"},
              {"event": "user", "text": "yes", "parse_data": {"intent": {"name": "affirm"}}}]
    t = tracker(text="yes", intent="affirm", events=events[:-1])
    assert form_start_text(t, "baby_bonus_form", "apply_baby_bonus") == "ok can"
    assert form_start_text(tracker(text="yes", intent="affirm", events=events[:1]), "baby_bonus_form",
                           "apply_baby_bonus") == "apply baby bonus for jun hao"  # no activation seen: the latest ask
