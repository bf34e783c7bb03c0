"""Bad input on Rasa's HTTP API and the REST webhook (issue 10): 400 or 413, never 500, never a silent `[]`, and the
raw text never in the log; the tokenizer survives lone surrogates.

Bodies are sent as raw bytes where JSON allows what Python's encoder would not produce ("\\ud800": a lone surrogate,
half an emoji from a broken client).
"""
from __future__ import annotations

import json
import uuid

import pytest
import requests

from moments.nlu.tokenizer import MomentsTokenizer, tokenize_text
from moments.serve import has_lone_surrogates, parse_body_problem

pytestmark = pytest.mark.slow

JSON = {"Content-Type": "application/json"}
MB = 1024 * 1024


def parse(servers, data: bytes):
    return servers.api("POST", "/model/parse", data=data, headers=JSON, timeout=60)


BAD_PARSE_BODIES = {
    "null text": b'{"text": null}',
    "numeric text": b'{"text": 42}',
    "list text": b'{"text": ["hello"]}',
    "missing text": b'{"message": "hello"}',
    "empty object": b"{}",
    "a list": b'[{"text": "hello"}]',
    "a string": b'"hello"',
    "a number": b"5",
    "not json": b"hello there",
    "lone high surrogate": b'{"text": "\\ud800"}',
    "lone low surrogate in words": b'{"text": "I want to register \\udfff my baby"}',
    "half an emoji": b'{"text": "\\ud83d baby bonus"}',
    "empty body": b"",
}


@pytest.mark.parametrize("kind", BAD_PARSE_BODIES)
def test_model_parse_answers_400_to_bad_input(servers, kind):
    r = parse(servers, BAD_PARSE_BODIES[kind])
    assert r.status_code == 400, (kind, r.status_code, r.text[:300])
    body = r.json()
    assert body["status"] == "failure" and body["code"] == 400


def test_model_parse_answers_413_to_a_megabyte(servers):
    r = parse(servers, json.dumps({"text": "baby bonus " * (MB // 11 + 1)}).encode())
    assert r.status_code == 413, (r.status_code, r.text[:300])


def test_model_parse_still_parses_good_input(servers):
    r = parse(servers, '{"text": "我要register孩子的出生 😀"}'.encode())
    assert r.status_code == 200 and r.json()["intent"]["name"] == "register_birth"
    r = parse(servers, b'{"text": "\\ud83d\\ude00 hello"}')  # a surrogate *pair* is a valid emoji in JSON
    assert r.status_code == 200


def test_bad_input_without_the_token_is_still_401(servers):
    r = requests.post(f"{servers.rasa_url}/model/parse", data=b'{"text": null}', headers=JSON, timeout=30)
    assert r.status_code == 401


# -- the REST webhook --------------------------------------------------------------------------------------------

def webhook(servers, data: bytes):
    return requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", data=data, headers=JSON, timeout=60)


@pytest.mark.parametrize("message", ["\\ud800", "hello \\udfff", "\\ud83d baby bonus", "婴儿花红\\udc00有多少钱"])
def test_rest_answers_lone_surrogates_with_a_real_reply(servers, message):
    sender = f"surrogate-{uuid.uuid4().hex[:8]}"
    r = webhook(servers, f'{{"sender": "{sender}", "message": "{message}"}}'.encode())
    assert r.status_code == 200, (r.status_code, r.text[:300])
    replies = r.json()
    assert replies and all(m["recipient_id"] == sender for m in replies), replies
    assert any(m.get("text") or m.get("buttons") for m in replies)


def test_rest_answers_lone_surrogates_in_metadata(servers):
    sender = f"surrogate-{uuid.uuid4().hex[:8]}"
    r = webhook(servers, f'{{"sender": "{sender}", "message": "hello", "metadata": {{"note": "\\ud800"}}}}'.encode())
    assert r.status_code == 200 and r.json(), (r.status_code, r.text[:300])


def test_rest_refuses_a_sender_that_is_not_unicode(servers):
    r = webhook(servers, b'{"sender": "\\ud800", "message": "hello"}')
    assert r.status_code == 400


def test_rest_answers_413_to_a_megabyte(servers):
    r = webhook(servers, json.dumps({"sender": "big", "message": "x" * MB}).encode())
    assert r.status_code == 413, (r.status_code, r.text[:300])


@pytest.mark.parametrize("data", [b'{"sender": "x", "message": null}', b'{"sender": "x", "message": 7}', b"[1, 2]",
                                  b"\xff\xfe garbage", b'{"sender": {"a": 1}, "message": "hi"}'])
def test_rest_never_answers_500_to_malformed_bodies(servers, data):
    r = webhook(servers, data)
    assert r.status_code < 500, (data, r.status_code, r.text[:300])


def test_the_raw_text_of_a_broken_message_is_not_logged(servers):
    """Today's bug: lone surrogates made Rasa log the raw text (with its metadata) and answer `[]`."""
    marker = f"MARKER{uuid.uuid4().hex[:10]}"
    sender = f"surrogate-{uuid.uuid4().hex[:8]}"
    r = webhook(servers, f'{{"sender": "{sender}", "message": "{marker} S9210102I \\ud800",'
                         f' "metadata": {{"phone": "+6591234567"}}}}'.encode())
    assert r.status_code == 200 and r.json()
    log = (servers.workdir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    for line in log.splitlines():
        if marker in line:
            assert "S9210102I" not in line and "91234567" not in line, line
    assert "rest.message.received.failure" not in log


# -- the pieces, without servers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body,ok", [
    ({"text": "hi"}, True), ({"text": ""}, True), ({"text": None}, False), ({"text": 1}, False), ({}, False),
    ([], False), ("hi", False), ({"text": "\ud800"}, False), ({"text": "😀"}, True),
])
def test_parse_body_problem(body, ok):
    why = parse_body_problem(body)
    assert (why is None) == ok
    if why:
        assert "\ud800" not in why and "hi" not in why


def test_lone_surrogates_are_found():
    assert has_lone_surrogates("a\ud800") and has_lone_surrogates("\udfff") and not has_lone_surrogates("😀 ok")


@pytest.mark.parametrize("text", ["\ud800", "hi \udfff there", "我要\ud83d注册", "a\ud83d\ude00b", "\udc00" * 50,
                                  "என் \ud800குழந்தை"])
def test_the_tokenizer_survives_lone_surrogates_with_sane_offsets(text):
    tokens = tokenize_text(text)
    for t in tokens:
        assert 0 <= t.start < t.end <= len(text)
        assert not has_lone_surrogates(t.text)
        t.text.encode("utf-8")  # what jieba, spaCy and the featurizers need
    assert [t.start for t in tokens] == sorted(t.start for t in tokens)


def test_the_tokenizer_keeps_the_words_around_a_lone_surrogate():
    assert [t.text for t in tokenize_text("我要\ud83d注册")] == ["我要", "注册"]
    assert [(t.text, t.start, t.end) for t in tokenize_text("hi \udfff there")] == [("hi", 0, 2), ("there", 5, 10)]


def test_the_tokenizer_component_returns_a_token_for_a_lone_surrogate():
    from rasa.shared.nlu.training_data.message import Message

    tokenizer = MomentsTokenizer(MomentsTokenizer.get_default_config())
    tokens = tokenizer.tokenize(Message(data={"text": "\ud800"}), "text")
    assert len(tokens) == 1 and tokens[0].start == 0 and tokens[0].end == 1
    tokens[0].text.encode("utf-8")
