"""Baby Bonus (MSF): what this family gets, and joining the scheme.

ask_baby_bonus    logged in: baby_bonus_info_form (MyInfo consent, asked once) → action_explain_baby_bonus: the
                  youngest child's amounts (or the child the user names or picks) from MSF's
                  /children/{id}/baby-bonus — birth order, cash gift and its payment schedule, CDA First Step Grant,
                  co-matching cap, whether they joined. Not logged in: the general facts and how to log in (rules).
apply_baby_bonus  baby_bonus_form: MyInfo consent → child (MyInfo children without an application) → bank → account
                  number (the agency's per-bank lengths) → CDA trustee (default: the applicant) → summary, where the
                  user may correct any answer in free text → POST with an Idempotency-Key → action_finish_baby_bonus
                  shows the BB-… reference and resets the journey.

Every word the user sees is a response in domain/baby_bonus.yml; this module only passes values (names, amounts,
dates formatted for the conversation's language).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.baby_bonus.answers import (
    FIELD_BY_NUMBER, account_digits, account_problem, corrections_with_values, current_child, field_only, join_or,
    parse_bank, parse_corrections, parse_trustee,
)
from actions.shared.agency import agencies, call, idempotency_key, outcome_unknown, report_agency_error
from actions.shared.answers import match_person, pick_by_number
from actions.shared.form import JourneyForm, MomentsFormValidation, is_retryable
from actions.shared.tracker import answered_just_before, form_start_text, latest_intent
from moments.agency_client.client import AgencyError
from moments.agency_client.codes import Code
from moments.rules.baby_bonus import ACCOUNT_LENGTHS, BANKS  # the agency's own rules: one place for them
from moments.text.formatting import format_date, join_list
from moments.text.languages import language_of
from moments.text.normalise import fold

logger = logging.getLogger(__name__)

JOURNEY = "baby_bonus"
# Slots this journey owns; cleared when it ends (stop, handoff, done). bb_reference stays: the last application.
JOURNEY_SLOTS = ("bb_family", "bb_child", "bb_bank", "bb_account", "bb_trustee", "bb_correcting", "bb_result",
                 "confirm_submission", "failed_tries", "journey_aborted")
ABORT = {"journey_aborted": True, "requested_slot": None}


# -- the family, from the agencies --------------------------------------------------------------------------------
def _born_key(child: Dict[str, Any]) -> Tuple[str, str]:
    return (str(child.get("date_of_birth")), str(child.get("time_of_birth") or ""))


async def load_family(token: str) -> Dict[str, Any]:
    """The applicant and their children (youngest first) with each child's Baby Bonus position; for the children
    who can still join, the child's other parent (a possible CDA trustee) from the child's MyInfo profile."""
    person = await call(agencies().myinfo.person, token)
    kids = sorted(person.get("children") or [], key=_born_key, reverse=True)
    positions = await asyncio.gather(*(call(agencies().msf.baby_bonus, token, kid["id"]) for kid in kids))
    children = []
    for kid, bb in zip(kids, positions):
        children.append({
            "id": kid["id"], "name": kid["name"], "date_of_birth": kid["date_of_birth"],
            "birth_certificate_number": kid.get("birth_certificate_number"), "birth_order": bb.get("birth_order"),
            "eligible": bool(bb.get("eligible")), "reasons": list(bb.get("reasons") or []),
            "apply_by": bb.get("apply_by"), "reference": (bb.get("application") or {}).get("reference"),
        })
    can_join = [c for c in children if c["eligible"] and not c["reference"]]
    profiles = await asyncio.gather(*(call(agencies().myinfo.person_by_nric, token, c["birth_certificate_number"])
                                      for c in can_join))
    for child, profile in zip(can_join, profiles):
        parents = [p for p in (profile.get("mother"), profile.get("father")) if p]
        other = next((p for p in parents if p.get("id") != person["id"]), None)
        child["other_parent"] = {"name": other["name"], "nric": other["nric"]} if other else None
    return {"applicant": {"id": person["id"], "name": person["name"], "nric": person["nric"]}, "children": children}


def can_join(family: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [c for c in (family or {}).get("children", []) if c["eligible"] and not c.get("reference")]


def trustee_of(family: Dict[str, Any], child: Optional[Dict[str, Any]], role: Optional[str]) -> Optional[Dict]:
    if role == "other_parent":
        return (child or {}).get("other_parent")
    if role == "applicant":
        return family["applicant"]
    return None


def not_eligible_response(reasons: Sequence[str]) -> str:
    if "child_not_citizen" in reasons:
        return "utter_baby_bonus_not_citizen"
    return "utter_baby_bonus_window_closed"


def utter_not_eligible(dispatcher: CollectingDispatcher, child: Dict[str, Any], lang: str) -> None:
    dispatcher.utter_message(response=not_eligible_response(child.get("reasons") or []), child_name=child["name"],
                             apply_by=format_date(child["apply_by"], lang) if child.get("apply_by") else "")


def reset_events(keep_reference: bool = True) -> List[Dict[Text, Any]]:
    events = [SlotSet(slot, None) for slot in JOURNEY_SLOTS]
    if not keep_reference:
        events.append(SlotSet("bb_reference", None))
    return events


# -- ask_baby_bonus ---------------------------------------------------------------------------------------------------
class ValidateBabyBonusInfoForm(MomentsFormValidation):
    """One question, asked once per conversation: may I use MyInfo to answer about your own children?"""

    def name(self) -> Text:
        return "validate_baby_bonus_info_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: Dict) -> List[Text]:
        # bb_info_consent holds the raw answer until validated (True / False): only a validated one skips the question.
        if tracker.get_slot("myinfo_consent") is True or isinstance(tracker.get_slot("bb_info_consent"), bool) \
                or tracker.get_slot("journey_aborted"):
            return []
        return ["bb_info_consent"]

    def validate_bb_info_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: Dict) -> Dict[Text, Any]:
        if isinstance(value, bool):  # asked earlier in the conversation
            return {"bb_info_consent": value}
        answer = self.yes_or_no(tracker, value)
        if answer is True:
            return self.accept("bb_info_consent", True, tracker, myinfo_consent=True)
        if answer is False:
            return self.accept("bb_info_consent", False, tracker)
        return self.reject("bb_info_consent", "utter_please_answer_yes_no", dispatcher, tracker)


# -- apply_baby_bonus ------------------------------------------------------------------------------------------------
class ValidateBabyBonusForm(JourneyForm):
    SLOTS = JOURNEY_SLOTS

    def name(self) -> Text:
        return "validate_baby_bonus_form"

    # consent → load the family and prefill what needs no question ------------------------------------------------
    async def validate_myinfo_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: Dict) -> Dict[Text, Any]:
        result = await super().validate_myinfo_consent(value, dispatcher, tracker, domain)
        if result.get("myinfo_consent") is not True or tracker.get_slot("bb_family"):
            return result
        return {**result, **await self.start(dispatcher, tracker)}

    async def start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        lang = language_of(tracker)
        identity = await self.identity(tracker)
        if not identity.known or identity.token is None:
            dispatcher.utter_message(response="utter_login_required")
            return dict(ABORT)
        try:
            family = await load_family(identity.token)
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            return dict(ABORT)
        children = family["children"]
        joinable = can_join(family)
        applied = [c for c in children if c.get("reference")]
        listed = join_list((f"{c['name']} ({c['reference']})" for c in applied), lang)
        if not children:
            dispatcher.utter_message(response="utter_baby_bonus_apply_no_children")
            return dict(ABORT)
        if not joinable:
            if len(applied) == len(children):
                dispatcher.utter_message(response="utter_baby_bonus_all_applied", children=listed)
            else:
                for child in children:
                    if not child.get("reference"):
                        utter_not_eligible(dispatcher, child, lang)
                if applied:
                    dispatcher.utter_message(response="utter_baby_bonus_children_already_applied", children=listed)
            return dict(ABORT)
        slots: Dict[Text, Any] = {"bb_family": family, "bb_reference": None, "bb_result": None, "bb_correcting": None}
        # What the first message already said: "apply baby bonus for Kavya, with OCBC" (or "ok, for Kavya", the yes to
        # the offer to apply that started the form).
        said = form_start_text(tracker, "baby_bonus_form", "apply_baby_bonus")
        named = match_person(said, children)
        if named is None and answered_just_before(tracker, "action_explain_baby_bonus"):
            # "apply" right after the answer about one child: that child
            named = next((c for c in children if c["id"] == tracker.get_slot("bb_explained_child")), None)
        child = named if named in joinable else (joinable[0] if len(joinable) == 1 else None)
        if named is not None and named.get("reference"):
            dispatcher.utter_message(response="utter_baby_bonus_already_applied", child_name=named["name"],
                                     reference=named["reference"])
        elif child is None and applied:  # "which child?" comes next: say who is already in the scheme
            dispatcher.utter_message(response="utter_baby_bonus_children_already_applied", children=listed)
        if child is not None:
            slots.update(self.choose_child(child))
        bank = parse_bank(said)
        if bank:
            slots["bb_bank"] = bank
        return slots

    @staticmethod
    def choose_child(child: Dict[str, Any]) -> Dict[Text, Any]:
        # With no other parent in MyInfo the applicant is the only possible trustee: nothing to ask.
        return {"bb_child": child["id"], "bb_trustee": None if child.get("other_parent") else "applicant"}

    # child ---------------------------------------------------------------------------------------------------------
    def validate_bb_child(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: Dict) -> Dict[Text, Any]:
        family = tracker.get_slot("bb_family") or {}
        joinable = can_join(family)
        text = fold(value).strip()
        child = current_child(family, value)
        if child is None and (number := pick_by_number(text, len(joinable))) is not None:
            child = joinable[number]
        if child is None:
            child = match_person(text, family.get("children") or [])
        if child is None:
            return self.reject("bb_child", "utter_bb_child_unknown", dispatcher, tracker)
        if child.get("reference"):
            return self.reject("bb_child", "utter_baby_bonus_already_applied", dispatcher, tracker,
                               child_name=child["name"], reference=child["reference"])
        if not child["eligible"]:
            lang = language_of(tracker)
            return self.reject("bb_child", not_eligible_response(child["reasons"]), dispatcher, tracker,
                               child_name=child["name"], apply_by=format_date(child["apply_by"], lang))
        choice = self.choose_child(child)
        return self.accept("bb_child", choice.pop("bb_child"), tracker, **choice)

    # bank and account ------------------------------------------------------------------------------------------------
    def validate_bb_bank(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: Dict) -> Dict[Text, Any]:
        text = fold(value).strip()
        number = pick_by_number(text, len(BANKS))
        bank = BANKS[number] if number is not None else parse_bank(text)
        if bank is None:
            return self.reject("bb_bank", "utter_bb_bank_unknown", dispatcher, tracker)
        return self.accept("bb_bank", bank, tracker, **self.recheck_account(bank, dispatcher, tracker))

    @staticmethod
    def recheck_account(bank: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """After a change of bank, an account number that no longer fits is asked again."""
        account = tracker.get_slot("bb_account")
        if account and account_problem(bank, account):
            dispatcher.utter_message(response="utter_bb_account_recheck", bank=bank,
                                     lengths=join_or(ACCOUNT_LENGTHS[bank], language_of(tracker)))
            return {"bb_account": None}
        return {}

    def validate_bb_account(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: Dict) -> Dict[Text, Any]:
        bank = tracker.get_slot("bb_bank") or BANKS[0]
        digits = account_digits(value)
        problem = account_problem(bank, digits)
        if problem == "not_digits" or digits is None:  # no digits is always "not_digits"
            return self.reject("bb_account", "utter_bb_account_not_digits", dispatcher, tracker, bank=bank)
        if problem == "length":
            return self.reject("bb_account", "utter_bb_account_wrong_length", dispatcher, tracker, bank=bank,
                               lengths=join_or(ACCOUNT_LENGTHS[bank], language_of(tracker)), count=len(digits))
        return self.accept("bb_account", digits, tracker)

    # CDA trustee ----------------------------------------------------------------------------------------------------
    def validate_bb_trustee(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: Dict) -> Dict[Text, Any]:
        family = tracker.get_slot("bb_family") or {}
        if value in ("applicant", "other_parent"):  # prefilled
            return {"bb_trustee": value}
        applicant = family.get("applicant") or {}
        other = (current_child(family, tracker.get_slot("bb_child")) or {}).get("other_parent")
        choice = parse_trustee(value, applicant, other)
        if choice is None:
            answer = self.yes_or_no(tracker, value)
            by_answer: Dict[Optional[bool], str] = {True: "applicant", False: "other_parent"}
            choice = by_answer.get(answer)
        if choice == "other_parent" and not other:
            dispatcher.utter_message(response="utter_bb_trustee_only_parent", applicant=applicant.get("name", ""))
            return self.accept("bb_trustee", "applicant", tracker)
        if choice is None:
            return self.reject("bb_trustee", "utter_bb_trustee_unknown", dispatcher, tracker,
                               applicant=applicant.get("name", ""), other_parent=(other or {}).get("name", ""))
        return self.accept("bb_trustee", choice, tracker)

    # summary: yes submits; no or a correction changes an answer -----------------------------------------------------
    async def validate_confirm_submission(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: Dict) -> Dict[Text, Any]:
        family = tracker.get_slot("bb_family") or {}
        text = fold(value).strip()
        if tracker.get_slot("bb_correcting"):
            if text in FIELD_BY_NUMBER:
                return self.correct([(FIELD_BY_NUMBER[text], None)], dispatcher, tracker)
            corrections = parse_corrections(text, family, tracker.get_slot("bb_child"))
            if corrections:
                return self.correct(corrections, dispatcher, tracker)
            if self.yes_or_no(tracker, value) is not None:  # "no, nothing" / "ok": back to the summary
                return {"confirm_submission": None, "bb_correcting": None}
            return self.reject("confirm_submission", "utter_bb_confirm_unclear", dispatcher, tracker)
        corrections = corrections_with_values(text, family, tracker.get_slot("bb_child"))
        if corrections:
            return self.correct(corrections, dispatcher, tracker)
        answer = self.yes_or_no(tracker, value)
        if answer is True and latest_intent(tracker) != "correct_field":  # "yes, submit for my baby" is a yes
            return await self.submit(dispatcher, tracker)
        fields = field_only(text)
        if fields:
            return self.correct(fields, dispatcher, tracker)
        if answer is False:
            return {"confirm_submission": None, "bb_correcting": True}
        return self.reject("confirm_submission", "utter_bb_confirm_unclear", dispatcher, tracker)

    def correct(self, corrections: List[Tuple[str, Any]], dispatcher: CollectingDispatcher,
                tracker: Tracker) -> Dict[Text, Any]:
        """Applies corrections; a field without a (valid) value is asked again by the form, then the summary."""
        lang = language_of(tracker)
        family = tracker.get_slot("bb_family") or {}
        out: Dict[Text, Any] = {"confirm_submission": None, "bb_correcting": None}
        bank = tracker.get_slot("bb_bank")
        for field, value in corrections:
            if field == "bank":
                out["bb_bank"] = value
                if value:
                    bank = value
                    out.update(self.recheck_account(value, dispatcher, tracker))
            elif field == "account":
                if value and account_problem(bank, value):
                    dispatcher.utter_message(response="utter_bb_account_wrong_length", bank=bank,
                                             lengths=join_or(ACCOUNT_LENGTHS[bank], lang), count=len(value))
                    value = None
                out["bb_account"] = value
            elif field == "trustee":
                child = current_child(family, tracker.get_slot("bb_child")) or {}
                if value == "other_parent" and not child.get("other_parent"):
                    dispatcher.utter_message(response="utter_bb_trustee_only_parent",
                                             applicant=family["applicant"]["name"])
                    value = "applicant"
                out["bb_trustee"] = value
            elif field == "child":
                joinable = can_join(family)
                chosen = current_child(family, value)
                if chosen is not None and chosen.get("reference"):
                    dispatcher.utter_message(response="utter_baby_bonus_already_applied", child_name=chosen["name"],
                                             reference=chosen["reference"])
                elif chosen is not None and chosen in joinable:
                    out.update(self.choose_child(chosen))
                elif len(joinable) > 1:
                    out["bb_child"] = None
                else:
                    dispatcher.utter_message(response="utter_bb_child_fixed", child_name=joinable[0]["name"])
        return out

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        lang = language_of(tracker)
        family = tracker.get_slot("bb_family") or {}
        child = current_child(family, tracker.get_slot("bb_child"))
        trustee = trustee_of(family, child, tracker.get_slot("bb_trustee"))
        if child is None or trustee is None:  # cannot happen through the form; ask again rather than guess
            return {"bb_child": None if child is None else child["id"], "bb_trustee": None if trustee is None
                    else tracker.get_slot("bb_trustee"), "confirm_submission": None}
        identity = await self.identity(tracker)
        if not identity.known or identity.token is None:
            dispatcher.utter_message(response="utter_login_expired")
            return {"confirm_submission": None}
        body = {"child_id": child["id"], "bank": tracker.get_slot("bb_bank"),
                "bank_account_number": tracker.get_slot("bb_account"), "cda_trustee_nric": trustee["nric"]}
        key = idempotency_key(tracker, JOURNEY, body)  # same answers → same key: a retry never applies twice
        try:
            application = await call(agencies().msf.apply, identity.token, idempotency_key=key, **body)
        except AgencyError as err:
            return await self.refused(err, dispatcher, tracker, identity.token, child, lang)
        benefits = application.get("benefits") or {}
        schedule = (benefits.get("cash_gift") or {}).get("schedule") or []
        upcoming = [i for i in schedule if i["status"] == "upcoming"]
        result = {
            "reference": application["reference"], "child_name": application["child"]["name"],
            "bank": application["bank"], "account_masked": application["account_number_masked"],
            "trustee": application["cda_trustee"]["name"],
            "first_step_grant": (benefits.get("cda") or {}).get("first_step_grant", 0),
            "paid_amount": sum(i["amount"] for i in schedule if i["status"] == "paid"),
            "next_payment": {"amount": upcoming[0]["amount"], "due_on": upcoming[0]["due_on"]} if upcoming else None,
        }
        logger.info("baby bonus application %s submitted", application["reference"])
        return self.accept("confirm_submission", True, tracker, bb_reference=application["reference"], bb_result=result)

    async def refused(self, err: AgencyError, dispatcher: CollectingDispatcher, tracker: Tracker, token: str,
                      child: Dict[str, Any], lang: str) -> Dict[Text, Any]:
        """The agency's answer mapped to what the user can do; everything they entered is kept where it helps."""
        if err.outcome_unknown:
            return outcome_unknown(dispatcher)
        if is_retryable(err):
            return self.agency_unavailable(dispatcher)
        if err.code == Code.APPLICATION_EXISTS:
            reference = err.problem.get("application_reference")
            if not reference:  # "submitted a moment ago" (e.g. by the other parent): look it up
                try:
                    reference = ((await call(agencies().msf.baby_bonus, token, child["id"])).get("application")
                                 or {}).get("reference")
                except AgencyError:
                    reference = None
            dispatcher.utter_message(response="utter_baby_bonus_already_applied", child_name=child["name"],
                                     reference=reference or "")
            return dict(ABORT)
        if err.code == Code.NOT_ELIGIBLE:
            reasons = err.problem.get("reasons") or []
            dispatcher.utter_message(response=not_eligible_response(reasons), child_name=child["name"],
                                     apply_by=format_date(child["apply_by"], lang) if child.get("apply_by") else "")
            return dict(ABORT)
        if err.code == Code.BANK_ACCOUNT_INVALID:
            bank = tracker.get_slot("bb_bank")
            dispatcher.utter_message(response="utter_bb_account_wrong_length", bank=bank,
                                     lengths=join_or(ACCOUNT_LENGTHS.get(bank, ()), lang),
                                     count=len(tracker.get_slot("bb_account") or ""))
            return {"bb_account": None, "confirm_submission": None}
        if err.code == Code.CDA_TRUSTEE_INVALID:
            dispatcher.utter_message(response="utter_bb_trustee_rejected")
            return {"bb_trustee": None, "confirm_submission": None}
        report_agency_error(dispatcher, err)
        if err.code in (Code.TOKEN_EXPIRED, Code.TOKEN_INVALID, Code.TOKEN_MISSING):
            return {"confirm_submission": None}  # log in again, then "yes" submits what is kept
        return dict(ABORT)
