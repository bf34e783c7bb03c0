"""Real Rasa server + action server over HTTP: understood and answered in each language."""
import json
import sqlite3

import pytest
import requests

from moments.nlu.scripts import count_scripts
from testkit import GREETINGS

pytestmark = pytest.mark.slow



def written_in(lang, text):
    c = count_scripts(text)
    if lang == "zh":
        return c.han > 0
    if lang == "ta":
        return c.tamil > 0
    # English and Malay texts may name the other languages in their own script ("中文 atau தமிழ்").
    return c.han + c.tamil <= 0.1 * max(c.letters, 1)


def texts(replies):
    return [r.get("text", "") for r in replies]


@pytest.mark.parametrize("lang", ["en", "zh", "ms", "ta"])
def test_greeting_is_answered_in_the_users_language_with_the_menu(chat, lang):
    replies = chat.say(GREETINGS[lang])
    assert chat.slot("language") == lang
    # "hello, I just had a baby and need help" is a greeting or a request for help: either way, the menu.
    assert chat.last_responses()[-1] == "utter_help"
    assert all(written_in(lang, t) for t in texts(replies)), texts(replies)
    buttons = [b["payload"] for r in replies for b in r.get("buttons", [])]
    assert "/register_birth" in buttons and "/ask_baby_bonus" in buttons


@pytest.mark.parametrize("lang,question,response", [
    ("en", "how much is the baby bonus for my first child?", "utter_baby_bonus_info"),
    ("zh", "婴儿花红可以拿多少钱？", "utter_baby_bonus_info"),
    ("ms", "bila tarikh akhir nak daftar kelahiran anak?", "utter_birth_registration_info"),
    ("ta", "என் குழந்தைக்கு எந்த தடுப்பூசிகள் போட வேண்டும்?", "utter_vaccination_info"),
])
def test_questions_answered_from_the_facts(chat, lang, question, response):
    replies = chat.say(question)
    assert chat.last_responses()[0] == response  # (vaccinations: then how to log in for the child's own)
    assert written_in(lang, replies[0]["text"])


def test_short_replies_keep_the_conversation_language(chat):
    chat.say("我想知道婴儿花红的事情")
    for neutral in ["ok", "1", "yes", "Tan Wei Ming", "98765432", "👍"]:
        chat.say(neutral)
        assert chat.slot("language") == "zh", f"{neutral!r} flipped the language"


def test_language_follows_a_confident_message_in_another_language(chat):
    chat.say("hello, I want to ask about the baby bonus")
    assert chat.slot("language") == "en"
    replies = chat.say("saya nak tahu pasal bonus bayi untuk anak kedua")
    assert chat.slot("language") == "ms"
    assert written_in("ms", replies[0]["text"])


@pytest.mark.parametrize("request_text,lang", [
    ("请说华语", "zh"),
    ("tukar ke bahasa Inggeris", "en"),
    ("தமிழில் பேசுங்கள்", "ta"),
    ("can you speak Malay", "ms"),
])
def test_explicit_language_request(chat, request_text, lang):
    replies = chat.say(request_text)
    assert chat.slot("language") == lang
    assert chat.last_responses() == ["utter_language_changed"]
    assert written_in(lang, replies[0]["text"])


def test_change_language_without_naming_one_offers_buttons_that_work(chat):
    replies = chat.say("change language")
    assert chat.last_responses() == ["utter_ask_language"]
    payloads = [b["payload"] for b in replies[0]["buttons"]]
    assert '/change_language{"language":"ta"}' in payloads
    replies = chat.say('/change_language{"language":"ta"}')
    assert chat.slot("language") == "ta" and written_in("ta", replies[0]["text"])


def test_handoff_is_recorded_for_the_right_agency(chat, servers):
    chat.say("婴儿花红有多少钱")
    replies = chat.say("我要和真人说话")
    assert chat.last_responses() == ["utter_handoff_msf"]
    reference = chat.slot("handoff_reference")
    assert reference and reference in replies[0]["text"] and written_in("zh", replies[0]["text"])
    row = sqlite3.connect(servers.workdir / "handoff.db").execute(
        "select agency, language, conversation_id from handoff_requests where reference = ?", (reference,)
    ).fetchone()
    assert row == ("msf", "zh", chat.sender)


@pytest.mark.parametrize("lang,text", [
    ("en", "what's the weather like tomorrow"),
    ("zh", "明天天气怎么样"),
    ("ms", "cuaca esok macam mana"),
    ("ta", "நாளை வானிலை எப்படி இருக்கும்"),
])
def test_out_of_scope_answered_in_language(chat, lang, text):
    replies = chat.say(text)
    assert chat.last_responses()[0] in ("utter_out_of_scope", "utter_default")
    assert written_in(lang, replies[0]["text"])


BAD_INPUTS = {
    "empty": "",
    "huge": "saya nak daftar kelahiran " * 800,      # 20,000+ characters
    "emoji": "😀😀😀🎉🎉",
    "control": "\x00\x01\x02\x7f hello \x1b[31m",
    "rtl": "\u202eمرحبا\u202c שלום",
    "html": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "sql": "'; DROP TABLE events; -- OR 1=1",
    "json": '{"sender": "x", "message": [1,2]}',
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_gets_an_answer_in_the_conversation_language(chat, kind):
    chat.say("你好")
    assert chat.slot("language") == "zh"
    replies = chat.say(BAD_INPUTS[kind])
    if kind != "huge":  # a long Malay sentence legitimately switches to Malay
        assert chat.slot("language") == "zh"
    assert replies, f"no answer to {kind} input"
    lang = chat.slot("language")
    assert all(written_in(lang, t) for t in texts(replies) if t)


@pytest.mark.parametrize("text", ["ok", "1", "👍", "Tan Wei Ming"])
def test_model_parse_reports_null_language_when_too_short(servers, text):
    r = servers.api("POST", "/model/parse", json={"text": text}, timeout=30)
    assert r.status_code == 200
    body = r.json()
    assert "language" in body and body["language"] is None


@pytest.mark.parametrize("text,lang,intent", [
    ("I want to register my baby's birth", "en", "register_birth"),
    ("我要register孩子的出生", "zh", "register_birth"),
    ("nak apply baby bonus", "ms", "apply_baby_bonus"),
    ("பேபி போனஸ் எவ்வளவு கிடைக்கும்?", "ta", "ask_baby_bonus"),
])
def test_model_parse_contract(servers, text, lang, intent):
    body = servers.api("POST", "/model/parse", json={"text": text}, timeout=30).json()
    assert body["language"] == lang
    assert body["intent"]["name"] == intent


def test_server_never_returns_5xx_on_malformed_requests(servers):
    url = f"{servers.rasa_url}/webhooks/rest/webhook"
    for body in [b"", b"not json", b'{"sender": 1}', json.dumps({"message": None}).encode(),
                 b"\xff\xfe\x00garbage"]:
        r = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        assert r.status_code < 500, (body, r.status_code, r.text[:200])


def test_rest_caller_cannot_pose_as_the_sms_channel(chat):
    """Identity by phone number is trusted only from the sms channel; a REST caller claiming it stays anonymous."""
    r = requests.post(f"{chat.servers.rasa_url}/webhooks/rest/webhook", timeout=60, json={
        "sender": chat.sender, "message": "I want to register my baby's birth", "input_channel": "sms",
        "metadata": {"channel": "sms", "phone": "+6591234567"}})
    assert r.status_code == 200
    assert chat.slot("logged_in") is False
    events = [e for e in chat.tracker()["events"] if e["event"] == "user"]
    assert events[-1]["input_channel"] == "rest"
