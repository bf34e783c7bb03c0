"""A greeting, thanks or apology around a request never hides the request (issue 13).

"Assalamualaikum, saya nak daftar kelahiran anak saya" was classified `greet` and the request dropped. Rasa's
multi-intents would need every greeting × request pair in the training data and stories for each combination;
instead the tokenizer drops the social phrases at the start and end of a message **when what remains is a request**
(it names one of the journeys' concepts: registration, birth, Baby Bonus, appointment, vaccination, status, a person,
cancel, move, a list, a clinic, money, language, forgetting data). So the classifier reads the request, and:

    "hi good morning, want to apply baby bonus pls"  → tokens of "want to apply baby bonus pls"
    "谢谢！那我想预约打针"                               → tokens of "那我想预约打针"
    "hello", "thanks for your help", "ok thanks"     → unchanged (nothing, or no request, remains)

Only the tokens change: the message text is kept whole, so the language detector still reads "assalamualaikum" as
Malay, and every form still reads the full answer. Training examples are tokenised whole (a greeting example stays a
greeting); only messages at inference are stripped, so the classifier sees what it was trained on: requests.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence, Tuple

from moments.nlu.concepts import ConceptMatcher, load_lexicon

# Concepts that make what is left a request. Not "help" ("thanks for your help"), "time", "question", "wrong".
REQUEST_CONCEPTS = ("appointment", "vaccination", "registration", "birth", "status", "person", "cancel",
                    "reschedule", "baby_bonus", "money", "list", "clinic", "language", "forget")
SOCIAL_CONCEPTS = ("greeting", "thanks")
# Verbs that make a request by themselves ("Thank you. I would like to apply for it.", "hi, nak mohon").
REQUEST_VERBS = {
    "en": ["apply", "applying", "application", "book", "booking", "reschedule", "register", "sign up"],
    "zh": ["申请", "申請", "预约", "預約", "报名", "報名", "登记", "登記"],
    "ms": ["mohon", "memohon", "permohonan", "tempah", "daftar", "apply"],
    "ta": ["விண்ணப்ப", "அப்ளை", "புக்", "பதிவு", "apply", "vinnapam", "vinnappam"],
}
APOLOGIES = {
    "en": ["sorry", "sry", "soz", "sorri", "apologies", "my bad", "excuse me", "pardon me", "sorry to bother",
           # "is anyone there?" opens a conversation; it is not a request for an officer
           "anyone there", "anybody there", "anyone here"],
    "zh": ["不好意思", "对不起", "對不起", "抱歉", "打扰了", "打擾了", "打扰一下", "打擾一下", "麻烦你", "麻煩你", "有人吗", "有人嗎", "有人在吗", "有人在嗎"],
    "ms": ["maaf", "mohon maaf", "minta maaf", "maafkan saya", "harap maaf", "ada orang tak",
           "ada orang x", "ada sesiapa"],
    "ta": ["மன்னிக்கவும்", "மன்னிச்சுடுங்க", "மன்னிச்சு", "சாரி", "mannikkavum", "mannichudunga", "sorry-nga",
           "யாராவது இருக்கீங்களா", "யாராவது இருக்கிறீர்களா", "yaaravathu irukeengala"],
}
# Not "请问" / "tumpang tanya" ("may I ask"): they mark a question ("how do I register?"), which the classifier tells
# from a request ("register my baby").
# Words that go with a greeting or thanks ("hi there", "thanks boss", "salam encik", "vanakkam anna").
FILLERS = frozenset({
    "there", "all", "everyone", "everybody", "sir", "madam", "maam", "ma'am", "boss", "uncle", "auntie", "aunty",
    "team", "bot", "dear", "lah", "la", "ah", "leh", "lor", "pls", "plz", "please", "again", "so", "much", "very",
    "ok", "okay", "oh", "hmm", "and", "then", "also", "btw",
    "你", "您", "啊", "呀", "哦", "喔", "嗯", "了", "呢", "吧", "大家", "那", "还有", "還有",
    "encik", "puan", "cik", "tuan", "semua", "kak", "akak", "abang", "bang", "adik", "pakcik", "makcik", "je", "ye",
    "tu", "dan", "lagi",
    "anna", "akka", "amma", "appa", "thambi", "ங்க", "அண்ணா", "அக்கா", "அம்மா", "ஐயா", "ayya",
})


# What the thanks or apology is for ("thanks for booking", "谢谢你帮我登记", "maaf sebab lambat daftar",
# "பதிவு செய்ததற்கு நன்றி"): the rest is its object, not a new request.
OBJECT_MARKERS = frozenset({"for", "sebab", "kerana", "kerna", "sbb", "atas", "untuk", "utk", "帮", "幫", "帮我", "幫我",
                            "帮忙", "幫忙", "的", "为", "為", "替", "给", "給"})
TAMIL_DATIVE = ("க்கு", "ற்கு", "kku", "rku", "ukku")


@lru_cache(maxsize=1)
def _matchers() -> Tuple[ConceptMatcher, ConceptMatcher]:
    lexicon = load_lexicon()
    social = {lang: [e for c in SOCIAL_CONCEPTS for e in lexicon[c][lang]] + APOLOGIES[lang] for lang in APOLOGIES}
    # Bare "morning" / "later" also answer a question about times: only the unmistakable greetings count.
    social["en"] = [e for e in social["en"] if e not in ("morning", "yo", "cheers", "appreciate", "appreciated")]
    return (ConceptMatcher(["social"], {"social": social}),
            ConceptMatcher([*REQUEST_CONCEPTS, "request_verb"],
                           {**{c: lexicon[c] for c in REQUEST_CONCEPTS}, "request_verb": REQUEST_VERBS}))


Span = Tuple[str, int, int]  # (text, start, end) of a token in the message


def _covered(spans: Sequence[Tuple[int, int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for _, s, e in spans)


def request_span(text: str, tokens: Sequence[Span]) -> Tuple[int, int]:
    """(first, last + 1) indexes of the tokens that are the request once the social phrases around it are dropped;
    (0, len(tokens)) when nothing is dropped."""
    n = len(tokens)
    if n < 2:
        return 0, n
    social_matcher, request_matcher = _matchers()
    spans = social_matcher.match(text, list(tokens))
    if any(s < span_start < e or s < span_end < e for _, s, e in tokens for _, span_start, span_end in spans):
        return 0, n  # a phrase that ends inside a word ("唔该" in 唔/该帮): the segmenter and the lexicon disagree
    social = [_covered(spans, s, e) for _, s, e in tokens]
    filler = [t.casefold() in FILLERS for t, _, _ in tokens]
    first = 0
    while first < n and (social[first] or filler[first]):
        first += 1
    if not any(social[:first]) or (first < n and tokens[first][0].casefold() in OBJECT_MARKERS):
        first = 0
    last = n
    while last > first and (social[last - 1] or filler[last - 1]):
        last -= 1
    if not any(social[last:]) or (last > first and tokens[last - 1][0].casefold().endswith(TAMIL_DATIVE)):
        last = n
    if (first, last) == (0, n) or first >= last:
        return 0, n
    rest = tokens[first:last]
    offset = rest[0][1]
    inner = text[offset:rest[-1][2]]
    if not request_matcher.match(inner, [(t, s - offset, e - offset) for t, s, e in rest]):
        return 0, n
    return first, last
