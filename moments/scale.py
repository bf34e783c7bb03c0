"""Several Rasa replicas behind a real load balancer (HAProxy, Debian's package), for operators, tests and benchmarks.

    python -m moments.scale haproxy --bind 127.0.0.1:8088 --replica 10.0.0.11:5005 --replica 10.0.0.12:5005

prints an HAProxy configuration for those replicas (README "Scaling out"). The choices in it:

- **Only the channels are public**, as in deploy/nginx.conf: `/webhooks/rest/webhook`, `/webhooks/sms/webhook` and
  `/socket.io/`. Rasa's HTTP API (`/conversations`, `/model`, …) answers 404 here whatever token is sent.
- **REST and SMS are balanced round-robin.** Any replica can take any turn: the tracker is in PostgreSQL and the
  per-conversation lock in Redis (moments.locks.AtomicRedisLockStore), so two messages of one conversation on two
  replicas are taken one after the other, never interleaved.
- **socket.io is sticky by cookie** (`moments_replica`, set on every response; REST clients that keep no cookies are
  still balanced, Twilio keeps it per SMS conversation, which is harmless). An Engine.IO session (its polling requests and the websocket
  upgrade) lives in one replica's memory, so every request of one socket must reach the replica that opened it.
  A cookie rather than python-socketio's Redis manager: Rasa's socket.io channel builds its own AsyncServer (no
  manager option), a manager would publish every emit through Redis, and stickiness is what load balancers already
  do. When a replica dies its sockets reconnect to another one, which loads the same tracker from PostgreSQL.
- **Health checks** on `GET /version` every second, each given 3 s (`timeout check`: a replica busy loading a model
  or on a busy machine answers late, and is not dead; one that refuses connections fails at once); a replica is out
  after 2 failures, back after 2 successes. A
  request that cannot connect is retried on another replica (`retries` + `redispatch`), so a dead replica costs a
  conversation at most one lock lease (6 s) — the time its lock takes to clear.
- **Timeouts**: a turn may wait for the conversation's lock (LOCK_WAIT_SECONDS, 60 s) and for actions
  (MOMENTS_ACTION_TIMEOUT, 8 s), so the server timeout is 90 s; websockets stay open for an hour.
- `X-Forwarded-For` is set, so Rasa's per-address rate limits see the citizen (RATE_LIMIT_TRUSTED_PROXIES).
- **The runtime API** (`stats socket … level admin`, `--admin-socket`): `make deploy LB=<socket>` reads the replicas
  from the `rasa` backend and puts a new model on them one at a time, each drained out of rotation while it loads
  (moments/trainer/fleet.py explains why drain rather than a "not ready" health check).

`ScaledStack` starts the whole set-up on one machine from the same code: PostgreSQL database, an action server,
N replicas with deploy/endpoints.scaled.yml, and HAProxy with the configuration above. tests/e2e/test_load_balancer.py
and `make bench-scaled` use it.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from moments.evaluation.stack import free_port, wait_for_model, wait_http

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PUBLIC_PATHS = ("/webhooks/rest/webhook", "/webhooks/sms/webhook", "/socket.io/")

# The processes of the scaled set-up: what ScaledStack starts here and what deploy/compose.yaml and
# deploy/k8s/moments.yaml run (tests/deploy/test_manifests.py holds them to it): command, port, health path.
PROCESSES = {
    "agencies": (["python", "-m", "moments.agencies"], 8000, "/healthz"),
    "actions": (["python", "-m", "moments.serve", "actions", "--actions", "actions", "--port", "5055"], 5055, "/health"),
    "rasa": (["python", "-m", "moments.serve", "rasa", "--port", "5005", "-m", "models",
              "--endpoints", "deploy/endpoints.scaled.yml", "--credentials", "credentials.yml"], 5005, "/version"),
    "web": (["python", "-m", "moments.web"], 8080, "/healthz"),
}


def command(name: str, port: int, model: Optional[Path] = None) -> List[str]:
    """PROCESSES[name]'s command for this machine: this venv's Python, another port, a given model."""
    args, default_port, _ = PROCESSES[name]
    out = [str(BIN / "python") if a == "python" else a for a in args]
    out = [str(port) if a == str(default_port) and out[i - 1] == "--port" else a for i, a in enumerate(out)]
    if model is not None and "-m" in out[3:]:
        out[out.index("-m", 3) + 1] = str(model)
    return [str(ROOT / a) if a.startswith(("deploy/", "credentials.yml")) else a for a in out]


def haproxy_config(replicas: Sequence[str] = (), bind: str = "127.0.0.1:8088", check_interval_ms: int = 1000,
                   dns: Optional[str] = None, slots: int = 3, replica_header: bool = False,
                   admin_socket: Optional[str] = None) -> str:
    """An HAProxy 2.6 configuration (see the module's docstring) for fixed replicas (host:port each), or, with
    `dns="rasa:5005"`, for up to `slots` replicas found by DNS (Docker Compose's service name, a Kubernetes headless
    Service), read from the container's resolv.conf. Everything but the server lines is the same in both.
    `replica_header` names the replica that answered in `X-Moments-Replica` (tests and benchmarks only: it tells the
    public how the service is laid out). `admin_socket` (a path, or `ipv4@127.0.0.1:9999`) opens HAProxy's runtime
    API at admin level: `make deploy LB=<it>` reads the replicas from it and takes each out of rotation while it loads
    a new model (moments/trainer/fleet.py). Only the operator's account may reach it (mode 600)."""
    if not replicas and not dns:
        raise ValueError("at least one replica (host:port), or dns=name:port")
    if dns:
        resolvers = "resolvers dns\n    parse-resolv-conf\n    hold valid 5s\n\n"
        servers = f"    server-template r 1-{slots} {dns} check resolvers dns init-addr none"
        cookie = "cookie moments_replica insert indirect nocache httponly dynamic\n    dynamic-cookie-key moments"
    else:
        resolvers = ""
        servers = "\n".join(f"    server r{i} {addr} check cookie r{i}" for i, addr in enumerate(replicas, 1))
        cookie = "cookie moments_replica insert indirect nocache httponly"
    return f"""# Generated by `python -m moments.scale haproxy` (moments/scale.py explains each choice).
global
    maxconn 4096
    log stdout format raw local0 notice
{f"    stats socket {admin_socket} mode 600 level admin" + chr(10) if admin_socket else ""}
defaults
    mode http
    log global
    option dontlognull
    timeout connect 3s
    timeout client 90s
    timeout server 90s
    timeout http-request 10s
    timeout tunnel 1h
    timeout check 3s
    retries 2
    option redispatch

{resolvers}frontend moments
    bind {bind}
    option forwardfor
    acl rest path /webhooks/rest/webhook
    acl sms path /webhooks/sms/webhook
    acl socket path_beg /socket.io/
    http-request deny deny_status 404 unless rest or sms or socket
    http-request deny deny_status 405 if rest !METH_POST or sms !METH_POST
{"    http-response set-header X-Moments-Replica %[srv_name]" + chr(10) if replica_header else ""}    default_backend rasa

backend rasa
    balance roundrobin
    {cookie}
    option httpchk
    http-check send meth GET uri /version
    http-check expect status 200
    default-server inter {check_interval_ms}ms fall 2 rise 2
{servers}
"""


def reachable(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def missing_parts() -> Optional[str]:
    """Why the scaled set-up cannot start on this machine, or None."""
    if not reachable(5432):
        return "PostgreSQL not reachable at 127.0.0.1:5432"
    if not reachable(6379):
        return "Redis not reachable at 127.0.0.1:6379"
    if not haproxy_binary():
        return "haproxy not installed (Debian: apt-get install haproxy)"
    return None


def haproxy_binary() -> Optional[str]:
    return shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if os.path.exists(p)), None)


class ScaledStack:
    """PostgreSQL database + action server + N Rasa replicas + HAProxy, started from `env` (secrets, AGENCIES_URL)."""

    def __init__(self, workdir: Path, env: Dict[str, str], model: Path, replicas: int = 2,
                 action_server_url: Optional[str] = None):
        self.workdir, self.model, self.n = workdir, model, replicas
        self.db = f"moments_scaled_{uuid.uuid4().hex[:8]}"
        self.env = {**env, "DB_HOST": "127.0.0.1", "DB_PORT": "5432", "DB_USER": "postgres", "DB_PASSWORD": "",
                    "DB_NAME": self.db, "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_LOCK_DB": "1",
                    "RATE_LIMIT_TRUSTED_PROXIES": "127.0.0.1"}
        self.action_server_url = action_server_url
        self.procs: Dict[str, subprocess.Popen] = {}
        self.replica_urls: List[str] = []
        self.url = ""
        self.lb_admin = str(workdir / "haproxy.sock")  # HAProxy's runtime API (make deploy LB=…)

    # -- processes ---------------------------------------------------------------------------------------------
    def _start(self, name: str, args: List[str], health: Optional[str], timeout: float = 300) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        if health:
            wait_http(health, proc, log, timeout)
        return proc

    def start(self) -> "ScaledStack":
        import psycopg2

        admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{self.db}"')
        admin.close()
        if not self.action_server_url:
            port = free_port()
            self._start("actions", command("actions", port), f"http://127.0.0.1:{port}{PROCESSES['actions'][2]}")
            self.action_server_url = f"http://127.0.0.1:{port}"
        self.env["ACTION_SERVER_URL"] = f"{self.action_server_url}/webhook"
        ports = [free_port() for _ in range(self.n)]
        for i, port in enumerate(ports, 1):  # one after the other: the first creates the PostgreSQL tables
            self.start_replica(i, port)
        bind = f"127.0.0.1:{free_port()}"
        cfg = self.workdir / "haproxy.cfg"
        cfg.write_text(haproxy_config([f"127.0.0.1:{p}" for p in ports], bind, check_interval_ms=500,
                                      replica_header=True, admin_socket=self.lb_admin))
        self._start("haproxy", [haproxy_binary(), "-db", "-f", str(cfg)], None)
        self.url = f"http://{bind}"
        self._wait_for_balancer()
        return self

    def start_replica(self, i: int, port: int) -> None:
        url = f"http://127.0.0.1:{port}"
        self._start(f"rasa{i}", command("rasa", port, self.model), f"{url}{PROCESSES['rasa'][2]}")
        wait_for_model(url, self.env["RASA_AUTH_TOKEN"])
        self.replica_urls.append(url)

    def revive(self, name: str) -> None:
        """Start a killed replica again on its own port (the balancer's health check takes it back)."""
        if self.procs[name].poll() is None:
            return
        url = self.replica_urls[int(name.removeprefix("rasa")) - 1]
        self._start(name, command("rasa", int(url.rsplit(":", 1)[1]), self.model), f"{url}{PROCESSES['rasa'][2]}")
        wait_for_model(url, self.env["RASA_AUTH_TOKEN"])

    def _wait_for_balancer(self) -> None:
        import time

        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                r = requests.post(f"{self.url}/webhooks/rest/webhook", json={"sender": "lb-probe", "message": "hi"},
                                  timeout=30)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.procs["haproxy"].poll() is not None:
                raise RuntimeError(f"haproxy exited:\n{(self.workdir / 'haproxy.log').read_text()[-2000:]}")
            time.sleep(0.5)
        raise RuntimeError("the load balancer did not answer within 60 s")

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        try:
            import psycopg2

            admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
            admin.autocommit = True
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
            admin.close()
        except Exception:  # noqa: BLE001 - cleanup must not hide the test's own failure
            pass


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m moments.scale", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    lb = sub.add_parser("haproxy", help="print an HAProxy configuration for these Rasa replicas")
    lb.add_argument("--bind", default="127.0.0.1:8088", help="address:port the load balancer listens on")
    lb.add_argument("--replica", action="append", default=[], help="a Rasa replica's host:port (repeat)")
    lb.add_argument("--dns", help="instead of --replica: replicas found by DNS, e.g. rasa:5005 (Compose, Kubernetes)")
    lb.add_argument("--slots", type=int, default=3, help="with --dns: at most this many replicas (default 3)")
    lb.add_argument("--admin-socket", default="/run/haproxy/admin.sock",
                    help="HAProxy's runtime API, for `make deploy LB=…` (default /run/haproxy/admin.sock, Debian's "
                         "path; '' for none)")
    args = parser.parse_args(argv)
    if not args.replica and not args.dns:
        parser.error("give --replica host:port (repeat) or --dns name:port")
    sys.stdout.write(haproxy_config(args.replica, args.bind, dns=args.dns, slots=args.slots,
                                    admin_socket=args.admin_socket or None))


if __name__ == "__main__":
    main()
