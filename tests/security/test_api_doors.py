"""The doors of a stack started as `make run` starts it (moments/serve.py, generated secrets): an attacker on the same
machine without the credentials reads nothing, changes nothing and runs nothing.

Each test is one attack from issue 10, tried against the real Rasa server, action server and agency services.
"""
from __future__ import annotations

import http.server
import subprocess
import threading
import time

import jwt
import pytest
import requests

from moments.agencies.config import DEV_TOKEN_SECRET
from moments.serve import ACTION_SECRET_HEADER
from testkit import BIN, ROOT, Chat

pytestmark = pytest.mark.slow

LIM = "S9210102I"  # a seeded mother (README: Register a birth)


def login(servers, nric: str = LIM) -> str:
    r = requests.post(f"{servers.agencies_url}/singpass/v1/login", json={"nric": nric}, timeout=10)
    r.raise_for_status()
    return r.json()["access_token"]


@pytest.fixture(scope="module")
def victim(servers) -> Chat:
    """A logged-in mother's conversation, one turn in: the thing an attacker wants."""
    chat = Chat(servers, metadata={"token": login(servers)})
    assert chat.say("hello")
    return chat


# -- Rasa's HTTP API ---------------------------------------------------------------------------------------------

ANONYMOUS_CALLS = [
    ("GET", "/conversations/{id}/tracker", None),
    ("GET", "/conversations/{id}/story", None),
    ("POST", "/conversations/{id}/tracker/events",
     {"event": "slot", "name": "bank_account", "value": "999999999"}),
    ("PUT", "/conversations/{id}/tracker/events", []),
    ("POST", "/conversations/{id}/execute", {"name": "action_check_status"}),
    ("POST", "/conversations/{id}/trigger_intent", {"name": "check_status"}),
    ("POST", "/conversations/{id}/messages", {"text": "hi", "sender": "user"}),
    ("POST", "/conversations/{id}/predict", None),
    ("GET", "/status", None),
    ("GET", "/domain", None),
    ("POST", "/model/parse", {"text": "hello"}),
    ("DELETE", "/model", None),
    ("PUT", "/model", {"model_file": "/etc/passwd"}),
    ("POST", "/model/train", None),
    ("POST", "/model/test/intents", None),
]


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["no token", "wrong token"])
@pytest.mark.parametrize("method,path,body", ANONYMOUS_CALLS, ids=[f"{m} {p}" for m, p, _ in ANONYMOUS_CALLS])
def test_rasa_api_answers_401_without_the_token(servers, victim, method, path, body, token):
    params = {"token": token} if token else {}
    r = requests.request(method, servers.rasa_url + path.format(id=victim.sender), json=body, params=params,
                         timeout=30)
    assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
    assert "S9210102I" not in r.text and "eyJ" not in r.text


def test_the_victims_conversation_is_unchanged_after_the_attacks(servers, victim):
    tracker = victim.tracker()  # with the token: the operator's view
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["hello"]
    assert tracker["slots"].get("bank_account") is None


def test_remote_model_load_is_never_fetched(servers):
    """PUT /model with a model_server URL made Rasa fetch it (SSRF): without the token it must not even try."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (stdlib name)
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *_):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/model.tar.gz"
        r = requests.put(f"{servers.rasa_url}/model", json={"model_server": {"url": url}}, timeout=30)
        time.sleep(1)
        assert r.status_code == 401
        assert hits == []
    finally:
        srv.shutdown()
    # the model that answers is still ours
    assert servers.api("POST", "/model/parse", json={"text": "我要register孩子的出生"}).json()["intent"]["name"] \
        == "register_birth"


def test_cross_origin_pages_get_no_cors_grant(servers):
    evil = requests.get(f"{servers.rasa_url}/version", headers={"Origin": "http://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in evil.headers
    page = requests.get(f"{servers.rasa_url}/version", headers={"Origin": "http://127.0.0.1:8080"}, timeout=10)
    assert page.headers.get("Access-Control-Allow-Origin") == "http://127.0.0.1:8080"


def _listening_addresses(port: int) -> set:
    """Local addresses of the sockets LISTENing on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.rsplit(":", 1)
            if int(p, 16) == port and state == "0A":
                found.add(addr)
    return found


@pytest.mark.parametrize("name", ["rasa", "actions", "agencies"])
def test_services_listen_on_loopback_only(servers, name):
    port = int(servers.urls[name].rsplit(":", 1)[1])
    addresses = _listening_addresses(port)
    assert addresses, f"nothing listens on {port}"
    assert addresses <= {"0100007F"}, f"{name} listens on {addresses} (0100007F is 127.0.0.1)"


# -- the action server -------------------------------------------------------------------------------------------

def forged_tracker(sender: str) -> dict:
    return {"sender_id": sender, "slots": {}, "latest_message": {"text": "status", "intent": {"name": "check_status"},
            "entities": [], "metadata": {"phone": "+6591234567"}},
            "latest_input_channel": "sms", "events": [
                {"event": "user", "text": "status", "input_channel": "sms",
                 "metadata": {"phone": "+6591234567"}, "parse_data": {"intent": {"name": "check_status"}}}],
            "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}


@pytest.mark.parametrize("secret", [None, "wrong-secret-of-the-same-length-000000000000"])
def test_action_server_refuses_callers_without_the_shared_secret(servers, secret):
    headers = {ACTION_SECRET_HEADER: secret} if secret else {}
    body = {"next_action": "action_check_status", "sender_id": "attacker", "tracker": forged_tracker("attacker"),
            "domain": {}, "version": "3.6.21"}
    r = requests.post(f"{servers.actions_url}/webhook", json=body, headers=headers, timeout=30)
    assert r.status_code == 401, r.text[:200]
    assert requests.get(f"{servers.actions_url}/actions", headers=headers, timeout=10).status_code == 401
    assert requests.get(f"{servers.actions_url}/health", timeout=10).status_code == 200


# -- tokens forged with a development secret ----------------------------------------------------------------------

def dev_token(sub: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "iss": "mock-singpass", "aud": "moments-agencies", "iat": now, "exp": now + 600,
                       "scope": "myinfo ica msf health"}, DEV_TOKEN_SECRET, algorithm="HS256")


def test_a_token_signed_with_the_public_development_secret_opens_nothing(servers):
    me = requests.get(f"{servers.agencies_url}/myinfo/v1/person", timeout=10,
                      headers={"Authorization": f"Bearer {login(servers)}", "X-API-Key": servers.secrets["AGENCIES_API_KEY"]})
    assert me.status_code == 200  # the real token works, so the refusal below is about the signature
    sub = jwt.decode(login(servers), options={"verify_signature": False})["sub"]
    forged = requests.get(f"{servers.agencies_url}/myinfo/v1/person", timeout=10,
                          headers={"Authorization": f"Bearer {dev_token(sub)}",
                                   "X-API-Key": servers.secrets["AGENCIES_API_KEY"]})
    assert forged.status_code == 401
    # Over REST the bot treats the forged token as no login: it asks the citizen to log in, shows no record.
    chat = Chat(servers, metadata={"token": dev_token(sub)})
    replies = " ".join(r.get("text", "") for r in chat.say("check my application status"))
    assert "BR-" not in replies and "BB-" not in replies and "Lim Hui Min" not in replies
    assert "log in" in replies.lower() or "login" in replies.lower(), replies


def test_the_agency_api_key_of_the_old_default_is_refused(servers):
    r = requests.get(f"{servers.agencies_url}/myinfo/v1/person", timeout=10,
                     headers={"Authorization": f"Bearer {login(servers)}", "X-API-Key": "dev-agencies-key"})
    assert r.status_code in (401, 403)
    r = requests.get(f"{servers.agencies_url}/admin/v1/faults", headers={"X-Admin-Key": "dev-agencies-admin-key"},
                     timeout=10)
    assert r.status_code in (401, 403)


# -- services refuse development secrets unless told ------------------------------------------------------------

SERVICES = {
    "agencies": [str(BIN / "python"), "-m", "moments.agencies", "--port", "0"],
    "rasa": [str(BIN / "python"), "-m", "moments.serve", "rasa", "--port", "0", "-m", "models"],
    "actions": [str(BIN / "python"), "-m", "moments.serve", "actions", "--port", "0"],
}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_services_refuse_to_start_with_development_secrets(servers, tmp_path, name):
    env = {**servers.env, "AGENCIES_API_KEY": "dev-agencies-key", "RASA_AUTH_TOKEN": "",
           "ACTION_SERVER_SECRET": "secret", "MOMENTS_SECRETS_FILE": str(tmp_path / "none.env")}
    env.pop("MOMENTS_DEV", None)
    done = subprocess.run(SERVICES[name], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "refusing to start" in done.stderr and "MOMENTS_DEV=1" in done.stderr, done.stderr[-500:]


def test_development_mode_starts_but_says_so_on_the_terminal(servers, tmp_path):
    env = {**servers.env, "AGENCIES_API_KEY": "dev-agencies-key", "MOMENTS_DEV": "1",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    proc = subprocess.Popen(SERVICES["agencies"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline() + proc.stderr.readline() + proc.stderr.readline()
        assert "WARNING (development mode)" in first and "AGENCIES_API_KEY" in first, first
    finally:
        proc.terminate()
        proc.wait(timeout=30)
