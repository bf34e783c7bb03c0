"""`channel: sms` response variations: each one carries a language condition, and a response that has any
has one per language.

Why: Rasa 3.6 (rasa/core/nlg/generator.py, ResponseVariationFilter.responses_for_utter_action) picks, in
this order, conditional+channel-matched variations, then channel-matched ones WITHOUT a condition, then
conditional ones, then the default. An sms variation without a language condition would therefore be
sent to every SMS user, whatever their language. The last tests show that order with Rasa's own filter.
"""
from pathlib import Path

import pytest
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.core.domain import Domain

from moments.channels.plain_text import to_plain_text
from moments.channels.segments import GSM7, encoding_of, split_sms

ROOT = Path(__file__).resolve().parents[2]
RESPONSES = Domain.load(str(ROOT / "domain")).as_dict()["responses"]
LANGS = ("en", "zh", "ms", "ta")
# The long web texts that must have shorter SMS versions (more may follow).
MUST_HAVE_SMS = ["utter_greet", "utter_help", "utter_default", "utter_birth_registration_info",
                 "utter_baby_bonus_info", "utter_vaccination_info", "utter_out_of_scope"]


def language_of(variation):
    return next((c["value"] for c in variation.get("condition") or [] if c.get("name") == "language"), None)


def sms_variations(name):
    return [v for v in RESPONSES[name] if v.get("channel") == "sms"]


def web_variation(name, lang):
    """The variation every other channel gets in `lang` (English: the default without a condition)."""
    for v in RESPONSES[name]:
        if v.get("channel"):
            continue
        if language_of(v) == lang or (lang == "en" and not v.get("condition")):
            return v
    raise AssertionError(f"{name} has no {lang} variation")


WITH_SMS = sorted(n for n in RESPONSES if sms_variations(n))


def test_the_long_responses_have_sms_variations():
    missing = [n for n in MUST_HAVE_SMS if n not in WITH_SMS]
    assert not missing, f"no `channel: sms` variation for {missing}"


@pytest.mark.parametrize("name", WITH_SMS)
def test_every_sms_variation_has_a_language_condition(name):
    for v in sms_variations(name):
        assert language_of(v) in LANGS, (
            f"{name}: an sms variation without a language condition would be sent to SMS users of every "
            f"language (Rasa prefers channel matches over condition matches): {v.get('text', '')[:60]!r}")


@pytest.mark.parametrize("name", WITH_SMS)
def test_a_response_with_sms_variations_has_exactly_one_per_language(name):
    langs = sorted(language_of(v) for v in sms_variations(name))
    assert langs == sorted(LANGS), f"{name} has sms variations for {langs}"


@pytest.mark.parametrize("name", WITH_SMS)
def test_sms_variations_keep_the_buttons_and_placeholders(name):
    default = next(v for v in RESPONSES[name] if not v.get("condition") and not v.get("channel"))
    payloads = [b["payload"] for b in default.get("buttons", [])]
    for v in sms_variations(name):
        assert [b["payload"] for b in v.get("buttons", [])] == payloads, f"{name}/{language_of(v)}"


@pytest.mark.parametrize("name", WITH_SMS)
def test_sms_variations_are_shorter_and_english_and_malay_stay_gsm7(name):
    for v in sms_variations(name):
        lang = language_of(v)
        web = web_variation(name, lang)
        sms_text, web_text = to_plain_text(v["text"]), to_plain_text(web["text"])
        assert len(split_sms(sms_text)) <= len(split_sms(web_text)), f"{name}/{lang} is not shorter on SMS"
        if lang in ("en", "ms"):
            assert encoding_of(sms_text) == GSM7, f"{name}/{lang} has a character that forces UCS-2"


# --- Rasa's selection order, shown with its own filter ----------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", WITH_SMS)
def test_rasa_picks_the_sms_variation_in_the_users_language(name, lang):
    chosen = ResponseVariationFilter(RESPONSES).responses_for_utter_action(name, "sms", {"language": lang})
    assert len(chosen) == 1 and chosen[0].get("channel") == "sms" and language_of(chosen[0]) == lang


@pytest.mark.parametrize("channel", ["collector", "socketio", "rest"])
def test_other_channels_never_get_sms_variations(channel):
    for name in WITH_SMS:
        for lang in LANGS:
            chosen = ResponseVariationFilter(RESPONSES).responses_for_utter_action(name, channel, {"language": lang})
            assert chosen and all(v.get("channel") is None for v in chosen), (name, lang, channel)


def test_why_the_condition_is_needed_a_channel_variation_without_one_beats_the_language():
    responses = {"utter_x": [
        {"text": "English"},
        {"text": "中文", "condition": [{"type": "slot", "name": "language", "value": "zh"}]},
        {"text": "SMS English", "channel": "sms"},  # the mistake the tests above prevent
    ]}
    chosen = ResponseVariationFilter(responses).responses_for_utter_action("utter_x", "sms", {"language": "zh"})
    assert [v["text"] for v in chosen] == ["SMS English"], "Rasa's order changed: revisit this module's docstring"


# --- what an SMS user can read: every response, in every language --------------------------------------------------
# The text a texter gets is the response's sms variation in their language, or else the web variation. Words that
# only make sense on a screen must not be in it, and English and Malay must stay GSM-7 (160 characters per SMS).

import re  # noqa: E402

from moments.channels.gateway import render_turn  # noqa: E402
from moments.channels.menus import _texts as channel_texts  # noqa: E402
from moments.channels.segments import prefer_gsm7  # noqa: E402

SCREEN_WORDS = re.compile(
    r"\btap(?:ping)?\b|\bclick|\bbuttons?\b|\bbutang\b|\btekan\b|\bat the top of the page\b|\bdi (?:bahagian )?atas "
    r"halaman\b|请点|点选|点击|按钮|页面|தட்டு|பொத்தான்|பக்கத்தின்", re.I)


def sms_text(name, lang):
    variations = RESPONSES[name]
    sms = [v for v in variations if v.get("channel") == "sms" and language_of(v) == lang]
    chosen = sms[0] if sms else web_variation(name, lang)
    return render_turn([chosen], lang).text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_no_screen_words_reach_sms_and_english_and_malay_stay_gsm7(name, lang):
    text = sms_text(name, lang)
    found = SCREEN_WORDS.search(text)
    assert not found, f"{name}/{lang}: an SMS user reads {found.group()!r}: {text[:120]!r}"
    if lang in ("en", "ms"):
        plain = prefer_gsm7(text)
        assert encoding_of(plain) == GSM7, (
            f"{name}/{lang} forces UCS-2 over SMS ({sorted({c for c in plain if encoding_of(c) != GSM7})}): {text!r}")


def test_the_screen_word_check_would_catch_them():
    for text in ("Type it, or tap Skip.", "请点\"跳过\"", "atau tekan Langkau", "\"தவிர்\" என்பதைத் தட்டுங்கள்",
                 "the Log in button at the top of the page"):
        assert SCREEN_WORDS.search(text), text


@pytest.mark.parametrize("key", sorted(k for k, v in channel_texts().items() if isinstance(v, dict)))
def test_the_channels_own_texts_have_no_screen_words(key):
    values = channel_texts()[key]
    for text in (values.values() if key != "journeys" else [t for v in values.values() for t in v.values()]):
        assert not SCREEN_WORDS.search(text), (key, text)
