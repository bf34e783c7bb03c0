"""The rolling deploy's decisions (moments/trainer/fleet.py) with stand-ins for HAProxy and the Rasa servers: the
order of drains, the way back when a replica fails, and what happens when even the way back fails — cases the
real-server tests (test_rolling_deploy.py) cannot provoke cheaply."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import requests

from moments.trainer import fleet as fleet_module
from moments.trainer.deploy import DeployError
from moments.trainer.fleet import Fleet, Replica, roll_out

OLD, NEW = Path("/models/old.tar.gz"), Path("/models/new.tar.gz")


class FakeBalancer:
    address = "/run/haproxy/admin.sock"

    def __init__(self, names):
        self.admin = {n: "ready" for n in names}
        self.commands = []

    def server(self, name):
        return {"svname": name, "scur": "0",
                "status": {"ready": "UP", "drain": "DRAIN", "maint": "MAINT"}[self.admin[name]]}

    def set_state(self, name, state):
        self.commands.append(f"{name} {state}")
        self.admin[name] = state


class FakeRasa:
    def __init__(self, refuses=(), dies=False):
        self.model, self.refuses, self.dies, self.dead = OLD, set(refuses), dies, False

    def status(self):
        if self.dead:
            raise requests.ConnectionError("connection refused")
        return {"model_file": self.model.name, "model_id": self.model.name.split(".")[0]}

    def load(self, model):
        if model in self.refuses:
            self.dead = self.dies
            raise DeployError('The server refused the model (400): {"message":"Agent could not be loaded."}')
        self.model = model

    def parse(self, text):
        return {"intent": {"name": "greet"}}


def fleet_of(*servers, lb=True):
    replicas = [Replica(f"r{i}", f"http://10.0.0.1{i}:5005", s, s.status()) for i, s in enumerate(servers, 1)]
    return Fleet(replicas, FakeBalancer([r.name for r in replicas]) if lb else None, "the replicas", " LB=x")


def test_one_replica_at_a_time_each_drained_then_ready():
    fleet = fleet_of(FakeRasa(), FakeRasa())
    roll_out(fleet, NEW, "new", {"old": OLD}, io.StringIO())
    assert fleet.lb.commands == ["r1 drain", "r1 ready", "r2 drain", "r2 ready"]
    assert [r.server.model for r in fleet.replicas] == [NEW, NEW]


def test_a_refused_load_puts_the_updated_replicas_back_and_says_so():
    fleet = fleet_of(FakeRasa(), FakeRasa(refuses={NEW}), FakeRasa())
    with pytest.raises(DeployError) as e:
        roll_out(fleet, NEW, "new", {"old": OLD}, io.StringIO())
    assert "r2 (http://10.0.0.12:5005) could not take new.tar.gz (it refused the model: Agent could not be loaded.)" \
        in str(e.value) and "every replica is back on the model it ran before" in str(e.value)
    assert [r.server.model for r in fleet.replicas] == [OLD, OLD, OLD]  # r3 was never touched
    assert fleet.lb.commands == ["r1 drain", "r1 ready", "r2 drain", "r2 ready", "r1 drain", "r1 ready"]


def test_a_replica_that_cannot_go_back_either_is_taken_out_of_rotation_and_named():
    fleet = fleet_of(FakeRasa(refuses={OLD}), FakeRasa(refuses={NEW}))  # r1 takes the new one, never the old again
    with pytest.raises(DeployError) as e:
        roll_out(fleet, NEW, "new", {"old": OLD}, io.StringIO())
    message = str(e.value)
    assert "ATTENTION" in message and "r1 (http://10.0.0.11:5005)" in message
    assert "OUT of the load balancer's rotation" in message and "set server rasa/r1 state ready" in message
    assert fleet.lb.admin == {"r1": "maint", "r2": "ready"}  # citizens reach only r2, on the old model


def test_the_last_replica_answering_is_never_taken_out_and_the_mix_of_models_is_said(monkeypatch):
    monkeypatch.setattr(fleet_module, "UP_SECONDS", 0.3)
    # r2 refuses the new model and dies; r1, on the new one, cannot load the old one again.
    fleet = fleet_of(FakeRasa(refuses={OLD}), FakeRasa(refuses={NEW}, dies=True))
    with pytest.raises(DeployError) as e:
        roll_out(fleet, NEW, "new", {"old": OLD}, io.StringIO())
    message = str(e.value)
    assert fleet.lb.admin == {"r1": "ready", "r2": "maint"}  # r1 still answers citizens: it is all there is
    assert "r2 (http://10.0.0.12:5005)" in message and "OUT of the load balancer's rotation" in message
    assert "r1 (http://10.0.0.11:5005)" in message and "do NOT all run the same model" in message


def test_without_a_load_balancer_nothing_is_drained():
    fleet = fleet_of(FakeRasa(), FakeRasa(), lb=False)
    out = io.StringIO()
    roll_out(fleet, NEW, "new", {"old": OLD}, out)
    assert [r.server.model for r in fleet.replicas] == [NEW, NEW] and "back in rotation" not in out.getvalue()
