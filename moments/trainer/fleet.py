"""A rolling model deploy: several Rasa replicas behind HAProxy get a new model one replica at a time.

`make deploy LB=/run/haproxy/admin.sock` reads the replicas from the load balancer itself (HAProxy's runtime API,
opened by `python -m moments.scale haproxy --admin-socket …`; the servers of its `rasa` backend), so the list a
trainer deploys to is the one citizens are balanced over — nothing to keep in step. `REPLICAS=http://a:5005,…`
names them instead, for another load balancer (then nothing can be taken out of rotation: see below). The gate is
`deploy`'s, unchanged (moments/trainer/deploy.py). Then, for each replica in turn:

1. **out of rotation**: `set server rasa/<r> state drain` — HAProxy sends it no new request (a widget socket already
   open on it stays there: an Engine.IO session lives in one replica's memory); up to DRAIN_SECONDS for the
   requests it holds to finish;
2. **load**: `PUT /model`; Rasa loads the new model next to the old one and switches over. The load holds the
   replica's event loop for a few seconds: a request sent to it would wait that long, and its health checks fail;
3. **verify**: `/status` reports the new model's file and fingerprint (model_id) and `/model/parse` answers;
4. **back**: `set server rasa/<r> state ready`, then wait until HAProxy's own health checks see it UP. Only then the
   next replica, so there is always a replica in rotation — when taking one out would leave none, it loads in place
   (requests wait for it; none fails).

Why drain through the runtime API rather than a health check that says "not ready" while loading: drain takes
effect at once and the deploy reads the state back, while a health check acts only after `fall` failed checks,
during which requests still reach the loading replica; a loading Rasa server cannot answer a health check anyway
(the load holds its event loop), so "not ready" would be indistinguishable from "dead"; and it needs no change to
Rasa's server. The runtime state is HAProxy's memory: an HAProxy reload puts every server back in rotation.

If a replica fails (the load is refused, it reports another model, it does not come back up), the rollout stops and
the replicas are put back on the model each ran before — the failed one first, then those already updated — the same
way, one at a time. The deploy says so in plain words and fails. A replica that cannot be put back is left out of
rotation (maint) and named, so the load balancer never serves two different models without saying so.

The replicas read the model file from their own disk (Rasa's `PUT /model` takes a path): it must be at the same path
for every replica — one machine, or a shared folder mounted at the same path.
"""
from __future__ import annotations

import csv
import io
import os
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, TextIO

import requests

DRAIN_SECONDS = float(os.environ.get("MOMENTS_DEPLOY_DRAIN_SECONDS", "10"))
UP_SECONDS = float(os.environ.get("MOMENTS_DEPLOY_UP_SECONDS", "60"))
BACKEND = "rasa"


class ReplicaFailed(Exception):
    """One replica did not take a model; the message says what it did instead."""


class LoadBalancer:
    """HAProxy's runtime API: a Unix socket path, or host:port (`stats socket ipv4@…`)."""

    def __init__(self, address: str, backend: str = BACKEND, timeout: float = 5):
        self.address, self.backend, self.timeout = address, backend, timeout

    def command(self, line: str) -> str:
        from moments.trainer.deploy import DeployError

        host, _, port = self.address.rpartition(":")
        unix = self.address.startswith(("/", ".")) or not port.isdigit()
        try:
            with socket.socket(socket.AF_UNIX if unix else socket.AF_INET) as s:
                s.settimeout(self.timeout)
                s.connect(self.address if unix else (host, int(port)))
                s.sendall(line.encode() + b"\n")
                chunks = []
                while chunk := s.recv(65536):
                    chunks.append(chunk)
        except OSError as e:
            raise DeployError(f"The load balancer's runtime API does not answer at {self.address} "
                              f"({e.__class__.__name__}: {e}). It is HAProxy's `stats socket … level admin` line "
                              "(python -m moments.scale haproxy --admin-socket …); ask the operator where it is: "
                              "make deploy LB=<that path or host:port>") from e
        return b"".join(chunks).decode(errors="replace")

    def servers(self) -> List[Dict[str, str]]:
        """The backend's servers as `show stat` lists them: svname, addr, status (UP, DOWN, DRAIN, MAINT …), scur."""
        rows = csv.DictReader(io.StringIO(self.command("show stat").lstrip("# ")))
        return [r for r in rows if r.get("pxname") == self.backend and r.get("svname") not in ("FRONTEND", "BACKEND")]

    def server(self, name: str) -> Dict[str, str]:
        return next((s for s in self.servers() if s["svname"] == name), {"svname": name, "status": "gone"})

    def set_state(self, name: str, state: str) -> None:
        answer = self.command(f"set server {self.backend}/{name} state {state}").strip()
        if answer:
            raise ReplicaFailed(f"the load balancer refused to set it to {state}: {answer}")


@dataclass
class Replica:
    name: str                  # HAProxy's server name (r1, …), or the URL
    url: str
    server: "object"           # moments.trainer.deploy.RasaServer
    before: Dict = field(default_factory=dict)   # its /status when the deploy started

    @property
    def label(self) -> str:
        return self.url if self.name == self.url else f"{self.name} ({self.url})"


@dataclass
class Fleet:
    replicas: List[Replica]
    lb: Optional[LoadBalancer]
    key: str                   # how the deployment history names this set of replicas
    make_args: str             # what to add to `make deploy` to reach it again

    def in_rotation(self, replica: Replica) -> bool:
        """HAProxy sends it requests: UP, or "UP 1/2" (its last health check failed, one more and it is out)."""
        return self.lb is not None and (self.lb.server(replica.name).get("status") or "").startswith("UP")


def open_fleet(lb: Optional[str], replicas: Optional[str], token: Optional[str]) -> Fleet:
    """The replicas to deploy to: those of the load balancer's backend (LB=), or the listed URLs (REPLICAS=)."""
    from moments.trainer.deploy import DeployError, RasaServer

    urls = [u.strip().rstrip("/") for u in (replicas or "").split(",") if u.strip()]
    if not lb:
        if not urls:
            raise DeployError("No replicas given: REPLICAS=http://host:5005,http://host:5006 or LB=<HAProxy's socket>.")
        return Fleet([Replica(u, u, RasaServer(u, token)) for u in urls], None,
                     "the replicas " + ", ".join(urls), f" REPLICAS={','.join(urls)}")
    balancer = LoadBalancer(lb)
    servers = balancer.servers()
    if not servers:
        raise DeployError(f"The load balancer at {lb} has no `{BACKEND}` backend with servers; is it the Moments "
                          "configuration (python -m moments.scale haproxy)?")
    found = [Replica(s["svname"], f"http://{s['addr']}", RasaServer(f"http://{s['addr']}", token)) for s in servers]
    if urls and sorted(urls) != sorted(r.url for r in found):
        raise DeployError(f"The load balancer at {lb} balances over {', '.join(r.url for r in found)}, not "
                          f"{', '.join(urls)}. Leave REPLICAS= out: LB= alone deploys to the replicas it balances over.")
    return Fleet(found, balancer, f"the replicas behind {lb}", f" LB={lb}")


def check_ready(fleet: Fleet, out: TextIO) -> None:
    """Before anything is changed: every replica answers, and is in the load balancer's rotation."""
    from moments.trainer.deploy import DeployError

    for r in fleet.replicas:
        try:
            r.before = r.server.status()
        except requests.RequestException as e:
            raise DeployError(f"No Rasa server answers at {r.url} ({e.__class__.__name__}), one of {fleet.key}. "
                              "Nothing was changed. Start it (or take it out of the load balancer's configuration), "
                              "then deploy again.") from e
        state = fleet.lb.server(r.name).get("status") if fleet.lb else None
        deadline = time.monotonic() + UP_SECONDS  # a busy replica may miss a health check or two and come back
        while fleet.lb and not fleet.in_rotation(r) and state == "DOWN" and time.monotonic() < deadline:
            time.sleep(0.5)
            state = fleet.lb.server(r.name).get("status")
        if fleet.lb and not (state or "").startswith("UP") and state != "no check":
            raise DeployError(f"{r.label} is not in the load balancer's rotation now (HAProxy says {state}). "
                              "Nothing was changed. Deploy when every replica is up, so that one can always answer "
                              "while another loads the model.")
        out.write(f"  {r.label}: {r.before.get('model_file')} (fingerprint {r.before.get('model_id')})"
                  + (f", {state} in the load balancer" if state else "") + "\n")
    if not fleet.lb and len(fleet.replicas) > 1:
        out.write("No load balancer given (LB=…): no replica can be taken out of rotation, so requests that reach one "
                  "while it loads wait for it (a few seconds); none fails.\n")


def switch(fleet: Fleet, r: Replica, model: Path, model_id: str, out: TextIO, wait_ready: float) -> None:
    """Out of rotation, load `model`, check it answers with it, back in rotation — or ReplicaFailed."""
    from moments.trainer.deploy import DeployError

    started = time.monotonic()
    drained = False
    if fleet.lb:
        # Another replica must be answering before this one goes out; a busy one may miss a health check or two.
        others = [o for o in fleet.replicas if o is not r]
        deadline = time.monotonic() + UP_SECONDS
        while others and not any(fleet.in_rotation(o) for o in others) and time.monotonic() < deadline:
            time.sleep(0.2)
        if others and any(fleet.in_rotation(o) for o in others):
            fleet.lb.set_state(r.name, "drain")
            drained = True
            deadline = time.monotonic() + DRAIN_SECONDS
            while time.monotonic() < deadline and int(fleet.lb.server(r.name).get("scur") or 0) > 0:
                time.sleep(0.2)
        else:
            out.write(f"  {r.label}: no other replica is in rotation, so it loads while it answers (requests wait "
                      "for it)\n")
    try:
        r.server.load(model)
    except DeployError as e:  # Rasa's own words: "Agent with name '…' could not be loaded." and the like
        said = re.search(r'"message":\s*"((?:[^"\\]|\\.)*)"', str(e))
        raise ReplicaFailed(f"it refused the model: {said.group(1) if said else e}") from e
    except requests.RequestException as e:
        raise ReplicaFailed(f"it did not answer the load ({e.__class__.__name__})") from e
    status: Dict = {}
    deadline = time.monotonic() + wait_ready
    while True:
        try:
            status = r.server.status()
            if status.get("model_id") == model_id and status.get("model_file") == model.name:
                parsed = r.server.parse("hello")
                if parsed.get("intent", {}).get("name"):
                    break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise ReplicaFailed(f"after the load it reports {status.get('model_file')} "
                                f"(fingerprint {status.get('model_id')}), not {model.name}")
        time.sleep(0.5)
    if fleet.lb:  # drained or not, the next replica waits until the load balancer sees this one up again
        if drained:
            fleet.lb.set_state(r.name, "ready")
        try:
            _wait_up(fleet, r)
        except ReplicaFailed as e:
            raise ReplicaFailed(f"it answers with {model.name}, but {e}") from e
    out.write(f"  {r.label}: now answers with {model.name} (fingerprint {model_id})"
              + (", back in rotation" if drained else "") + f" — {time.monotonic() - started:.1f}s\n")


def roll_out(fleet: Fleet, model: Path, model_id: str, previous: Dict[str, Path], out: TextIO,
             wait_ready: float = 120) -> float:
    """`model` onto every replica, one at a time; on a failure every replica goes back to what it ran before and
    DeployError says what happened. `previous`: model_id -> file, for each model a replica runs now."""
    from moments.trainer.deploy import DeployError

    started = time.monotonic()
    updated: List[Replica] = []
    for r in fleet.replicas:
        if r.before.get("model_id") == model_id and r.before.get("model_file") == model.name:
            out.write(f"  {r.label}: already runs {model.name}\n")
            continue
        try:
            switch(fleet, r, model, model_id, out, wait_ready)
        except (ReplicaFailed, DeployError) as e:
            raise DeployError(_undo(fleet, r, e, updated, model, previous, out, wait_ready)) from e
        updated.append(r)
    return time.monotonic() - started


def _undo(fleet: Fleet, failed: Replica, why: Exception, updated: List[Replica], model: Path,
          previous: Dict[str, Path], out: TextIO, wait_ready: float) -> str:
    """Puts `failed` and then the `updated` replicas back on their previous models; returns the message for the
    trainer."""
    out.write(f"\n{failed.label} could not take {model.name}: {why}.\n"
              + ("Stopping the rollout and putting back the model each replica ran before, one at a time:\n"
                 if updated else "Stopping the rollout; no other replica was changed.\n"))
    stuck = []
    for r in [failed] + list(reversed(updated)):
        old_id, old = r.before.get("model_id"), previous[r.before.get("model_id")]
        try:
            now = r.server.status()
            if now.get("model_id") == old_id and r is failed:  # the load was refused: it still runs the old model
                if fleet.lb and not fleet.in_rotation(r):
                    fleet.lb.set_state(r.name, "ready")
                    _wait_up(fleet, r)
                out.write(f"  {r.label}: still on {now.get('model_file')}" + (", back in rotation" if fleet.lb else "")
                          + "\n")
            else:
                switch(fleet, r, old, old_id, out, wait_ready)
        except Exception as e:  # noqa: BLE001 - whatever it is, the trainer must hear which replica it is
            out_of_rotation = False
            # Out of rotation, unless that would leave citizens with no replica at all (then it is said below).
            if fleet.lb and any(fleet.in_rotation(o) for o in fleet.replicas if o is not r):
                try:
                    fleet.lb.set_state(r.name, "maint")
                    out_of_rotation = True
                except Exception:  # noqa: BLE001
                    pass
            stuck.append((r, e, out_of_rotation))
    before = sorted({f"{r.before.get('model_file')}, fingerprint {r.before.get('model_id')}" for r in fleet.replicas})
    what = (f"Not deployed: {failed.label} could not take {model.name} ({why}). ")
    if not stuck:
        return (what + f"The rollout stopped there, and every replica is back on the model it ran before "
                f"({'; '.join(before)}): they all answer with the same model as before. Every replica reads the model "
                f"file from its own disk, so {model} must be there at that path for each of them; the replica's log "
                "says more.")
    lines = [what, "ATTENTION — these replicas could not be put back on their previous model:"]
    for r, e, out_of_rotation in stuck:
        lines.append(f"  {r.label}: {e}. " + (
            f"It is OUT of the load balancer's rotation (maintenance), so citizens only reach replicas running "
            f"{'; '.join(before)}. Restart it (it loads models/ when it starts), then put it back: "
            f"echo 'set server {BACKEND}/{r.name} state ready' | socat stdio {fleet.lb.address}" if out_of_rotation
            else "It still takes requests (no other replica is there to answer), so the replicas do NOT all run the "
            "same model. Restart it, or deploy again when it answers."))
    return "\n".join(lines)


def _wait_up(fleet: Fleet, r: Replica) -> None:
    deadline = time.monotonic() + UP_SECONDS
    while not fleet.in_rotation(r):
        state = fleet.lb.server(r.name).get("status")
        if time.monotonic() > deadline:
            raise ReplicaFailed(f"the load balancer's health checks did not see it up again within {UP_SECONDS:.0f} s "
                                f"(HAProxy says {state})")
        time.sleep(0.2)
