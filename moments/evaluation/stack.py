"""Start the whole assistant (agency services, action server, Rasa) on free ports, for tests and benchmarks.

The same processes `make run` starts, started the same way (moments/serve.py: Rasa's API behind its token on
127.0.0.1, the action server behind its shared secret), with secrets generated for this stack alone
(`workdir/secrets.env`), a throw-away SQLite tracker store and agency database. `stack.secrets` holds them;
`stack.api(method, path)` calls Rasa's HTTP API with the token.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests

from moments import secrets as install_secrets

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
QUIET_ENV = {"RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
             "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}


# Tests and benchmarks send many messages, parses and logins a second from one address (and one sender): the rate
# limits (moments/ratelimit.py) are raised so they never get in the way. tests/security/test_rate_limits.py starts
# stacks of its own with tight limits.
LOAD_LIMITS = {"RATE_LIMIT_SENDER_MESSAGES": "100000/60s", "RATE_LIMIT_ADDRESS_MESSAGES": "100000/60s",
               "RATE_LIMIT_API_REQUESTS": "100000/60s", "RATE_LIMIT_LOGIN_ATTEMPTS": "100000/60s",
               "RATE_LIMIT_LOGIN_FAILURES": "100000/60s"}

# The tracker store the test stack uses (endpoints.yml's `tracker_store.type`).
TRACKER_STORE_TYPE = "moments.privacy.store.PrivateSQLTrackerStore"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    """Waits until `url` answers below 500; fails with the end of the process's log if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout}s:\n{log.read_text()[-3000:]}")


def wait_for_model(url: str, token: str, timeout: float = 300) -> None:
    """Waits until the Rasa server at `url` parses a message (its /version answers before the model is loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.post(f"{url}/model/parse", json={"text": "hi"}, params={"token": token},
                             timeout=30).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not load its model in {timeout:.0f}s")


class Stack:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.procs: List[subprocess.Popen] = []
        self.secrets: Dict[str, str] = install_secrets.ensure(workdir / "secrets.env")
        base = {k: v for k, v in os.environ.items() if k not in install_secrets.SECRETS and k != "MOMENTS_DEV"}
        self.env = {**base, **QUIET_ENV, **LOAD_LIMITS, **self.secrets, "MOMENTS_VAR_DIR": str(workdir),
                    "MOMENTS_SECRETS_FILE": str(workdir / "secrets.env")}
        self.urls: Dict[str, str] = {}

    @property
    def rasa_token(self) -> str:
        return self.secrets["RASA_AUTH_TOKEN"]

    @property
    def admin_headers(self) -> Dict[str, str]:
        """For the agency admin API (hospital feed, faults)."""
        return {"X-Admin-Key": self.secrets["AGENCIES_ADMIN_KEY"]}

    def api(self, method: str, path: str, name: str = "rasa", **kw) -> requests.Response:
        """Rasa's HTTP API with this stack's token: stack.api("GET", f"/conversations/{id}/tracker")."""
        params = {**kw.pop("params", {}), "token": self.rasa_token}
        return requests.request(method, self.urls[name] + path, params=params, timeout=kw.pop("timeout", 60), **kw)

    def start(self, name: str, args: List[str], health: str, cwd: Path = ROOT,
              env: Optional[Dict[str, str]] = None, timeout: float = 240) -> None:
        log = self.workdir / f"{name}.log"
        proc = subprocess.Popen(args, cwd=cwd, env={**self.env, **(env or {})},
                                stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self.procs.append(proc)
        wait_http(health, proc, log, timeout)

    def start_assistant(self, model: Path, credentials: Optional[Path] = None) -> None:
        """Agency services (fresh SQLite), action server and Rasa with `model` and a throw-away tracker store."""
        agencies, actions = free_port(), free_port()
        self.start("agencies", [str(BIN / "python"), "-m", "moments.agencies", "--port", str(agencies)],
                   f"http://127.0.0.1:{agencies}/openapi.json",
                   env={"DATABASE_URL": f"sqlite:///{self.workdir / 'agencies.db'}", "AGENCIES_LOG_LEVEL": "WARNING"})
        self.urls["agencies"] = f"http://127.0.0.1:{agencies}"
        self.env["AGENCIES_URL"] = self.urls["agencies"]
        self.start("actions", [str(BIN / "python"), "-m", "moments.serve", "actions", "--actions", "actions",
                               "--port", str(actions)],
                   f"http://127.0.0.1:{actions}/health")
        endpoints = self.workdir / "endpoints.yml"
        endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{actions}/webhook"\n'
            f'  headers:\n    X-Moments-Action-Secret: ${{ACTION_SERVER_SECRET}}\n'
            f'tracker_store:\n  type: {TRACKER_STORE_TYPE}\n  dialect: "sqlite"\n  db: "{self.workdir / "tracker.db"}"\n')
        self.urls["actions"] = f"http://127.0.0.1:{actions}"
        self.start_rasa("rasa", model, endpoints, ROOT, credentials)

    def start_rasa(self, name: str, model: Path, endpoints: Optional[Path], cwd: Path,
                   credentials: Optional[Path] = None) -> str:
        port = free_port()
        args = [str(BIN / "python"), "-m", "moments.serve", "rasa", "--port", str(port), "-m", str(model)]
        if endpoints:
            args += ["--endpoints", str(endpoints)]
        if credentials:
            args += ["--credentials", str(credentials)]
        self.start(name, args, f"http://127.0.0.1:{port}/version", cwd=cwd)
        url = f"http://127.0.0.1:{port}"
        wait_for_model(url, self.rasa_token)
        self.urls[name] = url
        return url

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
