"""Every reminder in every language fits 2 SMS, English and Malay in GSM-7; texts.yml has all four languages."""
from __future__ import annotations

import pytest

from moments.channels.segments import is_gsm7, split_sms
from moments.notifier.texts import KINDS, LANGUAGES, count_segments, render, texts

LONG_NAME = "Muhammad Irfan Haziq bin Ahmad Faizal"
CLINIC = {"en": "Punggol Polyclinic", "zh": "榜鹅综合诊疗所", "ms": "Poliklinik Punggol",
          "ta": "பொங்கோல் பலதுறை மருந்தகம்", "address": "681 Punggol Drive, #04-01 Oasis Terraces, Singapore 820681"}
ITEMS = [
    {"kind": "birth_registration", "child": {"id": None, "name": None, "born_on": "2026-11-02"}, "due_on": "2026-12-14"},
    {"kind": "birth_registration", "window": "day-38", "child": {"id": None, "name": None, "born_on": "2026-11-02"},
     "due_on": "2026-12-14"},
    {"kind": "vaccination_due", "child": {"id": "c", "name": LONG_NAME}, "due_on": "2026-12-14",
     "doses": ["MMR-1", "VAR-1", "PCV-B"]},
    {"kind": "vaccination_overdue", "child": {"id": "c", "name": LONG_NAME}, "due_on": "2026-06-14",
     "doses": ["6IN1-1", "5IN1-2", "PCV-1", "6IN1-3", "PCV-2", "FLU-1"]},
    {"kind": "appointment_tomorrow", "child": {"id": "c", "name": LONG_NAME}, "due_on": "2026-12-14",
     "starts_at": "2026-12-14T08:30:00+08:00", "reference": "AP-9F3K2M7Q", "clinic": CLINIC},
    {"kind": "baby_bonus_paid", "child": {"id": "c", "name": "Zoë Tan"}, "due_on": "2026-12-14", "amount": 1500,
     "next_on": "2027-06-14", "next_amount": 1000},
    {"kind": "baby_bonus_paid", "child": {"id": "c", "name": "Kavya"}, "due_on": "2026-12-14", "amount": 400,
     "next_on": None, "next_amount": None},
]


def test_every_text_is_in_four_languages():
    for key, by_language in texts().items():
        assert set(by_language) == set(LANGUAGES), key


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("item", ITEMS, ids=[i["kind"] for i in ITEMS])
def test_a_reminder_fits_two_sms(item, lang):
    body = render(item, lang).body
    assert count_segments(body) <= 2, body
    assert len(split_sms(body)) <= 3, body  # the channel's word-break splitter (replies) may need one more
    if lang in ("en", "ms"):
        assert is_gsm7(body), body
    if item["kind"] != "birth_registration":
        assert "Irfan" in body or "Zo" in body or "Kavya" in body
        assert "d/o" not in body or len(split_sms(body)) <= 2


def test_every_kind_renders_and_the_replies_have_options():
    assert {i["kind"] for i in ITEMS} == set(KINDS)
    assert [p for _, p in render(ITEMS[4], "zh").options] == ["/reschedule_appointment", "/cancel_appointment"]
    assert render(ITEMS[2], "ms").options[0][1].startswith("/book_appointment{")
    assert render(ITEMS[0], "en").body != render(ITEMS[1], "en").body  # day 28 and day 38 say different things
