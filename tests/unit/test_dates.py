"""Natural dates in four languages. Today is fixed: Saturday 28 Nov 2026."""
from datetime import date

import pytest

from moments.dates import parse_date, zh_number

TODAY = date(2026, 11, 28)  # a Saturday


@pytest.mark.parametrize("text,expected", [
    ("yesterday", date(2026, 11, 27)), ("昨天", date(2026, 11, 27)), ("semalam", date(2026, 11, 27)),
    ("நேற்று", date(2026, 11, 27)), ("baby born ytd", date(2026, 11, 27)),
    ("today", TODAY), ("今天出生的", TODAY), ("hari ini", TODAY), ("இன்று", TODAY),
    ("day before yesterday", date(2026, 11, 26)), ("前天", date(2026, 11, 26)), ("kelmarin", date(2026, 11, 26)),
    ("முந்தாநாள்", date(2026, 11, 26)),
    ("3 days ago", date(2026, 11, 25)), ("3天前", date(2026, 11, 25)), ("三天前", date(2026, 11, 25)),
    ("3 hari lepas", date(2026, 11, 25)), ("2 weeks ago", date(2026, 11, 14)),
    ("last Tuesday", date(2026, 11, 24)), ("Selasa lepas", date(2026, 11, 24)), ("கடந்த செவ்வாய்", date(2026, 11, 24)),
    ("上个星期二", date(2026, 11, 17)), ("上周二", date(2026, 11, 17)), ("这个星期二", date(2026, 11, 24)),
    ("3 Mac", date(2026, 3, 3)), ("3 March", date(2026, 3, 3)), ("March 3rd", date(2026, 3, 3)),
    ("3rd of March 2026", date(2026, 3, 3)), ("மார்ச் 3", date(2026, 3, 3)), ("3月3日", date(2026, 3, 3)),
    ("三月三号", date(2026, 3, 3)), ("2026年11月20日", date(2026, 11, 20)), ("20/11/2026", date(2026, 11, 20)),
    ("20-11-26", date(2026, 11, 20)), ("2026-11-20", date(2026, 11, 20)), ("25 Dec", date(2025, 12, 25)),
    ("15 Ogos", date(2026, 8, 15)), ("1 Disember 2025", date(2025, 12, 1)),
])
def test_dates_of_birth(text, expected):
    assert parse_date(text, TODAY, prefer="past") == expected


@pytest.mark.parametrize("text,expected", [
    ("tomorrow", date(2026, 11, 29)), ("明天", date(2026, 11, 29)), ("esok", date(2026, 11, 29)),
    ("நாளை", date(2026, 11, 29)), ("day after tomorrow", date(2026, 11, 30)), ("后天", date(2026, 11, 30)),
    ("next Monday", date(2026, 11, 30)), ("下个星期一", date(2026, 11, 30)), ("下周三", date(2026, 12, 2)),
    ("Isnin depan", date(2026, 11, 30)), ("அடுத்த திங்கள்", date(2026, 11, 30)),
    ("Tuesday", date(2026, 12, 1)), ("星期二", date(2026, 12, 1)), ("3 Dec", date(2026, 12, 3)),
    ("3 Mac", date(2027, 3, 3)), ("in 5 days", date(2026, 12, 3)), ("5天后", date(2026, 12, 3)),
])
def test_appointment_dates(text, expected):
    assert parse_date(text, TODAY, prefer="future") == expected


WEDNESDAY = date(2026, 12, 2)


@pytest.mark.parametrize("text,expected", [
    # "next Friday" on a Wednesday: Friday of next week, in every language (README "Dates")
    ("next Friday", date(2026, 12, 11)), ("next fri can?", date(2026, 12, 11)), ("下周五", date(2026, 12, 11)),
    ("下个星期五", date(2026, 12, 11)), ("Jumaat depan", date(2026, 12, 11)), ("அடுத்த வெள்ளிக்கிழமை", date(2026, 12, 11)),
    ("adutha velli", date(2026, 12, 11)), ("next week Friday", date(2026, 12, 11)),
    # the coming one
    ("this Friday", date(2026, 12, 4)), ("this coming Friday", date(2026, 12, 4)), ("Friday", date(2026, 12, 4)),
    ("这个星期五", date(2026, 12, 4)), ("Jumaat ni", date(2026, 12, 4)), ("வரும் வெள்ளி", date(2026, 12, 4)),
    ("இந்த வெள்ளி", date(2026, 12, 4)),
    ("next Monday", date(2026, 12, 7)), ("next Wednesday", date(2026, 12, 9)),
])
def test_next_weekday_is_in_next_week(text, expected):
    assert parse_date(text, WEDNESDAY, prefer="future") == expected


@pytest.mark.parametrize("text", ["31 Feb", "31/02/2026", "32 March", "13/13/2026", "2026-02-30", "三十二月一日"])
def test_impossible_dates_give_none(text):
    assert parse_date(text, TODAY, prefer="past") is None


@pytest.mark.parametrize("text", ["", "hello", "Tan Wei Ming", "我要登记", "😀", "x" * 20000])
def test_no_date(text):
    assert parse_date(text, TODAY) is None


def test_chinese_numbers():
    assert [zh_number(s) for s in ["3", "十", "十二", "二十", "二十一", "三十一", "两"]] == [3, 10, 12, 20, 21, 31, 2]
