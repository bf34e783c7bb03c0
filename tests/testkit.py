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
