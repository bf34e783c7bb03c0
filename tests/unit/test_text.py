"""moments.text: the one copy of the script table, the vocabularies and the date format every part uses."""
from __future__ import annotations

from datetime import date

import pytest

from moments.rules import birth as birth_rules
from moments.nlu import scripts as nlu_scripts
from moments.text import vocab
from moments.text.formatting import format_date
from moments.text.fuzzy import edit_distance, one_typo_away
from moments.text.languages import LANGUAGES
from moments.text.scripts import count_scripts, in_ethnic_script, is_han, script_of
from moments.text.words import contains_any, find_word, has_stem, has_word

RARE_HAN = "\U0002B820"  # CJK extension E: a character some Chinese names use


def test_one_han_range_for_the_tokenizer_the_actions_and_ica():
    assert is_han(RARE_HAN) and nlu_scripts.is_han(RARE_HAN)
    assert count_scripts("陈" + RARE_HAN).han == 2
    assert birth_rules.clean_ethnic_name("陈" + RARE_HAN) == ("陈" + RARE_HAN, "han")
    assert script_of("க") == "tamil" and script_of("ج") == "jawi" and script_of("a") is None


@pytest.mark.parametrize("text,expected", [("陈伟明", True), ("கவின்", True), ("Tan 陈", False), ("", False)])
def test_a_name_in_an_ethnic_script(text, expected):
    assert in_ethnic_script(text) is expected


@pytest.mark.parametrize("vocabulary", [vocab.STOP, vocab.YES, vocab.NO, vocab.SKIP])
def test_every_vocabulary_has_all_four_languages(vocabulary):
    assert set(vocabulary) == set(LANGUAGES) and all(vocabulary[lang] for lang in LANGUAGES)


@pytest.mark.parametrize("text", ["cancel", "Stop!", "取消", "batal", "ரத்து", "/stop"])
def test_stop_words_in_every_language(text):
    assert vocab.is_stop(text)


@pytest.mark.parametrize("text", ["Kavin", "cancel my appointment tomorrow", None, "ok"])
def test_other_answers_do_not_stop(text):
    assert not vocab.is_stop(text)


def test_words_match_whole_in_latin_and_inside_other_scripts():
    assert has_word("book for mum", "mum") and not has_word("mummy", "mum")
    assert has_word("我要取消", "取消") and find_word("change the name", "name") == (11, 15)
    assert has_stem("Vaccination please", ["vaccin"]) and not has_stem("revaccinate", ["vaccin"])
    assert contains_any("for my wife pls", ["wife"]) and contains_any("saya sendiri", ["saya sendiri"])


def test_typos_are_forgiven_once():
    assert edit_distance("ocbs", "ocbc") == 1 and edit_distance("obcc", "ocbc") == 1
    assert one_typo_away("uob", "uob") and one_typo_away("ocbs", "ocbc") and not one_typo_away("abcd", "ocbc")


@pytest.mark.parametrize("lang,with_weekday,without", [
    ("en", "Tue 1 Dec 2026", "1 Dec 2026"), ("zh", "2026年12月1日（星期二）", "2026年12月1日"),
    ("ms", "Selasa, 1 Dis 2026", "1 Dis 2026"), ("ta", "செவ்வாய், 1 டிசம்பர் 2026", "1 டிசம்பர் 2026"),
])
def test_one_date_format_with_or_without_the_weekday(lang, with_weekday, without):
    assert format_date(date(2026, 12, 1), lang) == with_weekday
    assert format_date("2026-12-01", lang, weekday=False) == without
    assert format_date(None, lang) == "—"
