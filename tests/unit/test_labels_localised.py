"""Names in the user's language (issue 14): the hospital, the parents' dialects and the vaccine names an action puts
into a text are shown in Chinese, Malay and Tamil — on the web and by SMS — while the agencies keep their canonical
values (ICA's hospital code and English dialect, the Health agency's dose codes)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

import actions.birth_registration.form as br
from actions.appointments.vaccinations import ActionVaccinationStatus
from actions.shared.labels import DIALECTS, HOSPITALS, VACCINES, dialect_name, hospital_name, label
from moments.agencies.seed import HOSPITALS as AGENCY_HOSPITALS
from tests.unit.test_birth_registration import complete as completed, tracker

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("en", "zh", "ms", "ta")
OTHER_LANGS = ("zh", "ms", "ta")
SCRIPT = {"zh": re.compile(r"[\u4e00-\u9fff]"), "ta": re.compile(r"[\u0b80-\u0bff]")}


def complete(birth_dialects):
    """The slots at the summary, with these dialects."""
    return {**completed(), "birth_dialects": birth_dialects}


def responses(name: str):
    """The variations of a response as the domain files hold them (web and sms), as (language, channel, text)."""
    for f in (ROOT / "domain").glob("*.yml"):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for v in (data.get("responses") or {}).get(name, []):
            lang = next((c["value"] for c in v.get("condition") or [] if c.get("name") == "language"), "en")
            yield lang, v.get("channel") or "web", v["text"]


def english_words_in(text: str, lang: str, names) -> list:
    """The English names (of `names`, a label table) in a text for `lang` where `lang` has a name of its own."""
    return [n["en"] for n in names.values() if n[lang] != n["en"] and re.search(rf"\b{re.escape(n['en'])}\b", text)]


# -- the tables ----------------------------------------------------------------------------------------------------
def test_every_hospital_the_agency_knows_has_a_name_in_four_languages():
    assert {code for code, _ in AGENCY_HOSPITALS} == set(HOSPITALS)
    for code, english in AGENCY_HOSPITALS:
        assert HOSPITALS[code]["en"] == english, code


@pytest.mark.parametrize("table", [HOSPITALS, DIALECTS], ids=["hospitals", "dialects"])
def test_names_are_in_four_languages_each_in_its_script(table):
    for key, names in table.items():
        assert set(names) == set(LANGS), key
        for lang, pattern in SCRIPT.items():
            assert pattern.search(names[lang]), f"{key}/{lang}: {names[lang]!r} is not in its script"


def test_a_hospital_or_dialect_we_have_no_name_for_is_shown_as_the_agency_gave_it():
    assert hospital_name("XYZ", "Some New Hospital", "zh") == "Some New Hospital"
    assert hospital_name("kkh", "KK Women's and Children's Hospital", "ta").startswith("கே.கே.")
    assert dialect_name("Sindhi", "ta") == "Sindhi"
    assert dialect_name("cantonese", "zh") == "广东话" and dialect_name("CANTONESE", "ms") == "Kantonis"
    assert dialect_name(None, "zh") == ""


# -- the birth registration summary ------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("dialects,shown", [
    ({"mother": "Cantonese", "father": "Cantonese"}, {"en": "Cantonese / Cantonese", "zh": "广东话 / 广东话",
                                                      "ms": "Kantonis / Kantonis", "ta": "கண்டோனீஸ் / கண்டோனீஸ்"}),
    ({"mother": "Tamil", "father": "Malayalee"}, {"en": "Tamil / Malayalee", "zh": "淡米尔 / 马拉雅里",
                                                  "ms": "Tamil / Malayali", "ta": "தமிழ் / மலையாளி"}),
])
def test_the_summary_shows_hospital_and_dialects_in_the_users_language(lang, dialects, shown):
    values = br.summary_values(tracker(complete(birth_dialects=dialects), language=lang))
    assert values["dialects"] == shown[lang]
    assert values["hospital"] == HOSPITALS["KKH"][lang]
    for lang_of_text, channel, text in responses("utter_birth_registration_summary"):
        if lang_of_text != lang:
            continue
        rendered = text.format(**{**values, "marital_status": "", "father": values.get("father", "")})
        assert values["hospital"] in rendered or channel == "sms" and "{hospital}" not in text
        if lang != "en":
            assert not english_words_in(rendered, lang, HOSPITALS), f"{lang}/{channel}: {rendered}"
            assert not english_words_in(rendered, lang, DIALECTS), f"{lang}/{channel}: {rendered}"


def test_the_agency_still_gets_the_canonical_values():
    form = br.registration_form(tracker(complete(birth_dialects={"mother": "Cantonese", "father": "Hokkien"}),
                                        language="ta"))
    assert (form["hospital"], form["mother_dialect"], form["father_dialect"]) == ("KKH", "Cantonese", "Hokkien")


def test_a_missing_dialect_is_shown_as_no_value():
    values = br.summary_values(tracker(complete(birth_dialects={"mother": "Hokkien", "father": None}), language="zh"))
    assert values["dialects"] == "福建话 / —"


# -- vaccine names -------------------------------------------------------------------------------------------------
ENGLISH_VACCINE_WORDS = re.compile(r"\b(?:in|dose|booster|chickenpox|varicella|flu|yearly|pneumococcal|Hepatitis)\b",
                                   re.IGNORECASE)


@pytest.mark.parametrize("lang", ("zh", "ta"))
def test_vaccine_names_have_no_english_words_in_chinese_and_tamil(lang):
    """Acronyms the schedule itself uses in every language (BCG, MMR, PCV, the B of hepatitis B) may stay."""
    for code, names in VACCINES.items():
        assert not ENGLISH_VACCINE_WORDS.search(names[lang]), f"{code}/{lang}: {names[lang]}"
        assert "6-in-1" not in names[lang] and "5-in-1" not in names[lang]


def test_vaccine_names_in_malay_are_malay():
    for code, names in VACCINES.items():
        assert not re.search(r"\b(?:dose|booster|in|yearly|chickenpox)\b", names["ms"]), f"{code}: {names['ms']}"


@pytest.mark.parametrize("lang", OTHER_LANGS)
def test_the_vaccinations_due_message_names_the_doses_in_the_users_language(lang):
    dispatcher = CollectingDispatcher()
    ActionVaccinationStatus.tell(dispatcher, "Irfan", [
        {"code": "6IN1-1", "status": "overdue"}, {"code": "VAR-1", "status": "due"},
        {"code": "DTAP-B", "status": "upcoming", "due_on": "2027-05-01"}], lang)
    doses = " ".join(m.get("doses", "") for m in dispatcher.messages)
    assert label(VACCINES, "6IN1-1", lang) in doses and label(VACCINES, "DTAP-B", lang) in doses
    assert "6-in-1" not in doses and "varicella" not in doses.lower() and "booster" not in doses.lower()
