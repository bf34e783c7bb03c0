"""Every bot message in en, zh, ms and ta: the rules shared by `validate` and tests/unit/test_domain_languages.py.

A response variation without a `language` condition is the English default; each other language is a
variation with `condition: [{type: slot, name: language, value: xx}]`.
"""
from __future__ import annotations

import re
from typing import Dict, List

from moments.trainer.project import LANGS, LANGUAGE_NAMES

PLACEHOLDER = re.compile(r"\{(\w+)\}")
TODO_MARK = "TODO"


def variants_by_language(variations: List[dict]) -> Dict[str, List[dict]]:
    """{language: [variations]}; a variation without a language condition counts as English (the default)."""
    out: Dict[str, List[dict]] = {}
    for v in variations:
        lang = "en"
        for cond in v.get("condition") or []:
            if cond.get("name") == "language":
                lang = cond["value"]
        out.setdefault(lang, []).append(v)
    return out


def response_problems(name: str, variations: List[dict]) -> List[str]:
    """Plain-language problems with one response: missing or untranslated languages, lost placeholders."""
    from moments.nlu.scripts import count_scripts

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
            counts = count_scripts(text)
            if lang == "zh" and not counts.han:
                problems.append(f"{name} in zh has no Chinese characters")
            if lang == "ta" and not counts.tamil:
                problems.append(f"{name} in ta has no Tamil script")
            if lang == "ms" and text == en_text:
                problems.append(f"{name} in ms is the English text")
    return problems
