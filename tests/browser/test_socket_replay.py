"""Issue 16 over socket.io itself (no browser): every bot message carries an id from the tracker, and
`replay_request` gives a socket the bot messages of *its own* session after the last one it showed — never another
session's (a session id alone, or with a wrong key, opens nothing), and a logged-in person's conversation only to
that person. Against the test stack's real Rasa server (credentials.yml's moments.web.channel.WebChatInput)."""
from __future__ import annotations

import uuid

from browser.test_socket_channel import Socket, secret, sockets, token  # noqa: F401 (fixtures)


def replay(s: Socket, after=None, session_id=None, **extra) -> dict:
    data = {"session_id": session_id or s.session_id, "after": after, **extra}
    return s.client.call("replay_request", data, timeout=60)


def shown(messages):
    return [(m["id"], m.get("text"), [r["payload"] for r in m.get("quick_replies") or []]) for m in messages]


def test_every_bot_message_has_an_id_and_the_replay_gives_the_same_messages_after_one(sockets):
    s = sockets()
    assert s.send("/greet", language="en") == {"ok": True}
    assert s.send("how much is the baby bonus", language="en") == {"ok": True}
    live = list(s.bot)
    assert len(live) >= 3 and all(isinstance(m.get("id"), str) for m in live)
    assert len({m["id"] for m in live}) == len(live), "ids are unique"

    everything = replay(s)
    assert everything["ok"] is True
    assert shown(everything["messages"]) == shown(live), "the tracker gives back what was sent, in order"
    assert shown(replay(s, after=live[0]["id"])["messages"]) == shown(live[1:])
    assert replay(s, after=live[-1]["id"]) == {"ok": True, "messages": []}


def test_a_reply_produced_while_the_socket_was_gone_is_replayed_to_the_page_that_comes_back(sockets, servers):
    s = sockets()
    s.send("/greet", language="en")
    last = s.bot[-1]["id"]
    # The message reaches the server, and the socket is gone before the bot has answered.
    s.client.emit("user_uttered", {"message": "how much is the baby bonus", "session_id": s.session_id,
                                   "customData": {"message_id": uuid.uuid4().hex, "language": "en"}})
    s.request_session(s.session_id, s.session_key)  # answered after the message above was received (one socket, in order)
    s.close()
    back = sockets(session_id=s.session_id, session_key=s.session_key)
    assert back.session_id == s.session_id
    missed = replay(back, after=last)
    assert missed["ok"] is True
    texts = [m.get("text") for m in missed["messages"]]
    assert texts and any("$" in t for t in texts), f"the Baby Bonus answer, read back: {texts}"
    assert last not in [m["id"] for m in missed["messages"]]


def test_another_session_id_is_refused_with_or_without_a_guessed_key(sockets):
    owner = sockets()
    owner.send("/greet", language="en")
    assert owner.bot

    other = sockets()
    assert replay(other, session_id=owner.session_id) == {"ok": False, "error": "no_session"}
    # Asking to join it without the key (or with another session's key) gives a fresh session, and its replay is
    # that fresh session's (empty), never the owner's messages.
    assert other.request_session(owner.session_id, other.session_key) != owner.session_id
    assert replay(other, session_id=owner.session_id) == {"ok": False, "error": "no_session"}
    assert replay(other) == {"ok": True, "messages": []}
    assert replay(other, after="not an id") == {"ok": False, "error": "bad_request"}
    assert other.client.call("replay_request", "x", timeout=30) == {"ok": False, "error": "bad_request"}


def test_a_logged_in_conversation_is_replayed_only_to_that_person(sockets):
    alice = token("person-replay-a")
    s = sockets(auth={"token": alice})
    assert s.send("/greet", language="en", token=alice) == {"ok": True}
    key = (s.session_id, s.session_key)
    s.close()

    # The key alone (e.g. left in a shared computer's storage by a closed browser) does not read it back.
    guest = sockets(session_id=key[0], session_key=key[1])
    assert guest.session_id == key[0]
    assert replay(guest) == {"ok": False, "error": "forbidden"}
    assert replay(guest, token=token("person-replay-b")) == {"ok": False, "error": "forbidden"}
    assert replay(guest, token=token("person-replay-a", secret="not-the-stack-secret-" * 2)) == {
        "ok": False, "error": "token_invalid"}
    # The same person, logged in on the socket or with the page's token, does.
    assert [m["id"] for m in replay(guest, token=alice)["messages"]] == [m["id"] for m in s.bot]
    again = sockets(auth={"token": alice}, session_id=key[0], session_key=key[1])
    assert [m["id"] for m in replay(again)["messages"]] == [m["id"] for m in s.bot]


def test_a_connection_whose_login_has_expired_since_reads_nothing_back(sockets):
    alice = token("person-replay-c")
    s = sockets(auth={"token": alice})
    assert s.send("/greet", language="en", token=alice) == {"ok": True}
    # Connected with a token that expired 3 s ago (accepted within the channel's 5 s clock leeway): by the time it
    # asks, the connection's login is no longer valid, and it sends no fresh token.
    stale = token("person-replay-c", ttl=-3)
    late = sockets(auth={"token": stale}, session_id=s.session_id, session_key=s.session_key)
    assert late.session_id == s.session_id
    assert replay(late) == {"ok": False, "error": "forbidden"}
    assert replay(late, token=alice)["ok"] is True
