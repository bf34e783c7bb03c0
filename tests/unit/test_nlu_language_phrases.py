"""Language ID of short set phrases: Malay Muslim greetings, romanised Tamil, and Singlish that is neither."""
import pytest

from moments.nlu.language import EN_MARKERS, MS_MARKERS, TA_ROMAN_MARKERS, detect_language


@pytest.mark.parametrize("text", [
    "assalamualaikum", "Assalamualaikum!", "Assalamualaikum wbt", "salam", "Salam sejahtera", "waalaikumsalam",
    "Wa alaikum salam", "salam puan", "assalamualaikum, saya nak tanya",
])
def test_malay_muslim_greetings_are_malay(text):
    assert detect_language(text) == "ms"


@pytest.mark.parametrize("text", [
    "vanakkam", "Vanakkam!", "romba nandri", "enakku appointment venum", "enakku theriyala",
    "baby bonus apply pannanum", "appointment cancel pannunga", "vaccine eppo irukku sollunga",
    "naan oru officer kitta pesanum", "sari illa", "kuzhandhai pathivu eppadi pannanum",
])
def test_romanised_tamil_is_tamil_when_its_markers_dominate(text):
    assert detect_language(text) == "ta"


@pytest.mark.parametrize("text, lang", [
    ("can or not lah", "en"), ("I want book appointment can?", "en"), ("got appointment or not ah", "en"),
    ("aiyo why so difficult one", "en"), ("my son ah, when jab?", "en"),
    ("nak tukar temujanji boleh?", "ms"), ("saya nak cancel appointment", "ms"), ("ini macam mana ah", "ms"),
    ("Assalamualaikum, I want to ask about the baby bonus", "en"),  # a greeting does not outweigh a sentence
])
def test_singlish_and_manglish_are_not_taken_for_tamil(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", [
    "ok", "1", "Kavin Raj", "Muthu", "Ravi Kumar", "salam 123", "ok lor", "wah so fast ah", "eppo vaccine",
])
def test_names_numbers_and_short_mixed_phrases_still_give_none(text):
    # "eppo vaccine": one Tamil marker of two words is not enough to switch the conversation's language
    assert detect_language(text) is None


def test_tamil_markers_are_neither_english_nor_malay_markers():
    assert not TA_ROMAN_MARKERS & (EN_MARKERS | MS_MARKERS)
    assert not TA_ROMAN_MARKERS & {"lah", "lor", "meh", "ah", "la", "leh", "one", "can", "got"}
