"""Language detection: confident sentences switch, short or neutral messages do not."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from moments.nlu.language import LanguageDetector, detect_language, requested_language


@pytest.mark.parametrize("text,lang", [
    ("I want to register my baby's birth", "en"),
    ("how much is the baby bonus for my second child", "en"),
    ("can help me book the jab for my baby or not", "en"),
    ("saya nak daftar kelahiran anak saya", "ms"),
    ("nak apply baby bonus", "ms"),
    ("macam mana nak buat temujanji di poliklinik", "ms"),
    ("selamat pagi", "ms"),
    ("我要register孩子的出生", "zh"),
    ("婴儿花红有多少钱？", "zh"),
    ("好", "zh"),
    ("என் குழந்தையின் பிறப்பை பதிவு செய்ய வேண்டும்", "ta"),
    ("baby bonus apply பண்ணணும்", "ta"),
    ("சரி", "ta"),
])
def test_detects_the_language_of_real_messages(text, lang):
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", [
    "ok", "ya", "yes", "1", "2", "0", "98765432", "S1234567D", "Tan Wei Ming", "Kavin Raj",
    "Nur Aisyah binte Ahmad", "👍", "😀😀😀", "", "   ", "hello", "ok lah", "/greet",
    '/change_language{"language":"ta"}', "<script>alert(1)</script>", "'; DROP TABLE users; --",
    "<script>alert('x')</script><img src=x onerror=alert(1)>", '{"sender": "x", "message": [1,2]}',
    "'; DROP TABLE events; -- OR 1=1",
])
def test_short_neutral_names_numbers_and_payloads_give_none(text):
    assert detect_language(text) is None


def test_huge_message_is_judged_quickly_on_its_start():
    assert detect_language("saya nak daftar kelahiran anak " * 2000) == "ms"


@pytest.mark.parametrize("text,lang", [
    ("请说华语", "zh"),
    ("可以用英文吗", "en"),
    ("tukar ke bahasa Inggeris", "en"),
    ("cakap bahasa melayu boleh?", "ms"),
    ("speak Tamil please", "ta"),
    ("Chinese can?", "zh"),
    ("தமிழில் பேசுங்கள்", "ta"),
    ("ஆங்கிலத்தில் பேசுங்கள்", "en"),
    ("not English, Chinese please", "zh"),
    ("用淡米尔语", "ta"),
])
def test_requested_language_by_name(text, lang):
    assert requested_language(text) == lang


@pytest.mark.parametrize("text", ["change language", "tukar bahasa", "换语言", "ok"])
def test_no_language_named(text):
    assert requested_language(text) is None


def _process(text):
    msg = Message(data={"text": text})
    LanguageDetector().process([msg])
    return msg


def test_component_adds_language_to_parse_output_and_entities():
    msg = _process("我想问婴儿花红")
    out = msg.as_dict(only_output_properties=True)
    assert out["language"] == "zh"
    assert {"entity": "detected_language", "value": "zh"}.items() <= msg.get("entities")[0].items()


def test_component_outputs_null_language_for_short_messages():
    msg = _process("ok")
    assert msg.get("language") is None and "language" in msg.output_properties
    assert msg.get("entities") == []


def test_component_extracts_requested_language_alongside_detected():
    ents = {e["entity"]: e["value"] for e in _process("tukar ke bahasa Inggeris").get("entities")}
    assert ents == {"detected_language": "ms", "language": "en"}
