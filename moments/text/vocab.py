"""Short answers and small words, per language, that every journey reads the same way.

Each vocabulary is kept per language (a reviewer for Tamil reads one list) and compared as one set: a parent may
answer in another language than the conversation's, and "ok" / "cancel" are typed in every language.
Answers are compared after `normalise_answer` (trimmed, lower case, no closing punctuation).
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Iterable

from moments.text.normalise import normalise_answer

Vocabulary = Dict[str, FrozenSet[str]]


def _all(vocabulary: Vocabulary) -> FrozenSet[str]:
    return frozenset().union(*vocabulary.values())


def _v(**by_language: Iterable[str]) -> Vocabulary:
    return {lang: frozenset(words) for lang, words in by_language.items()}


# Inside a form a bare "cancel" means "stop this" (the NLU may read 取消 / batal / ரத்து as cancel_appointment, or
# take ரத்து for a child's name). Button payload /stop too.
STOP: Vocabulary = _v(
    en={"stop", "stop it", "cancel", "cancel it", "quit", "exit", "never mind", "nevermind", "/stop"},
    zh={"取消", "停止", "算了", "不要了", "不用了", "不办了"},
    ms={"batal", "batalkan", "berhenti", "tak jadi", "tak payah"},
    ta={"ரத்து", "ரத்து செய்", "நிறுத்து", "நிறுத்துங்கள்", "வேண்டாம் நிறுத்து"},
)
YES: Vocabulary = _v(
    en={"yes", "y", "yah", "yeah", "yep", "ok", "okay", "sure", "confirm", "correct"},
    zh={"好", "好的", "是", "是的", "对", "可以", "确认"},
    ms={"ya", "boleh", "betul", "setuju"},
    ta={"சரி", "ஆம்", "ஆமா", "உறுதி"},
)
NO: Vocabulary = _v(
    en={"no", "n", "nope", "nah"},
    zh={"不", "不是", "不要", "不用", "否"},
    ms={"tak", "tidak", "bukan", "tak nak"},
    ta={"இல்லை", "இல்ல", "வேண்டாம்"},
)
# "Nothing to put here" for an optional question.
SKIP: Vocabulary = _v(
    en={"skip", "none", "no", "nil", "na", "n/a", "-"},
    zh={"跳过", "没有", "不用", "无"},
    ms={"tiada", "takde", "tak ada", "langkau"},
    ta={"இல்லை", "தவிர்", "வேண்டாம்"},
)

STOP_WORDS = _all(STOP)
YES_WORDS = _all(YES)
NO_WORDS = _all(NO)
SKIP_WORDS = _all(SKIP)

# Words inside Singapore names that are not a given name or a surname: skipped when matching a name to a person.
NAME_PARTICLES = frozenset({"bin", "binte", "binti", "bte", "s/o", "d/o", "a/l", "a/p", "so", "do", "al", "ap"})
# Words a name keeps in lower case when the rest gets capitals ("tan bin ali" → "Tan bin Ali").
LOWER_CASE_NAME_WORDS = frozenset({"bin", "binte", "binti", "bte", "s/o", "d/o", "a/l", "a/p", "@", "de", "da", "van",
                                   "von"})


def is_stop(text: object) -> bool:
    """A bare stop word in any of the four languages ('cancel', '取消', 'batal', 'ரத்து')."""
    return isinstance(text, str) and normalise_answer(text) in STOP_WORDS


def is_skip(text: object) -> bool:
    return isinstance(text, str) and (normalise_answer(text) in SKIP_WORDS or normalise_answer(text) == "/deny")


# "The first one", "第二个", "yang terakhir", "முதலாவது": a pick from a list by its place. 1-based; LAST is the last
# item. Latin words match whole; Tamil entries are stems (Tamil adds case endings: முதலாவதை, கடைசியது); Chinese is
# read by moments.text.ordinals (第N个, 最后). EARLIER / LATER are read only at a list in time order (times, dates).
LAST = -1
ORDINALS: Dict[str, Dict[str, int]] = {
    "en": {"first": 1, "1st": 1, "top": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
           "fifth": 5, "5th": 5, "last": LAST, "bottom": LAST, "final": LAST},
    "ms": {"pertama": 1, "partama": 1, "kedua": 2, "kdua": 2, "ketiga": 3, "ktiga": 3, "keempat": 4, "kelima": 5,
           "terakhir": LAST, "akhir": LAST, "trakhir": LAST},
    "ta": {"முதலாவ": 1, "முதல்": 1, "முதலாம்": 1, "இரண்டாவ": 2, "இரண்டாம்": 2, "ரெண்டாவ": 2, "ரெண்டாம்": 2,
           "மூன்றாவ": 3, "மூன்றாம்": 3, "நான்காவ": 4, "நான்காம்": 4, "ஐந்தாவ": 5, "ஐந்தாம்": 5, "கடைசி": LAST,
           # romanised Tamil, as typed on a phone
           "mudhal": 1, "muthal": 1, "modhal": 1, "mudhalavathu": 1, "muthalavathu": 1, "mudhalavadhu": 1,
           "rendavathu": 2, "rendavadhu": 2, "irandavathu": 2, "irandaavathu": 2, "rendaavathu": 2,
           "moonavathu": 3, "moonavadhu": 3, "munavathu": 3, "moondravathu": 3, "naalavathu": 4, "nalavathu": 4,
           "anjavathu": 5, "kadaisi": LAST, "kadasi": LAST, "kadaisiyathu": LAST, "kadaisila": LAST},
}
# The first / last of a list in time order ("the earlier one", "最早的", "yang awal", "முந்தைய").
TIME_ORDINALS: Dict[str, Dict[str, int]] = {
    "en": {"earlier": 1, "earliest": 1, "earlier one": 1, "later": LAST, "latest": LAST, "later one": LAST},
    "zh": {"最早": 1, "早一点": 1, "早的": 1, "比较早": 1, "最晚": LAST, "最迟": LAST, "晚一点": LAST, "晚的": LAST,
           "比较晚": LAST},
    "ms": {"awal": 1, "lebih awal": 1, "paling awal": 1, "lewat": LAST, "lebih lewat": LAST, "paling lewat": LAST},
    "ta": {"முந்தைய": 1, "முன்னதாக": 1, "சீக்கிரம்": 1, "பிந்தைய": LAST, "தாமதமான": LAST, "lateaana": LAST,
           "munnadi": 1, "seekiram": 1},
}
# Words around an ordinal that add nothing ("the first one pls", "yang pertama tu", "முதல் ஒன்று").
ORDINAL_FILLERS = frozenset({
    "the", "one", "ones", "option", "choice", "slot", "time", "pls", "please", "plz", "lah", "la", "leh", "lor", "ok",
    "okay", "that", "this", "i", "want", "take", "choose", "pick", "go", "with", "for", "me", "can", "will", "do",
    "yang", "tu", "itu", "ini", "je", "saja", "sahaja", "pilih", "nak", "mahu", "saya", "aku", "ambil", "masa",
    "waktu", "boleh", "lepas", "ஒன்று", "ஒண்ணு", "onnu", "athu", "adhu", "அது", "அதை", "தான்", "than", "dhan",
    "வேண்டும்", "venum", "vendum", "போதும்", "sari", "சரி", "please", "time", "நேரம்",
    # "ambik yang last", "Anak yang pertama.", "கடைசி நேரம் போடுங்க", "முதல் பிள்ளை": the thing picked and the verb
    "ambik", "amik", "nk", "sy", "anak", "bayi", "baby", "child", "kid", "son", "daughter", "budak", "cucu", "slot",
    "appointment", "appt", "booking", "bank", "போடுங்க", "podunga", "குடுங்க", "kudunga", "வேணும்", "பிள்ளை",
    "குழந்தை", "kuzhandhai", "kozhandhai", "paiyan", "ponnu", "பையன்", "பொண்ணு", "எடுங்க", "edunga",
})
