"""Dates, times and lists shown the way each language writes them, and times as parents type them.

    format_datetime(dt, "en") -> "Tue 1 Dec 2026, 9:30 am"
    format_datetime(dt, "zh") -> "2026年12月1日（星期二）上午9:30"
    format_datetime(dt, "ms") -> "Selasa, 1 Dis 2026, 9.30 pagi"
    format_datetime(dt, "ta") -> "செவ்வாய், 1 டிசம்பர் 2026, காலை 9:30"

`year=False` leaves the year out (for short lists of slots in the coming weeks); `weekday=False` leaves the day of
the week out (dates of birth and deadlines in a summary: "23 Nov 2026", "2026年11月23日"). Agency datetimes are ISO strings
with the Singapore offset; they are shown in Singapore time.
`parse_time("下午两点半")` -> (14, 30): the time of day in a reply such as "9.30am", "2pm", "pukul 2.15 petang",
"மாலை 3 மணி"; an hour without am/pm before 8 is read as the afternoon (polyclinics open 8 am to 5 pm).

By SMS (70 characters a message in Tamil and Chinese) `sms_dates(text, lang)` shortens the dates these functions
wrote: "வெள்ளி, 4 டிசம்பர் 2026, காலை 8:30" -> "வெள்ளி 4 டிச., காலை 8:30" and "2026年12月4日（星期五）" ->
"12月4日（周五）" (the year only when it is not this year). Tamil keeps the month as a word, abbreviated as Tamil
newspapers do ("டிச."), and the weekday: a numeric "4/12" would read like the SMS numbering "(1/3)" or a menu
choice, and a grandparent plans a clinic visit by the day of the week.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Optional, Tuple, Union

from moments.text.languages import lang_or_en
from moments.text.words import has_word

SGT = timezone(timedelta(hours=8), "SGT")

EN_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
ZH_DAYS = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]
MS_DAYS = ["Isnin", "Selasa", "Rabu", "Khamis", "Jumaat", "Sabtu", "Ahad"]
MS_MONTHS = ["Jan", "Feb", "Mac", "Apr", "Mei", "Jun", "Jul", "Ogo", "Sep", "Okt", "Nov", "Dis"]
TA_DAYS = ["திங்கள்", "செவ்வாய்", "புதன்", "வியாழன்", "வெள்ளி", "சனி", "ஞாயிறு"]
TA_MONTHS = ["ஜனவரி", "பிப்ரவரி", "மார்ச்", "ஏப்ரல்", "மே", "ஜூன்", "ஜூலை", "ஆகஸ்ட்", "செப்டம்பர்", "அக்டோபர்",
             "நவம்பர்", "டிசம்பர்"]

DateLike = Union[date, datetime, str]


def to_sgt(value: Union[datetime, str]) -> datetime:
    """An agency datetime ('2026-12-01T09:30:00+08:00') as a naive Singapore time."""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt.astimezone(SGT).replace(tzinfo=None) if dt.tzinfo else dt


def to_date(value: DateLike) -> date:
    """A date, an agency datetime (its Singapore day) or an ISO date string as a date."""
    if isinstance(value, datetime):
        return to_sgt(value).date()
    if isinstance(value, date):
        return value
    return to_sgt(value).date() if "T" in value else date.fromisoformat(value)


NO_VALUE = "—"  # what a summary shows for an answer not given
MONTHS = {"en": EN_MONTHS, "zh": EN_MONTHS, "ms": MS_MONTHS, "ta": TA_MONTHS}


def format_date(value: Optional[DateLike], language: Optional[str], year: bool = True, weekday: bool = True) -> str:
    """'Tue 1 Dec 2026' / '2026年12月1日（星期二）' / 'Selasa, 1 Dis 2026' / 'செவ்வாய், 1 டிசம்பர் 2026';
    without the weekday '1 Dec 2026' / '2026年12月1日' / '1 Dis 2026' / '1 டிசம்பர் 2026'. No value: NO_VALUE."""
    if not value:
        return NO_VALUE
    d = to_date(value if isinstance(value, (date, datetime)) or "T" in str(value) else str(value)[:10])
    lang = lang_or_en(language)
    if lang == "zh":
        return (f"{d.year}年" if year else "") + f"{d.month}月{d.day}日" + (f"（{ZH_DAYS[d.weekday()]}）" if weekday else "")
    day = f"{d.day} {MONTHS[lang][d.month - 1]}" + (f" {d.year}" if year else "")
    if not weekday:
        return day
    if lang == "en":
        return f"{EN_DAYS[d.weekday()]} {day}"
    return f"{(MS_DAYS if lang == 'ms' else TA_DAYS)[d.weekday()]}, {day}"


def format_time(value: Union[datetime, str], language: Optional[str]) -> str:
    t = to_sgt(value)
    h12 = t.hour % 12 or 12
    lang = lang_or_en(language)
    if lang == "zh":
        period = "上午" if t.hour < 12 else "中午" if t.hour == 12 else "下午" if t.hour < 18 else "晚上"
        return f"{period}{h12}:{t.minute:02d}"
    if lang == "ms":
        period = "pagi" if t.hour < 12 else "tengah hari" if t.hour == 12 else "petang" if t.hour < 19 else "malam"
        return f"{h12}.{t.minute:02d} {period}"
    if lang == "ta":
        period = "காலை" if t.hour < 12 else "மதியம்" if t.hour < 15 else "மாலை" if t.hour < 19 else "இரவு"
        return f"{period} {h12}:{t.minute:02d}"
    return f"{h12}:{t.minute:02d} {'am' if t.hour < 12 else 'pm'}"


def format_datetime(value: Union[datetime, str], language: Optional[str], year: bool = True) -> str:
    lang = lang_or_en(language)
    day, time = format_date(value, lang, year), format_time(value, lang)
    return f"{day}{time}" if lang == "zh" else f"{day}, {time}"


TA_MONTHS_SHORT = ["ஜன.", "பிப்.", "மார்ச்", "ஏப்.", "மே", "ஜூன்", "ஜூலை", "ஆக.", "செப்.", "அக்.", "நவ.", "டிச."]
_TA_DATE = re.compile(r"(?:(" + "|".join(TA_DAYS) + r"), )?(\d{1,2}) (" + "|".join(TA_MONTHS) + r")(?: (\d{4}))?(?!\w)")
_ZH_DATE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日(?:（星期(.)）)?")


def sms_dates(text: str, language: Optional[str], today: Optional[date] = None) -> str:
    """`text` with the long Tamil and Chinese dates of format_date / format_datetime in their short SMS forms
    (module docstring); other languages, and dates followed by a suffix ("…2026-க்குள்"), are left as they are."""
    lang = lang_or_en(language)
    if not text or lang not in ("ta", "zh"):
        return text
    this_year = (today or datetime.now(SGT).date()).year

    def ta(m: "re.Match[str]") -> str:
        if m.string[m.end():m.end() + 1] == "-":  # "31 டிசம்பர் 2026-க்குள்": the suffix needs the whole word
            return m.group(0)
        weekday, day, month, year = m.groups()
        short = f"{day} {TA_MONTHS_SHORT[TA_MONTHS.index(month)]}"
        if year and int(year) != this_year:
            short += f" {year}"
        return f"{weekday} {short}" if weekday else short

    def zh(m: "re.Match[str]") -> str:
        year, month, day, weekday = m.groups()
        out = (f"{year}年" if year and int(year) != this_year else "") + f"{month}月{day}日"
        return out + (f"（周{weekday}）" if weekday else "")

    return _TA_DATE.sub(ta, text) if lang == "ta" else _ZH_DATE.sub(zh, text)


def join_list(items: Iterable[str], language: Optional[str]) -> str:
    """Items of a short list in running text: "a, b, c" (Chinese: "a、b、c")."""
    return ("、" if lang_or_en(language) == "zh" else ", ").join(items)


# --- times as typed ---------------------------------------------------------------------------------------------

PM_MARKERS = ("pm", "p.m", "下午", "晚上", "傍晚", "中午", "petang", "ptg", "tengah hari", "malam", "மதியம்", "மாலை",
              "இரவு", "சாயங்காலம்")
AM_MARKERS = ("am", "a.m", "上午", "早上", "早晨", "pagi", "காலை")
ZH_NUM = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
          "十一": 11, "十二": 12}


def parse_time(text: Optional[str]) -> Optional[Tuple[int, int]]:
    """(hour, minute) of the time of day in `text`, or None when it has none."""
    if not text:
        return None
    t = unicodedata.normalize("NFKC", text).lower()
    hour = minute = None
    m = re.search(r"(?<![\d/.-])(\d{1,2})\s*[:.]\s*(\d{2})(?![\d/.-])", t)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
    if hour is None:  # Chinese: 2点 / 两点半 / 2点15分 / 十点
        m = re.search(r"(\d{1,2}|十[一二]?|[一二两三四五六七八九])\s*[点點时時]\s*(半|\d{1,2}|[一二三四五]十[五]?|一刻)?", t)
        if m:
            hour = int(m.group(1)) if m.group(1).isdigit() else ZH_NUM.get(m.group(1))
            tail = m.group(2) or ""
            minute = 30 if tail == "半" else 15 if tail == "一刻" else int(tail) if tail.isdigit() else \
                {"十五": 15, "三十": 30, "四十五": 45, "四十": 40, "二十": 20, "五十": 50}.get(tail, 0)
    if hour is None:  # "2pm", "9 am", "10 o'clock", "pukul 3", "3 மணி", "10 mani"
        m = (re.search(r"(?<![\d/.-])(\d{1,2})\s*(?:am|pm|a\.m|p\.m|o'?\s?clock|mani(?:kku|ku)?)(?![a-z])", t)
             or re.search(r"(?:pukul|pkl|jam|at)\s*(\d{1,2})(?!\d)", t)
             or re.search(r"(?<!\d)(\d{1,2})\s*மணி", t))
        if m:
            hour, minute = int(m.group(1)), 0
    if hour is None or minute is None or hour > 23 or minute > 59:
        return None
    if any(has_word(t, p) for p in PM_MARKERS) and hour < 12:
        hour += 12
    elif any(has_word(t, a) for a in AM_MARKERS):
        hour = 0 if hour == 12 else hour
    elif 1 <= hour < 8:  # "2.30" at a polyclinic is the afternoon
        hour += 12
    return hour, minute
