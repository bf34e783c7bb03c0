"""Numbered menus for text messages: buttons become "1. Baby Bonus" lines and a "Reply 1, 2 or 3" hint,
and a reply — a digit, the option's words (small typos forgiven) or a menu word — is mapped back.

The channel's own texts are in sms_texts.yml, in the four languages.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from moments.channels.plain_text import to_plain_text

LANGUAGES = ("en", "zh", "ms", "ta")
TEXTS_FILE = Path(__file__).with_name("sms_texts.yml")
MAIN_MENU_PAYLOAD = "/help"
# The main menu (utter_help's buttons) gets one more option over SMS: delete this chat (moments.privacy, "forget me").
FORGET_ME_PAYLOAD = "/forget_me"
MAIN_MENU_MARKERS = ("/register_birth", "/human_handoff")
# "2. No" on the "stop <journey>?" question the channel asks when "0" or a menu word comes inside a form: nothing
# goes to Rasa; the form's last question is shown again (moments.channels.gateway).
RESUME_PAYLOAD = "sms:resume"
STOP_PAYLOAD = "/stop"


@lru_cache(maxsize=1)
def _texts() -> Dict[str, Any]:
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def language_or_default(language: Optional[str]) -> str:
    return language if language in LANGUAGES else "en"


def channel_text(key: str, language: Optional[str], **values: Any) -> str:
    """One of the channel's own texts in `language` (English when unknown)."""
    return _texts()[key][language_or_default(language)].format(**values)


def join_choices(numbers: List[int], language: Optional[str]) -> str:
    """[1, 2, 3] -> "1, 2 or 3" / "1、2 或 3" / "1, 2 atau 3" / "1, 2 அல்லது 3"."""
    items = [str(n) for n in numbers]
    if len(items) <= 1:
        return "".join(items)
    sep, last = channel_text("separator", language), channel_text("or", language)
    return sep.join(items[:-1]) + last + items[-1]


def main_menu_extras(options: List["Option"], language: Optional[str]) -> List["Option"]:
    """The options an SMS main menu adds to the bot's buttons: "Delete my chat" (typing works too)."""
    payloads = {o.payload for o in options}
    if all(m in payloads for m in MAIN_MENU_MARKERS) and FORGET_ME_PAYLOAD not in payloads:
        return [Option(channel_text("forget_me_option", language), FORGET_ME_PAYLOAD)]
    return []


def reply_hint(count: int, language: Optional[str]) -> str:
    """"Reply 1 or 2" for two options; "Reply 1-3" from three on (shorter in every language)."""
    if count >= 3:
        return channel_text("range_hint", language, first=1, last=count)
    return channel_text("reply_hint", language, choices=join_choices(list(range(1, count + 1)), language))


@dataclass(frozen=True)
class Option:
    title: str
    payload: str

    @classmethod
    def from_button(cls, button: Dict[str, Any]) -> "Option":
        title = to_plain_text(str(button.get("title") or "")).replace("\n", " ")
        payload = str(button.get("payload") or button.get("url") or title)
        return cls(title=title, payload=payload)


@dataclass
class Menu:
    """The options the sender saw last, in the language they were shown in."""

    options: List[Option]
    language: str = "en"
    asked: str = ""                          # the text this menu came with (shown again after "stop? 2 no")
    resume: Optional[Dict[str, Any]] = None  # on the "stop?" question: the menu (JSON) to go back to


    def lines(self, first: int = 1) -> List[str]:
        return [f"{i}. {o.title}" for i, o in enumerate(self.options, first)]

    def text(self) -> str:
        """The options and the reply hint, as shown again after a wrong number."""
        return "\n".join(self.lines() + [reply_hint(len(self.options), self.language)])

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"language": self.language, "options": [[o.title, o.payload] for o in self.options]}
        if self.asked:
            data["asked"] = self.asked
        if self.resume is not None:
            data["resume"] = self.resume
        return data

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Menu":
        return cls(options=[Option(t, p) for t, p in data.get("options", [])],
                   language=language_or_default(data.get("language")), asked=str(data.get("asked") or ""),
                   resume=data.get("resume") if isinstance(data.get("resume"), dict) else None)


def journey_name(form: Optional[str], language: Optional[str]) -> str:
    """'birth_registration_form' -> "the birth registration" / "出生登记" / … (sms_texts.yml `journeys`)."""
    names = _texts()["journeys"]
    return names.get(form or "", names["other"])[language_or_default(language)]


def stop_question(form: Optional[str], language: Optional[str], previous: Optional[Menu], asked: str) -> Menu:
    """The "stop <journey>? 1 yes, 2 no" menu; "2" goes back to `previous` (the form's question)."""
    language = language_or_default(language)
    back = previous.to_json() if previous is not None else Menu([], language).to_json()
    if asked:
        back["asked"] = asked
    return Menu([Option(channel_text("stop_yes", language), STOP_PAYLOAD),
                 Option(channel_text("stop_no", language), RESUME_PAYLOAD)], language,
                asked=channel_text("stop_form", language, journey=journey_name(form, language)), resume=back)


class Kind(Enum):
    OPTION = "option"            # an option was chosen: send its payload
    MAIN_MENU = "main_menu"      # "0", "menu", "菜单" …: send /help
    NO_SUCH_OPTION = "no_such"   # a number that is not on the menu
    TEXT = "text"                # anything else: send the text as typed


@dataclass
class Selection:
    kind: Kind
    message: str = ""             # what to send to Rasa (OPTION, MAIN_MENU, TEXT)
    number: Optional[int] = None  # the number typed (OPTION by number, NO_SUCH_OPTION)
    option: Optional[Option] = field(default=None)


def normalise(text: str) -> str:
    """Case-, width-, space- and punctuation-insensitive form ("Baby  Bonus!" == "babybonus").

    Letters, digits and combining marks are kept (Tamil vowel signs are marks)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LNM")


def _number(text: str) -> Optional[int]:
    """"2", " 2. ", "#2", "２", "(2)", "௨" -> 2; anything else -> None."""
    t = unicodedata.normalize("NFKC", text).strip().strip("#().)）（ ").strip()
    if t and len(t) <= 3 and t.isdecimal():
        return int(t)
    return None


def edit_distance(a: str, b: str, cap: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, stopping early above `cap`."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev2: List[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > cap and min(prev) > cap:  # (a transposition can reach back one more row)
            return cap + 1
        prev2, prev = prev, cur
    return prev[-1]


def allowed_typos(word: str) -> int:
    """Typos forgiven in an option's words: none in very short ones ("是"), 1 up to 8 letters, then 2."""
    if len(word) < 4:
        return 0
    return 1 if len(word) <= 8 else 2


@lru_cache(maxsize=1)
def _menu_words() -> frozenset:
    return frozenset(normalise(w) for w in _texts()["menu_words"])


def is_menu_word(text: str) -> bool:
    return normalise(text) in _menu_words() or _number(text) == 0


def select(text: str, menu: Optional[Menu]) -> Selection:
    """What a reply means given the last menu the sender saw (or None)."""
    if is_menu_word(text):
        return Selection(Kind.MAIN_MENU, MAIN_MENU_PAYLOAD, number=0)
    if not menu or not menu.options:
        return Selection(Kind.TEXT, text)
    number = _number(text)
    if number is not None:
        if 1 <= number <= len(menu.options):
            option = menu.options[number - 1]
            return Selection(Kind.OPTION, option.payload, number=number, option=option)
        return Selection(Kind.NO_SUCH_OPTION, number=number)
    said = normalise(text)
    if not said:
        return Selection(Kind.TEXT, text)
    scored = []
    for i, option in enumerate(menu.options, 1):
        title = normalise(option.title)
        if not title:
            continue
        distance = edit_distance(said, title)
        if distance <= allowed_typos(title):
            scored.append((distance, i, option))
    scored.sort(key=lambda s: (s[0], s[1]))
    if scored and (len(scored) == 1 or scored[0][0] < scored[1][0]):  # a unique best match only
        _, i, option = scored[0]
        return Selection(Kind.OPTION, option.payload, number=i, option=option)
    # The option's first word alone ("batal" for "Batal temujanji", "ரத்து" for "ரத்து செய்", "取消" for "取消预约"),
    # when exactly one option starts with it: right after a list, "batal" means that option, not "stop".
    starting = [(i, o) for i, o in enumerate(menu.options, 1) if _first_word(o.title) == said]
    if len(starting) == 1 and len(said) >= 2:
        i, option = starting[0]
        return Selection(Kind.OPTION, option.payload, number=i, option=option)
    return Selection(Kind.TEXT, text)


def _first_word(title: str) -> str:
    """The first word of an option's title, normalised; for Chinese, its first jieba-free 2 characters."""
    words = title.split()
    if len(words) > 1:
        return normalise(words[0])
    whole = normalise(title)
    if len(whole) >= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in whole):
        return whole[:2]
    return ""
