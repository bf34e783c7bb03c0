"""The journey-form base, once for every journey.

MomentsFormValidation: failed tries per slot (a person is offered after MAX_TRIES), yes/no in four languages, MyInfo
consent, the SMS date-of-birth check.
JourneyForm: stop words inside a form, a short answer the classifier took for a digression, and "the agency is
unavailable: keep every answer, 'yes' tries again".
"""
from __future__ import annotations

import abc
import re
import time
from datetime import date
from typing import Any, ClassVar, Dict, FrozenSet, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.shared.agency import Identity, identify
from actions.shared.tracker import latest_intent, latest_text
from moments.agency_client.client import AgencyError
from moments.agency_client.codes import RETRYABLE
from moments.text import vocab
from moments.text.normalise import FULL_WIDTH_DIGITS, normalise_answer
from moments.text.vocab import NO_WORDS, YES_WORDS



# The one-time check before an SMS submission: the texter's date of birth, as MyInfo holds it. Neither the demo
# page (`/api/people`: name and masked NRIC) nor the bot ever shows a parent's date of birth, and an elderly texter
# can type it with digits only. After SMS_CHECK_MAX_FAILURES wrong answers the check is locked for this
# conversation (= this phone number) for SMS_CHECK_LOCK_SECONDS: no answer is even compared, so it cannot be
# guessed, and the form stops with an offer of a person.
SMS_CHECK_MAX_FAILURES = 3
SMS_CHECK_LOCK_SECONDS = 24 * 3600
SMS_CHECK_SLOT = "sms_identity_failures"  # {"count": n, "since": unix time of the first failure}


def parse_birth_date(text: Any) -> Optional[date]:
    """A date of birth typed on a phone: 05031958, 5 3 1958, 05/03/1958, 5-3-1958, 5.3.1958 (day month year), or
    1958年3月5日 / 1958-03-05 (year first). None if it is not a real date."""
    groups = re.findall(r"\d+", str(text or "").translate(FULL_WIDTH_DIGITS))
    try:
        if len(groups) == 1 and len(groups[0]) == 8:
            g = groups[0]
            return date(int(g[4:]), int(g[2:4]), int(g[:2]))
        if len(groups) == 3 and len(groups[0]) == 4:
            return date(int(groups[0]), int(groups[1]), int(groups[2]))
        if len(groups) == 3 and len(groups[2]) == 4 and len(groups[0]) <= 2 and len(groups[1]) <= 2:
            return date(int(groups[2]), int(groups[1]), int(groups[0]))
    except ValueError:
        return None
    return None


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
        return vocab.is_skip(text)

    # -- identity ----------------------------------------------------------------------------------------------
    async def identity(self, tracker: Tracker) -> Identity:
        return await identify(tracker)

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Text]:
        """SMS users confirm who they are once (their date of birth) before anything is submitted.

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
    async def validate_myinfo_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
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
        """The texter's date of birth (see parse_birth_date) against MyInfo's; locked after 3 wrong answers."""
        from actions.shared.agency import agencies, call  # local: tests replace agencies() in that module

        if value is True:  # confirmed earlier in the conversation (prefilled when a form starts)
            return self.accept("sms_identity_confirmed", True, tracker)
        now = time.time()
        failures = dict(tracker.get_slot(SMS_CHECK_SLOT) or {})
        if failures and now - float(failures.get("since") or 0) > SMS_CHECK_LOCK_SECONDS:
            failures = {}
        if int(failures.get("count") or 0) >= SMS_CHECK_MAX_FAILURES:
            return self._sms_check_locked(dispatcher, tracker)
        identity = await self.identity(tracker)
        if not identity.known:  # the record of this message did not verify: nothing to compare against
            dispatcher.utter_message(response="utter_login_required")
            return {"sms_identity_confirmed": None, "requested_slot": None, "journey_aborted": True}
        try:
            person = await call(agencies().myinfo.person, identity.token)
        except AgencyError:
            dispatcher.utter_message(response="utter_agency_unavailable")
            return {"sms_identity_confirmed": None}
        typed = parse_birth_date(value)
        on_record = str(person.get("date_of_birth") or "")
        if typed is not None and on_record and typed.isoformat() == on_record[:10]:
            return self.accept("sms_identity_confirmed", True, tracker, **{SMS_CHECK_SLOT: None})
        failures = {"count": int(failures.get("count") or 0) + 1, "since": failures.get("since") or now}
        if failures["count"] >= SMS_CHECK_MAX_FAILURES:
            return {**self._sms_check_locked(dispatcher, tracker), SMS_CHECK_SLOT: failures}
        tries = dict(tracker.get_slot("failed_tries") or {})
        tries["sms_identity_confirmed"] = failures["count"]
        dispatcher.utter_message(response="utter_sms_identity_wrong")
        return {"sms_identity_confirmed": None, "failed_tries": tries, SMS_CHECK_SLOT: failures}

    def _sms_check_locked(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """Too many wrong answers: stop the journey politely (nothing is submitted) and offer a person."""
        dispatcher.utter_message(response="utter_sms_identity_locked")
        return {"sms_identity_confirmed": None, "requested_slot": None, "journey_aborted": True}


# Intents that interrupt a form (the domain's `not_intent` lists): a message classified as one of them fills no
# slot, unless the form sees that it plainly answers the question (JourneyForm.answers).
DIGRESSION_INTENTS: FrozenSet[str] = frozenset({
    "stop", "help", "human_handoff", "change_language", "ask_birth_registration", "ask_baby_bonus",
    "ask_vaccination_schedule",
})


def is_retryable(err: AgencyError) -> bool:
    """Trying the same request again later may work: an outage, or the same request still being processed."""
    return err.unavailable or err.code in RETRYABLE


class JourneyForm(MomentsFormValidation):
    """What every journey's form does the same way.

    - A bare stop word ("cancel", "取消", "batal", "ரத்து") while a question is open stops the journey, whatever the
      classifier made of it (cancel_appointment, a name): `stop`.
    - A message the classifier gave to a digression intent that plainly answers the open question ("宏茂桥" read as
      stop) is taken as the answer: override `answers`.
    - An agency that is unavailable, or still busy with the same request, keeps every answer; the summary is asked
      again and "yes" retries with the same idempotency key: `agency_unavailable`.
    """

    SLOTS: ClassVar[Tuple[str, ...]] = ()  # the journey's slots: cleared when it is stopped

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        asking = tracker.get_slot("requested_slot")
        intent, text = latest_intent(tracker), latest_text(tracker)
        if asking and intent != "stop" and vocab.is_stop(text):
            return [SlotSet(k, v) for k, v in self.stop(dispatcher).items()]
        if asking and intent in DIGRESSION_INTENTS and await self.answers(asking, text, tracker):
            tracker.add_slots([SlotSet(asking, text)])
        events = await self.before_validation_events(dispatcher, tracker, activating=not asking)
        return events + await super().run(dispatcher, tracker, domain)

    async def before_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       activating: bool) -> List[Dict[Text, Any]]:
        """Events before the answers are validated (a journey starting forgets an unfinished one, prefills)."""
        return []

    async def answers(self, slot: str, text: str, tracker: Tracker) -> bool:
        """Whether `text` unmistakably answers the question for `slot` although the classifier read a digression."""
        return False

    def stop(self, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        """Ends the journey from inside the form: nothing is submitted, its answers are forgotten."""
        dispatcher.utter_message(response="utter_journey_stopped")
        return {**{slot: None for slot in self.SLOTS}, "journey_aborted": True, "requested_slot": None}

    @staticmethod
    def agency_unavailable(dispatcher: CollectingDispatcher, **more: Any) -> Dict[Text, Any]:
        """Every answer is kept; the summary is shown again and "yes" submits the same request again."""
        dispatcher.utter_message(response="utter_agency_unavailable")
        return {"confirm_submission": None, **more}
