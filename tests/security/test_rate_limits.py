"""Rate limits against real servers (issue 10): the mock Singpass login stops a brute-force search within a handful
of tries and locks the address out (the right NRIC too) until the lock ends; a REST flood from one sender or one
address gets 429 with a polite reply in the conversation's language; a /model/parse flood gets 429.

This module starts a stack of its own (agencies, action server, Rasa — moments/serve.py, as `make run` does) with
tight, short limits, so the session's shared `servers` are never throttled. Rasa and the agencies trust
X-Forwarded-For from 127.0.0.1 here (RATE_LIMIT_TRUSTED_PROXIES, as behind a reverse proxy), so each test plays a
client address of its own (203.0.113.x) and the tests do not depend on each other's counts.
"""
from __future__ import annotations

import itertools
import time
import uuid

import pytest
import requests

from moments import ratelimit
from moments.rules import nric as nric_rules
from testkit import MODEL, ROOT, Servers

pytestmark = pytest.mark.slow

LIM = "S9210102I"  # a seeded mother
LIM_MOBILE = "+6591234567"
LOCKOUT_SECONDS = 3
TIGHT = {
    "RATE_LIMIT_TRUSTED_PROXIES": "127.0.0.1",
    # the login: failures as by default (5 in 15 min), a short lock-out so the test can see it end
    "RATE_LIMIT_LOGIN_FAILURES": "5/900s",
    "RATE_LIMIT_LOGIN_LOCKOUT": f"{LOCKOUT_SECONDS}s",
    "RATE_LIMIT_LOGIN_ATTEMPTS": "10/60s",
    # Rasa
    "RATE_LIMIT_SENDER_MESSAGES": "4/60s",
    "RATE_LIMIT_ADDRESS_MESSAGES": "6/60s",
    "RATE_LIMIT_API_REQUESTS": "10/60s",
}
_addresses = (f"203.0.113.{i}" for i in itertools.count(1))


def new_address() -> str:
    return next(_addresses)


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    stack = Servers(tmp_path_factory.mktemp("tight-limits"))
    stack.env.update(TIGHT)
    try:
        stack.start_assistant(MODEL, credentials=ROOT / "credentials.yml")
        yield stack
    finally:
        stack.stop()


def login(stack, address: str, nric: str | None = None, mobile: str | None = None, api_key: bool = False):
    headers = {"X-Forwarded-For": address}
    if api_key:
        headers["X-API-Key"] = stack.secrets["AGENCIES_API_KEY"]
    body = {"nric": nric} if nric else {"mobile": mobile}
    return requests.post(f"{stack.agencies_url}/singpass/v1/login", json=body, headers=headers, timeout=10)


def assert_login_limited(r: requests.Response) -> dict:
    assert r.status_code == 429, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["Retry-After"]) >= 1
    body = r.json()
    assert body["code"] == "login_rate_limited" and body["status"] == 429 and body["type"] == "/problems/login_rate_limited"
    assert "access_token" not in r.text
    return body


def candidates(n: int) -> list[str]:
    """Checksum-valid NRICs nobody has (what the attacker of issue 10 tried, 1,000 of them at 389/s)."""
    return [nric_rules.make("S", f"{7_000_000 + i:07d}") for i in range(n)]


# -- the mock Singpass login ------------------------------------------------------------------------------------

def test_a_brute_force_search_is_stopped_within_a_handful_of_tries(tight):
    address = new_address()
    tries = candidates(60)
    tries.insert(40, LIM)  # the one that exists, somewhere in the list
    answers = [login(tight, address, nric=n) for n in tries]
    statuses = [r.status_code for r in answers]
    assert statuses[:5] == [404] * 5, statuses[:8]
    assert set(statuses[5:]) == {429}, statuses
    assert all("access_token" not in r.text for r in answers)  # the existing NRIC was never found
    body = assert_login_limited(answers[5])
    assert body["retry_after"] >= 1


def test_the_right_nric_is_locked_out_too_and_works_after_the_lock(tight):
    address = new_address()
    for n in candidates(5):
        assert login(tight, address, nric=n).status_code == 404
    assert_login_limited(login(tight, address, nric=LIM))  # right NRIC, same address: still locked
    retry_after = int(login(tight, address, nric=LIM).headers["Retry-After"])
    assert retry_after <= LOCKOUT_SECONDS
    time.sleep(LOCKOUT_SECONDS + 0.5)
    r = login(tight, address, nric=LIM)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["access_token"]


def test_another_address_is_not_locked_out(tight):
    attacker, parent = new_address(), new_address()
    for n in candidates(6):
        login(tight, attacker, nric=n)
    assert_login_limited(login(tight, attacker, nric=LIM))
    assert login(tight, parent, nric=LIM).status_code == 200


def test_attempts_per_address_are_limited_even_when_right(tight):
    """RATE_LIMIT_LOGIN_ATTEMPTS=10/60s here: token farming or enumeration with known NRICs is slowed too."""
    address = new_address()
    statuses = [login(tight, address, nric=LIM).status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429], statuses


def test_failed_mobiles_are_locked_for_the_calling_system_too(tight):
    """The SMS channel logs texters in by mobile with the agency key: a number that keeps failing is locked, and the
    calling system itself (one address for many citizens) is not locked out for everyone."""
    address = new_address()
    stranger = "+6581234000"
    statuses = [login(tight, address, mobile=stranger, api_key=True).status_code for _ in range(7)]
    assert statuses == [404] * 5 + [429, 429], statuses
    assert_login_limited(login(tight, address, mobile=stranger, api_key=True))
    # the same system, the same address: other citizens still log in
    assert login(tight, address, mobile=LIM_MOBILE, api_key=True).status_code == 200
    assert login(tight, address, nric=LIM, api_key=True).status_code == 200


def test_the_default_limits_stop_brute_force():
    """What `make run` gets without any RATE_LIMIT_* variable."""
    assert ratelimit.rate_from_env("login_failures", {}).count <= 5
    assert ratelimit.login_lockout({}).lock_seconds >= 600
    assert ratelimit.rate_from_env("login_attempts", {}).count <= 30


# -- the REST channel -------------------------------------------------------------------------------------------

def rest(stack, sender: str, text: str, address: str):
    return requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                         headers={"X-Forwarded-For": address}, timeout=60)


def assert_polite_429(r: requests.Response, sender: str, language: str) -> None:
    assert r.status_code == 429, (r.status_code, r.text[:300])
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json() == [{"recipient_id": sender, "text": ratelimit.SLOW_DOWN[language]}]


@pytest.mark.parametrize("language,first,flood", [
    ("zh", "你好呀，早上好", "婴儿花红有多少钱？"),
    ("ta", "வணக்கம், எனக்கு இப்போது குழந்தை பிறந்தது, உதவி வேண்டும்", "ok"),  # the flood says nothing in Tamil
])
def test_a_flood_from_one_sender_gets_429_in_the_conversations_language(tight, language, first, flood):
    sender, address = f"flood-{uuid.uuid4().hex[:8]}", new_address()
    assert rest(tight, sender, first, address).status_code == 200
    statuses = [rest(tight, sender, flood, address) for _ in range(5)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429], [r.status_code for r in statuses]
    assert_polite_429(statuses[-1], sender, language)
    events = tight.api("GET", f"/conversations/{sender}/tracker").json()["events"]
    assert len([e for e in events if e["event"] == "user"]) == 4  # refused messages never reached the bot


def test_a_flood_from_one_address_gets_429_whatever_the_sender(tight):
    """Many senders from one address (RATE_LIMIT_ADDRESS_MESSAGES=6/60s); a new sender's reply is in the language of
    its own message, as it has no conversation yet."""
    address = new_address()
    statuses = [rest(tight, f"addr-{uuid.uuid4().hex[:8]}", "hello", address).status_code for _ in range(6)]
    assert statuses == [200] * 6
    sender = f"addr-{uuid.uuid4().hex[:8]}"
    assert_polite_429(rest(tight, sender, "saya nak mohon bonus bayi untuk anak saya", address), sender, "ms")
    # another address is served
    assert rest(tight, f"addr-{uuid.uuid4().hex[:8]}", "hello", new_address()).status_code == 200


# -- Rasa's HTTP API ---------------------------------------------------------------------------------------------

def test_a_model_parse_flood_gets_429(tight):
    address = new_address()
    answers = [tight.api("POST", "/model/parse", json={"text": "hello"}, headers={"X-Forwarded-For": address})
               for _ in range(12)]
    statuses = [r.status_code for r in answers]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429], statuses
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert answers[-1].json()["reason"] == "TooManyRequests"
    # another client is not affected
    assert tight.api("POST", "/model/parse", json={"text": "hello"},
                     headers={"X-Forwarded-For": new_address()}).status_code == 200


def test_an_anonymous_flood_is_limited_before_authentication(tight):
    """Guessing the API token is rate-limited too: 401s count."""
    address = new_address()
    statuses = [requests.get(f"{tight.rasa_url}/conversations/x/tracker", params={"token": f"guess-{i}"},
                             headers={"X-Forwarded-For": address}, timeout=10).status_code for i in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429], statuses


# -- SMS and socket.io -------------------------------------------------------------------------------------------

def test_an_sms_flood_gets_one_polite_message_then_silence(tight):
    """RATE_LIMIT_SENDER_MESSAGES=4/60s: the fifth text gets one polite SMS in the conversation's language, and the
    ones after it (still limited) get none — not one SMS per message."""
    from moments.channels.simulator import SmsPhone

    phone = SmsPhone(f"{tight.rasa_url}/webhooks/sms/webhook", phone=f"+659{uuid.uuid4().int % 10**7:07d}",
                     token=tight.secrets["TWILIO_AUTH_TOKEN"])
    first = phone.send("hai, saya baru bersalin dan perlukan bantuan")
    assert first.ok and first.messages, first.text[:300]
    for _ in range(3):
        assert phone.send("apa itu bonus bayi").ok
    limited = phone.send("helo?")
    assert limited.status == 200 and limited.messages == [ratelimit.SLOW_DOWN["ms"]], limited.text[:300]
    for _ in range(2):
        again = phone.send("helo??")
        assert again.status == 200 and again.messages == [], again.text[:300]


def test_a_socket_flood_gets_rate_limited_acks(tight):
    import socketio

    client = socketio.Client(reconnection=False)
    confirmed = {}
    client.on("session_confirm", lambda sid, key=None: confirmed.update(id=sid))
    client.connect(tight.rasa_url, transports=["websocket"], wait_timeout=15)
    try:
        client.emit("session_request", {"session_id": None})
        for _ in range(100):
            if confirmed:
                break
            time.sleep(0.1)
        acks = [client.call("user_uttered", {"message": "hello", "session_id": confirmed["id"],
                                             "customData": {"message_id": uuid.uuid4().hex, "language": "en"}},
                            timeout=60) for _ in range(6)]
    finally:
        client.disconnect()
    assert [a["ok"] for a in acks] == [True] * 4 + [False] * 2, acks
    assert acks[-1]["error"] == "rate_limited" and acks[-1]["retry_after"] >= 1


# -- across replicas ---------------------------------------------------------------------------------------------

@pytest.mark.redis
def test_two_agency_replicas_share_the_lock_out_through_redis(tmp_path):
    """RATE_LIMIT_STORE_URL=redis://…: failures counted by one replica lock the address out at the other."""
    import socket

    from moments.evaluation.stack import BIN, Stack, free_port

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("Redis not reachable at 127.0.0.1:6379 - the shared lock-out is not tested")
    stack = Stack(tmp_path)
    stack.env.update({"RATE_LIMIT_STORE_URL": "redis://127.0.0.1:6379/14", "RATE_LIMIT_KEY": uuid.uuid4().hex,
                      "RATE_LIMIT_LOGIN_FAILURES": "5/60s", "RATE_LIMIT_LOGIN_LOCKOUT": "5s",
                      "RATE_LIMIT_LOGIN_ATTEMPTS": "1000/60s", "AGENCIES_LOG_LEVEL": "WARNING"})
    urls = []
    try:
        for name in ("a", "b"):
            port = free_port()
            stack.start(f"agencies-{name}", [str(BIN / "python"), "-m", "moments.agencies", "--port", str(port)],
                        f"http://127.0.0.1:{port}/readyz", env={"DATABASE_URL": f"sqlite:///{tmp_path / name}.db"})
            urls.append(f"http://127.0.0.1:{port}")
        nrics = candidates(5)
        statuses = [requests.post(f"{urls[i % 2]}/singpass/v1/login", json={"nric": n}, timeout=10).status_code
                    for i, n in enumerate(nrics)]
        assert statuses == [404] * 5
        for url in urls:
            assert_login_limited(requests.post(f"{url}/singpass/v1/login", json={"nric": LIM}, timeout=10))
    finally:
        stack.stop()
