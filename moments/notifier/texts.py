"""A reminder's text and its reply menu, in the subscriber's language (texts.yml).

`render(item, language)` -> Rendered(body, options): the body is at most 2 SMS segments, GSM-7 in English and Malay
(a long list of doses becomes "3 vaccinations"; a name with a character GSM-7 lacks is transliterated), and the
options are what "1" / "2" mean when the parent replies (the SMS channel keeps them as the conversation's menu, so
the reply continues the conversation with the reminder's context; no new NLU).
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from moments.channels.segments import GSM7, encoding_of, is_gsm7, limit_for, prefer_gsm7, units
from moments.text.formatting import format_date, format_time, join_list, sms_dates

LANGUAGES = ("en", "zh", "ms", "ta")
TEXTS_FILE = Path(__file__).with_name("texts.yml")
MAX_SEGMENTS = 2
KINDS = ("birth_registration", "vaccination_due", "vaccination_overdue", "appointment_tomorrow", "baby_bonus_paid")


@lru_cache(maxsize=1)
def texts() -> Dict[str, Dict[str, str]]:
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))


def lang_of(language: Optional[str]) -> str:
    return language if language in LANGUAGES else "en"


def text(key: str, language: Optional[str], **values: Any) -> str:
    return texts()[key][lang_of(language)].format(**values)


@dataclass(frozen=True)
class Rendered:
    body: str
    options: List[Tuple[str, str]] = field(default_factory=list)  # (title, payload), "1" first

    @property
    def segments(self) -> int:
        return count_segments(self.body)


def _date(value: Any, lang: str) -> str:
    return sms_dates(format_date(value, lang, year=False), lang)


def dose_names(codes: List[str], lang: str) -> str:
    from actions.shared.labels import VACCINES, label  # the names the bot uses for the same doses

    names: List[str] = []
    for code in codes:
        n = label(VACCINES, code, lang)
        if n not in names:
            names.append(n)
    return join_list(names, lang)


def render(item: Dict[str, Any], language: Optional[str]) -> Rendered:
    lang = lang_of(language)
    kind = item["kind"]
    child = (item.get("child") or {}).get("name") or ""
    options: List[Tuple[str, str]] = []
    if kind == "birth_registration":
        born = (item.get("child") or {}).get("born_on")
        key = "birth_registration_last" if item.get("window") == "day-38" else kind
        body = text(key, lang, born=_date(born, lang), date=_date(item["due_on"], lang))
        options = [(text("option_register", lang), "/register_birth")]
    elif kind in ("vaccination_due", "vaccination_overdue"):
        payload = "/book_appointment" + json.dumps({"vaccination_child": item["child"]["id"]})
        options = [(text("option_book", lang), payload)]
        body = text(kind, lang, child=child, date=_date(item["due_on"], lang),
                    doses=dose_names(item.get("doses") or [], lang))
        if not fits(body, lang):
            body = text(kind, lang, child=child, date=_date(item["due_on"], lang),
                        doses=text("doses_count", lang, n=len(item.get("doses") or [])))
    elif kind == "appointment_tomorrow":
        clinic = item.get("clinic") or {}
        values = dict(child=child, time=format_time(item["starts_at"], lang), clinic=clinic.get(lang) or clinic.get("en"),
                      address=clinic.get("address", ""), reference=item.get("reference", ""))
        body = text(kind, lang, **values)
        if not fits(body, lang):  # a long clinic address: the name and reference are enough to find it
            body = text(kind, lang, **{**values, "address": ""}).replace(", ,", ",").replace(",  (", " (")
        options = [(text("option_move", lang), "/reschedule_appointment"),
                   (text("option_cancel", lang), "/cancel_appointment")]
    elif kind == "baby_bonus_paid":
        if item.get("next_on"):
            body = text(kind, lang, child=child, amount=f"{item['amount']:,}", date=_date(item["due_on"], lang),
                        next_amount=f"{item['next_amount']:,}", next_date=_date(item["next_on"], lang))
        else:
            body = text("baby_bonus_last", lang, child=child, amount=f"{item['amount']:,}",
                        date=_date(item["due_on"], lang))
    else:
        raise ValueError(f"unknown reminder kind {kind!r}")
    if lang in ("en", "ms") and not is_gsm7(body):
        body = to_gsm7(body)
    if not fits(body, lang) and child:  # a very long name: the given name
        short = given_name(child)
        return render({**item, "child": {**item["child"], "name": short}}, lang) if short != child else \
            Rendered(body, options)
    return Rendered(body, options)


RELATION_WORDS = {"d/o", "s/o", "bin", "binte", "bte", "binti", "a/l", "a/p"}


def given_name(name: str) -> str:
    """'Kavya d/o Rajesh' -> 'Kavya', 'Muhammad Irfan bin Muhammad Faizal' -> 'Muhammad Irfan', else two words."""
    words = name.split()
    for i, w in enumerate(words):
        if i and w.casefold() in RELATION_WORDS:
            return " ".join(words[:i])
    return " ".join(words[:2])


def count_segments(body: str) -> int:
    """How many SMS a carrier bills for one Body sent through the Messages API: 160/70 characters alone, 153/67 each
    when concatenated (GSM-7/UCS-2)."""
    encoding = encoding_of(body)
    n = units(body, encoding)
    if n <= limit_for(encoding):
        return 1
    return -(-n // (153 if encoding == GSM7 else 67))


def fits(body: str, lang: str) -> bool:
    return count_segments(to_gsm7(body) if lang in ("en", "ms") else body) <= MAX_SEGMENTS


def to_gsm7(text: str) -> str:
    """English and Malay stay GSM-7 (160 characters an SMS, not 70): typographic punctuation and accented letters
    GSM-7 lacks become their plain forms ("Zoë" -> "Zoe"); anything else becomes "?"."""
    text = prefer_gsm7(text)
    if is_gsm7(text):
        return text
    out = []
    for ch in text:
        if not is_gsm7(ch):
            ch = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            ch = ch if ch and is_gsm7(ch) else "?"
        out.append(ch)
    return "".join(out)


def kind_label(kind: str, lang: Optional[str]) -> str:
    return text(f"kind_{kind}", lang)


