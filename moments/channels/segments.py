"""SMS encodings and segmentation: GSM-7 (160 characters) or UCS-2 (70), numbered "(1/3)" when split.

A text message is sent in GSM-7 when every character is in the GSM 03.38 basic set or its extension
table (extension characters such as "€", "[" or "{" cost two septets); one character outside it —
Chinese, Tamil, a curly quote — makes the whole message UCS-2, counted in UTF-16 code units.

`split_sms(text)` returns as few segments as possible, each within the limit *including* its " (i/n)"
suffix, and among those splits the one that breaks at the best places: paragraph and sentence ends
first, then clauses, then spaces (Chinese: jieba word boundaries), and only as a last resort inside a
word (never inside a Tamil letter: a vowel sign or virama stays with its consonant).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

from moments.nlu.scripts import is_han

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_LIMIT = 160
UCS2_LIMIT = 70
GSM7 = "GSM-7"
UCS2 = "UCS-2"

# Punctuation that word processors (and translators) put into otherwise plain text: replaced by its
# GSM-7 look-alike when that keeps a message in GSM-7 (160 instead of 70 characters per SMS).
GSM7_LOOKALIKES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
    "\u200b": "", "\t": " ", "\u00d7": "x",
    "\u2192": "->", "\u2190": "<-", "\u21d2": "=>",
})


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def encoding_of(text: str) -> str:
    return GSM7 if is_gsm7(text) else UCS2


def prefer_gsm7(text: str) -> str:
    """`text` with typographic punctuation replaced by GSM-7 look-alikes, if that makes it GSM-7."""
    plain = text.translate(GSM7_LOOKALIKES)
    return plain if is_gsm7(plain) else text


def char_units(ch: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1  # UTF-16: characters outside the BMP take a surrogate pair


def units(text: str, encoding: Optional[str] = None) -> int:
    """Length as the network counts it: septets for GSM-7, UTF-16 code units for UCS-2."""
    encoding = encoding or encoding_of(text)
    return sum(char_units(ch, encoding) for ch in text)


def limit_for(encoding: str) -> int:
    return GSM7_LIMIT if encoding == GSM7 else UCS2_LIMIT


@dataclass(frozen=True)
class Segments:
    """The SMS messages one reply becomes."""

    parts: Tuple[str, ...]
    encoding: str
    limit: int

    def __len__(self) -> int:
        return len(self.parts)

    def __iter__(self):
        return iter(self.parts)

    def sizes(self) -> List[int]:
        """Each part's size in its own encoding (a GSM-7-only part of a UCS-2 reply is counted in septets)."""
        return [units(p) for p in self.parts]

    def encodings(self) -> List[str]:
        return [encoding_of(p) for p in self.parts]


# Break costs: lower is a better place to end a segment.
PARAGRAPH, SENTENCE, CLAUSE, SPACE, CJK_WORD, HARD = 0, 1, 3, 5, 6, 50

SENTENCE_END = ".!?。！？…"
CLAUSE_END = ",;:，；：、)）"
CLOSERS = "\"'”’」』）)》〉】"  # a closing quote/bracket right after a sentence end stays with it
NO_LINE_START = set("，。、；：！？）」』》〉】”’,.;:!?)%")  # never start a segment with these
_SPACE_RUN = re.compile(r"\s+")
_MENU_NUMBER = re.compile(r"\d{1,2}\.")  # a whole line so far, e.g. "2."


@dataclass(frozen=True)
class _Break:
    end: int     # the segment before the break ends here (exclusive)
    start: int   # the next segment starts here
    cost: int


def _space_breaks(text: str) -> List[_Break]:
    out = []
    for m in _SPACE_RUN.finditer(text):
        a, b = m.start(), m.end()
        if a == 0 or b == len(text):
            continue
        if "\n" in m.group():
            cost = PARAGRAPH
        elif _MENU_NUMBER.fullmatch(text, text.rfind("\n", 0, a) + 1, a):
            continue  # "2. Baby Bonus": keep a menu number with its option
        else:
            before = text[max(0, a - 8):a].rstrip(CLOSERS)[-1:] or text[a - 1]
            cost = SENTENCE if before in SENTENCE_END else CLAUSE if before in CLAUSE_END else SPACE
        out.append(_Break(a, b, cost))
    return out


@lru_cache(maxsize=1)
def _jieba():
    try:  # the same jieba instance (and Singapore terms) the NLU tokenizer uses
        from moments.nlu.tokenizer import _Segmenters

        return _Segmenters.jieba()
    except Exception:  # pragma: no cover - jieba is a dependency; fall back to per-character breaks
        return None


def _cjk_word_starts(text: str) -> set:
    """Offsets where a jieba word starts inside Han runs (breaking there does not split a word)."""
    starts = set()
    seg = _jieba()
    for m in re.finditer(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", text):
        if seg is None:
            starts.update(range(m.start(), m.end()))
            continue
        for _word, s, _e in seg.tokenize(m.group()):
            starts.add(m.start() + s)
    return starts


def _cjk_breaks(text: str) -> List[_Break]:
    """Breaks between characters with no space, next to Han text or CJK punctuation."""
    out = []
    word_starts = None
    for i in range(1, len(text)):
        prev, ch = text[i - 1], text[i]
        if prev.isspace() or ch.isspace() or ch in NO_LINE_START:
            continue
        if not (is_han(prev) or is_han(ch) or prev in SENTENCE_END + CLAUSE_END):
            continue
        if prev in "。！？" or (prev in "!?" and is_han(ch)):
            cost = SENTENCE
        elif prev in "，；：、）":
            cost = CLAUSE
        elif is_han(prev) and is_han(ch):
            if word_starts is None:
                word_starts = _cjk_word_starts(text)
            if i not in word_starts:
                continue  # inside a word: only as a hard break
            cost = CJK_WORD
        elif is_han(prev) != is_han(ch) and (prev.isalnum() or ch.isalnum()):
            cost = CJK_WORD  # "用 LifeSG" written without a space: Han next to Latin/digits
        else:
            continue
        out.append(_Break(i, i, cost))
    return out


def _inseparable(prev: str, ch: str) -> bool:
    """True where a hard break would split a letter: combining marks (Tamil vowel signs, virama),
    joiners, variation selectors, and surrogate-free pairs like CR LF."""
    if unicodedata.category(ch).startswith("M") or ch in "\u200c\u200d\ufe0f\ufe0e":
        return True
    return prev in "\u200c\u200d" or (prev == "\r" and ch == "\n")


def _hard_breaks(text: str) -> List[_Break]:
    return [_Break(i, i, HARD) for i in range(1, len(text))
            if not text[i - 1].isspace() and not text[i].isspace() and not _inseparable(text[i - 1], text[i])]


def _best_split(text: str, breaks: Sequence[_Break], budget: int, encoding: str,
                ucs2_budget: Optional[int] = None) -> Optional[List[Tuple[int, int]]]:
    """Fewest segments (then lowest total break cost) with every segment <= budget units.

    With `ucs2_budget`, each segment is encoded on its own (each <Message> is a separate SMS): a segment with only
    GSM-7 characters may use `budget` septets, any other `ucs2_budget` UTF-16 units — so a link or a menu of
    digits inside a Chinese or Tamil reply can travel in a 160-character GSM-7 segment of its own.
    Dynamic programming over break points; returns [(start, end), …] or None if impossible.
    """
    per_segment = ucs2_budget is not None
    prefix = [0]
    prefix_ucs = [0]
    prefix_bad = [0]  # characters outside GSM-7 so far
    for ch in text:
        gsm = ch in GSM7_BASIC or ch in GSM7_EXTENSION
        prefix.append(prefix[-1] + (char_units(ch, GSM7 if per_segment and gsm else encoding) if per_segment
                                    else char_units(ch, encoding)))
        prefix_ucs.append(prefix_ucs[-1] + char_units(ch, UCS2))
        prefix_bad.append(prefix_bad[-1] + (0 if gsm else 1))
    widest = max(budget, ucs2_budget or 0)

    def fits(s: int, e: int) -> bool:
        if not per_segment:
            return prefix[e] - prefix[s] <= budget
        if prefix_bad[e] == prefix_bad[s]:
            return prefix[e] - prefix[s] <= budget
        return prefix_ucs[e] - prefix_ucs[s] <= ucs2_budget  # type: ignore[operator]

    # Nodes: the start of the text, every break, the end of the text.
    starts = [0] + [b.start for b in breaks]
    ends = [b.end for b in breaks] + [len(text)]
    costs = [b.cost for b in breaks] + [0]
    n = len(ends)
    INF = (10 ** 9, 10 ** 9)
    best = [INF] * (n + 1)  # best[k]: segments ending at ends[k-1] (k>=1); best[0]: nothing yet
    back = [-1] * (n + 1)
    best[0] = (0, 0)
    for i in range(n):  # a segment starting at starts[i]
        if best[i] == INF:
            continue
        s = starts[i]
        for k in range(i, n):  # … ending at ends[k]
            e = ends[k]
            if e <= s:
                continue
            if not fits(s, e):
                if e - s > widest:  # units >= characters, so no later end can fit either
                    break
                continue
            cand = (best[i][0] + 1, best[i][1] + costs[k])
            if cand < best[k + 1]:
                best[k + 1] = cand
                back[k + 1] = i
    if best[n] == INF:
        return None
    spans = []
    k = n
    while k > 0:
        i = back[k]
        spans.append((starts[i], ends[k - 1]))
        k = i
    return list(reversed(spans))


# Items a reader needs whole: never split across two SMS when any other split exists (moments.channels.segments
# tests). A numbered option is its whole line; links, times, dates, references and names are kept in one piece.
_MONTHS = (r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Januari|Februari|Mac|April|Mei|Jun|Julai|Ogos|"
           r"September|Oktober|November|Disember|Dis|Ogo|Okt)[a-z]*")
_ITEMS = [
    re.compile(r"^\d{1,2}\. .*$", re.M),                                        # "2. Fri 4 Dec, 8:45 am"
    re.compile(r"https?://\S+"),                                                 # links
    re.compile(r"(?:காலை|மாலை|மதியம்|இரவு|அதிகாலை|上午|下午|中午|晚上|凌晨)?\s?\d{1,2}[:.]\d{2}(?:\s?[ap]\.?m\.?)?",
               re.I),                                                             # times
    re.compile(r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? )?\d{1,2} " + _MONTHS + r"(?: \d{4})?"),  # 4 Dec 2026
    re.compile(r"\d{1,2}\s[\u0B80-\u0BFF]+\.?(?:\s\d{4})?"),                     # 4 டிசம்பர் 2026, 15 ஜன. 2027
    re.compile(r"[\u0B80-\u0BFF]+\s\d{1,2}\b(?!\.)"),                              # டிசம்பர் 3 (never a stray "3")
    re.compile(r"(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:（[^）]{1,4}）)?"),                # 2026年12月3日（星期四）, 12月5日（周六）
    re.compile(r"\b[A-Z]{2,3}-[A-Z0-9]{6,}\b|\bNLB\d{6,}\b|\b[STFGM]\d{7}[A-Z]\b"),  # references
    re.compile(r"\b[A-Z][a-z]+(?: (?:[A-Z][a-z]+|bin|binte|bte|s/o|d/o|de|van))+\b"),  # Tan Kai Xuan, Ang Mo Kio
    # A polyclinic or hospital named in Tamil or Chinese: the words before "polyclinic" / "hospital" are its name
    # ("அங் மோ கியோ பலதுறை மருந்தகம்", "மவுண்ட் அல்வெர்னியா மருத்துவமனை", "宏茂桥综合诊疗所", "中央医院").
    re.compile(r"(?:[\u0B80-\u0BFF.]+ ){1,4}(?:பலதுறை மருந்தகம்|மருத்துவமனை)"),
    re.compile(r"[\u4e00-\u9fff]{2,8}(?:综合诊疗所|医院)"),
]


def _protected(text: str) -> List[Tuple[int, int]]:
    spans = [(m.start(), m.end()) for pattern in _ITEMS for m in pattern.finditer(text) if m.end() - m.start() > 1]
    if not is_gsm7(text):  # Latin words inside Chinese or Tamil text are names, clinics, banks: keep them together
        spans += [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z][A-Za-z'./-]*(?: [A-Za-z][A-Za-z'./-]*)+", text)]
    return spans


def _outside(breaks: List[_Break], spans: List[Tuple[int, int]]) -> List[_Break]:
    inside = set()
    for s, e in spans:
        inside.update(range(s + 1, e))
    return [b for b in breaks if b.end not in inside and b.start not in inside]


def suffix(i: int, n: int) -> str:
    return f" ({i}/{n})"


def split_sms(text: str, *, gsm7_limit: int = GSM7_LIMIT, ucs2_limit: int = UCS2_LIMIT) -> Segments:
    """Splits a reply into as few SMS as possible, each numbered " (i/n)" when there are several.

    Each segment is encoded on its own: in a Chinese or Tamil reply, a part with only GSM-7 characters (a link,
    a list of times) may take 160 characters. Items (a numbered option, a link, a time, a date, a reference, a
    name) are kept whole whenever the text can be split without cutting one."""
    text = prefer_gsm7(text.strip())
    encoding = encoding_of(text)
    limit = gsm7_limit if encoding == GSM7 else ucs2_limit
    if not text:
        return Segments((), encoding, limit)
    if units(text, encoding) <= limit:
        return Segments((text,), encoding, limit)
    soft = sorted(_space_breaks(text) + _cjk_breaks(text), key=lambda b: (b.end, b.start))
    soft = _dedupe(soft)
    whole = _outside(soft, _protected(text))
    # Items whole first; then any word boundary; hard breaks only when a "word" is too long for one SMS.
    for breaks in (whole, soft, None):
        if breaks is None:
            breaks = _dedupe(sorted(soft + _hard_breaks(text), key=lambda b: (b.end, b.start)))
        n = 2
        while n <= len(text) + 1:
            room = len(suffix(n, n))
            if encoding == GSM7:
                spans = _best_split(text, breaks, gsm7_limit - room, encoding)
            else:
                spans = _best_split(text, breaks, gsm7_limit - room, encoding, ucs2_budget=ucs2_limit - room)
            if spans is None:
                break
            if len(spans) <= n:  # the first n that works is exactly the minimum (see module tests)
                count = len(spans)
                parts = tuple(text[s:e].strip() + suffix(i, count) for i, (s, e) in enumerate(spans, 1))
                return Segments(parts, encoding, limit)
            n = len(spans)  # fewer candidates can't work; jump ahead
    raise ValueError("text cannot be split into SMS segments")  # pragma: no cover - hard breaks always fit


def _dedupe(breaks: List[_Break]) -> List[_Break]:
    """One break per end position (the cheapest), ordered by position."""
    best = {}
    for b in breaks:
        if b.end not in best or b.cost < best[b.end].cost:
            best[b.end] = b
    return [best[k] for k in sorted(best)]
