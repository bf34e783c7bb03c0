"""A pick from a list by its place, in four languages: "the first one", "2nd", "第二个", "最后那个", "yang pertama",
"terakhir", "முதலாவது", "kadaisi", and at a list in time order "the earlier one", "最早的", "yang awal".

    ordinal("the first one pls", 3) == 0        ordinal("第二个", 3) == 1      ordinal("yang terakhir", 3) == 2
    ordinal("முதலாவது", 2) == 0                 ordinal("the earlier one", 2, in_time_order=True) == 0
    ordinal("first step grant", 3) is None      (words other than an ordinal and its fillers: not a pick)

Only a short answer that is an ordinal and nothing else counts, so a sentence that happens to contain "first" or
"last" is never taken for a pick.
"""
from __future__ import annotations

import re
from typing import Dict, Optional, Set

from moments.text.normalise import nfkc
from moments.text.vocab import LAST, ORDINAL_FILLERS, ORDINALS, TIME_ORDINALS

CHINESE_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
CHINESE_ORDINAL = re.compile(r"第\s*([一二两三四五六七八九十]|\d{1,2})\s*(?:个|個|项|項|位|号|號|次|条|條)?")
CHINESE_LAST = re.compile(r"最后|最後|最尾|倒数第一")
CHINESE_FIRST = re.compile(r"头一个|頭一個|最前面|最上面")
CHINESE_FILLERS = re.compile(r"孩子|宝宝|寶寶|小孩|儿子|兒子|女儿|女兒|时段|時段|预约|預約|银行|銀行|"
                             r"[我要选選择擇就那这這个個的吧啦呀啊哦喔好请請用一下时间時間那天位]")
WORD = re.compile(r"[a-z0-9']+|[\u0b80-\u0bff]+")


def _place(value: int, count: int) -> Optional[int]:
    index = count - 1 if value == LAST else value - 1
    return index if 0 <= index < count else None


def _tamil_stem(word: str, stems: Dict[str, int]) -> Optional[int]:
    for stem, value in stems.items():
        if not stem.isascii() and word.startswith(stem):
            return value
    return None


def ordinal(text: object, count: int, in_time_order: bool = False) -> Optional[int]:
    """0-based index of the item `text` picks by its place among `count` items; None when it is not such a pick."""
    if not isinstance(text, str) or count < 1:
        return None
    t = nfkc(text).lower().strip()
    if not t or len(t) > 60 or any(c.isdigit() for c in re.sub(r"\b\d(?:st|nd|rd|th)\b", "", t)):
        return None  # a bare number is pick_by_number's; a time or a date is not a place in a list
    found: Set[int] = set()
    # Chinese: 第二个, 最后那个, 头一个, and time order 最早的
    zh = t
    for pattern, place in ((CHINESE_LAST, LAST), (CHINESE_FIRST, 1)):
        if pattern.search(zh):
            found.add(place)
            zh = pattern.sub(" ", zh)
    for m in CHINESE_ORDINAL.finditer(zh):
        n = m.group(1)
        found.add(int(n) if n.isdigit() else CHINESE_NUMERALS[n])
    zh = CHINESE_ORDINAL.sub(" ", zh)
    if in_time_order:
        for word, place in sorted(TIME_ORDINALS["zh"].items(), key=lambda kv: -len(kv[0])):
            if word in zh:
                found.add(place)
                zh = zh.replace(word, " ")
    rest = CHINESE_FILLERS.sub("", "".join(ch for ch in zh if "\u4e00" <= ch <= "\u9fff"))
    if rest:
        return None  # Chinese words other than an ordinal and its fillers
    # Latin and Tamil words
    words = WORD.findall(t)
    latin = " ".join(w for w in words if w.isascii())
    if in_time_order:  # two-word forms first ("lebih awal", "earlier one")
        for lang in ("en", "ms", "ta"):
            for phrase, place in TIME_ORDINALS[lang].items():
                if " " in phrase and re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", latin):
                    found.add(place)
                    latin = latin.replace(phrase, " ")
    for word in [w for w in latin.split() if w] + [w for w in words if not w.isascii()]:
        if word in ORDINAL_FILLERS:
            continue
        value: Optional[int] = next((table[word] for table in ORDINALS.values() if word in table), None)
        if value is None and in_time_order:
            value = next((TIME_ORDINALS[lang][word] for lang in ("en", "ms", "ta") if word in TIME_ORDINALS[lang]),
                         None)
        if value is None and not word.isascii():
            value = _tamil_stem(word, ORDINALS["ta"])
            if value is None and in_time_order:
                value = _tamil_stem(word, TIME_ORDINALS["ta"])
        if value is None:
            return None  # a word that is neither an ordinal nor a filler: not a pick
        found.add(value)
    if len(found) != 1:
        return None
    return _place(found.pop(), count)
