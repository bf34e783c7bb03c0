"""Reminders end to end: the real agencies, Rasa with the SMS channel, the action server, the notifier processes and
the local Twilio endpoint. Seeded parents opt in by SMS, the notifier's clock moves (`python -m moments.notifier
clock --set`), the reminder arrives once at the endpoint, "1" books the vaccination at the Health agency, STOP stops
them, and two notifier replicas with one killed (-9) send nothing twice. All four languages."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import requests

from moments.channels.gateway import WEBHOOK_PATH
from moments.channels.simulator import SmsPhone
from moments.notifier.store import Store
from moments.notifier.twilio_local import DEFAULT_ACCOUNT_SID
from testkit import BIN, MODEL, ROOT, Servers, free_port

pytestmark = pytest.mark.slow
SGT = timezone(timedelta(hours=8))
MOBILE = {"aisyah": "+6598765432", "faizal": "+6591234502", "zhang": "+6591234510", "nurul": "+6591234505",
          "rajesh": "+6591234503", "lim": "+6591234567", "tan": "+6591234501", "daniel": "+6591234508",
          "maria": "+6581234509"}
NRIC_AISYAH = "S9110202A"


class Stack:
    def __init__(self, servers: Servers):
        self.servers = servers
        self.twilio = servers.env["SMS_API_URL"]

    def phone(self, who: str) -> SmsPhone:
        return SmsPhone(f"{self.servers.rasa_url}{WEBHOOK_PATH}", MOBILE[who], token=self.servers.env["TWILIO_AUTH_TOKEN"])

    def text(self, who: str, *messages: str) -> str:
        phone, replies = self.phone(who), []
        for m in messages:
            reply = phone.send(m)
            assert reply.status == 200, reply.text[:300]
            replies.append(reply.joined())
            print(f"{who} > {m}\n{reply.joined()}\n")
        return replies[-1]

    def notifier(self, *args: str, env=None, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "python"), "-m", "moments.notifier", *args], cwd=ROOT,
                              env={**self.servers.env, **(env or {})}, capture_output=True, text=True, timeout=300, **kw)

    def days_ahead(self, days: int) -> None:
        day = datetime.now(SGT).date() + timedelta(days=days)
        done = self.notifier("clock", "--set", f"{day.isoformat()}T10:00")
        assert done.returncode == 0, done.stderr

    def run_once(self) -> str:
        done = self.notifier("once")
        assert done.returncode == 0, done.stderr[-2000:]
        assert "unknown" not in done.stdout, done.stderr[-3000:]
        return done.stdout

    def received(self, who: str | None = None) -> list[dict]:
        r = requests.get(f"{self.twilio}/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json",
                         params={"PageSize": 1000, **({"To": MOBILE[who]} if who else {})},
                         auth=(DEFAULT_ACCOUNT_SID, self.servers.env["TWILIO_API_TOKEN"]), timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["messages"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}")
    workdir = tmp_path_factory.mktemp("reminders")
    s = Servers(workdir)
    port = free_port()
    s.env.update({"NOTIFIER_DATABASE_URL": f"sqlite:///{workdir / 'notifier.db'}",
                  "SMS_API_URL": f"http://127.0.0.1:{port}", "TWILIO_LOCAL_DATABASE": str(workdir / "twilio.db"),
                  "NOTIFIER_LEASE_SECONDS": "3", "NOTIFIER_WEEKLY_CAP": "5"})
    try:
        s.start("twilio-local", [str(BIN / "python"), "-m", "moments.notifier.twilio_local", "--port", str(port)],
                f"http://127.0.0.1:{port}/healthz")
        s.start_assistant(MODEL, credentials=ROOT / "credentials.yml")
        yield Stack(s)
    finally:
        s.stop()


def test_1_opt_in_the_reminder_arrives_once_and_1_books_the_vaccination(stack):
    assert "Peringatan dihidupkan" in stack.text("aisyah", "selamat pagi", "START")
    stack.days_ahead(10)
    stack.run_once()
    stack.run_once()
    [reminder] = stack.received("aisyah")
    assert "vaksinasi Muhammad Irfan" in reminder["body"] and "Balas 1 untuk tempah" in reminder["body"]
    assert int(reminder["num_segments"]) <= 2
    # the parent replies "1": the booking form starts for Irfan, a vaccination, in Malay
    stack.text("aisyah", "1")
    stack.text("aisyah", "ya")                     # MyInfo consent
    stack.text("aisyah", "Poliklinik Tampines")    # clinic
    stack.text("aisyah", "Isnin depan")            # day
    stack.text("aisyah", "1")                      # the first free time
    stack.text("aisyah", "09011991")               # SMS step-up: her date of birth
    done = stack.text("aisyah", "ya")              # confirm
    assert "AP-" in done, done
    agencies, key = stack.servers.agencies_url, stack.servers.env["AGENCIES_API_KEY"]
    token = requests.post(f"{agencies}/singpass/v1/login", json={"nric": NRIC_AISYAH}, timeout=10).json()["access_token"]
    booked = requests.get(f"{agencies}/health/v1/appointments", params={"status": "booked"}, timeout=10,
                          headers={"X-API-Key": key, "Authorization": f"Bearer {token}"}).json()
    assert [(a["child"]["name"], a["service"]) for a in booked] == [("Muhammad Irfan bin Muhammad Faizal", "vaccination")]


def test_2_stop_means_no_more_reminders(stack):
    assert "tidak akan terima peringatan" in stack.text("aisyah", "BERHENTI")
    before = len(stack.received("aisyah"))
    stack.days_ahead(23)  # her new baby's registration (day 28) would be due now
    stack.run_once()
    assert len(stack.received("aisyah")) == before


@pytest.mark.parametrize("who,hello,on,reminder", [
    ("faizal", "hello", "Reminders are on", "Moments: Muhammad Irfan"),
    ("zhang", "你好", "已开启提醒", "出生登记只剩几天"),
    ("nurul", "selamat petang", "Peringatan dihidupkan", "sila daftar kelahiran bayi"),
    ("rajesh", "வணக்கம்", "நினைவூட்டல்கள் இயக்கப்பட்டன", "தடுப்பூசி தாமதம்"),
])
def test_3_reminders_in_four_languages(stack, who, hello, on, reminder):
    assert on in stack.text(who, hello, "START")
    stack.days_ahead(23)  # Zhang's and Nurul's babies are 38 and 31 days old, Kavya's booster is late
    print(stack.run_once())
    bodies = [m["body"] for m in stack.received(who)]
    assert any(reminder in b for b in bodies), bodies
    assert len(bodies) == len(set(bodies))


def test_4_two_replicas_and_a_kill_send_nothing_twice(stack):
    for who in ("lim", "tan", "daniel", "maria"):
        stack.text(who, "START")
    before = Counter(m["to"] for m in stack.received())
    stack.days_ahead(33)
    env = {**stack.servers.env, "NOTIFIER_INTERVAL": "0.5", "NOTIFIER_WORKERS": "2"}
    replicas = [subprocess.Popen([str(BIN / "python"), "-m", "moments.notifier", "run"], cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(Counter(m["to"] for m in stack.received()).values()) == \
                sum(before.values()):
            time.sleep(0.05)
        os.kill(replicas[0].pid, signal.SIGKILL)  # mid-run, perhaps between a claim and its send
        replicas[0].wait()
        time.sleep(8)  # past the lease (NOTIFIER_LEASE_SECONDS=3): the survivor recovers what the dead one held
    finally:
        for p in replicas:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)
    messages = stack.received()
    pairs = Counter((m["to"], m["body"]) for m in messages)
    assert max(pairs.values()) == 1, [p for p, n in pairs.items() if n > 1]
    for who in ("lim", "tan", "daniel", "maria"):
        assert any("register your baby" in m["body"] for m in stack.received(who)), who
    store = Store(stack.servers.env["NOTIFIER_DATABASE_URL"])
    assert store.duplicates() == 0 and "sending" not in store.counts()
    store.dispose()
