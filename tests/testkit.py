"""What the test suites share (imported as `testkit`; conftest.py holds only fixtures).

`Servers` is the benchmark's `Stack` (moments/evaluation/stack.py): agency services, action server and Rasa on
free ports with a throw-away SQLite tracker store and agency database, so tests never touch `make run`.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import List, Optional

import requests

from moments.nlu.scripts import count_scripts
from moments.evaluation.stack import BIN, QUIET_ENV, ROOT, Stack, free_port, wait_http  # noqa: F401 (re-exported)

MODEL = Path(os.environ.get("MOMENTS_MODEL", ROOT / "models" / "moments.tar.gz"))
LANGS = ("en", "zh", "ms", "ta")
# A first message in each language, used by the REST and SMS conversation tests.
GREETINGS = {
    "en": "hello, I just had a baby and need some help",
    "zh": "你好呀，早上好",
    "ms": "hai, saya baru bersalin dan perlukan bantuan",
    "ta": "வணக்கம், எனக்கு இப்போது குழந்தை பிறந்தது, உதவி வேண்டும்",
}

# The SMS channel (credentials.yml) of the test servers checks X-Twilio-Signature with the stack's generated
# TWILIO_AUTH_TOKEN (servers.env), in-process store; tests/channels sign their requests with it
# (moments.channels.simulator.SmsPhone) and derive conversation ids with its SMS_CONVERSATION_KEY.
SMS_ENV = {
    "SMS_PUBLIC_URL": "",
    "SMS_STORE_URL": "",
}



class Servers(Stack):
    """The running assistant: `rasa_url`, `actions_url`, `agencies_url`, `env`, `workdir`."""

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        self.env.update(SMS_ENV)

    @property
    def rasa_url(self) -> str:
        return self.urls.get("rasa", "")

    @property
    def actions_url(self) -> str:
        return self.urls.get("actions", "")

    @property
    def agencies_url(self) -> str:
        return self.urls.get("agencies", "")


class Chat:
    """One conversation over the REST channel."""

    _n = 0

    def __init__(self, servers: Servers, sender: Optional[str] = None, metadata: Optional[dict] = None):
        Chat._n += 1
        self.servers = servers
        self.sender = sender or f"test-{os.getpid()}-{Chat._n}-{time.time_ns()}"
        # Sent with every message, as the web widget does: {"token": <Singpass token>} identifies the citizen.
        self.metadata = metadata

    def say(self, text: str) -> List[dict]:
        body = {"sender": self.sender, "message": text}
        if self.metadata is not None:
            body["metadata"] = self.metadata
        r = requests.post(f"{self.servers.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        assert r.status_code == 200, f"{r.status_code}: {r.text[:500]}"
        return r.json()

    def tracker(self) -> dict:
        r = self.servers.api("GET", f"/conversations/{self.sender}/tracker", timeout=30)
        r.raise_for_status()
        return r.json()

    def slot(self, name: str):
        return self.tracker()["slots"].get(name)

    def last_responses(self) -> List[str]:
        """Names of the responses (utter_…) the bot sent after the latest user message."""
        names = []
        for e in reversed(self.tracker()["events"]):
            if e["event"] == "user":
                break
            if e["event"] == "bot":
                names.append((e.get("metadata") or {}).get("utter_action"))
        return list(reversed(names))

    def last_bot_actions(self) -> List[str]:
        events = self.tracker()["events"]
        names = []
        for e in reversed(events):
            if e["event"] == "user":
                break
            if e["event"] == "action" and e["name"] not in ("action_listen",):
                names.append(e["name"])
        return list(reversed(names))


# -- conversation helpers shared by the journeys' end-to-end tests -------------------------------------------------


def written_in(lang: str, text: str) -> bool:
    """zh: has Chinese characters; ta: has Tamil script; en/ms: has neither."""
    c = count_scripts(text)
    return {"zh": c.han > 0, "ta": c.tamil > 0}.get(lang, c.han == 0 and c.tamil == 0)


def texts(replies: List[dict]) -> List[str]:
    return [r.get("text", "") for r in replies]


def say(chat: "Chat", text: str, *expected: str) -> List[dict]:
    """Sends a message; the bot's responses must be exactly `expected` (names of utter_… responses)."""
    replies = chat.say(text)
    assert chat.last_responses() == list(expected), (text, texts(replies))
    return replies


def logged_in(servers: Servers, key: str) -> Chat:
    """A conversation of a seeded parent (moments/agencies/seed.py key) logged in with mock Singpass: the token goes
    with every message, as the web widget sends it; `chat.token` is it."""
    from moments.agency_client import Agencies
    from moments.agencies.seed import PEOPLE

    nric = next(p.nric for p in PEOPLE if p.key == key)
    agency = Agencies(base_url=servers.agencies_url, api_key=servers.secrets["AGENCIES_API_KEY"])
    token = agency.singpass.login(nric=nric)["access_token"]
    chat = Chat(servers, metadata={"token": token})
    chat.token = token
    return chat


def notify_birth(servers: Servers, mother: str, father: Optional[str] = None, days_ago: int = 3, sex: str = "F",
                 at: str = "10:15", weight_g: int = 3100) -> dict:
    """The hospital's notification of live birth (admin API) for a baby of seeded parents, born `days_ago` days ago
    at `at` Singapore time: a baby of the test's own, so the seeded ones stay for other tests."""
    from datetime import datetime, timedelta, timezone

    from moments.agencies.seed import PEOPLE

    nric = {p.key: p.nric for p in PEOPLE}
    born = (datetime.now(timezone(timedelta(hours=8))) - timedelta(days=days_ago)).strftime(f"%Y-%m-%dT{at}:00")
    body = {"mother_nric": nric[mother], "father_nric": nric[father] if father else None, "hospital_code": "KKH",
            "born_at": born, "sex": sex, "birth_weight_g": weight_g}
    r = requests.post(f"{servers.agencies_url}/admin/v1/live-birth-notifications", json=body,
                      headers=servers.admin_headers, timeout=10)
    r.raise_for_status()
    return r.json()


def fault(servers: Servers, agency_name: str, **spec) -> None:
    r = requests.put(f"{servers.agencies_url}/admin/v1/faults/{agency_name}", json=spec, headers=servers.admin_headers, timeout=10)
    r.raise_for_status()


def clear_faults(servers: Servers) -> None:
    requests.delete(f"{servers.agencies_url}/admin/v1/faults", headers=servers.admin_headers, timeout=10).raise_for_status()


from contextlib import contextmanager  # noqa: E402


@contextmanager
def running_servers(workdir: Path):
    """Agency services, action server and Rasa (the trained model, credentials.yml), stopped afterwards."""
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make train` (make test does it for you)")
    s = Servers(workdir)
    try:
        s.start_assistant(MODEL, credentials=ROOT / "credentials.yml")
        yield s
    finally:
        s.stop()


# Debian's Chromium, driven by Playwright, for every browser suite (tests/browser, tests/console).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_JS = ROOT / "moments" / "web" / "node_modules" / "axe-core" / "axe.min.js"


def chromium_browser():
    """A generator for a pytest fixture: Playwright's Chromium, closed afterwards; skips when it is not installed."""
    import pytest

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium): "
                    "apt-get install -y chromium chromium-driver (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
