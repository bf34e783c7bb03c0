"""Short dates by SMS (issue 14): Tamil and Chinese dates are the costliest part of a UCS-2 reply. On SMS the month
is abbreviated the way Tamil newspapers write it ("4 டிச."), the year goes when it is this year, the weekday stays;
the web keeps the long forms (moments/text/formatting.py)."""
from datetime import date, datetime, timedelta

import pytest

from moments.channels.gateway import render_turn, shared_prefix
from moments.text.formatting import TA_MONTHS, TA_MONTHS_SHORT, format_date, format_datetime, sms_dates

TODAY = date(2026, 12, 3)
WHEN = datetime(2026, 12, 4, 8, 30)


@pytest.mark.parametrize("lang,long,short", [
    ("ta", "வெள்ளி, 4 டிசம்பர் 2026, காலை 8:30", "வெள்ளி 4 டிச., காலை 8:30"),
    ("zh", "2026年12月4日（星期五）上午8:30", "12月4日（周五）上午8:30"),
    ("en", "Fri 4 Dec 2026, 8:30 am", "Fri 4 Dec 2026, 8:30 am"),
    ("ms", "Jumaat, 4 Dis 2026, 8.30 pagi", "Jumaat, 4 Dis 2026, 8.30 pagi"),
])
def test_an_appointment_time_by_sms(lang, long, short):
    assert format_datetime(WHEN, lang) == long          # the web is unchanged
    assert sms_dates(long, lang, TODAY) == short


def test_another_years_date_keeps_its_year():
    assert sms_dates(format_date(date(2038, 12, 31), "ta", weekday=False), "ta", TODAY) == "31 டிச. 2038"
    assert sms_dates(format_date(date(2027, 1, 5), "zh"), "zh", TODAY) == "2027年1月5日（周二）"


def test_a_date_with_a_tamil_suffix_stays_whole():
    text = f"{format_date(date(2026, 12, 31), 'ta', weekday=False)}-க்குள் பதிவு செய்யுங்கள்"
    assert sms_dates(text, "ta", TODAY) == text


def test_every_tamil_month_has_a_short_form_no_longer_than_the_month():
    assert len(TA_MONTHS_SHORT) == 12
    for long, short in zip(TA_MONTHS, TA_MONTHS_SHORT):
        assert len(short) <= len(long) and short[0] == long[0]


def test_the_channel_shortens_dates_in_texts_and_menus():
    slots = [{"title": format_datetime(datetime(2026, 12, 5, 8, 30) + timedelta(minutes=15 * i), "ta", year=False), "payload": str(i)}
             for i in range(3)]
    turn = render_turn([{"text": f"பதிவானது! {format_datetime(WHEN, 'ta')}."}, {"text": "நேரங்கள்:", "buttons": slots}],
                       "ta")
    assert "டிசம்பர்" not in turn.text and "4 டிச., காலை 8:30" in turn.text
    # the times share "சனி 5 டிச., காலை": printed once above them, the options are the times alone
    assert "சனி 5 டிச., காலை:\n1. 8:30\n2. 8:45\n3. 9:00" in turn.text


def test_a_shared_word_before_times_is_printed_once_but_names_are_not_cut():
    assert shared_prefix(["Fri 4 Dec, 8:30 am", "Fri 4 Dec, 8:45 am", "Fri 4 Dec, 9:00 am"]) == "Fri 4 Dec, "
    assert shared_prefix(["சனி 5 டிச., காலை 8:30", "சனி 5 டிச., காலை 8:45", "சனி 5 டிச., காலை 9:00"]) == \
        "சனி 5 டிச., காலை "
    assert shared_prefix(["Kavya d/o Rajesh", "Kavya d/o Ramesh", "Kavya d/o Rahman"]) == ""


# --- words every option of a Tamil menu has in the middle: printed once ------------------------------------------

from moments.channels.gateway import shared_words  # noqa: E402

NEARBY = ["அங் மோ கியோ பலதுறை மருந்தகம் (~1.1 km)", "தோ பாயோ பலதுறை மருந்தகம் (~2.6 km)",
          "குவீன்ஸ்டவுன் பலதுறை மருந்தகம் (~8.4 km)"]


def test_polyclinic_is_said_once_above_the_nearby_clinics():
    buttons = [{"title": t, "payload": str(i)} for i, t in enumerate(NEARBY, 1)]
    turn = render_turn([{"text": "560123 அருகில்:", "buttons": buttons}], "ta")
    assert turn.text == ("560123 அருகில்:\nபலதுறை மருந்தகம்:\n1. அங் மோ கியோ (~1.1 km)\n2. தோ பாயோ (~2.6 km)\n"
                         "3. குவீன்ஸ்டவுன் (~8.4 km)\nபதில்: 1-3")
    assert turn.menu.options[1].title == "தோ பாயோ (~2.6 km)" and turn.menu.options[1].payload == "2"


@pytest.mark.parametrize("titles", [
    ["Ang Mo Kio Polyclinic (~1.1 km)", "Toa Payoh Polyclinic (~2.6 km)", "Jurong Polyclinic (~8 km)"],  # GSM-7
    ["Kavya d/o Rajesh (15 செப். 2022)", "Arjun s/o Rajesh (20 மே 2018)", "Diya d/o Rajesh (14 நவ.)"],  # a name
    ["宏茂桥综合诊疗所 (~1.1 km)", "大巴窑综合诊疗所 (~2.6 km)", "女皇镇综合诊疗所 (~8.4 km)"],  # no spaces in Chinese
    NEARBY[:2],                                                                                     # two options
])
def test_names_english_menus_and_short_lists_are_left_whole(titles):
    assert shared_words(titles) == ""
