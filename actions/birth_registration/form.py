"""Register a birth: parents from MyInfo, the baby from the hospital's notification of live birth (ICA), the
child's names, a summary the user can correct in free text (four languages), then ICA's POST /registrations.

Slots (all `birth_…` except the shared myinfo_consent / confirm_submission):
  birth_myinfo          the caller from MyInfo: nric, name, marital status, spouse's NRIC (after consent)
  birth_notifications   the caller's notifications of live birth, as listed when the journey started
  birth_notification    the chosen eNLB number (asked with one button per baby)
  birth_details         the chosen notification: hospital, time, parents, deadline, whether the parents are married
  birth_child_name      in the English alphabet          birth_ethnic_name   Chinese/Tamil/Jawi script, "" = none
  birth_child_sex       "M" | "F"                         birth_child_dob     ISO date
  birth_dialects        {"mother": …, "father": …}, {} = none
  birth_change_menu     True when the user asked to change something without saying what (the summary then
                        shows the list of fields instead)
  birth_registration_result   ICA's answer after a successful registration (shown by the finish action)
  birth_registered      True/False after the form: the rules offer the Baby Bonus after a registration

Sex and date of birth come from the notification, so they are asked only when a correction cleared them, and
must then match the hospital's record (ICA refuses anything else). Text the user sees is in the domain; reading
what the user typed (names, dates, corrections in four languages) and the labels for placeholders are in
answers.py beside this file; the questions asked by actions and the actions after the form are in actions.py.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.birth_registration.answers import (
    FIELD_WORDS, NONE, TOPIC_RESPONSES, Correction, asked_question, birth_date, check_child_name, everyday_word, check_date_of_birth, check_dialects,
    check_ethnic_name, check_sex, in_ethnic_script, is_cancel, is_skip, parse_correction, person_label, sex_label,
    summary_labels,
)
from actions.shared import clock
from actions.shared.agency import agencies, call, idempotency_key, identify, outcome_unknown, \
    report_agency_error
from actions.shared.answers import Checked, pick_by_number
from actions.shared.form import DIGRESSION_INTENTS, JourneyForm, is_retryable
from actions.shared.labels import dialect_name, hospital_name
from actions.shared.tracker import keep_language, latest_intent
from moments.text.languages import language_of
from moments.text.normalise import normalise_answer
from moments.rules import birth as birth_rules
from moments.agency_client.client import AgencyError
from moments.agency_client.codes import Code
from moments.dates import parse_date

logger = logging.getLogger(__name__)

FORM = "birth_registration_form"
JOURNEY = "birth_registration"

# What the journey owns; cleared when it ends (myinfo_consent and sms_identity_confirmed last the conversation).
JOURNEY_SLOTS = (
    "birth_myinfo", "birth_notifications", "birth_notification", "birth_details", "birth_child_name",
    "birth_ethnic_name", "birth_child_sex", "birth_child_dob", "birth_dialects", "birth_change_menu",
    "birth_name_checked", "birth_registration_result", "confirm_submission", "failed_tries", "journey_aborted",
)
ENLB = re.compile(r"^NLB\d{10}$")


# -- the agency's data, kept small in slots -------------------------------------------------------------------------
def compact_notification(n: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "enlb": n["enlb_number"], "sex": n["sex"], "date_of_birth": str(n["date_of_birth"]),
        "time_of_birth": n["time_of_birth"], "hospital_code": n["hospital"]["code"],
        "hospital_name": n["hospital"]["name"],
        "mother": {"nric": n["mother"]["nric"], "name": n["mother"]["name"]},
        "father": {"nric": n["father"]["nric"], "name": n["father"]["name"]} if n.get("father") else None,
        "deadline": str(n["registration_deadline"]), "days_left": n["days_left"], "status": n["status"],
        "reference": n.get("registration_reference"),
    }


def parents_married(myinfo: Optional[Dict[str, Any]], notification: Dict[str, Any]) -> bool:
    """Married to each other, as MyInfo says: the caller is married and the spouse is the baby's other parent."""
    if not myinfo or not notification.get("father") or myinfo.get("marital_status") != "married":
        return False
    other = notification["father"] if myinfo["nric"] == notification["mother"]["nric"] else notification["mother"]
    return myinfo.get("spouse_nric") == other["nric"]


def registration_form(tracker: Tracker) -> Dict[str, Any]:
    """The body of ICA's POST /registrations from the slots."""
    details = tracker.get_slot("birth_details") or {}
    married = bool(details.get("married"))
    dialects = tracker.get_slot("birth_dialects") or {}
    return {
        "enlb_number": details["enlb"],
        "child_name": tracker.get_slot("birth_child_name"),
        "child_ethnic_name": tracker.get_slot("birth_ethnic_name") or None,
        "sex": tracker.get_slot("birth_child_sex"),
        "date_of_birth": tracker.get_slot("birth_child_dob"),
        "time_of_birth": details["time_of_birth"],
        "hospital": details["hospital_code"],
        "mother_nric": details["mother"]["nric"],
        "father_nric": details["father"]["nric"] if married and details.get("father") else None,
        "parents_marital_status": "married" if married else "not_married",
        "mother_dialect": dialects.get("mother"),
        "father_dialect": dialects.get("father") if married else None,
    }


def summary_values(tracker: Tracker) -> Dict[str, Any]:
    lang = language_of(tracker)
    details = tracker.get_slot("birth_details") or {}
    married = bool(details.get("married"))
    dialects = tracker.get_slot("birth_dialects") or {}
    return {
        "child_name": tracker.get_slot("birth_child_name") or NONE,
        "ethnic_name": tracker.get_slot("birth_ethnic_name") or NONE,
        "sex": sex_label(tracker.get_slot("birth_child_sex"), lang),
        "date_of_birth": birth_date(tracker.get_slot("birth_child_dob"), lang),
        "time_of_birth": details.get("time_of_birth", NONE),
        "hospital": hospital_name(details.get("hospital_code"), details.get("hospital_name"), lang) or NONE,
        "enlb": details.get("enlb", NONE),
        "mother": person_label(details.get("mother")),
        **summary_labels(details.get("father"), married, lang),
        "dialects": " / ".join(dialect_name(dialects.get(who), lang) or NONE for who in ("mother", "father"))
                    if dialects else NONE,
    }


# -- the form's validation ----------------------------------------------------------------------------------------------
class ValidateBirthRegistrationForm(JourneyForm):
    SLOTS = JOURNEY_SLOTS

    def name(self) -> Text:
        return f"validate_{FORM}"

    # -- answers the NLU read as a digression or "stop" (e.g. "skip" → stop, "NLB2026000101" → ask_baby_bonus) -----
    @staticmethod
    def _misread(tracker: Tracker, slot: str) -> Optional[str]:
        """The latest text when `slot` is being asked and the NLU gave it to an intent that fills no slot."""
        if tracker.get_slot("requested_slot") != slot or latest_intent(tracker) not in DIGRESSION_INTENTS:
            return None
        text = (tracker.latest_message or {}).get("text") or ""
        return None if text.startswith("/") else text

    async def extract_birth_notification(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._misread(tracker, "birth_notification")
        if text and (ENLB.match(re.sub(r"[\s-]", "", text).upper()) or text.strip().isdigit()):
            return {"birth_notification": text}
        return {}

    async def extract_birth_ethnic_name(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._misread(tracker, "birth_ethnic_name")
        return {"birth_ethnic_name": text} if text and is_skip(text) else {}

    async def extract_birth_child_sex(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._misread(tracker, "birth_child_sex")
        return {"birth_child_sex": text} if text and check_sex(text).ok else {}

    async def extract_birth_child_dob(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._misread(tracker, "birth_child_dob")
        return {"birth_child_dob": text} if text and len(text) <= 30 and parse_date(text, clock.today(), "past") else {}

    async def extract_birth_dialects(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._misread(tracker, "birth_dialects")
        return {"birth_dialects": text} if text and (is_skip(text) or check_dialects(text, True).ok) else {}

    async def extract_confirm_submission(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = self._misread(tracker, "confirm_submission")
        correction = parse_correction(text) if text else None
        return {"confirm_submission": text} if correction and correction.field else {}

    # -- consent, then what MyInfo and ICA know ---------------------------------------------------------------------
    async def validate_myinfo_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: Dict) -> Dict[Text, Any]:
        result = await super().validate_myinfo_consent(value, dispatcher, tracker, domain)
        if result.get("myinfo_consent") is True and not tracker.get_slot("birth_notifications"):
            result.update(await self.prefill(dispatcher, tracker))
        return result

    async def prefill(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """The caller from MyInfo and their notifications of live birth from ICA; ends the journey when there is
        nothing to register or the agencies cannot answer."""
        identity = await identify(tracker)
        if not identity.known:
            dispatcher.utter_message(response="utter_login_required")
            return {"journey_aborted": True, "requested_slot": None}
        try:
            person = await call(agencies().myinfo.person, identity.token)
            listed = await call(agencies().ica.notifications, identity.token)
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            return {"journey_aborted": True, "requested_slot": None}
        if not listed:
            dispatcher.utter_message(response="utter_birth_no_notification")
            return {"journey_aborted": True, "requested_slot": None}
        myinfo = {"nric": person["nric"], "name": person["name"], "marital_status": person.get("marital_status"),
                  "spouse_nric": (person.get("spouse") or {}).get("nric")}
        return {"birth_myinfo": myinfo, "birth_notifications": [compact_notification(n) for n in listed]}

    # -- which baby --------------------------------------------------------------------------------------------------
    async def validate_birth_notification(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: Dict) -> Dict[Text, Any]:
        if is_cancel(value):
            return self.stop(dispatcher)
        listed: List[Dict[str, Any]] = list(tracker.get_slot("birth_notifications") or [])
        text = re.sub(r"[\s-]", "", str(value or "")).upper()
        chosen: Optional[Dict[str, Any]] = None
        if ENLB.match(text):
            chosen = next((n for n in listed if n["enlb"] == text), None)
            if chosen is None:
                chosen = await self._look_up(text, dispatcher, tracker)
                if chosen is None:
                    return self.reject("birth_notification", "utter_birth_notification_not_found", dispatcher,
                                       tracker, enlb=text)
        elif (number := pick_by_number(str(value or ""), len(listed))) is not None:
            chosen = listed[number]
        elif len(listed) == 1 and self.yes_or_no(tracker, value) is True:
            chosen = listed[0]
        if chosen is None:
            return self.reject("birth_notification", "utter_birth_choose_notification", dispatcher, tracker)
        lang = language_of(tracker)
        if chosen["status"] == "registered":
            return self.reject("birth_notification", "utter_birth_already_registered", dispatcher, tracker,
                               reference=chosen.get("reference") or NONE)
        if chosen["status"] == "late":
            dispatcher.utter_message(response="utter_birth_registration_late",
                                     date_of_birth=birth_date(chosen["date_of_birth"], lang),
                                     deadline=birth_date(chosen["deadline"], lang))
            return {"birth_notification": None, "journey_aborted": True, "requested_slot": None}
        details = {**chosen, "married": parents_married(tracker.get_slot("birth_myinfo"), chosen)}
        return self.accept("birth_notification", chosen["enlb"], tracker, birth_details=details,
                           birth_child_sex=chosen["sex"], birth_child_dob=chosen["date_of_birth"],
                           **keep_language(tracker))

    async def _look_up(self, enlb: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[Dict[str, Any]]:
        """A number typed that was not in the list: ask ICA again (it may have arrived since, or be registered)."""
        identity = await identify(tracker)
        try:
            listed = await call(agencies().ica.notifications, identity.token, True)
        except AgencyError:
            return None
        return next((compact_notification(n) for n in listed if n["enlb_number"] == enlb), None)

    # -- the child ---------------------------------------------------------------------------------------------------
    @staticmethod
    def _answer_question(slot: str, value: Any, dispatcher: CollectingDispatcher) -> Optional[Dict[Text, Any]]:
        """A question about registering typed where a name was expected ("要给钱吗?"): answered, and the name asked
        again; never taken for the name. None when the text is not such a question."""
        topic = asked_question(value)
        if topic is None:
            return None
        dispatcher.utter_message(response=TOPIC_RESPONSES[topic])
        return {slot: None}

    def _apply_other_correction(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker) -> Optional[Dict[Text, Any]]:
        """A correction of another field typed while `slot` was asked ("change the dialect to Hokkien"): apply it
        and ask `slot` again. None when the text is not such a correction."""
        correction = parse_correction(value)
        if not correction or not correction.field or correction.field == slot:
            return None
        if latest_intent(tracker) != "correct_field" and correction.value is None:
            return None
        return {**self.correct(correction, dispatcher, tracker), slot: None}

    def validate_birth_child_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: Dict) -> Dict[Text, Any]:
        if is_cancel(value):
            return self.stop(dispatcher)
        other = self._apply_other_correction("birth_child_name", value, dispatcher, tracker)
        if other is not None:
            return other
        answered = self._answer_question("birth_child_name", value, dispatcher)
        if answered is not None:
            return answered
        correction = parse_correction(value)
        if correction and correction.field == "birth_child_name" and correction.value:
            value = correction.value
        checked = check_child_name(value)
        if checked.error is not None:
            return {**self.reject("birth_child_name", checked.error, dispatcher, tracker, **(checked.values or {})),
                    **keep_language(tracker)}
        # a new name is checked again if it holds an everyday word (birth_name_checked)
        return self.accept("birth_child_name", checked.value, tracker, birth_name_checked=None, **keep_language(tracker))

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: Dict) -> List[Text]:
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if "birth_name_checked" in slots and not self.name_needs_check(tracker):
            slots.remove("birth_name_checked")
        return slots

    @staticmethod
    def name_needs_check(tracker: Tracker) -> bool:
        """The child's name holds an everyday word and the parent has not confirmed this very name."""
        name = tracker.get_slot("birth_child_name")
        return bool(name) and everyday_word(name) is not None and tracker.get_slot("birth_name_checked") != name

    def validate_birth_name_checked(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: Dict) -> Dict[Text, Any]:
        if is_cancel(value):
            return self.stop(dispatcher)
        name = tracker.get_slot("birth_child_name")
        if value == name:
            return {"birth_name_checked": name}
        answer = self.yes_or_no(tracker, value)
        if answer is True:
            return self.accept("birth_name_checked", name, tracker)
        if answer is False or normalise_answer(str(value or "")) in ("2", "change", "改", "tukar", "மாற்று"):
            return {"birth_name_checked": None, "birth_child_name": None}  # the name question comes again
        checked = check_child_name(value)  # the right name typed straight away
        if checked.ok and checked.value != name:
            return {"birth_name_checked": None, "birth_child_name": checked.value, **keep_language(tracker)}
        return self.reject("birth_name_checked", "utter_please_answer_yes_no", dispatcher, tracker)

    def validate_birth_ethnic_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: Dict) -> Dict[Text, Any]:
        if is_cancel(value):
            return self.stop(dispatcher)
        other = self._apply_other_correction("birth_ethnic_name", value, dispatcher, tracker)
        if other is not None:
            return other
        answered = self._answer_question("birth_ethnic_name", value, dispatcher)
        if answered is not None:
            return answered
        checked = check_ethnic_name(value)
        if checked.error is not None:
            return {**self.reject("birth_ethnic_name", checked.error, dispatcher, tracker, **(checked.values or {})),
                    **keep_language(tracker)}
        return self.accept("birth_ethnic_name", checked.value, tracker, **keep_language(tracker))

    def validate_birth_child_sex(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: Dict) -> Dict[Text, Any]:
        if value in ("M", "F"):  # prefilled from the notification
            return {"birth_child_sex": value}
        if is_cancel(value):
            return self.stop(dispatcher)
        checked = check_sex(value)
        if checked.error is not None:
            return self.reject("birth_child_sex", checked.error, dispatcher, tracker)
        on_record = (tracker.get_slot("birth_details") or {}).get("sex")
        if on_record and checked.value != on_record:
            return self.reject("birth_child_sex", "utter_birth_sex_mismatch", dispatcher, tracker,
                               on_record=sex_label(on_record, language_of(tracker)))
        return self.accept("birth_child_sex", checked.value, tracker)

    def validate_birth_child_dob(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: Dict) -> Dict[Text, Any]:
        on_record = (tracker.get_slot("birth_details") or {}).get("date_of_birth")
        if isinstance(value, str) and value == on_record:  # prefilled from the notification
            return {"birth_child_dob": value}
        if is_cancel(value):
            return self.stop(dispatcher)
        checked = check_date_of_birth(value, clock.today(), on_record)
        if checked.error is not None:
            lang = language_of(tracker)
            values = {k: birth_date(v, lang) for k, v in (checked.values or {}).items()}
            return self.reject("birth_child_dob", checked.error, dispatcher, tracker, **values)
        return self.accept("birth_child_dob", checked.value, tracker)

    def validate_birth_dialects(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: Dict) -> Dict[Text, Any]:
        if is_cancel(value):
            return self.stop(dispatcher)
        other = self._apply_other_correction("birth_dialects", value, dispatcher, tracker)
        if other is not None:
            return other
        father = bool((tracker.get_slot("birth_details") or {}).get("married"))
        checked = check_dialects(value, father)
        if checked.error is not None:
            return {**self.reject("birth_dialects", checked.error, dispatcher, tracker), **keep_language(tracker)}
        return self.accept("birth_dialects", checked.value, tracker, **keep_language(tracker))

    # -- corrections --------------------------------------------------------------------------------------------------
    def correct(self, correction: Correction, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """Sets (validated) or clears one field; the form then asks what is missing, or shows the summary again."""
        field, value = correction.field, correction.value
        if field is None:  # "change something": callers show the list of fields instead (validate_confirm_submission)
            return {"birth_change_menu": True}
        if field == "fixed":
            dispatcher.utter_message(response="utter_birth_field_fixed")
            return {}
        if field == "birth_child_name" and value and in_ethnic_script(value):
            field = "birth_ethnic_name"  # "名字改成陈伟明": the Chinese name
        if value is None:
            return {field: None}
        details = tracker.get_slot("birth_details") or {}
        lang = language_of(tracker)
        if field == "birth_child_name":
            checked = check_child_name(value)
        elif field == "birth_ethnic_name":
            checked = check_ethnic_name(value)
        elif field == "birth_child_sex":
            checked = check_sex(value)
            if checked.ok and details.get("sex") and checked.value != details["sex"]:
                checked = Checked(error="utter_birth_sex_mismatch", values={"on_record": sex_label(details["sex"], lang)})
        elif field == "birth_child_dob":
            checked = check_date_of_birth(value, clock.today(), details.get("date_of_birth"))
            if checked.values:
                checked = Checked(error=checked.error, values={k: birth_date(v, lang) for k, v in checked.values.items()})
        else:
            checked = check_dialects(value, bool(details.get("married")))
        if checked.error is not None:
            return self.reject(field, checked.error, dispatcher, tracker, **(checked.values or {}))
        return self.accept(field, checked.value, tracker)

    # -- the summary: yes, a change, or cancel; yes submits ------------------------------------------------------------
    async def validate_confirm_submission(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: Dict) -> Dict[Text, Any]:
        if is_cancel(value):
            return self.stop(dispatcher)
        field = next((e.get("value") for e in (tracker.latest_message or {}).get("entities", [])
                      if e.get("entity") == "birth_field"), None)
        if field in FIELD_WORDS:  # a button of the "what would you like to change?" list
            return {"confirm_submission": None, "birth_change_menu": False,
                    **self.correct(Correction(field, None), dispatcher, tracker)}
        correction = parse_correction(value)
        if correction is None and latest_intent(tracker) == "correct_field":
            correction = Correction(None, None)
        if correction is not None:
            if correction.field is None:
                return {"confirm_submission": None, "birth_change_menu": True}
            return {"confirm_submission": None, "birth_change_menu": False,
                    **self.correct(correction, dispatcher, tracker)}
        answer = self.yes_or_no(tracker, value)
        if tracker.get_slot("birth_change_menu") and answer is not None:
            # "yes" / "no" to "what would you like to change?" is not a yes to the summary: show it again.
            return {"confirm_submission": None, "birth_change_menu": False}
        if answer is False:
            return {"confirm_submission": None, "birth_change_menu": True}
        if answer is not True:
            return {**self.reject("confirm_submission", "utter_birth_confirm_help", dispatcher, tracker),
                    "birth_change_menu": False}
        return await self.submit(dispatcher, tracker)

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        if self.name_needs_check(tracker):  # a corrected name with an everyday word: shown back before ICA sees it
            return {"confirm_submission": None, "birth_change_menu": False, "birth_name_checked": None}
        identity = await identify(tracker)
        form = registration_form(tracker)
        key = idempotency_key(tracker, JOURNEY, form)
        try:
            registration = await call(agencies().ica.register_birth, identity.token, form, key)
        except AgencyError as err:
            return self.refused(err, dispatcher, tracker)
        logger.info("birth registered: %s", registration["reference"])
        result = {
            "reference": registration["reference"],
            "child_name": registration["child"]["name"],
            "certificate_number": registration["child"]["birth_certificate_number"],
            "fee": registration["fee"]["amount"],
            "url": registration["certificate"]["url"],
            # by SMS the short link (24 characters, one segment with its line) instead of the ~100-character one
            "short_url": registration["certificate"].get("short_url") or registration["certificate"]["url"],
            "expires": str(registration["certificate"]["expires_at"])[:10],
        }
        return {"confirm_submission": True, "birth_change_menu": False, "birth_registration_result": result}

    def refused(self, err: AgencyError, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """What ICA's answer means for the conversation: try again, fix one field, or stop here."""
        lang = language_of(tracker)
        details = tracker.get_slot("birth_details") or {}
        if err.outcome_unknown:
            return outcome_unknown(dispatcher, birth_change_menu=False)
        if is_retryable(err):
            return self.agency_unavailable(dispatcher, birth_change_menu=False)
        fix_one: Dict[str, Tuple[str, str]] = {  # looked up with err.code, a str (Code is a str)
            Code.NAME_INVALID: ("birth_child_name", "utter_birth_name_refused"),
            Code.ETHNIC_NAME_INVALID: ("birth_ethnic_name", "utter_birth_ethnic_name_invalid"),
            Code.DIALECT_INVALID: ("birth_dialects", "utter_birth_dialect_invalid"),
        }
        if err.code in fix_one:
            slot, response = fix_one[err.code]
            dispatcher.utter_message(response=response, max=birth_rules.ETHNIC_NAME_MAX)
            return {slot: None, "confirm_submission": None, "birth_change_menu": False}
        if err.code == Code.REGISTRATION_LATE:
            dispatcher.utter_message(response="utter_birth_registration_late",
                                     date_of_birth=birth_date(details.get("date_of_birth"), lang),
                                     deadline=birth_date(err.problem.get("deadline") or details.get("deadline"), lang))
        elif err.code == Code.ALREADY_REGISTERED:
            dispatcher.utter_message(response="utter_birth_already_registered",
                                     reference=err.problem.get("registration_reference") or NONE)
        elif err.code in (Code.NOTIFICATION_MISMATCH, Code.MARITAL_STATUS_MISMATCH, Code.FATHER_REQUIRED,
                          Code.NOTIFICATION_NOT_FOUND, Code.VALIDATION_FAILED):
            dispatcher.utter_message(response="utter_birth_details_mismatch")
        else:
            report_agency_error(dispatcher, err)
        return {"confirm_submission": None, "journey_aborted": True, "requested_slot": None}
