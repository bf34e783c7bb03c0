"""Natural dates in English, Chinese, Malay and Tamil, as parents type them.

`parse_date(text, today, prefer)` returns a `datetime.date` or None. `prefer` says which way a date
without a year or direction leans: "past" for a date of birth ("3 Mac" → the last 3 March), "future" for
an appointment ("Tuesday" → the coming Tuesday).

Understood: today / yesterday / the day before yesterday / tomorrow / the day after (each language);
"N days/weeks ago", "in N days"; weekdays, alone or with last/next/this ("last Tuesday", "上个星期二",
"Selasa lepas", "கடந்த செவ்வாய்", "next Monday", "下周一", "Isnin depan", "அடுத்த திங்கள்");
day + month names in the four languages ("3 Mac", "March 3rd 2026", "3月3日", "三月三号", "மார்ச் 3");
numeric dates, day first as in Singapore ("3/3/2026", "03-03-26", "2026-03-03").
"last Tuesday" is the most recent Tuesday before today; "上个星期二" is the Tuesday of last calendar week.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Optional

from moments.text.words import has_word

MONTHS = {
    # English (full and short), Malay, Tamil
    **{m: i for i, ms in enumerate([
        ["january", "jan", "januari", "ஜனவரி"],
        ["february", "feb", "februari", "பிப்ரவரி", "பெப்ரவரி"],
        ["march", "mar", "mac", "மார்ச்"],
        ["april", "apr", "ஏப்ரல்"],
        ["may", "mei", "மே"],
        ["june", "jun", "ஜூன்"],
        ["july", "jul", "julai", "ஜூலை"],
        ["august", "aug", "ogos", "ogo", "ஆகஸ்ட்", "ஆகஸ்டு"],
        ["september", "sep", "sept", "செப்டம்பர்"],
        ["october", "oct", "oktober", "okt", "அக்டோபர்"],
        ["november", "nov", "நவம்பர்"],
        ["december", "dec", "disember", "dis", "டிசம்பர்"],
    ], start=1) for m in ms},
}

# Monday = 0 … Sunday = 6
WEEKDAYS = {
    **dict.fromkeys(["monday", "mon", "isnin", "திங்கள்", "திங்கட்கிழமை", "thingal", "thinkal"], 0),
    **dict.fromkeys(["tuesday", "tue", "tues", "selasa", "செவ்வாய்", "செவ்வாய்க்கிழமை", "sevvai", "chevvai"], 1),
    **dict.fromkeys(["wednesday", "wed", "rabu", "புதன்", "புதன்கிழமை", "pudhan", "budhan"], 2),
    **dict.fromkeys(["thursday", "thu", "thur", "thurs", "khamis", "வியாழன்", "வியாழக்கிழமை", "viyazhan", "viyalan"], 3),
    **dict.fromkeys(["friday", "fri", "jumaat", "jumat", "வெள்ளி", "வெள்ளிக்கிழமை", "velli", "vellikizhamai"], 4),
    **dict.fromkeys(["saturday", "sat", "sabtu", "சனி", "சனிக்கிழமை", "sani", "sanikizhamai"], 5),
    **dict.fromkeys(["sunday", "sun", "ahad", "minggu", "ஞாயிறு", "ஞாயிற்றுக்கிழமை", "nyayiru", "gnayiru"], 6),
}
ZH_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "1": 0, "2": 1,
              "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}

RELATIVE_DAYS = [  # longest phrases first
    (["day before yesterday", "前天", "kelmarin", "நேற்று முன்தினம்", "முந்தாநாள்", "முந்தா நாள்"], -2),
    (["day after tomorrow", "后天", "後天", "lusa", "நாளை மறுநாள்", "நாளன்னைக்கு"], 2),
    (["yesterday", "ytd", "ystd", "昨天", "昨日", "semalam", "smlm", "நேற்று", "நேத்து"], -1),
    (["tomorrow", "tmr", "tml", "tmrw", "明天", "明日", "esok", "besok", "நாளை", "நாளைக்கு"], 1),
    (["today", "tdy", "今天", "今日", "hari ini", "harini", "இன்று", "இன்னைக்கு"], 0),
]

PAST_WORDS = ["last", "lepas", "lalu", "கடந்த", "போன"]
# "next Friday" is Friday of next week (Monday to Sunday), as 下周五 is in Chinese and as Singaporeans mostly mean it:
# said on a Wednesday it is nine days later, not two. "This Friday" / "coming Friday" / "வரும் வெள்ளி" is the coming one.
NEXT_WORDS = ["next", "depan", "hadapan", "akan datang", "அடுத்த", "adutha", "aduththa"]
COMING_WORDS = ["coming", "வரும்", "varum", "ni", "nih"]
THIS_WORDS = ["this", "ini", "இந்த"]

ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def zh_number(s: str) -> Optional[int]:
    """'3' → 3, '十二' → 12, '二十一' → 21, '三十' → 30."""
    if s.isdigit():
        return int(s)
    if not s or any(ch not in ZH_DIGITS and ch != "十" for ch in s):
        return None
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (ZH_DIGITS[tens] if tens else 1) * 10 + (ZH_DIGITS[ones] if ones else 0)
    return ZH_DIGITS.get(s) if len(s) == 1 else None


def _safe_date(y: int, m: int, d: int) -> Optional[date]:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _with_year(month: int, day: int, year: Optional[int], today: date, prefer: Optional[str]) -> Optional[date]:
    if year is not None:
        if year < 100:
            year += 2000
        return _safe_date(year, month, day)
    candidate = _safe_date(today.year, month, day)
    if candidate is None:  # 29 Feb in a non-leap year: try the neighbouring year
        for y in (today.year - 1, today.year + 1):
            if _safe_date(y, month, day):
                candidate = _safe_date(y, month, day)
                break
        return candidate
    if prefer == "past" and candidate > today:
        return _safe_date(today.year - 1, month, day)
    if prefer == "future" and candidate < today:
        return _safe_date(today.year + 1, month, day)
    return candidate


def _weekday(target: int, today: date, direction: str) -> date:
    """direction: 'last' (most recent before today), 'next' (first after today), 'nearest-past'/'nearest-future'."""
    delta = (today.weekday() - target) % 7
    if direction == "last":
        return today - timedelta(days=delta or 7)
    if direction == "nearest-past":
        return today - timedelta(days=delta)
    ahead = (target - today.weekday()) % 7
    if direction == "next":
        return today + timedelta(days=ahead or 7)
    return today + timedelta(days=ahead)  # nearest-future (today counts)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().strip()
    text = re.sub(r"(\d+)(st|nd|rd|th|hb|haribulan)\b", r"\1", text)
    return re.sub(r"\s+", " ", text)


def parse_date(text: Optional[str], today: Optional[date] = None, prefer: Optional[str] = None) -> Optional[date]:
    if not text:
        return None
    today = today or date.today()
    t = _normalise(text)[:200]

    # ISO 2026-03-03
    m = re.search(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)", t)
    if m:
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    # Singapore numeric, day first: 3/3/2026, 03-03-26, 3.3.2026, 3/3
    m = re.search(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?(?!\d)", t)
    if m:
        year = int(m.group(3)) if m.group(3) else None
        return _with_year(int(m.group(2)), int(m.group(1)), year, today, prefer) if 1 <= int(m.group(2)) <= 12 else None

    # Chinese: 2026年3月3日 / 三月三号 / 3月3日
    m = re.search(r"(?:(\d{2,4}|[零〇一二三四五六七八九]{4})年)?([\d一二三四五六七八九十]{1,3})月([\d一二三四五六七八九十]{1,3})[日号號]?", t)
    if m:
        year = None
        if m.group(1):
            year = int(m.group(1)) if m.group(1).isdigit() else int("".join(str(ZH_DIGITS[c]) for c in m.group(1)))
        month, day = zh_number(m.group(2)), zh_number(m.group(3))
        if month and day and 1 <= month <= 12:
            return _with_year(month, day, year, today, prefer)
        return None

    # Day + month name (either order), optional year: "3 mac", "march 3 2026", "மார்ச் 3"
    month_names = "|".join(sorted((re.escape(k) for k in MONTHS), key=len, reverse=True))
    m = re.search(rf"(?<!\d)(\d{{1,2}})\s*(?:of\s+)?({month_names})(?![a-z])\.?,?\s*(\d{{4}})?", t) or None
    if m:
        return _with_year(MONTHS[m.group(2)], int(m.group(1)), int(m.group(3)) if m.group(3) else None, today, prefer)
    m = re.search(rf"(?<![a-z])({month_names})(?![a-z])\.?\s*(\d{{1,2}})(?!\d),?\s*(\d{{4}})?", t)
    if m:
        return _with_year(MONTHS[m.group(1)], int(m.group(2)), int(m.group(3)) if m.group(3) else None, today, prefer)

    # N days/weeks ago, in N days
    m = re.search(r"(\d+|[一二两三四五六七八九十]+)\s*(days?|hari|天|日|நாட்கள்|நாள்|weeks?|minggu|星期|周|个星期|வாரம்|வாரங்கள்)\s*"
                  r"(ago|lepas|lalu|yang lalu|前|以前|之前|முன்பு|முன்னாடி|முன்)", t)
    if m:
        n = zh_number(m.group(1))
        unit = 7 if m.group(2) in ("week", "weeks", "minggu", "星期", "周", "个星期", "வாரம்", "வாரங்கள்") else 1
        return today - timedelta(days=n * unit) if n is not None else None
    m = re.search(r"(?:in|dalam)\s+(\d+)\s*(days?|hari)", t) or re.search(r"(\d+)\s*(天|日)\s*(后|後|以后)", t)
    if m:
        return today + timedelta(days=int(m.group(1)))

    # Chinese weekdays: 上个星期二 / 上周二 / 下个礼拜一 / 这个星期五 / 星期三
    m = re.search(r"(上上|上|下下|下|这|這|本)?(?:个|個)?(?:星期|礼拜|禮拜|周|週)([一二三四五六日天1-7])", t)
    if m:
        target = ZH_WEEKDAY[m.group(2)]
        monday = today - timedelta(days=today.weekday())
        week_shift = {"上上": -2, "上": -1, "下": 1, "下下": 2, "这": 0, "這": 0, "本": 0}.get(m.group(1) or "", None)
        if week_shift is None:
            return _weekday(target, today, "nearest-past" if prefer == "past" else "nearest-future")
        return monday + timedelta(weeks=week_shift, days=target)

    # Relative days (after weekday/number patterns so "前天" is not "N天前")
    for words, offset in RELATIVE_DAYS:
        if any(has_word(t, w) for w in words):
            return today + timedelta(days=offset)

    # Weekday names with last/next/this in en/ms/ta
    for name, target in sorted(WEEKDAYS.items(), key=lambda kv: -len(kv[0])):
        if has_word(t, name):
            if any(has_word(t, w) for w in PAST_WORDS):
                return _weekday(target, today, "last")
            if any(has_word(t, w) for w in NEXT_WORDS) and not any(has_word(t, w) for w in COMING_WORDS):
                return today - timedelta(days=today.weekday()) + timedelta(weeks=1, days=target)
            if any(has_word(t, w) for w in THIS_WORDS + COMING_WORDS):
                return _weekday(target, today, "nearest-future")
            return _weekday(target, today, "nearest-past" if prefer == "past" else "nearest-future")
    return None
