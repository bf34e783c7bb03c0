"""`make deploy LB=…` on the scaled set-up: two real Rasa replicas behind real HAProxy on PostgreSQL + Redis
(moments.scale.ScaledStack), deployed to by the trainer's command while a client keeps talking through the balancer.

The two models are the trainer tests' tiny ones (trainer_testkit.train_tiny_models, trained once per session and
shared with the other trainer tests): two real trainings with different fingerprints. The replicas start on
`damaged` (the live model); `good` passes the regression gate against it (it knows Tamil), and rolling back to
`damaged` scores lower, so the rollback needs CONFIRM — as it would for a trainer.

The deploy talks to HAProxy's runtime API through `RuntimeApiSpy`, which passes every command on unchanged and
records it (the order of the drains shows one replica at a time). In the failure case it also hides the model file
at the moment replica 2 is taken out of rotation — as for a replica on another machine that never got the file — so
replica 2's real Rasa server refuses the model and the deploy must put replica 1 back.
"""
from __future__ import annotations

import shutil
import socket
import threading
import uuid
from typing import Callable, Dict, List, Optional

import pytest
import requests

from trainer_testkit import run_trainer
from moments.evaluation.stack import Stack, free_port
from moments.scale import ScaledStack, missing_parts
from moments.trainer.evaluate import model_metadata
from moments.trainer.fleet import LoadBalancer
from moments.trainer.project import Project

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

CANDIDATE = "moments-20990101-000000.tar.gz"


@pytest.fixture(scope="module")
def fleet(tiny_models, tmp_path_factory):
    """Two replicas serving `damaged`, HAProxy in front; the tiny bots answer from rules (no custom action)."""
    why = missing_parts()
    if why:
        pytest.skip(f"{why} - rolling deploy tests skipped")
    workdir = tmp_path_factory.mktemp("fleet")
    live = workdir / "models" / "moments.tar.gz"
    live.parent.mkdir()
    shutil.copy2(tiny_models.damaged, live)
    base = Stack(workdir)  # this run's secrets and quiet environment
    stack = ScaledStack(workdir, base.env, live, replicas=2, action_server_url="http://127.0.0.1:9")
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def project(tiny_models, tmp_path_factory) -> Project:
    """The trainer's checkout: the tiny project, models/moments.tar.gz = the live model, `good` as its candidate.
    Shared by the tests of this module only so that the second reuses the first one's gate evaluation."""
    p = tiny_models.fresh_project(tmp_path_factory.mktemp("trainer") / "project")
    p.models_dir.mkdir()
    shutil.copy2(tiny_models.damaged, p.deployed_model)
    p.candidates_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(tiny_models.good, p.candidates_dir / CANDIDATE)  # the newest candidate
    return p


class RuntimeApiSpy:
    """A Unix socket in front of HAProxy's runtime API: passes each command on, records it, and runs `hook` just
    before passing on the command `trigger`."""

    def __init__(self, stack: ScaledStack, trigger: str = "", hook: Optional[Callable[[], None]] = None):
        # One path for the module: the deployment history names the replicas by it (as by an operator's socket).
        self.path = stack.workdir / "spy.sock"
        self.real, self.trigger, self.hook = LoadBalancer(stack.lb_admin), trigger, hook
        self.commands: List[str] = []
        self.sock = socket.socket(socket.AF_UNIX)
        self.path.unlink(missing_ok=True)
        self.sock.bind(str(self.path))
        self.sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while not data.endswith(b"\n") and (chunk := conn.recv(4096)):
                    data += chunk
                line = data.decode().strip()
                self.commands.append(line)
                if line == self.trigger and self.hook:
                    self.hook()
                conn.sendall(self.real.command(line).encode())

    def states(self) -> List[str]:
        return [c.split()[2] + " " + c.split()[-1] for c in self.commands if c.startswith("set server")]

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread, which then ends
        except OSError:
            pass
        self.sock.close()


class Talk:
    """Citizens talking through the load balancer the whole time: three conversations, one turn after another."""

    TURNS = ("hello", "how much is the baby bonus", "when are the baby's vaccinations")

    def __init__(self, url: str):
        self.url, self.stop = url, threading.Event()
        self.failures: List[str] = []
        self.served: Dict[str, int] = {}
        self.threads = [threading.Thread(target=self._talk, args=(f"roll-{uuid.uuid4().hex[:8]}",)) for _ in range(3)]

    def _talk(self, sender: str) -> None:
        i = 0
        while not self.stop.is_set():
            text = self.TURNS[i % len(self.TURNS)]
            i += 1
            try:
                r = requests.post(f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                  timeout=60)  # no cookie jar: REST and SMS clients are balanced turn by turn
                if r.status_code != 200 or not r.json():
                    self.failures.append(f"{text!r}: {r.status_code} {r.text[:200]}")
                else:
                    name = r.headers.get("X-Moments-Replica", "?")
                    self.served[name] = self.served.get(name, 0) + 1
            except requests.RequestException as e:
                self.failures.append(f"{text!r}: {e!r}")

    def __enter__(self) -> "Talk":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=90)

    @property
    def turns(self) -> int:
        return sum(self.served.values())


def models(stack: ScaledStack) -> List[str]:
    token = {"token": stack.env["RASA_AUTH_TOKEN"]}
    return [requests.get(f"{u}/status", params=token, timeout=30).json()["model_id"] for u in stack.replica_urls]


def deploy(project: Project, spy: RuntimeApiSpy, stack: ScaledStack, *args: str):
    env = {"MOMENTS_SECRETS_FILE": stack.env["MOMENTS_SECRETS_FILE"], "RASA_TOKEN": "", "RASA_AUTH_TOKEN": "",
           "RASA_URL": "", "MOMENTS_DEPLOY_DRAIN_SECONDS": "3"}
    return run_trainer(project.root, "deploy", "--lb", str(spy.path), *args, env=env, timeout=900)


def lb_log(stack: ScaledStack) -> str:
    """What HAProxy said about the replicas (a server going DOWN and why), for a failing assertion."""
    return "\n".join(line for line in (stack.workdir / "haproxy.log").read_text().splitlines() if "rasa/" in line)


def in_rotation(stack: ScaledStack) -> Dict[str, bool]:
    """Whether the operator's side of HAProxy lets each replica take requests: neither drained nor in maintenance
    (`show servers state`: srv_admin_state 0). Whether its health checks pass at this instant is another matter: on a
    busy machine a replica may miss one."""
    lines = LoadBalancer(stack.lb_admin).command("show servers state rasa").splitlines()
    rows = [line.split() for line in lines[2:] if line.strip()]  # a version line, then the column names
    return {row[3]: row[6] == "0" for row in rows}


def test_a_replica_that_cannot_load_the_model_stops_the_rollout_and_the_first_goes_back(fleet, project,
                                                                                        tiny_models, tmp_path):
    live_id, new_id = (model_metadata(m)["model_id"] for m in (tiny_models.damaged, tiny_models.good))
    assert models(fleet) == [live_id, live_id]
    candidate = project.candidates_dir / CANDIDATE
    hidden = tmp_path / "elsewhere.tar.gz"
    spy = RuntimeApiSpy(fleet, trigger="set server rasa/r2 state drain",
                        hook=lambda: candidate.rename(hidden))  # replica 2 will not find the file
    try:
        with Talk(fleet.url) as talk:
            result = deploy(project, spy, fleet, "--model", str(candidate), "--yes")
    finally:
        spy.close()
        if hidden.exists():
            hidden.rename(candidate)
    out, err = result.stdout, result.stderr
    assert result.returncode == 1, out[-3000:] + err[-3000:]
    assert spy.states()[:3] == ["rasa/r1 drain", "rasa/r1 ready", "rasa/r2 drain"], out[-3000:] + err[-3000:]
    assert f"Not deployed: r2 ({fleet.replica_urls[1]}) could not take {CANDIDATE}" in err, err
    assert "every replica is back on the model it ran before" in err and "same model as before" in err, err
    assert f"r1 ({fleet.replica_urls[0]}): now answers with {CANDIDATE}" in out, out
    assert f"r1 ({fleet.replica_urls[0]}): now answers with previous-live-" in out, out  # and back again
    assert models(fleet) == [live_id, live_id]  # neither replica is left on the new model
    assert new_id != live_id
    assert spy.states() == ["rasa/r1 drain", "rasa/r1 ready", "rasa/r2 drain", "rasa/r2 ready",
                            "rasa/r1 drain", "rasa/r1 ready"]
    assert in_rotation(fleet) == {"r1": True, "r2": True}
    assert talk.failures == [] and talk.turns >= 10, (talk.failures[:3], talk.served, lb_log(fleet))
    history = (project.reports_dir / "deployments.json").read_text()
    assert CANDIDATE not in history  # nothing went live


def test_a_rolling_deploy_moves_both_replicas_to_the_new_model_while_conversations_go_on(fleet, project,
                                                                                        tiny_models, tmp_path):
    live_id, new_id = (model_metadata(m)["model_id"] for m in (tiny_models.damaged, tiny_models.good))
    assert models(fleet) == [live_id, live_id]
    spy = RuntimeApiSpy(fleet)
    try:
        with Talk(fleet.url) as talk:
            result = deploy(project, spy, fleet, "--yes")  # the newest candidate, as `make deploy LB=… CONFIRM=1`
        out = result.stdout
        assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
        assert "Regression gate PASSED" in out or "What changes:" in out, out
        assert f"Deployed: all 2 replicas (r1 ({fleet.replica_urls[0]}), r2 ({fleet.replica_urls[1]})) now run " \
               f"{CANDIDATE}" in out, out
        assert f"To undo: make deploy ROLLBACK=1 LB={spy.path}" in out
        assert models(fleet) == [new_id, new_id]
        assert spy.states() == ["rasa/r1 drain", "rasa/r1 ready", "rasa/r2 drain", "rasa/r2 ready"]
        assert in_rotation(fleet) == {"r1": True, "r2": True}
        assert talk.failures == [] and set(talk.served) == {"r1", "r2"} and talk.turns >= 10, \
            (talk.failures[:3], talk.served, lb_log(fleet))
        assert model_metadata(project.deployed_model)["model_id"] == new_id  # what a restarted replica loads

        spy.commands.clear()
        with Talk(fleet.url) as talk:
            back = deploy(project, spy, fleet, "--rollback", "--yes")
    finally:
        spy.close()
    out = back.stdout
    assert back.returncode == 0, out[-3000:] + back.stderr[-3000:]
    assert "Rolling back although it scores lower (confirmed)" in out, out  # `damaged` is worse at Tamil
    assert "Rolled back: all 2 replicas" in out and "previous-live-" in out, out
    assert models(fleet) == [live_id, live_id]
    assert spy.states() == ["rasa/r1 drain", "rasa/r1 ready", "rasa/r2 drain", "rasa/r2 ready"], (spy.commands, out)
    assert in_rotation(fleet) == {"r1": True, "r2": True}
    assert talk.failures == [] and talk.turns >= 10, (talk.failures[:3], talk.served, lb_log(fleet))


def test_a_replica_that_does_not_answer_before_the_start_means_nothing_is_changed(fleet, project):
    before = models(fleet)
    dead = f"http://127.0.0.1:{free_port()}"  # REPLICAS= (no load balancer) naming one replica that is not running
    env = {"MOMENTS_SECRETS_FILE": fleet.env["MOMENTS_SECRETS_FILE"], "RASA_TOKEN": "", "RASA_URL": ""}
    result = run_trainer(project.root, "deploy", "--replicas", f"{fleet.replica_urls[0]},{dead}", "--yes",
                         "--model", str(project.candidates_dir / CANDIDATE), env=env)
    assert result.returncode == 1, result.stdout[-2000:]
    assert f"No Rasa server answers at {dead}" in result.stderr and "Nothing was changed" in result.stderr, \
        result.stderr
    assert "Regression gate" not in result.stdout  # refused before the gate spent its minute
    assert models(fleet) == before
