"""Birth registration's questions asked by actions (one button per baby, the summary in the user's language) and
what happens after the form: ICA's answer shown, the journey's slots cleared, questions about registering answered.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.birth_registration.answers import TOPIC_RESPONSES, birth_date, question_topic, sex_label
from actions.birth_registration.form import FORM, JOURNEY_SLOTS, summary_values
from actions.shared.tracker import latest_intent
from moments.text.formatting import format_time
from moments.text.languages import language_of


# -- questions asked by actions (dynamic buttons, a summary in the user's language) ----------------------------------
def notification_title(n: Dict[str, Any], listed: List[Dict[str, Any]], lang: str) -> str:
    """"Girl · 23 Nov 2026 · KKH"; twins (same sex, day and hospital) also get their time of birth, and the eNLB
    number when even that is the same, so no two buttons read alike."""
    title = f"{sex_label(n['sex'], lang)} · {birth_date(n['date_of_birth'], lang)} · {n['hospital_code']}"
    same = [m for m in listed if (m["sex"], m["date_of_birth"], m["hospital_code"]) ==
            (n["sex"], n["date_of_birth"], n["hospital_code"])]
    if len(same) > 1 and n.get("time_of_birth"):
        born = "{}T{}".format(n["date_of_birth"], n["time_of_birth"])  # Singapore time, as the hospital wrote it
        title += f" · {format_time(born, lang)}"
    if len([m for m in same if m.get("time_of_birth") == n.get("time_of_birth")]) > 1:
        title += f" · {n['enlb']}"
    return title


class ActionAskBirthNotification(Action):
    """One button per baby the hospitals notified ICA about; the payload is the eNLB number."""

    def name(self) -> Text:
        return "action_ask_birth_notification"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        lang = language_of(tracker)
        listed = tracker.get_slot("birth_notifications") or []
        buttons = [{"title": notification_title(n, listed, lang), "payload": n["enlb"]} for n in listed]
        dispatcher.utter_message(response="utter_ask_birth_notification", buttons=buttons)
        return []


class ActionAskBirthConfirmSubmission(Action):
    """The summary with Yes / Change / Cancel, or, after "change" without a field, the list of fields."""

    def name(self) -> Text:
        return f"action_ask_{FORM}_confirm_submission"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if tracker.get_slot("birth_change_menu"):
            dispatcher.utter_message(response="utter_ask_birth_field_to_change")
        else:
            dispatcher.utter_message(response="utter_birth_registration_summary", **summary_values(tracker))
        return []


# -- after the form, and when it is stopped -------------------------------------------------------------------------------
def reset_events() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in JOURNEY_SLOTS]


class ActionResetBirthRegistration(Action):
    def name(self) -> Text:
        return "action_reset_birth_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        return reset_events()


class ActionFinishBirthRegistration(Action):
    """Shows ICA's answer (reference, fee, certificate link) and clears the journey; `birth_registered` lets the
    rules offer the Baby Bonus next."""

    def name(self) -> Text:
        return "action_finish_birth_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        result = tracker.get_slot("birth_registration_result")
        if not result:
            return reset_events() + [SlotSet("birth_registered", False)]
        lang = language_of(tracker)
        values = {**result, "expires": birth_date(result["expires"], lang)}
        if tracker.get_latest_input_channel() == "sms" and result.get("short_url"):
            values["url"] = result["short_url"]  # by SMS the short link: 24 characters instead of ~100
        values.pop("short_url", None)
        dispatcher.utter_message(response="utter_birth_registered", **values)
        return reset_events() + [SlotSet("birth_registered", True), SlotSet("birth_registered_child", result["child_name"])]


BABY_BONUS_WORDS = ("bonus", "cda", "cash gift", "first step", "fsg", "matching", "花红", "花紅", "户头", "戶頭", "津贴",
                    "津貼", "配对", "配對", "现金礼物", "hadiah tunai", "geran", "போனஸ்", "ரொக்க")


VACCINE_WORDS = ("vaccin", "jab", "inject", "immunis", "immuniz", "shot", "疫苗", "打针", "打針", "接种", "vaksin",
                 "suntik", "cucuk", "imunisasi", "தடுப்பூசி", "ஊசி", "thadupoosi", "oosi")
# Side questions the classifier may give a loosely asked registration fee to: their answer, and the words that make
# them really about that topic.
SIDE_QUESTIONS = {"ask_baby_bonus": ("utter_baby_bonus_info", BABY_BONUS_WORDS),
                  "ask_vaccination_schedule": ("utter_vaccination_info", VACCINE_WORDS)}


class ActionAnswerBirthRegistration(Action):
    """Answers the question asked (deadline, fee, documents, unmarried parents, certificate, late) from the facts;
    with a baby chosen, the deadline is that baby's. Anything else: the overview. Inside the form it also answers
    what the classifier took for a Baby Bonus question: the Baby Bonus facts, unless it asks what registering costs."""

    def name(self) -> Text:
        return "action_answer_birth_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        topic = question_topic(text)
        side = SIDE_QUESTIONS.get(latest_intent(tracker) or "")
        if side and (topic != "fee" or any(word in text.lower() for word in side[1])):
            # a Baby Bonus or vaccination question inside the form; "need to pay how much ah" is registration's fee
            dispatcher.utter_message(response=side[0])
            return []
        details = tracker.get_slot("birth_details")
        if topic == "deadline" and details:
            lang = language_of(tracker)
            dispatcher.utter_message(response="utter_birth_info_deadline_for_baby",
                                     date_of_birth=birth_date(details["date_of_birth"], lang),
                                     deadline=birth_date(details["deadline"], lang),
                                     days_left=max(0, int(details.get("days_left") or 0)))
        else:
            dispatcher.utter_message(response=TOPIC_RESPONSES.get(topic or "", "utter_birth_registration_info"))
        return []
