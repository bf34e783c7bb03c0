"""deploy/compose.yaml and deploy/k8s/moments.yaml: valid for their orchestrator (offline schemas), and describing the
set-up tests/e2e/test_load_balancer.py runs — the same processes, commands, variables, health checks and HAProxy
configuration (moments/scale.py). If the tested set-up changes, these fail until the descriptions follow.

The Compose specification (compose_spec.json beside this file) is the one shipped in docker-compose 1.29.2's wheel
(compose/config/compose_spec.json, Apache-2.0); Kubernetes objects are checked by kubernetes-validate against the
1.28 schemas in strict mode (unknown fields fail).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from moments.scale import PROCESSES, haproxy_config
from moments.secrets import SECRETS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
K8S = [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "moments.yaml").read_text()) if d]
K8S_VERSION = "1.28.0"
ENDPOINT_VARS = {var for line in (DEPLOY / "endpoints.scaled.yml").read_text().splitlines()
                 for var in re.findall(r"\$\{(\w+)\}", line.split("#")[0])}
FROM_SECRETS = {"ACTION_SERVER_SECRET", "DB_PASSWORD"}  # never written in a manifest: env_file / secretRef


def k8s(kind: str, name: str) -> dict:
    return next(d for d in K8S if d["kind"] == kind and d["metadata"]["name"] == name)


def container(name: str) -> dict:
    return k8s("Deployment", name)["spec"]["template"]["spec"]["containers"][0]


def k8s_env(name: str) -> dict:
    config = k8s("ConfigMap", "moments-config")["data"]
    c = container(name)
    refs = {r.get("configMapRef", {}).get("name") for r in c.get("envFrom", [])}
    env = dict(config) if "moments-config" in refs else {}
    env.update({e["name"]: e.get("value") for e in c.get("env", [])})
    if any("secretRef" in r for r in c.get("envFrom", [])):
        env.update({k: "<secret>" for k in (*SECRETS, "DB_PASSWORD")})
    return env


def compose_env(name: str) -> dict:
    service = COMPOSE["services"][name]
    env = dict(service.get("environment") or {})
    if "../var/secrets.env" in service.get("env_file", []):
        env.update({k: "<secret>" for k in (*SECRETS, "DB_PASSWORD")})
    return env


# -- valid for the orchestrator ------------------------------------------------------------------------------------

def test_compose_file_follows_the_compose_specification():
    import jsonschema

    schema = json.loads((Path(__file__).parent / "compose_spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(COMPOSE), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


@pytest.mark.parametrize("doc", K8S, ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_kubernetes_object_is_valid(doc):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_a_schema_violation_is_caught():  # the checks above can fail
    import jsonschema

    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    bad = json.loads(json.dumps(k8s("Deployment", "rasa")))
    bad["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)
    schema = json.loads((Path(__file__).parent / "compose_spec.json").read_text())
    broken = {"services": {"rasa": {"image": "x", "restart": ["always"]}}}
    assert list(jsonschema.validators.validator_for(schema)(schema).iter_errors(broken))


# -- the same set-up as the one tested ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_each_process_runs_the_tested_command_with_its_health_check(name):
    args, port, health = PROCESSES[name]
    service = COMPOSE["services"][name]
    assert service["command"] == args
    assert f"http://127.0.0.1:{port}{health}" in " ".join(service["healthcheck"]["test"])
    c = container(name)
    assert c["command"] == args
    assert [p["containerPort"] for p in c["ports"]] == [port]
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": health, "port": port}, (name, probe)


def test_the_descriptions_run_the_same_processes_and_restart_them():
    expected = set(PROCESSES) | {"postgres", "redis", "lb"}
    assert set(COMPOSE["services"]) == expected
    assert all(s.get("restart") == "unless-stopped" for s in COMPOSE["services"].values())
    deployments = {d["metadata"]["name"] for d in K8S if d["kind"] == "Deployment"}
    assert deployments == expected - {"postgres"}  # PostgreSQL is the operator's own on Kubernetes
    for name in deployments:  # Deployments restart by themselves; the liveness probe decides when
        assert "livenessProbe" in container(name), name
    assert k8s("Deployment", "rasa")["spec"]["replicas"] >= 2
    assert COMPOSE["services"]["rasa"]["deploy"]["replicas"] >= 2


@pytest.mark.parametrize("env_of", [compose_env, k8s_env], ids=["compose", "kubernetes"])
def test_replicas_get_every_variable_the_scaled_endpoints_need(env_of):
    env = env_of("rasa")
    missing = ENDPOINT_VARS - set(env)
    assert not missing, missing
    for var in FROM_SECRETS:
        assert env[var] == "<secret>", f"{var} must come from the secrets, not the manifest"
    assert env["RASA_INTERFACE"] == "0.0.0.0"  # reachable by the balancer inside the network; never published
    assert env_of("actions")["ACTIONS_INTERFACE"] == "0.0.0.0"


def test_no_secret_value_is_written_in_a_manifest():
    text = (DEPLOY / "compose.yaml").read_text() + (DEPLOY / "k8s" / "moments.yaml").read_text()
    for name in (*SECRETS, "POSTGRES_PASSWORD"):
        for value in re.findall(rf"\b{name}\b\s*[:=]\s*(\S+)", text):
            assert value.startswith("${"), f"{name} has a value in a manifest: {value}"
    assert not any(d["kind"] == "Secret" for d in K8S)


def test_only_the_balancer_and_the_page_are_published_and_on_loopback():
    published = {name: s["ports"] for name, s in COMPOSE["services"].items() if s.get("ports")}
    assert set(published) == {"lb", "web"}
    assert all(p.startswith("127.0.0.1:") for ports in published.values() for p in ports)


def test_the_balancer_configuration_is_the_generated_one():
    assert (DEPLOY / "haproxy.cfg").read_text() == haproxy_config(dns="rasa:5005", bind=":8088")
    in_cluster = k8s("ConfigMap", "moments-haproxy")["data"]["haproxy.cfg"]
    assert in_cluster == haproxy_config(dns="rasa.moments.svc.cluster.local:5005", bind=":8088")
    assert k8s("Service", "rasa")["spec"]["clusterIP"] == "None"  # headless: one DNS record per ready replica
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in COMPOSE["services"]["lb"]["volumes"]


@pytest.mark.parametrize("dns", [None, "rasa:5005"])
def test_haproxy_accepts_the_configuration(tmp_path, dns):
    haproxy = shutil.which("haproxy") or (Path("/usr/sbin/haproxy") if Path("/usr/sbin/haproxy").exists() else None)
    if not haproxy:
        pytest.skip("haproxy not installed (Debian: apt-get install haproxy) - configuration check skipped")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_config(["127.0.0.1:5005", "127.0.0.1:5006"]) if dns is None
                   else haproxy_config(dns=dns, bind=":8088"))
    out = subprocess.run([str(haproxy), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
