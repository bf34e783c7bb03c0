"""The scaled set-up as operators run it: HAProxy in front of two Rasa replicas on PostgreSQL + Redis (moments/scale.py,
deploy/endpoints.scaled.yml). Messages go through the load balancer, as citizens' do."""
from __future__ import annotations

import concurrent.futures
import os
import re
import signal
import threading
import time
import uuid

import pytest
import requests

from testkit import MODEL
from moments.scale import ScaledStack, missing_parts

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def lb(servers, tmp_path_factory):
    why = missing_parts()
    if why:
        pytest.skip(f"{why} - load-balancer tests skipped")
    stack = ScaledStack(tmp_path_factory.mktemp("lb"), {**servers.env, "MOMENTS_ACTION_TIMEOUT": "4"}, MODEL,
                        replicas=2)
    try:
        yield stack.start()
    finally:
        stack.stop()


def post(lb: ScaledStack, sender: str, text: str, url: str = "", timeout: float = 120) -> requests.Response:
    return requests.post(f"{url or lb.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                         timeout=timeout)


def tracker(lb: ScaledStack, sender: str) -> dict:
    r = requests.get(f"{lb.replica_urls[-1]}/conversations/{sender}/tracker",
                     params={"token": lb.env["RASA_AUTH_TOKEN"]}, timeout=30)
    r.raise_for_status()
    return r.json()


def test_only_the_channels_are_public(lb):
    token = {"token": lb.env["RASA_AUTH_TOKEN"]}
    for path in ("/conversations/x/tracker", "/model/parse", "/status", "/version", "/domain"):
        assert requests.get(f"{lb.url}{path}", params=token, timeout=10).status_code == 404, path
    assert requests.get(f"{lb.url}/webhooks/rest/webhook", timeout=10).status_code == 405


def test_concurrent_messages_through_the_balancer_lose_nothing_and_keep_every_turn_whole(lb):
    sender = f"lb-pairs-{uuid.uuid4().hex[:8]}"
    rounds, served = 12, set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for i in range(rounds):
            futures = [pool.submit(post, lb, sender, f"thanks {i}-{n}") for n in range(2)]
            for f in futures:
                r = f.result()
                assert r.status_code == 200 and r.json(), r.text[:300]
                served.add(r.headers.get("X-Moments-Replica"))
    assert served == {"r1", "r2"}, served  # both replicas took turns of the one conversation
    events = tracker(lb, sender)["events"]
    user = [e["text"] for e in events if e["event"] == "user"]
    assert len(user) == len(set(user)) == 2 * rounds  # none lost, none twice
    rounds_in_order = [int(t.split()[1].split("-")[0]) for t in user]
    assert rounds_in_order == sorted(rounds_in_order)  # a later round never lands before an earlier one
    kinds = [e["event"] if e["event"] != "action" else e["name"] for e in events
             if e["event"] in ("user", "bot") or (e["event"] == "action" and e["name"] == "action_listen")]
    turns = "".join({"user": "U", "bot": "B", "action_listen": "L"}[k] for k in kinds)
    assert re.fullmatch(r"L?(UB+L)+", turns), turns


def test_the_widgets_socket_stays_on_one_replica_through_the_balancer(lb):
    import socketio

    client = socketio.Client(reconnection=False)
    confirmed, bot, session = threading.Event(), [], {}

    def on_confirm(sid, key=None):
        session.update(id=sid, key=key)
        confirmed.set()

    client.on("session_confirm", on_confirm)
    client.on("bot_uttered", bot.append)
    # Engine.IO's long-polling first, then the websocket upgrade: every request must reach the same replica.
    client.connect(lb.url, transports=["polling", "websocket"], wait_timeout=15)
    try:
        client.emit("session_request", {"session_id": None})
        assert confirmed.wait(10), "no session_confirm through the balancer"
        for text in ("hello", "how much is the baby bonus"):
            count = len(bot)
            client.call("user_uttered", {"message": text, "session_id": session["id"],
                                         "customData": {"message_id": uuid.uuid4().hex}}, timeout=60)
            deadline = time.monotonic() + 30
            while len(bot) == count and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(bot) > count, f"no reply to {text!r}"
        assert client.transport() == "websocket"
    finally:
        client.disconnect()


def test_a_replica_killed_mid_turn_the_conversation_goes_on_within_seconds(lb):
    sender = f"lb-kill-{uuid.uuid4().hex[:8]}"
    assert post(lb, sender, "hello").status_code == 200
    actions = lb.procs["actions"]
    os.kill(actions.pid, signal.SIGSTOP)  # the next turn waits for its action: replica 1 holds the lock
    caught = []
    first = threading.Thread(target=lambda: caught.append(_swallow(post, lb, sender, "how much is the baby bonus",
                                                                   lb.replica_urls[0])))
    first.start()
    time.sleep(1.5)
    lb.kill("rasa1")  # mid-turn
    os.kill(actions.pid, signal.SIGCONT)
    try:
        first.join(timeout=30)
        started = time.monotonic()
        r = post(lb, sender, "thank you")
        took = time.monotonic() - started
        assert r.status_code == 200 and r.json(), r.text[:300]
        assert r.headers.get("X-Moments-Replica") == "r2"
        assert took < 15, f"the conversation waited {took:.1f} s for the dead replica's lock"
        user = [e["text"] for e in tracker(lb, sender)["events"] if e["event"] == "user"]
        assert user[0] == "hello" and user[-1] == "thank you", user
    finally:
        lb.revive("rasa1")  # the tests after this one need both replicas again


def _swallow(fn, *args):
    try:
        return fn(*args)
    except requests.RequestException as e:  # the replica died under this request, as a phone would see it
        return e


def test_a_reply_lost_with_the_socket_on_one_replica_is_replayed_by_the_other(lb):
    """Issue 16 across replicas: the message reaches replica 1 and the socket is gone before the answer; the page comes
    back on replica 2 with its session key, and its replay_request waits (Redis lock) for replica 1's turn, then reads
    the answer from PostgreSQL."""
    from browser.test_socket_channel import Socket

    first, second = lb.replica_urls[:2]
    a = Socket(first)
    try:
        assert a.send("hello", language="en") == {"ok": True}
        last = a.bot[-1]["id"]
        a.client.emit("user_uttered", {"message": "how much is the baby bonus", "session_id": a.session_id,
                                       "customData": {"message_id": uuid.uuid4().hex, "language": "en"}})
        a.request_session(a.session_id, a.session_key)  # answered after replica 1 took the message up
    finally:
        a.close()
    b = Socket(second, session_id=a.session_id, session_key=a.session_key)
    try:
        assert b.session_id == a.session_id, "the session key is stateless: the other replica accepts it"
        ack = b.client.call("replay_request", {"session_id": b.session_id, "after": last}, timeout=60)
    finally:
        b.close()
    assert ack["ok"] is True
    texts = [m.get("text") or "" for m in ack["messages"]]
    assert any("Baby Bonus" in t or "$" in t for t in texts), texts
    assert last not in [m["id"] for m in ack["messages"]]
