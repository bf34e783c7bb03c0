"""Shared fixtures: real Rasa + action server (+ agency services) started on free ports.

The servers use the model `make test` trains (models/moments.tar.gz) and a throw-away SQLite
tracker store, so tests never touch a developer's running `make run`.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MODEL = Path(os.environ.get("MOMENTS_MODEL", ROOT / "models" / "moments.tar.gz"))
LANGS = ("en", "zh", "ms", "ta")

QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONWARNINGS": "ignore",
}


# The SMS channel (credentials.yml) of the test servers checks X-Twilio-Signature with this token, in-process
# store, known conversation key; tests/channels sign their requests with it (moments.channels.simulator.SmsPhone).
SMS_ENV = {
    "TWILIO_AUTH_TOKEN": "test-twilio-auth-token",
    "SMS_PUBLIC_URL": "",
    "SMS_STORE_URL": "",
    "SMS_CONVERSATION_KEY": "test-sms-conversation-key",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout}s:\n{log.read_text()[-3000:]}")


class Servers:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.procs: List[subprocess.Popen] = []
        self.env = {**os.environ, **QUIET_ENV, **SMS_ENV, "MOMENTS_VAR_DIR": str(workdir)}
        self.rasa_url = ""
        self.actions_url = ""
        self.agencies_url = ""

    def start(self, name: str, args: List[str], health: str, env: Optional[Dict[str, str]] = None) -> None:
        log = self.workdir / f"{name}.log"
        proc = subprocess.Popen(
            args, cwd=ROOT, env={**self.env, **(env or {})},
            stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        wait_http(health, proc, log)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Iterator[Servers]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it for you)")
    workdir = tmp_path_factory.mktemp("servers")
    s = Servers(workdir)
    rasa_port, actions_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{workdir / "tracker.db"}"\n'
    )
    try:
        agencies_port = free_port()
        s.start("agencies", [str(BIN / "python"), "-m", "moments.agencies", "--port", str(agencies_port)],
                f"http://127.0.0.1:{agencies_port}/openapi.json",
                env={"DATABASE_URL": f"sqlite:///{workdir / 'agencies.db'}", "AGENCIES_LOG_LEVEL": "WARNING"})
        s.agencies_url = f"http://127.0.0.1:{agencies_port}"
        s.env["AGENCIES_URL"] = s.agencies_url
        s.start("actions", [str(BIN / "rasa"), "run", "actions", "--actions", "actions",
                            "--port", str(actions_port)],
                f"http://127.0.0.1:{actions_port}/health")
        s.actions_url = f"http://127.0.0.1:{actions_port}"
        s.start("rasa", [str(BIN / "rasa"), "run", "--enable-api", "--port", str(rasa_port),
                         "-m", str(MODEL), "--endpoints", str(endpoints),
                         "--credentials", str(ROOT / "credentials.yml")],
                f"http://127.0.0.1:{rasa_port}/status")
        s.rasa_url = f"http://127.0.0.1:{rasa_port}"
        # /status answers before the model is loaded; wait until parsing works.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            r = requests.post(f"{s.rasa_url}/model/parse", json={"text": "hi"}, timeout=10)
            if r.status_code == 200:
                break
            time.sleep(1)
        yield s
    finally:
        s.stop()


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
        r = requests.get(f"{self.servers.rasa_url}/conversations/{self.sender}/tracker", timeout=30)
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


@pytest.fixture
def chat(servers) -> Chat:
    return Chat(servers)
