"""Every bot message in en, zh, ms and ta: the rules shared by `validate` and tests/unit/test_domain_languages.py.

A response variation without a `language` condition is the English default; each other language is a
variation with `condition: [{type: slot, name: language, value: xx}]`.

A response may also have shorter `channel: sms` variations (plain SMS, elderly users): then one per language, each
with its language condition. They may leave out placeholders of the English text to stay short, never add one,
and keep its buttons (the SMS channel turns them into a numbered menu); tests/channels/test_sms_domain.py has
the SMS-only rules (length, GSM-7).
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional

from moments.trainer.project import LANGS, LANGUAGE_NAMES

PLACEHOLDER = re.compile(r"\{(\w+)\}")
TODO_MARK = "TODO"


def variants_by_language(variations: List[dict], channel: Optional[str] = None) -> Dict[str, List[dict]]:
    """{language: [variations]} of what `channel` gets; a variation without a language condition counts as English
    (the default). channel=None: the variations without `channel:` (the web widget, REST and every other channel);
    channel="sms": the `channel: sms` ones."""
    out: Dict[str, List[dict]] = {}
    for v in variations:
        if v.get("channel") != channel:
            continue
        lang = "en"
        for cond in v.get("condition") or []:
            if cond.get("name") == "language":
                lang = cond["value"]
        out.setdefault(lang, []).append(v)
    return out


def response_problems(name: str, variations: List[dict]) -> List[str]:
    """Plain-language problems with one response: missing or untranslated languages, lost placeholders."""
    problems: List[str] = []
    by_lang = variants_by_language(variations)
    missing = [l for l in LANGS if l not in by_lang]
    if missing:
        problems.append(f"{name} has no text in {', '.join(missing)} (it has {', '.join(sorted(by_lang))})")
    for lang, vs in sorted(by_lang.items()):
        for v in vs:
            text = (v.get("text") or "").strip()
            if not text:
                problems.append(f"{name} has an empty {lang} text")
            elif TODO_MARK in text:
                problems.append(f"{name} in {LANGUAGE_NAMES.get(lang, lang)} still says TODO: write the real text")
    en = (by_lang.get("en") or [{}])[0]
    en_text = en.get("text") or ""
    en_payloads = [b.get("payload") for b in en.get("buttons") or []]
    for lang, vs in sorted(by_lang.items()):
        for v in vs:
            text = v.get("text") or ""
            if TODO_MARK in text or not text.strip():
                continue
            if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(en_text)):
                problems.append(f"{name} in {lang} does not keep the same {{placeholders}} as English")
            if [b.get("payload") for b in v.get("buttons") or []] != en_payloads:
                problems.append(f"{name} in {lang} has different buttons from English")
            problems += script_problems(f"{name} in {lang}", lang, text, en_text, "the English text")
    return problems + sms_problems(name, variations, en)


def script_problems(what: str, lang: str, text: str, english: str, english_name: str) -> List[str]:
    """A text in the wrong script for its language (zh without Chinese, ta without Tamil), or Malay left English."""
    from moments.nlu.scripts import count_scripts

    counts = count_scripts(text)
    if lang == "zh" and not counts.han:
        return [f"{what} has no Chinese characters"]
    if lang == "ta" and not counts.tamil:
        return [f"{what} has no Tamil script"]
    if lang == "ms" and text == english:
        return [f"{what} is {english_name}"]
    return []


def sms_problems(name: str, variations: List[dict], en: dict) -> List[str]:
    """The `channel: sms` variations of a response, against its English (non-SMS) text `en`."""
    sms = [v for v in variations if v.get("channel") == "sms"]
    if not sms:
        return []
    problems: List[str] = []
    by_lang = variants_by_language(variations, channel="sms")
    unconditioned = [v for v in sms if not any(c.get("name") == "language" for c in v.get("condition") or [])]
    if unconditioned:
        problems.append(f"{name} has an SMS text without a language condition (it would be sent in every "
                        "language): give each one condition: [{type: slot, name: language, value: en|zh|ms|ta}]")
    missing = [l for l in LANGS if l not in by_lang]
    twice = [l for l, vs in by_lang.items() if len(vs) > 1]
    if missing and not unconditioned:
        problems.append(f"{name} has SMS texts, but none in {', '.join(missing)}")
    if twice:
        problems.append(f"{name} has more than one SMS text in {', '.join(sorted(twice))}")
    allowed = set(PLACEHOLDER.findall(en.get("text") or ""))
    payloads = [b.get("payload") for b in en.get("buttons") or []]
    sms_en = ((by_lang.get("en") or [{}])[0].get("text") or "").strip()
    for lang, vs in sorted(by_lang.items()):
        for v in vs:
            text = (v.get("text") or "").strip()
            if not text:
                problems.append(f"{name} has an empty SMS text in {lang}")
                continue
            if TODO_MARK in text:
                problems.append(f"{name}'s SMS text in {LANGUAGE_NAMES.get(lang, lang)} still says TODO: write the real text")
                continue
            extra = sorted(set(PLACEHOLDER.findall(text)) - allowed)
            if extra:
                problems.append(f"{name}'s SMS text in {lang} uses {', '.join('{' + e + '}' for e in extra)}, which "
                                "the English text does not have (the bot has no value for it there)")
            if [b.get("payload") for b in v.get("buttons") or []] != payloads:
                problems.append(f"{name}'s SMS text in {lang} has different buttons from English")
            problems += script_problems(f"{name}'s SMS text in {lang}", lang, text, sms_en, "the English one")
    return problems
