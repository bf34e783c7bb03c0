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
import re
import unicodedata
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import MomentsFormValidation
from actions.common import agencies, call, identify, idempotency_key, latest_intent, report_agency_error
from moments.text.formatting import format_date, join_list
from moments.text.fuzzy import edit_distance, one_typo_away
from moments.text.languages import language_of
from moments.text.normalise import fold, latin_words
from moments.text.vocab import NAME_PARTICLES
from moments.text.words import contains_any
from moments.rules.baby_bonus import ACCOUNT_LENGTHS  # the agency's own rule: one place for it
from moments.rules.baby_bonus import BANKS
from moments.agency_client.client import AgencyError
from moments.agency_client.codes import Code

logger = logging.getLogger(__name__)

JOURNEY = "baby_bonus"
# Slots this journey owns; cleared when it ends (stop, handoff, done). bb_reference stays: the last application.
JOURNEY_SLOTS = ("bb_family", "bb_child", "bb_bank", "bb_account", "bb_trustee", "bb_correcting", "bb_result",
                 "confirm_submission", "failed_tries", "journey_aborted")
ABORT = {"journey_aborted": True, "requested_slot": None}


# -- formatting values for the conversation's language (the sentences are in the domain) --------------------------
# Dates and lists: actions/formatting.py (shared by the journeys).
OR_WORD = {"en": " or ", "zh": "或", "ms": " atau ", "ta": " அல்லது "}


def money(amount: int) -> str:
    return f"${amount:,}"


def ordinal(n: int, lang: str) -> str:
    """The child's birth order as the domain's sentences expect it: 2nd / 第2个 / ke-2 / 2வது."""
    if lang == "zh":
        return f"第{n}个"
    if lang == "ms":
        return f"ke-{n}"
    if lang == "ta":
        return f"{n}வது"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join_or(items: Sequence[Any], lang: str) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + OR_WORD[lang] + items[-1]


# -- understanding answers ----------------------------------------------------------------------------------------
# Latin words (typos forgiven), phrases and other scripts (substrings) that name each bank.
BANK_WORDS = {"DBS/POSB": ("dbs", "posb"), "OCBC": ("ocbc",), "UOB": ("uob",)}
BANK_PHRASES = {
    "DBS/POSB": ("development bank of singapore", "post office savings", "星展", "邮政储蓄", "邮储", "டிபிஎஸ்",
                 "போஸ்பி"),
    "OCBC": ("oversea chinese banking", "oversea-chinese banking", "华侨银行", "华侨", "ஓசிபிசி"),
    "UOB": ("united overseas bank", "大华银行", "大华", "யூஓபி"),
}


def parse_bank(text: Any) -> Optional[str]:
    """'posb' / 'DBS/POSB' / '星展银行' / 'ocbs' (typo) → the agency's bank name; None when none or several."""
    folded = fold(text)
    found = {bank for bank, phrases in BANK_PHRASES.items() if any(p in folded for p in phrases)}
    for word in latin_words(folded):
        for bank, names in BANK_WORDS.items():
            for name in names:
                if one_typo_away(word, name):
                    found.add(bank)
    return found.pop() if len(found) == 1 else None


def account_digits(text: Any) -> Optional[str]:
    """The longest run of digits (spaces and dashes allowed inside): 'POSB 123-45678-9' → '123456789'."""
    runs = [re.sub(r"\D", "", r) for r in re.findall(r"\d[\d \-–]*\d|\d", fold(text))]
    return max(runs, key=len) if runs else None


def account_problem(bank: str, digits: Optional[str]) -> Optional[str]:
    """None when the number fits the bank (the agency's lengths), else 'not_digits' or 'length'."""
    if not digits:
        return "not_digits"
    if len(digits) not in ACCOUNT_LENGTHS.get(bank, ()):
        return "length"
    return None


def name_words(name: str) -> List[str]:
    return [w for w in latin_words(name) if w not in NAME_PARTICLES and len(w) >= 3]


def match_person(text: Any, people: Sequence[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The one person whose name the text mentions most ('Kavya', 'for adam pls'); None when unclear."""
    said = latin_words(text)
    if not said:
        return None
    scores = []
    for person in people:
        score = 0
        for word in name_words(person["name"]):
            if word in said or (len(word) >= 5 and any(edit_distance(word, s) <= 1 for s in said if len(s) >= 4)):
                score += 1
        scores.append(score)
    best = max(scores, default=0)
    if best == 0 or scores.count(best) > 1:
        return None
    return people[scores.index(best)]


SELF_WORDS = ("me", "myself", "mine", "我自己", "我本人", "本人", "是我", "我来", "saya sendiri", "diri saya",
              "kepada saya", "aku", "நானே", "என்னை", "நான்தான்")
SELF_ANSWERS = ("i", "me", "我", "saya", "நான்")  # alone, these mean "me"; inside a sentence they mean little
OTHER_PARENT_WORDS = ("wife", "husband", "spouse", "partner", "mother", "father", "mum", "mom", "mummy", "mommy",
                      "dad", "daddy", "hubby", "wifey", "太太", "老婆", "妻子", "先生", "老公", "丈夫", "爸爸", "妈妈",
                      "配偶", "爱人", "isteri", "suami", "pasangan", "ibu", "bapa", "ayah", "emak", "mak", "abah",
                      "மனைவி", "கணவர்", "கணவன்", "அம்மா", "அப்பா", "துணைவி", "துணைவர்")


def parse_trustee(text: Any, applicant: Dict[str, Any], other: Optional[Dict[str, Any]]) -> Optional[str]:
    """'applicant' or 'other_parent' from a name or a word ('my wife', '我太太', 'saya', 'நானே'); None if unclear."""
    folded = fold(text)
    people = [applicant] + ([other] if other else [])
    named = match_person(folded, people)
    if named is not None:
        return "applicant" if named is applicant else "other_parent"
    if other and other.get("nric") and other["nric"].casefold() in folded.replace(" ", ""):
        return "other_parent"
    if contains_any(folded, OTHER_PARENT_WORDS):
        return "other_parent"
    if contains_any(folded, SELF_WORDS) or re.sub(r"[\s.!?,。！？，]+", "", folded) in SELF_ANSWERS:
        return "applicant"
    return None


# Words that name a field of the summary, in the four languages.
FIELD_WORDS = {
    "trustee": ("trustee", "受托人", "托管人", "pemegang amanah", "amanah", "அறங்காவலர்", "அறங்காவலரை",
                "பொறுப்பாளர்"),
    "account": ("account", "acct", "acc", "ac", "akaun", "账号", "帐号", "户口", "账户", "帐户", "户头", "கணக்கு"),
    "bank": ("bank", "banks", "银行", "வங்கி"),
    "child": ("child", "baby", "kid", "son", "daughter", "孩子", "宝宝", "小孩", "儿子", "女儿", "anak", "bayi",
              "குழந்தை", "பிள்ளை", "மகன்", "மகள்"),
}
FIELD_BY_NUMBER = {"1": "bank", "2": "account", "3": "trustee", "4": "child"}


NRIC_IN_TEXT = re.compile(r"(?<![a-z0-9])[stfgm]\d{7}[a-z](?![a-z0-9])")


def parse_corrections(text: Any, family: Dict[str, Any], child_id: Optional[str]) -> List[Tuple[str, Any]]:
    """What a correction at the summary changes: [(field, value or None)], value None = ask again.

    'change bank to OCBC' → [('bank', 'OCBC')]; '户口号码改成 1234567890' → [('account', '1234567890')];
    'tukar pemegang amanah kepada isteri saya' → [('trustee', 'other_parent')]; 'வங்கியை மாற்று' → [('bank', None)].
    A value (a bank, an account number, a trustee, another child's name) comes first; `field_only` reports fields
    named without a value.
    """
    return corrections_with_values(text, family, child_id) or field_only(text)


def corrections_with_values(text: Any, family: Dict[str, Any], child_id: Optional[str]) -> List[Tuple[str, Any]]:
    folded = fold(text)
    out: List[Tuple[str, Any]] = []
    digits = account_digits(NRIC_IN_TEXT.sub(" ", folded))
    bank = parse_bank(folded)
    if bank:
        out.append(("bank", bank))
    if digits and len(digits) >= 6:
        out.append(("account", digits))
    if out:
        return out
    child = current_child(family, child_id)
    if contains_any(folded, FIELD_WORDS["trustee"]):
        other = child.get("other_parent") if child else None
        trustee = parse_trustee(folded, family["applicant"], other)
        return [("trustee", trustee)] if trustee else []
    named_child = match_person(folded, family.get("children") or [])
    if named_child is not None and (child is None or named_child["id"] != child["id"]):
        return [("child", named_child["id"])]
    return []


def field_only(text: Any) -> List[Tuple[str, Any]]:
    """'change the bank' → [('bank', None)]: the form asks that question again."""
    folded = fold(text)
    for field in ("trustee", "account", "bank", "child"):
        if contains_any(folded, FIELD_WORDS[field]):
            return [(field, None)]
    return []


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


def current_child(family: Optional[Dict[str, Any]], child_id: Optional[str]) -> Optional[Dict[str, Any]]:
    return next((c for c in (family or {}).get("children", []) if c["id"] == child_id), None)


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


def trigger_text(tracker: Tracker, intent: str) -> str:
    """The text of the latest user message with this intent ('apply baby bonus for Kavya with OCBC')."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and ((event.get("parse_data") or {}).get("intent") or {}).get("name") == intent:
            return event.get("text") or ""
    return ""


# -- what MSF says about one child, as responses --------------------------------------------------------------------
def benefit_messages(bb: Dict[str, Any], lang: str, offer_to_apply: bool = True) -> List[Tuple[str, Dict[str, Any]]]:
    """MSF's answer for one child → [(response, values)]: amounts and schedule, then joined or not (and how much is
    already due)."""
    child = bb["child"]
    name = child["name"]
    reasons = bb.get("reasons") or []
    application = bb.get("application")
    apply_by = format_date(bb["apply_by"], lang)
    if "child_not_citizen" in reasons:
        return [("utter_baby_bonus_not_citizen", {"child_name": name})]
    if "application_window_closed" in reasons and not application:
        return [("utter_baby_bonus_window_closed", {"child_name": name, "apply_by": apply_by})]
    cash, cda = bb["cash_gift"], bb["cda"]
    common = {"child_name": name, "date_of_birth": format_date(child["date_of_birth"], lang),
              "order": ordinal(bb["birth_order"], lang), "apply_by": apply_by,
              "first_step_grant": money(cda["first_step_grant"]), "co_matching_cap": money(cda["co_matching_cap"])}
    out: List[Tuple[str, Dict[str, Any]]] = []
    if cash["eligible"]:
        at = {i["age_months"]: money(i["amount"]) for i in cash["schedule"]}
        values = {**common, "cash_total": money(cash["total"]), "at_birth": at.get(0, ""), "at_6_months": at.get(6, ""),
                  "at_12_months": at.get(12, ""), "at_18_months": at.get(18, "")}
        if bb["scheme"]["id"] == "previous":
            out.append(("utter_baby_bonus_family_previous", {**values, "at_15_months": at.get(15, "")}))
        else:
            out.append(("utter_baby_bonus_family_current", values))
    elif cda["eligible"]:
        out.append(("utter_baby_bonus_family_cda_only", common))
    if application:
        out.append(("utter_baby_bonus_joined", {"child_name": name, "reference": application["reference"]}))
        upcoming = [i for i in cash["schedule"] if i["status"] == "upcoming"]
        if upcoming:
            out.append(("utter_baby_bonus_next_payment",
                        {"amount": money(upcoming[0]["amount"]), "due_on": format_date(upcoming[0]["due_on"], lang)}))
    elif offer_to_apply and bb.get("eligible"):
        due = sum(i["amount"] for i in cash["schedule"] if i["status"] == "due")
        if due:
            out.append(("utter_baby_bonus_not_joined_due", {"child_name": name, "due_amount": money(due)}))
        else:
            out.append(("utter_baby_bonus_not_joined", {"child_name": name}))
    return out


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


class ActionExplainBabyBonus(Action):
    """What THIS family gets, from MSF: the chosen child (a button), a child named in the question, the child being
    applied for, or else the youngest. Without a login or consent: the general facts."""

    def name(self) -> Text:
        return "action_explain_baby_bonus"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        events = [SlotSet("bb_info_child", None)]
        lang = language_of(tracker)
        identity = await identify(tracker)
        if not identity.known:
            dispatcher.utter_message(response="utter_baby_bonus_info")
            dispatcher.utter_message(response="utter_baby_bonus_login_for_personal")
            return events
        if tracker.get_slot("myinfo_consent") is not True:
            dispatcher.utter_message(response="utter_baby_bonus_info")
            return events
        try:
            person = await call(agencies().myinfo.person, identity.token)
            children = sorted(person.get("children") or [], key=_born_key, reverse=True)
            if not children:
                dispatcher.utter_message(response="utter_baby_bonus_no_children")
                dispatcher.utter_message(response="utter_baby_bonus_info")
                return events
            child = self.pick(tracker, children)
            bb = await call(agencies().msf.baby_bonus, identity.token, child["id"])
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            if err.unavailable:
                dispatcher.utter_message(response="utter_baby_bonus_info")
            return events
        applying = (tracker.active_loop or {}).get("name") == "baby_bonus_form"
        for response, values in benefit_messages(bb, lang, offer_to_apply=not applying):
            dispatcher.utter_message(response=response, **values)
        others = [c for c in children if c["id"] != child["id"]]
        if others:
            dispatcher.utter_message(response="utter_baby_bonus_other_children", buttons=[
                {"title": c["name"], "payload": '/ask_baby_bonus{"baby_bonus_child": "%s"}' % c["id"]} for c in others])
        return events

    @staticmethod
    def pick(tracker: Tracker, children: List[Dict[str, Any]]) -> Dict[str, Any]:
        by_id = {c["id"]: c for c in children}
        for child_id in (tracker.get_slot("bb_info_child"), tracker.get_slot("bb_child")):
            if child_id in by_id:
                return by_id[child_id]
        named = match_person(trigger_text(tracker, "ask_baby_bonus"), children)
        return named or children[0]


# -- apply_baby_bonus ------------------------------------------------------------------------------------------------
class ValidateBabyBonusForm(MomentsFormValidation):
    def name(self) -> Text:
        return "validate_baby_bonus_form"

    # consent → load the family and prefill what needs no question ------------------------------------------------
    async def validate_myinfo_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: Dict) -> Dict[Text, Any]:
        result = super().validate_myinfo_consent(value, dispatcher, tracker, domain)
        if result.get("myinfo_consent") is not True or tracker.get_slot("bb_family"):
            return result
        return {**result, **await self.start(dispatcher, tracker)}

    async def start(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        lang = language_of(tracker)
        identity = await self.identity(tracker)
        if not identity.known:
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
        # What the first message already said: "apply baby bonus for Kavya, with OCBC".
        said = trigger_text(tracker, "apply_baby_bonus")
        named = match_person(said, children)
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
        if child is None and text.isdigit():
            child = joinable[int(text) - 1] if 1 <= int(text) <= len(joinable) else None
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
        bank = BANKS[int(text) - 1] if text in ("1", "2", "3") else parse_bank(text)
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
        if problem == "not_digits":
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
            choice = {True: "applicant", False: "other_parent"}.get(answer)
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
        if not identity.known:
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
        if err.unavailable or err.code == Code.IDEMPOTENCY_IN_PROGRESS:
            dispatcher.utter_message(response="utter_agency_unavailable")
            return {"confirm_submission": None}
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


class ActionAskBbChild(Action):
    def name(self) -> Text:
        return "action_ask_bb_child"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        lang = language_of(tracker)
        buttons = [{"title": f"{c['name']} ({format_date(c['date_of_birth'], lang)})", "payload": str(i)}
                   for i, c in enumerate(can_join(tracker.get_slot("bb_family")), start=1)]
        dispatcher.utter_message(response="utter_ask_bb_child", buttons=buttons)
        return []


class ActionAskBbTrustee(Action):
    def name(self) -> Text:
        return "action_ask_bb_trustee"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        family = tracker.get_slot("bb_family") or {}
        child = current_child(family, tracker.get_slot("bb_child")) or {}
        dispatcher.utter_message(response="utter_ask_bb_trustee", child_name=child.get("name", ""),
                                 applicant=(family.get("applicant") or {}).get("name", ""),
                                 other_parent=(child.get("other_parent") or {}).get("name", ""))
        return []


class ActionAskBabyBonusConfirmSubmission(Action):
    """The summary with Yes/No; after a "no", the question what to change."""

    def name(self) -> Text:
        return "action_ask_baby_bonus_form_confirm_submission"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        family = tracker.get_slot("bb_family") or {}
        if tracker.get_slot("bb_correcting"):
            several = len(can_join(family)) > 1
            dispatcher.utter_message(response="utter_baby_bonus_what_to_change_child" if several
                                     else "utter_baby_bonus_what_to_change")
            return []
        child = current_child(family, tracker.get_slot("bb_child")) or {}
        trustee = trustee_of(family, child, tracker.get_slot("bb_trustee")) or {}
        dispatcher.utter_message(response="utter_baby_bonus_summary", child_name=child.get("name", ""),
                                 bank=tracker.get_slot("bb_bank"), account=tracker.get_slot("bb_account"),
                                 trustee=trustee.get("name", ""))
        return []


class ActionFinishBabyBonus(Action):
    """After the form: the reference and what happens next (when submitted); then the journey's slots are cleared."""

    def name(self) -> Text:
        return "action_finish_baby_bonus"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        result = tracker.get_slot("bb_result")
        if result and tracker.get_slot("confirm_submission") is True:
            lang = language_of(tracker)
            dispatcher.utter_message(
                response="utter_baby_bonus_submitted", child_name=result["child_name"],
                reference=result["reference"], bank=result["bank"], account_masked=result["account_masked"],
                trustee=result["trustee"], first_step_grant=money(result["first_step_grant"]))
            if result.get("paid_amount"):
                dispatcher.utter_message(response="utter_baby_bonus_payments_started",
                                         paid_amount=money(result["paid_amount"]))
            if result.get("next_payment"):
                dispatcher.utter_message(response="utter_baby_bonus_next_payment",
                                         amount=money(result["next_payment"]["amount"]),
                                         due_on=format_date(result["next_payment"]["due_on"], lang))
        return reset_events()


class ActionResetBabyBonus(Action):
    """Stop or handoff in the middle of the journey: nothing was submitted; forget the answers."""

    def name(self) -> Text:
        return "action_reset_baby_bonus"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return reset_events()
