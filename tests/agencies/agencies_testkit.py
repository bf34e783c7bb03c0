"""Helpers for the agency service tests (imported by conftest.py and the tests): the server in a subprocess, a
logged-in citizen, fresh families written straight to the database, and a problem+json assertion."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import select

from moments.agencies import clock
from moments.rules import nric as nric_rules
from moments.agencies.db import make_engine, make_session_factory
from moments.agencies.models import LiveBirthNotification, Person

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "test-agencies-key"
ADMIN_KEY = "test-agencies-admin-key"
TOKEN_SECRET = "test-agencies-token-secret-0123456789abcdef"
NOTIFIER_KEY = "test-agencies-notifier-key-0123456789"
PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_SKIP = f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} — PostgreSQL variant skipped"

# Seeded people the tests rely on (see docs/agencies.md)
LIM = "S9210102I"       # Lim Hui Min, mother of a baby born 5 days before seeding, mobile +6591234567
TAN = "S9010101C"       # Tan Wei Ming, her husband
AISYAH = "S9110202A"    # Nur Aisyah binte Ismail: son Irfan (13 months, overdue 12-month vaccines)
HO = "T0111201A"        # Ho Mei Xin: no children, "someone else"
KOH = "S9311102H"       # Koh Shu Fen: daughter born 14 Feb 2023, seeded appointment AP-SEED0001
TAY = "S8511002J"       # Tay Li Ting: daughter born 13 Feb 2023
WONG = "S9010502G"      # Wong Mei Ling: baby born 50 days before seeding (late)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base_url: str
    database_url: str
    log_path: Path
    process: subprocess.Popen
    kind: str
    sessions: object = field(default=None, repr=False)

    def url(self, path: str) -> str:
        return self.base_url + path

    def get(self, path: str, *, api_key: str | None = API_KEY, **kw) -> requests.Response:
        headers = {"X-API-Key": api_key} if api_key else {}
        return requests.get(self.url(path), headers={**headers, **kw.pop("headers", {})}, timeout=10, **kw)

    def admin(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, self.url(path), headers={"X-Admin-Key": ADMIN_KEY}, timeout=10, **kw)

    def login(self, nric: str, scope: list[str] | None = None) -> "Citizen":
        body = {"nric": nric} if scope is None else {"nric": nric, "scope": scope}
        r = requests.post(self.url("/singpass/v1/login"), json=body, timeout=10)
        assert r.status_code == 200, r.text
        return Citizen(self, r.json()["access_token"], r.json()["person"]["id"])

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclass
class Citizen:
    """A citizen as the action server acts for them: API key + their Singpass token."""

    server: Server
    token: str
    person_id: str

    @property
    def headers(self) -> dict:
        return {"X-API-Key": API_KEY, "Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(self.server.url(path), headers=self.headers, timeout=15, **kw)

    def post(self, path: str, json=None, key: str | None = None, **kw) -> requests.Response:
        headers = dict(self.headers, **({"Idempotency-Key": key} if key else {}))
        return requests.post(self.server.url(path), json=json, headers=headers, timeout=30, **kw)

    def profile(self) -> dict:
        r = self.get("/myinfo/v1/person")
        assert r.status_code == 200, r.text
        return r.json()


def start_server(database_url: str, workdir: Path, kind: str, extra_env: dict | None = None) -> Server:
    port = free_port()
    log_path = workdir / f"agencies-{kind}-{port}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AGENCIES_API_KEY": API_KEY,
        "AGENCIES_ADMIN_KEY": ADMIN_KEY,
        "AGENCIES_TOKEN_SECRET": TOKEN_SECRET,
        "AGENCIES_NOTIFIER_KEY": NOTIFIER_KEY,
        "AGENCIES_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        # The tests log in (and fail to) many times from 127.0.0.1: the brute-force limits are tested on servers of
        # their own (tests/security/test_rate_limits.py).
        "RATE_LIMIT_LOGIN_ATTEMPTS": "off",
        "RATE_LIMIT_LOGIN_FAILURES": "off",
        **(extra_env or {}),
    }
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "moments.agencies", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"agency server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(f"agency server did not become ready:\n{log_path.read_text()[-3000:]}")
    server = Server(base, database_url, log_path, proc, kind)
    server.sessions = make_session_factory(make_engine(database_url))
    return server


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    server.sessions.kw["bind"].dispose()


def pg_connect(dbname: str):
    import psycopg2

    last = None
    for user in ("postgres", "root"):
        try:
            conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=user, dbname=dbname, connect_timeout=3)
            conn.autocommit = True
            return conn, user
        except psycopg2.OperationalError as exc:
            last = exc
    raise ConnectionError(str(last))


# --- fresh people -------------------------------------------------------------------------------------------------

def fresh_nric(prefix: str = "S") -> str:
    return nric_rules.make(prefix, f"{secrets.randbelow(10**7):07d}")


@dataclass
class Family:
    server: Server
    mother: str
    father: str | None
    mother_id: str
    father_id: str | None
    children: list[str]  # ids, oldest first
    enlb: str | None = None
    born_at: datetime | None = None

    def mother_login(self) -> Citizen:
        return self.server.login(self.mother)

    def father_login(self) -> Citizen:
        return self.server.login(self.father)

    def registration_form(self, **overrides) -> dict:
        with self.server.sessions() as s:
            n = s.execute(select(LiveBirthNotification).where(LiveBirthNotification.enlb_number == self.enlb)).scalar_one()
            hospital = n.hospital_code
        form = {
            "enlb_number": self.enlb, "child_name": "Test Baby Tan", "sex": "F",
            "date_of_birth": self.born_at.date().isoformat(), "time_of_birth": self.born_at.strftime("%H:%M"),
            "hospital": hospital, "mother_nric": self.mother, "father_nric": self.father,
            "parents_marital_status": "married" if self.father else "not_married",
        }
        form.update(overrides)
        return {k: v for k, v in form.items() if v is not None}


def make_family(server: Server, *, older: list[date] = (), baby_days_ago: int | None = None, married: bool = True,
                with_father: bool = True, mother_status: str = "citizen", father_status: str = "citizen",
                baby_time: str = "10:30") -> Family:
    """Parents (married or not), their older children born on `older`, and optionally a notification of live
    birth `baby_days_ago` days ago (Singapore date), all new."""
    now = clock.now()
    m_nric, f_nric = fresh_nric(), fresh_nric() if with_father else None
    m_id, f_id = str(uuid.uuid4()), str(uuid.uuid4()) if with_father else None
    with server.sessions.begin() as s:
        s.add(Person(id=m_id, nric=m_nric, name="Test Mother", sex="F", date_of_birth=date(1990, 1, 1),
                     nationality="SG" if mother_status == "citizen" else "MY", residential_status=mother_status,
                     marital_status="married" if married else "single", created_at=now))
        if with_father:
            s.add(Person(id=f_id, nric=f_nric, name="Test Father", sex="M", date_of_birth=date(1989, 1, 1),
                         nationality="SG" if father_status == "citizen" else "MY", residential_status=father_status,
                         marital_status="married" if married else "single", created_at=now))
        s.flush()
        if married and with_father:
            s.get(Person, m_id).spouse_id = f_id
            s.get(Person, f_id).spouse_id = m_id
        children = []
        for i, born in enumerate(sorted(older)):
            cid = str(uuid.uuid4())
            s.add(Person(id=cid, nric=fresh_nric("T"), name=f"Older Child {i + 1}", sex="M", date_of_birth=born,
                         nationality="SG", residential_status="citizen", marital_status="single", mother_id=m_id,
                         father_id=f_id, born_at=datetime.combine(born, datetime.min.time()).replace(hour=9),
                         parents_married=married, created_at=now))
            children.append(cid)
        enlb = born_at = None
        if baby_days_ago is not None:
            born_at = datetime.combine(clock.today() - timedelta(days=baby_days_ago),
                                       datetime.strptime(baby_time, "%H:%M").time())
            enlb = f"NLB{born_at.year}{secrets.randbelow(10**6):06d}"
            s.add(LiveBirthNotification(enlb_number=enlb, hospital_code="KKH", born_at=born_at, sex="F",
                                        birth_weight_g=3100, mother_id=m_id, father_id=f_id, created_at=now))
    return Family(server, m_nric, f_nric, m_id, f_id, children, enlb, born_at)


def problem(r: requests.Response, status: int, code: str) -> dict:
    """Assert that `r` is a problem+json with that status and code, and return its body."""
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code}: {r.text[:500]}"
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status and body["type"] == f"/problems/{code}" and body["title"] and body["request_id"]
    return body
