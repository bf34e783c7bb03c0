"""socket.io session takeover (issue 10), against the Rasa server of the test stack (credentials.yml's
moments.web.channel.WebChatInput): another socket that knows a conversation's session id, logged in or not, gets a
fresh session of its own, never that conversation's replies, and cannot post into it. The page that created the
session (its key in localStorage) continues after a reconnect.
"""
from __future__ import annotations

import threading
import time
import uuid
from typing import List, Optional

import jwt
import pytest
import socketio

from moments.web import channel

pytestmark = pytest.mark.slow


class Socket:
    """A widget's socket, as the browser connects (websocket only)."""

    def __init__(self, url: str, auth: Optional[dict] = None):
        self.client = socketio.Client(reconnection=False)
        self.bot: List[dict] = []
        self.confirms: List[tuple] = []
        self._confirmed = threading.Event()

        def on_confirm(sid, key=None):
            self.confirms.append((sid, key))
            self._confirmed.set()

        self.client.on("session_confirm", on_confirm)
        self.client.on("bot_uttered", self.bot.append)
        self.client.connect(url, auth=auth, transports=["websocket"], wait_timeout=15)

    def request(self, data) -> tuple:
        self._confirmed.clear()
        self.client.emit("session_request", data)
        assert self._confirmed.wait(10), "no session_confirm"
        return self.confirms[-1]

    def send(self, text: str, session_id: str, **metadata) -> dict:
        metadata.setdefault("message_id", uuid.uuid4().hex)
        return self.client.call("user_uttered", {"message": text, "session_id": session_id, "customData": metadata},
                                timeout=60)

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


def citizen_token(servers, sub: str) -> str:
    now = int(time.time())
    return jwt.encode({"iss": channel.SINGPASS_ISSUER, "aud": channel.SINGPASS_AUDIENCE, "sub": sub, "iat": now,
                       "exp": now + 600, "scope": "myinfo.person"}, servers.secrets["AGENCIES_TOKEN_SECRET"],
                      algorithm="HS256")


def user_texts(servers, session_id: str) -> List[str]:
    r = servers.api("GET", f"/conversations/{session_id}/tracker", timeout=30)
    r.raise_for_status()
    return [e["text"] for e in r.json()["events"] if e["event"] == "user"]


def wait_for(predicate, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def victim(sockets, servers):
    """A logged-in mother's open conversation."""
    s = sockets(auth={"token": citizen_token(servers, "victim-person")})
    session_id, key = s.request({"session_id": None})
    assert s.send("/greet", session_id, language="en", token=citizen_token(servers, "victim-person")) == {"ok": True}
    s.bot.clear()
    return s, session_id, key


ATTEMPTS = {
    "the id alone": lambda sid, key: {"session_id": sid},
    "the id and no key": lambda sid, key: {"session_id": sid, "session_key": None},
    "the id and a made-up key": lambda sid, key: {"session_id": sid, "session_key": "0" * 64},
    "the id and the key of another session": lambda sid, key: {"session_id": sid, "session_key": "KEY_OF_OTHER"},
    "the id and the key in upper case": lambda sid, key: {"session_id": sid, "session_key": key.upper()},
    "the id and a truncated key": lambda sid, key: {"session_id": sid, "session_key": key[:32]},
    "the id and a key that is not text": lambda sid, key: {"session_id": sid, "session_key": {"$ne": ""}},
}


@pytest.mark.parametrize("logged_in", [False, True], ids=["guest", "another citizen"])
@pytest.mark.parametrize("attempt", sorted(ATTEMPTS))
def test_another_socket_asking_for_a_session_it_does_not_own_gets_a_fresh_one(sockets, servers, victim, attempt,
                                                                             logged_in):
    v, session_id, key = victim
    auth = {"token": citizen_token(servers, "attacker-person")} if logged_in else None
    attacker = sockets(auth=auth)
    data = ATTEMPTS[attempt](session_id, key)
    if data.get("session_key") == "KEY_OF_OTHER":
        data["session_key"] = attacker.request({"session_id": None})[1]  # a real key, of the attacker's own session
    given, given_key = attacker.request(data)
    assert given != session_id, "the attacker joined the victim's session"
    assert given_key and given_key != key

    # The victim talks on: the replies reach the victim only.
    assert v.send("/help", session_id) == {"ok": True}
    assert wait_for(lambda: v.bot), "the victim got no reply (the test would prove nothing)"
    time.sleep(0.5)
    assert attacker.bot == [], "the victim's replies reached another socket"

    # Posting into the victim's session from the attacker's socket is refused and not processed.
    before = user_texts(servers, session_id)
    assert attacker.send("/affirm", session_id) == {"ok": False, "error": "no_session"}
    assert user_texts(servers, session_id) == before
    assert before[-1] == "/help"


def test_the_owner_reconnects_with_its_key_and_continues(sockets, servers, victim):
    v, session_id, key = victim
    v.close()
    again = sockets(auth={"token": citizen_token(servers, "victim-person")})
    assert again.request({"session_id": session_id, "session_key": key}) == (session_id, key)
    assert again.send("/help", session_id) == {"ok": True}
    assert wait_for(lambda: again.bot)
    assert user_texts(servers, session_id) == ["/greet", "/help"]


def test_a_malformed_session_request_gets_a_fresh_session_not_an_error(sockets):
    s = sockets()
    for data in (None, "x", 42, [], {"session_id": 42}, {"session_id": "../../etc"}, {"session_id": "a" * 500}):
        sid, key = s.request(data)
        assert channel._ID.fullmatch(sid) and isinstance(key, str) and len(key) == 64
