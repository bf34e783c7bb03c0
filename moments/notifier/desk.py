"""What the SMS channel does for reminders, before Rasa sees the message (as Twilio itself handles opt-out words):

- `STOP` / `停止` / `BERHENTI` / `நிறுத்து` and Twilio's standard opt-out words (STOPALL, UNSUBSCRIBE, CANCEL, END,
  QUIT) turn every reminder off; `START` / `UNSTOP` (and `开始`, `MULA`, `தொடங்கு`) turn them on. The whole message
  must be the word. Inside a journey's form the words go to Rasa as before (they stop the journey, not reminders).
- `REMINDERS` / `提醒` / `PERINGATAN` / `நினைவூட்டல்` ("what reminders do I have?") lists them.
- After a journey ends with a reference (BR-…, BB-…, AP-…), once per number: "May I remind you by SMS …? 1 yes,
  2 no"; the answer is handled here (payloads `notify:consent:yes|no`), no new intent.
- The menu of the last reminder ("Reply 1 to book") becomes the conversation's menu on the parent's next message,
  so "1" sends the reminder's payload (e.g. /book_appointment{"vaccination_child": "…"}) into the same conversation.

The confirmations come from moments/notifier/texts.yml in the conversation's language.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any, Dict, Optional

from .clock import SGT
from .store import Store
from .texts import kind_label, lang_of, text

OPT_OUT = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "停止", "berhenti", "நிறுத்து"})
OPT_IN = frozenset({"start", "unstop", "开始", "開始", "mula", "தொடங்கு"})
LIST = frozenset({"reminders", "reminder", "提醒", "我的提醒", "peringatan", "நினைவூட்டல்", "நினைவூட்டல்கள்"})
CONSENT_YES, CONSENT_NO = "notify:consent:yes", "notify:consent:no"
JOURNEY_DONE = re.compile(r"\b(?:BR|BB|AP)-[0-9A-Z]{8}\b")


def keyword_text(message: str) -> str:
    return unicodedata.normalize("NFC", message or "").strip().strip(".!。！").strip().casefold()


def keyword(message: str) -> Optional[str]:
    """'stop' | 'start' | 'list' when the whole message is one of the words, else None."""
    word = keyword_text(message)
    if word in OPT_OUT:
        return "stop"
    if word in OPT_IN:
        return "start"
    if word in LIST:
        return "list"
    return None


def _now() -> datetime:
    return datetime.now(SGT).replace(tzinfo=None, microsecond=0)


class ReminderDesk:
    def __init__(self, store: Store):
        self.store = store

    @classmethod
    def from_url(cls, url: str) -> "ReminderDesk":
        return cls(Store(url).migrate())

    def command(self, cid: str, word: str, language: Optional[str], said: str = "") -> str:
        lang = lang_of(language)
        if word == "stop":
            self.store.set_status(cid, "off", lang, _now())
            if keyword_text(said) == "cancel":  # Twilio's opt-out word, and what a texter says of an appointment
                return text("stopped", lang) + "\n" + text("cancel_hint", lang)
            return text("stopped", lang)
        if word == "start":
            self.store.set_status(cid, "on", lang, _now())
            return text("started", lang)
        sub = self.store.subscriber(cid)
        if sub is None or sub.status != "on":
            return text("list_off", lang)
        recent = self.store.recent(cid)
        if not recent:
            return text("list_none", lang)
        from moments.text.formatting import format_date

        lines = [text("list_header", lang)]
        lines += [f"- {kind_label(r['kind'], lang)}: {format_date(r['due_on'], lang, weekday=False)}" for r in recent]
        return "\n".join(lines + [text("list_footer", lang)])

    def answer(self, cid: str, payload: str, language: Optional[str]) -> str:
        lang = lang_of(language)
        yes = payload == CONSENT_YES
        self.store.set_status(cid, "on" if yes else "declined", lang, _now())
        return text("consent_yes" if yes else "consent_no", lang)

    def maybe_ask(self, cid: str, reply_text: str, language: Optional[str]) -> Optional[Dict[str, Any]]:
        """After a journey's last answer (it carries a reference): the consent question and its menu, once."""
        if not JOURNEY_DONE.search(reply_text or ""):
            return None
        lang = lang_of(language)
        if not self.store.mark_asked(cid, lang, _now()):
            return None
        return {"question": text("consent_question", lang), "language": lang,
                "options": [[text("option_yes", lang), CONSENT_YES], [text("option_no", lang), CONSENT_NO]]}

    def take_menu(self, cid: str) -> Optional[Dict[str, Any]]:
        return self.store.take_menu(cid)

    def follow_language(self, cid: str, language: Optional[str]) -> None:
        if language:
            self.store.set_language(cid, lang_of(language))
