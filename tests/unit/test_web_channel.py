"""moments.web.channel without servers: what it keeps of the browser's metadata, duplicates, configuration."""
from __future__ import annotations

import time

import jwt
import pytest

from moments.web.channel import (SINGPASS_AUDIENCE, SINGPASS_ISSUER, SeenMessages, TokenError, WebChatInput,
                                 default_token_secret)

SECRET = "a-test-secret-of-at-least-thirty-two-bytes"


def token(secret: str = SECRET, ttl: int = 600, **claims) -> str:
    now = int(time.time())
    return jwt.encode({"iss": SINGPASS_ISSUER, "aud": SINGPASS_AUDIENCE, "sub": "p-1", "iat": now,
                       "exp": now + ttl, **claims}, secret, algorithm="HS256")


@pytest.fixture
def web_channel() -> WebChatInput:
    return WebChatInput.from_credentials({"jwt_key": SECRET})


def test_metadata_keeps_only_what_the_channel_vouches_for(web_channel):
    tok = token()
    meta = web_channel.clean_metadata({"token": tok, "language": "zh", "message_id": "abcdef123456",
                                       "channel": "sms", "person_id": "someone-else", "phone": "+6591234567"})
    assert meta == {"channel": "web", "language": "zh", "message_id": "abcdef123456", "token": tok, "person_id": "p-1"}


def test_metadata_as_json_text_or_garbage(web_channel):
    assert web_channel.clean_metadata('{"language": "ta"}') == {"channel": "web", "language": "ta"}
    assert web_channel.clean_metadata("not json") == {"channel": "web"}
    assert web_channel.clean_metadata(["a", "list"]) == {"channel": "web"}
    assert web_channel.clean_metadata({"language": "fr", "message_id": "<script>"}) == {"channel": "web"}


# Signed tokens are made when the test runs, not when pytest collects: a long suite outlives their lifetime.
@pytest.mark.parametrize("bad, code", [
    (lambda: token(secret="another-secret-of-at-least-thirty-two-bytes"), "token_invalid"),
    (lambda: token(ttl=-60), "token_expired"),
    (lambda: token(aud="someone-else"), "token_invalid"),
    (lambda: token(iss="someone-else"), "token_invalid"),
    (jwt.encode({"iss": SINGPASS_ISSUER, "aud": SINGPASS_AUDIENCE, "sub": "p-1"}, SECRET, algorithm="HS256"),
     "token_invalid"),  # no exp/iat
    (jwt.encode({"iss": SINGPASS_ISSUER, "aud": SINGPASS_AUDIENCE, "sub": "p-1", "iat": 1, "exp": 2**40},
                None, algorithm="none"), "token_invalid"),
    (12345, "token_invalid"),
    ("x" * 5000, "token_invalid"),
])
def test_bad_tokens_are_refused_with_a_reason(web_channel, bad, code):
    with pytest.raises(TokenError) as err:
        web_channel.clean_metadata({"token": bad() if callable(bad) else bad})
    assert err.value.code == code


def test_a_message_id_is_new_once_per_session_and_memory_stays_bounded():
    seen = SeenMessages(max_entries=3, ttl=3600)
    assert seen.first_time("s1", "m1") and not seen.first_time("s1", "m1")
    assert seen.first_time("s2", "m1"), "ids are per session"
    for i in range(10):
        seen.first_time("s3", f"x{i}")
    assert len(seen._seen) <= 3
    forgetful = SeenMessages(ttl=0)
    assert forgetful.first_time("s", "m")
    time.sleep(0.01)
    assert forgetful.first_time("s", "m"), "after the time to live an id is forgotten"


def test_configuration_is_checked(monkeypatch):
    monkeypatch.delenv("AGENCIES_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("MOMENTS_DEV", raising=False)
    with pytest.raises(SystemExit, match="refusing to start"):  # no secret, no development switch
        WebChatInput.from_credentials({})
    monkeypatch.setenv("AGENCIES_TOKEN_SECRET", SECRET)
    with pytest.raises(ValueError):
        WebChatInput.from_credentials({"jwt_method": "RS256"})
    with pytest.raises(ValueError):
        WebChatInput.from_credentials({"session_persistence": False})
    monkeypatch.setenv("AGENCIES_TOKEN_SECRET", SECRET)
    assert default_token_secret() == SECRET
    assert WebChatInput.from_credentials({}).jwt_key == SECRET
    assert WebChatInput.from_credentials({}).metadata_key == "customData"
    assert WebChatInput.name() == "socketio"
