"""Baby Bonus actions outside the form's validation: what MSF says about this family's child (amounts, schedule,
joined or not), the questions asked with data (children as buttons, the summary) and the result after the form.
Every sentence is a response in domain/baby_bonus.yml; these pass values only."""
from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.baby_bonus.answers import current_child, money, ordinal
from actions.baby_bonus.form import _born_key, can_join, reset_events, trustee_of
from actions.shared.agency import agencies, call, identify, report_agency_error
from actions.shared.answers import child_titles, match_person
from actions.shared.tracker import trigger_text
from moments.agency_client.client import AgencyError
from moments.text.formatting import format_date
from moments.text.languages import language_of


# -- what MSF says about one child, as responses --------------------------------------------------------------------
# The answers that end with "I can apply with you now": a yes right after one of them means "apply".
OFFERS_TO_APPLY = ("utter_baby_bonus_not_joined", "utter_baby_bonus_not_joined_due")


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


class ActionExplainBabyBonus(Action):
    """What THIS family gets, from MSF: the chosen child (a button), a child named in the question, the child being
    applied for, or else the youngest. Without a login or consent: the general facts."""

    def name(self) -> Text:
        return "action_explain_baby_bonus"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        events = [SlotSet("bb_info_child", None), SlotSet("bb_apply_offered", False)]
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
        events.append(SlotSet("bb_explained_child", child["id"]))
        applying = (tracker.active_loop or {}).get("name") == "baby_bonus_form"
        for response, values in benefit_messages(bb, lang, offer_to_apply=not applying):
            dispatcher.utter_message(response=response, **values)
            if response in OFFERS_TO_APPLY:
                events.append(SlotSet("bb_apply_offered", True))
        others = [c for c in children if c["id"] != child["id"]]
        if others:
            titles = dict(zip((c["id"] for c in children), child_titles(children, lang)))
            dispatcher.utter_message(response="utter_baby_bonus_other_children", buttons=[
                {"title": titles[c["id"]], "payload": '/ask_baby_bonus{"baby_bonus_child": "%s"}' % c["id"]}
                for c in others])
        return events

    @staticmethod
    def pick(tracker: Tracker, children: List[Dict[str, Any]]) -> Dict[str, Any]:
        by_id = {c["id"]: c for c in children}
        for child_id in (tracker.get_slot("bb_info_child"), tracker.get_slot("bb_child")):
            if child_id in by_id:
                return by_id[child_id]
        named = match_person(trigger_text(tracker, "ask_baby_bonus"), children)
        return named or children[0]


class ActionAskBbChild(Action):
    def name(self) -> Text:
        return "action_ask_bb_child"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        lang = language_of(tracker)
        buttons = [{"title": f"{c['name']} ({format_date(c['date_of_birth'], lang, weekday=False)})", "payload": str(i)}
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
