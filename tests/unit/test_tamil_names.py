"""A child named in Tamil script, or in romanised Tamil with a case ending, is the child the agency spells in Latin
letters (issue 13: "காவ்யாவுக்கு" still got "which child?")."""
import pytest

from actions.shared.answers import match_person
from moments.text.tamil import romanise, sound_key

SIBLINGS = [{"name": "Kavya d/o Rajan", "id": "k"}, {"name": "Arjun s/o Rajan", "id": "a"}]
MALAY = [{"name": "Nur Aisyah binte Rahman", "id": "n"}, {"name": "Muhammad Irfan bin Rahman", "id": "i"}]


def test_tamil_script_is_spelt_in_latin_letters():
    assert romanise("காவ்யா") == "kaavyaa" and romanise("அர்ஜுன்") == "arjun" and romanise("மீனா") == "miinaa"
    assert sound_key("kaavyaa") == sound_key("Kavya") and sound_key("Kannan") == sound_key("kanan")


@pytest.mark.parametrize("text, family, expected", [
    ("காவ்யா", SIBLINGS, "k"), ("காவ்யாவுக்கு தடுப்பூசி எப்போ", SIBLINGS, "k"), ("அர்ஜுன் க்கு", SIBLINGS, "a"),
    ("அர்ஜுனுக்கு ஊசி போடணும்", SIBLINGS, "a"), ("Arjunukku jab", SIBLINGS, "a"), ("kavya-voda appointment", SIBLINGS, "k"),
    ("இர்ஃபான்", MALAY, "i"), ("Kavya的疫苗几时", SIBLINGS, "k"),
])
def test_a_child_named_in_tamil_or_with_a_case_ending(text, family, expected):
    assert (match_person(text, family) or {}).get("id") == expected


@pytest.mark.parametrize("text", ["ராஜன்", "குழந்தைக்கு தடுப்பூசி", "Arjunsomething", "அம்மா"])
def test_no_child_or_both_named_is_not_a_pick(text):
    assert match_person(text, SIBLINGS) is None
