"""The Rasa side of the widget over socket.io itself (moments.web.channel.WebChatInput), without a browser:
who may connect, what metadata actions see, who may join a session, and that nothing is processed twice.
Tokens are signed with the test stack's AGENCIES_TOKEN_SECRET (servers.secrets), as the agencies sign them."""
from __future__ import annotations

import threading
import time
import uuid
from typing import List, Optional

import jwt
import pytest
import socketio

from moments.agencies import security
from moments.agencies.config import DEV_TOKEN_SECRET
from moments.web import channel

_SECRET: List[str] = []  # the stack's AGENCIES_TOKEN_SECRET, set by the `secret` fixture


@pytest.fixture(autouse=True)
def secret(servers) -> str:
    _SECRET[:] = [servers.secrets["AGENCIES_TOKEN_SECRET"]]
    return _SECRET[0]


def token(sub: str = "person-1", secret: Optional[str] = None, ttl: int = 600, **extra) -> str:
    secret = secret or _SECRET[0]
    now = int(time.time())
    claims = {"iss": channel.SINGPASS_ISSUER, "aud": channel.SINGPASS_AUDIENCE, "sub": sub, "scope": "myinfo.person",
              "iat": now, "exp": now + ttl, **extra}
    return jwt.encode(claims, secret, algorithm="HS256")


class Socket:
    """A widget's socket (python-socketio's client over websocket, as the browser connects): connect, ask for a
    session, send, collect the bot's messages."""

    def __init__(self, url: str, auth: Optional[dict] = None, session_id: Optional[str] = None,
                 session_key: Optional[str] = None):
        self.client = socketio.Client(reconnection=False)
        self.bot: List[dict] = []
        self.session_id: Optional[str] = None
        self.session_key: Optional[str] = None
        self._confirmed = threading.Event()

        def on_confirm(sid, key=None):
            self.session_id, self.session_key = sid, key
            self._confirmed.set()

        self.client.on("session_confirm", on_confirm)
        self.client.on("bot_uttered", self.bot.append)
        self.client.connect(url, auth=auth, transports=["websocket"], wait_timeout=15)
        self.request_session(session_id, session_key)

    def request_session(self, session_id: Optional[str], session_key: Optional[str] = None) -> str:
        self._confirmed.clear()
        self.client.emit("session_request", {"session_id": session_id, "session_key": session_key})
        assert self._confirmed.wait(10), "no session_confirm"
        return self.session_id

    def call(self, data, timeout: float = 60):
        return self.client.call("user_uttered", data, timeout=timeout)

    def send(self, text: str, **metadata) -> dict:
        metadata.setdefault("message_id", uuid.uuid4().hex)
        return self.call({"message": text, "session_id": self.session_id, "customData": metadata})

    def close(self):
        self.client.disconnect()


@pytest.fixture
def sockets(servers):
    opened = []

    def open_(**kw) -> Socket:
        s = Socket(servers.rasa_url, **kw)
        opened.append(s)
        return s

    yield open_
    for s in opened:
        s.close()


RASA_ADDS = {"model_id", "assistant_id"}  # Rasa stamps these on every message's metadata


def user_events(servers, session_id: str) -> List[dict]:
    from browser.conftest import WebServer

    return WebServer("", servers, "").user_events(session_id)


def test_the_token_rules_are_the_agency_services(servers):
    assert (channel.SINGPASS_ISSUER, channel.SINGPASS_AUDIENCE) == (security.ISSUER, security.AUDIENCE)


def test_a_guest_connects_and_the_bot_answers_in_the_session_room(sockets, servers):
    s = sockets()
    assert s.send("/greet", language="en") == {"ok": True}
    assert s.bot and "Moments Assistant" in s.bot[0]["text"]
    assert any(m.get("quick_replies") for m in s.bot), "the menu comes with quick replies"
    [event] = user_events(servers, s.session_id)
    assert event["input_channel"] == "socketio"
    assert set(event["metadata"]) - RASA_ADDS == {"channel", "language", "message_id"}, "a guest's message carries no token"


def test_a_second_tab_of_the_same_session_gets_the_replies_too(sockets):
    first = sockets()
    second = sockets(session_id=first.session_id, session_key=first.session_key)  # the key is in localStorage
    assert second.session_id == first.session_id
    first.send("/help")
    deadline = time.monotonic() + 5
    while not second.bot and time.monotonic() < deadline:
        time.sleep(0.05)
    assert second.bot and second.bot == first.bot


def test_a_logged_in_message_carries_the_verified_token_and_nothing_the_client_made_up(sockets, servers):
    tok = token(sub="c5979c40-1278-5311-a17e-d169dafa391d")
    s = sockets(auth={"token": tok})
    ack = s.send("/greet", language="ta", token=tok, channel="sms", person_id="someone-else", evil="<script>")
    assert ack == {"ok": True}
    [event] = user_events(servers, s.session_id)
    meta = event["metadata"]
    # What the actions saw is what the tracker store keeps minus the token (moments.privacy drops credentials at
    # rest); the person id is the token's subject, never the client's claim.
    assert "token" not in meta and tok not in str(event), "a bearer token was stored"
    assert meta["person_id"] == "c5979c40-1278-5311-a17e-d169dafa391d"
    assert meta["channel"] == "web" and meta["language"] == "ta"
    assert set(meta) - RASA_ADDS == {"channel", "language", "message_id", "person_id"}
    assert s.bot and all("<script>" not in str(m) for m in s.bot)


@pytest.mark.parametrize("bad, code", [  # signed when the test runs: collection may be long before
    (lambda: token(secret="a-secret-that-is-not-the-agency-services-one"), "token_invalid"),
    (lambda: token(ttl=-60), "token_expired"),
    (lambda: "garbage", "token_invalid"),
])
def test_a_bad_token_is_refused_at_connect_and_on_a_message(sockets, servers, bad, code):
    bad = bad()
    with pytest.raises(socketio.exceptions.ConnectionError):
        Socket(servers.rasa_url, auth={"token": bad})
    s = sockets()  # a guest may still talk, but not with someone's bad token in the message
    assert s.send("hello there", token=bad) == {"ok": False, "error": code}
    assert user_events(servers, s.session_id) == []


def test_a_message_sent_twice_is_processed_once(sockets, servers):
    s = sockets()
    mid = uuid.uuid4().hex
    assert s.send("/greet", message_id=mid) == {"ok": True}
    bot_before = len(s.bot)
    assert s.send("/greet", message_id=mid) == {"ok": True, "duplicate": True}
    assert len(user_events(servers, s.session_id)) == 1
    assert len(s.bot) == bot_before


def test_oversized_empty_and_sessionless_messages_are_refused(sockets, servers):
    s = sockets()
    assert s.send("x" * 1001) == {"ok": False, "error": "too_long", "max": 1000}
    assert s.send("   ") == {"ok": False, "error": "empty"}
    assert s.call({"message": "hi", "session_id": "someone-elses-session"}) == {"ok": False, "error": "no_session"}
    assert s.call("not a dict") == {"ok": False, "error": "bad_request"}
    assert user_events(servers, s.session_id) == []


def test_the_session_key_comes_with_the_id_and_a_reconnect_with_it_continues(sockets, servers):
    first = sockets()
    assert isinstance(first.session_key, str) and len(first.session_key) == 64
    assert first.send("/greet", language="en") == {"ok": True}
    first.close()
    again = sockets(session_id=first.session_id, session_key=first.session_key)  # a reload of the same page
    assert again.session_id == first.session_id
    assert again.send("/help") == {"ok": True}
    assert len(user_events(servers, first.session_id)) == 2


def test_the_development_secret_signs_nothing_the_channel_accepts(servers):
    with pytest.raises(socketio.exceptions.ConnectionError):
        Socket(servers.rasa_url, auth={"token": token(secret=DEV_TOKEN_SECRET)})
