"""Helpers for the notifier tests: the local Twilio endpoint in a subprocess, a notifier database (SQLite or a fresh
PostgreSQL database), and a due list the tests write (the e2e tests use the real agencies)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import requests

from testkit import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-twilio-api-token-0123456789abcdef"
CONVERSATION_KEY = "test-sms-conversation-key-0123456789"
PG = ("127.0.0.1", 5432)


@dataclass
class TwilioEndpoint:
    url: str
    account_sid: str
    process: subprocess.Popen
    database: Path

    def messages(self, to: str | None = None) -> List[Dict[str, Any]]:
        r = requests.get(f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages.json",
                         params={"PageSize": 1000, **({"To": to} if to else {})}, auth=(self.account_sid, TOKEN),
                         timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["messages"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_twilio(workdir: Path) -> TwilioEndpoint:
    from moments.notifier.twilio_local import DEFAULT_ACCOUNT_SID

    port = free_port()
    db = workdir / f"twilio-{port}.db"
    env = {**os.environ, "TWILIO_API_TOKEN": TOKEN, "TWILIO_LOCAL_DATABASE": str(db), "PYTHONUNBUFFERED": "1"}
    log = open(workdir / f"twilio-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "moments.notifier.twilio_local", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((workdir / f"twilio-{port}.log").read_text()[-2000:])
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return TwilioEndpoint(url, DEFAULT_ACCOUNT_SID, proc, db)
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the local Twilio endpoint did not start")


def pg_database():
    """A fresh PostgreSQL database URL and a function that drops it; None when PostgreSQL is not there."""
    try:
        import psycopg2

        admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres", connect_timeout=3)
    except Exception:  # noqa: BLE001 - not reachable
        return None
    admin.autocommit = True
    name = f"notifier_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return f"postgresql+psycopg2://postgres@{PG[0]}:{PG[1]}/{name}", drop


class Due:
    """A due list the test controls: `due.items[mobile] = [item, …]`; `down = True` makes the agency fail."""

    def __init__(self):
        self.items: Dict[str, List[dict]] = {}
        self.down = False

    def pages(self, on: str):
        from moments.notifier.notifier import AgencyUnavailable

        if self.down:
            raise AgencyUnavailable("503 (test)")
        yield [{"person_id": m, "mobile": m, "items": list(items)} for m, items in self.items.items()]


def vaccination(child_id: str = "c1", name: str = "Irfan", due_on: str = "2026-12-14", window: str = "due-7",
                doses=("MMR-1", "VAR-1")) -> dict:
    return {"key": f"vaccination:{child_id}:{due_on}", "window": window, "kind": "vaccination_due",
            "child": {"id": child_id, "name": name, "born_on": "2025-12-14"}, "due_on": due_on, "doses": list(doses)}
