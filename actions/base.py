"""One base class for every journey form: bookkeeping of failed tries, yes/no, identity, agency calls."""
from __future__ import annotations

import abc
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.common import Identity, identify, latest_intent

YES_WORDS = {"yes", "y", "ya", "yah", "yeah", "yep", "ok", "okay", "sure", "confirm", "correct", "boleh", "betul",
             "setuju", "好", "好的", "是", "是的", "对", "可以", "确认", "சரி", "ஆம்", "ஆமா", "உறுதி"}
NO_WORDS = {"no", "n", "nope", "nah", "tak", "tidak", "bukan", "tak nak", "不", "不是", "不要", "不用", "否",
            "இல்லை", "இல்ல", "வேண்டாம்"}
SKIP_WORDS = {"skip", "none", "no", "nil", "na", "n/a", "-", "tiada", "takde", "tak ada", "langkau", "跳过", "没有",
              "不用", "无", "இல்லை", "தவிர்", "வேண்டாம்"}


def normalise_answer(text: Optional[str]) -> str:
    return re.sub(r"[\s.!?,。！？，]+$", "", (text or "").strip().lower())


class MomentsFormValidation(FormValidationAction):
    """Counts failed attempts per slot; after MAX_TRIES offers a person instead of asking again."""

    MAX_TRIES = 3

    @abc.abstractmethod
    def name(self) -> Text:
        """validate_<form name>; abstract, so the action server does not register this base class."""

    # -- bookkeeping -------------------------------------------------------------------------------------------
    def reject(self, slot: str, response: str, dispatcher: CollectingDispatcher, tracker: Tracker,
               **kwargs: Any) -> Dict[Text, Any]:
        tries = dict(tracker.get_slot("failed_tries") or {})
        tries[slot] = tries.get(slot, 0) + 1
        dispatcher.utter_message(response=response, **kwargs)
        if tries[slot] >= self.MAX_TRIES:
            dispatcher.utter_message(response="utter_offer_handoff")
        return {slot: None, "failed_tries": tries}

    def accept(self, slot: str, value: Any, tracker: Tracker, **more: Any) -> Dict[Text, Any]:
        tries = dict(tracker.get_slot("failed_tries") or {})
        tries.pop(slot, None)
        return {slot: value, "failed_tries": tries, **more}

    # -- interpreting answers ----------------------------------------------------------------------------------
    @staticmethod
    def yes_or_no(tracker: Tracker, text: Optional[str]) -> Optional[bool]:
        """True / False for a yes/no answer in any language (intent, button payload or words); else None."""
        intent = latest_intent(tracker)
        answer = normalise_answer(text)
        if answer in ("/affirm",) or (intent == "affirm" and answer not in NO_WORDS):
            return True
        if answer in ("/deny",) or intent == "deny":
            return False
        if answer in YES_WORDS:
            return True
        if answer in NO_WORDS:
            return False
        return None

    @staticmethod
    def is_skip(text: Optional[str]) -> bool:
        return normalise_answer(text) in SKIP_WORDS or normalise_answer(text) == "/deny"

    # -- identity ----------------------------------------------------------------------------------------------
    async def identity(self, tracker: Tracker) -> Identity:
        return await identify(tracker)

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Text]:
        """SMS users confirm who they are once (last 4 characters of their NRIC) before anything is submitted.

        A journey the user declined (no MyInfo consent) needs nothing more: the form then ends.
        """
        if tracker.get_slot("journey_aborted"):
            return []
        # A form may list sms_identity_confirmed in the domain (Rasa's validator wants every slot mapped to a form
        # among its required_slots); it is asked on the sms channel only.
        slots = [slot for slot in domain_slots if slot != "sms_identity_confirmed"]
        if tracker.get_latest_input_channel() == "sms" and "confirm_submission" in slots \
                and tracker.get_slot("sms_identity_confirmed") is not True:  # an unchecked answer is text
            slots.insert(slots.index("confirm_submission"), "sms_identity_confirmed")
        return slots

    # -- slots every journey shares ------------------------------------------------------------------------------
    def validate_myinfo_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: Dict) -> Dict[Text, Any]:
        if value is True:  # given earlier in the conversation: validated again when a form starts prefilled
            return self.accept("myinfo_consent", True, tracker)
        answer = self.yes_or_no(tracker, value)
        if answer is True:
            return self.accept("myinfo_consent", True, tracker)
        if answer is False:
            # Without MyInfo the journey cannot be prefilled; stop the form politely (the rule says what next).
            dispatcher.utter_message(response="utter_consent_declined")
            return {"myinfo_consent": None, "requested_slot": None, "journey_aborted": True}
        return self.reject("myinfo_consent", "utter_please_answer_yes_no", dispatcher, tracker)

    async def validate_sms_identity_confirmed(self, value: Any, dispatcher: CollectingDispatcher,
                                              tracker: Tracker, domain: Dict) -> Dict[Text, Any]:
        from actions.common import agencies, call  # local: keeps the import graph flat
        from moments.agencies.client import AgencyError

        if value is True:  # confirmed earlier in the conversation (prefilled when a form starts)
            return self.accept("sms_identity_confirmed", True, tracker)
        identity = await self.identity(tracker)
        answer = re.sub(r"\s+", "", str(value or "")).upper()
        try:
            person = await call(agencies().myinfo.person, identity.token)
        except AgencyError:
            dispatcher.utter_message(response="utter_agency_unavailable")
            return {"sms_identity_confirmed": None}
        if len(answer) >= 4 and person["nric"].upper().endswith(answer[-4:]):
            return self.accept("sms_identity_confirmed", True, tracker)
        return self.reject("sms_identity_confirmed", "utter_sms_identity_wrong", dispatcher, tracker)
