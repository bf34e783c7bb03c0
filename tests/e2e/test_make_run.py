"""`make run`'s supervisor (scripts/run.sh), started as a newcomer starts it: every service answers; a service that
dies is started again and the conversation goes on; Ctrl-C stops everything."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import requests

from testkit import MODEL, ROOT, free_port

pytestmark = pytest.mark.slow


def _children_named(pgid: int, needle: str) -> list:
    out = subprocess.run(["ps", "-o", "pid=,pgid=,args=", "-e"], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines()
            if int(line.split()[1]) == pgid and needle in line and "bash" not in line.split()[2]]


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}")
    work = tmp_path_factory.mktemp("make-run")
    ports = {name: free_port() for name in ("RASA_PORT", "ACTIONS_PORT", "AGENCIES_PORT", "WEB_PORT",
                                                   "CONSOLE_PORT", "TWILIO_LOCAL_PORT")}
    endpoints = work / "endpoints.yml"
    endpoints.write_text((ROOT / "endpoints.yml").read_text()
                         .replace("127.0.0.1:5055", f"127.0.0.1:{ports['ACTIONS_PORT']}")
                         .replace('"var/tracker.db"', f'"{work / "tracker.db"}"'))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RASA_", "AGENCIES_", "ACTION", "MOMENTS_"))}
    env.update({k: str(v) for k, v in ports.items()})
    env.update({"MOMENTS_VAR_DIR": str(work / "var"), "ENDPOINTS": str(endpoints),
                "AGENCIES_URL": f"http://127.0.0.1:{ports['AGENCIES_PORT']}",
                "DATABASE_URL": f"sqlite:///{work / 'agencies.db'}", "HANDOFF_DATABASE_URL": f"sqlite:///{work / 'h.db'}"})
    out = (work / "run.out").open("wb")
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    rasa = f"http://127.0.0.1:{ports['RASA_PORT']}"
    try:
        deadline = time.monotonic() + 300
        while "Press Ctrl-C" not in (work / "run.out").read_text():
            assert proc.poll() is None, (work / "run.out").read_text()[-3000:]
            assert time.monotonic() < deadline, (work / "run.out").read_text()[-3000:]
            time.sleep(1)
        yield proc, rasa, ports, work
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def say(rasa: str, sender: str, text: str) -> list:
    for _ in range(60):
        try:
            r = requests.post(f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
            if r.status_code == 200 and r.json():
                return r.json()
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"no answer to {text!r}")


def test_secrets_are_generated_for_the_installation(make_run):
    _, rasa, _, work = make_run
    secrets = work / "var" / "secrets.env"
    assert secrets.exists() and oct(secrets.stat().st_mode & 0o777) == "0o600"
    assert requests.get(f"{rasa}/status", timeout=10).status_code == 401


def test_the_console_runs_and_its_first_passwords_are_said_once_on_the_terminal(make_run):
    _, rasa, ports, work = make_run
    console = f"http://127.0.0.1:{ports['CONSOLE_PORT']}"
    assert requests.get(f"{console}/healthz", timeout=10).json() == {"status": "ok"}
    values = dict(line.split("=", 1) for line in (work / "var" / "secrets.env").read_text().splitlines()
                  if "=" in line and not line.startswith("#"))
    said = (work / "run.out").read_text()
    assert f"trainer   password {values['CONSOLE_TRAINER_PASSWORD']}" in said
    assert said.count(values["CONSOLE_OPERATOR_PASSWORD"]) == 1
    logs = "".join(p.read_text(errors="replace") for p in (work / "var" / "logs").glob("*.log"))
    assert values["CONSOLE_TRAINER_PASSWORD"] not in logs
    # the console reads the tracker store Rasa writes (ENDPOINTS=…): no "no conversations" once one is stored
    say(rasa, "console-check", "hello")
    s = requests.Session()
    page = s.get(f"{console}/login", timeout=10).text
    import re
    token = re.search(r'name="login_token" value="([^"]+)"', page).group(1)
    r = s.post(f"{console}/login", data={"login_token": token, "user": "operator",
                                          "password": values["CONSOLE_OPERATOR_PASSWORD"]}, timeout=60)
    assert r.status_code == 200 and "How journeys go" in r.text and "No conversations yet" not in r.text


HEALTH = {"moments.serve actions": ("ACTIONS_PORT", "/health"), "moments.agencies": ("AGENCIES_PORT", "/healthz"),
          "moments.notifier.twilio_local": ("TWILIO_LOCAL_PORT", "/healthz")}


def test_the_notifier_runs_under_make_run(make_run):
    proc, _, ports, work = make_run
    assert _children_named(proc.pid, "moments.notifier run"), (work / "run.out").read_text()[-2000:]
    assert requests.get(f"http://127.0.0.1:{ports['TWILIO_LOCAL_PORT']}/healthz", timeout=5).status_code == 200


@pytest.mark.parametrize("service", sorted(HEALTH))
def test_a_service_that_dies_is_started_again_and_the_conversation_goes_on(make_run, service):
    proc, rasa, ports, work = make_run
    port, path = HEALTH[service]
    health = f"http://127.0.0.1:{ports[port]}{path}"
    sender = f"supervised-{time.time_ns()}"
    before = say(rasa, sender, "how much is the baby bonus?")
    victims = _children_named(proc.pid, service)
    assert victims, f"no {service} process under make run"
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 120
    while True:  # the supervisor starts it again (back-off 1 s) and it answers its health check
        try:
            if requests.get(health, timeout=2).status_code == 200 and _children_named(proc.pid, service):
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, (work / "run.out").read_text()[-2000:]
        time.sleep(0.5)
    assert set(_children_named(proc.pid, service)).isdisjoint(victims)
    out = (work / "run.out").read_text()
    assert "exited (code 137)" in out and "starting it again" in out, out[-1000:]
    after = say(rasa, sender, "how much is the baby bonus?")  # the same conversation, answered as before
    assert [r.get("text") for r in after] == [r.get("text") for r in before]


def test_ctrl_c_stops_everything(make_run):
    proc, _, ports, _ = make_run
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    time.sleep(1)
    leftover = subprocess.run(["ps", "-o", "pid=,pgid=", "-e"], capture_output=True, text=True).stdout
    assert not [l for l in leftover.splitlines() if int(l.split()[1]) == proc.pid], leftover
