"""What parents type while applying for the Baby Bonus, read in four languages — a bank (typos forgiven), an
account number, the CDA trustee, corrections at the summary — and the values the domain's sentences are filled
with (amounts, birth order, "9 or 10"). Pure functions: form.py and actions.py beside this file use them."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from actions.shared.answers import match_person
from moments.rules.baby_bonus import ACCOUNT_LENGTHS
from moments.text.fuzzy import one_typo_away
from moments.text.normalise import fold, latin_words
from moments.text.words import contains_any

# -- formatting values for the conversation's language (the sentences are in the domain) --------------------------
# Dates and lists: moments/text/formatting.py (shared by the journeys).
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


def current_child(family: Optional[Dict[str, Any]], child_id: Optional[str]) -> Optional[Dict[str, Any]]:
    return next((c for c in (family or {}).get("children", []) if c["id"] == child_id), None)
