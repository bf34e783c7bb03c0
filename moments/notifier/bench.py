"""`make bench-notifier`: 50,000 parents with a vaccination due, on SQLite and on PostgreSQL (agencies and notifier
on the same kind of database). Not a test: it prints numbers.

For each database: a fresh agency database with N parents (mobile, opted in) whose child's 2-month dose is due in 3
days, the agency service, the local Twilio endpoint and a notifier. One notifier run is killed (SIGKILL) when half the
reminders have arrived; a second run finishes the job (claims left `sending` are recovered after the lease by asking
the endpoint, not re-sent blindly); a third run finds nothing left. Printed: the time and reminders/s of each run,
and the duplicates at the endpoint (same number and body twice) and in the outbox — both must be 0.

    python -m moments.notifier.bench [--citizens 50000] [--only sqlite|postgres] [--workers 8]
"""
from __future__ import annotations

import argparse
import os
import secrets as _random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
SGT = timezone(timedelta(hours=8))
PG = "postgresql+psycopg2://postgres@127.0.0.1:5432/"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: exited:\n{log.read_text()[-2000:]}")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not start")


def make_pg_database(name: str):
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()

    return PG + name, drop


def populate_agencies(url: str, n: int, today: date) -> None:
    """N parents with a mobile and one child whose 6-in-1 dose 1 is due in 3 days (birth doses given)."""
    from sqlalchemy import insert

    from moments.agencies.db import make_engine
    from moments.agencies.models import ImmunisationRecord, Person
    from moments.agencies.seed import migrate
    from moments.rules import nric
    from moments.rules.calendar import add_months

    engine = make_engine(url)
    migrate(engine)
    born = add_months(today + timedelta(days=3), -2)
    now = datetime.now(SGT).replace(tzinfo=None, microsecond=0)
    batch = 5000
    with engine.begin() as c:
        for start in range(0, n, batch):
            parents, children, doses = [], [], []
            for i in range(start, min(n, start + batch)):
                pid, cid = str(uuid.UUID(int=10**12 + i)), str(uuid.UUID(int=2 * 10**12 + i))
                parents.append(dict(id=pid, nric=nric.make("S", f"{i:07d}"), name=f"Parent {i}", sex="F",
                                    date_of_birth=date(1990, 1, 1), nationality="SG", residential_status="citizen",
                                    marital_status="married", mobile=f"+658{i:07d}", created_at=now))
                children.append(dict(id=cid, nric=nric.make("T", f"{i:07d}"), name=f"Baby {i}", sex="M",
                                     date_of_birth=born, nationality="SG", residential_status="citizen",
                                     marital_status="single", mother_id=pid, born_at=datetime.combine(born, datetime.min.time()),
                                     parents_married=True, created_at=now))
                doses += [dict(child_id=cid, dose_code=code, given_on=born, place="KKH") for code in ("BCG", "HEPB-1")]
            c.execute(insert(Person), parents)
            c.execute(insert(Person), children)
            c.execute(insert(ImmunisationRecord), doses)
    engine.dispose()


def subscribe_all(store, n: int, key: str) -> None:
    from sqlalchemy import insert

    from moments.channels.gateway import conversation_id_for
    from moments.notifier.store import subscribers

    now = datetime.now(SGT).replace(tzinfo=None, microsecond=0)
    rows = [dict(conversation_id=conversation_id_for(f"+658{i:07d}", key), language=("en", "zh", "ms", "ta")[i % 4],
                 status="on", asked_at=now, updated_at=now, claims=0) for i in range(n)]
    with store.engine.begin() as c:
        for i in range(0, n, 5000):
            c.execute(insert(subscribers), rows[i:i + 5000])


def arrived(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as c:
        return c.execute("SELECT count(*) FROM messages").fetchone()[0]


def endpoint_duplicates(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as c:
        return c.execute("SELECT count(*) FROM (SELECT to_number, body FROM messages GROUP BY to_number, body "
                         "HAVING count(*) > 1)").fetchone()[0]


def bench(kind: str, n: int, workers: int, workdir: Path) -> dict:
    from moments.notifier.store import Store

    print(f"\n== {kind}: {n:,} parents with a vaccination due", flush=True)
    drops = []
    if kind == "postgres":
        agencies_url, drop = make_pg_database(f"bench_agencies_{os.getpid()}")
        notifier_url, drop2 = make_pg_database(f"bench_notifier_{os.getpid()}")
        drops += [drop, drop2]
    else:
        agencies_url, notifier_url = f"sqlite:///{workdir / 'agencies.db'}", f"sqlite:///{workdir / 'notifier.db'}"
    keys = {k: _random.token_urlsafe(32) for k in ("AGENCIES_API_KEY", "AGENCIES_ADMIN_KEY", "AGENCIES_TOKEN_SECRET",
                                                     "AGENCIES_NOTIFIER_KEY", "SMS_CONVERSATION_KEY",
                                                     "TWILIO_API_TOKEN")}
    today = datetime.now(SGT).date()
    t = time.perf_counter()
    populate_agencies(agencies_url, n, today)
    store = Store(notifier_url).migrate()
    subscribe_all(store, n, keys["SMS_CONVERSATION_KEY"])
    print(f"   data: {time.perf_counter() - t:.1f} s", flush=True)
    agencies_port, twilio_port = free_port(), free_port()
    twilio_db = workdir / "twilio.db"
    env = {**os.environ, **keys, "DATABASE_URL": agencies_url, "AGENCIES_NO_SEED": "1", "AGENCIES_LOG_LEVEL": "WARNING",
           "NOTIFIER_DATABASE_URL": notifier_url, "AGENCIES_URL": f"http://127.0.0.1:{agencies_port}",
           "SMS_API_URL": f"http://127.0.0.1:{twilio_port}", "TWILIO_LOCAL_DATABASE": str(twilio_db),
           "NOTIFIER_WORKERS": str(workers), "NOTIFIER_QUIET_HOURS": "off", "NOTIFIER_WEEKLY_CAP": "5",
           "NOTIFIER_LEASE_SECONDS": "5", "NOTIFIER_LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore"}
    env.pop("MOMENTS_DEV", None)
    procs = []
    try:
        for name, args, health in (
                ("agencies", ["-m", "moments.agencies", "--port", str(agencies_port)],
                 f"http://127.0.0.1:{agencies_port}/healthz"),
                ("twilio", ["-m", "moments.notifier.twilio_local", "--port", str(twilio_port)],
                 f"http://127.0.0.1:{twilio_port}/healthz")):
            log = workdir / f"{name}.log"
            p = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
            procs.append(p)
            wait(health, p, log)
        once = [sys.executable, "-m", "moments.notifier", "once"]
        # run 1, killed halfway
        t = time.perf_counter()
        victim = subprocess.Popen(once, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=(workdir / "run1.log").open("w"))
        while arrived(twilio_db) < n // 2 and victim.poll() is None:
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        first = time.perf_counter() - t
        got = arrived(twilio_db)
        print(f"   run 1: killed (-9) after {first:.1f} s with {got:,} sent ({got / first:,.0f}/s)", flush=True)
        time.sleep(5.5)  # past the lease: what the killed run held is recovered, not re-sent blindly
        t = time.perf_counter()
        done = subprocess.run(once, cwd=ROOT, env=env, capture_output=True, text=True)
        second = time.perf_counter() - t
        sent2 = arrived(twilio_db) - got
        print(f"   run 2: {second:.1f} s, {sent2:,} sent ({sent2 / second:,.0f}/s): {done.stdout.strip()}", flush=True)
        t = time.perf_counter()
        done = subprocess.run(once, cwd=ROOT, env=env, capture_output=True, text=True)
        third = time.perf_counter() - t
        print(f"   run 3 (nothing left): {third:.1f} s: {done.stdout.strip()}", flush=True)
        total = arrived(twilio_db)
        result = {"kind": kind, "citizens": n, "run1_s": first, "run2_s": second, "run3_s": third,
                  "sent": total, "per_s": total / (first + second), "endpoint_duplicates": endpoint_duplicates(twilio_db),
                  "outbox_duplicates": store.duplicates(), "outbox": store.counts()}
        print(f"   sent {total:,} of {n:,}; {result['per_s']:,.0f} reminders/s over runs 1+2; duplicates: "
              f"{result['endpoint_duplicates']} at the endpoint, {result['outbox_duplicates']} in the outbox; "
              f"outbox {result['outbox']}", flush=True)
        return result
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=30)
        store.dispose()
        for drop in drops:
            drop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-notifier", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=50_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args(argv)
    results = []
    for kind in ("sqlite", "postgres"):
        if args.only and kind != args.only:
            continue
        with tempfile.TemporaryDirectory(prefix=f"bench-notifier-{kind}-") as tmp:
            try:
                results.append(bench(kind, args.citizens, args.workers, Path(tmp)))
            except Exception as exc:  # noqa: BLE001 - e.g. no PostgreSQL: say so, go on
                print(f"   {kind}: skipped ({type(exc).__name__}: {exc})")
    print("\n| database | parents | run 1 (killed) | run 2 | run 3 | reminders/s | duplicates |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['kind']} | {r['citizens']:,} | {r['run1_s']:.1f} s | {r['run2_s']:.1f} s | {r['run3_s']:.1f} s | "
              f"{r['per_s']:,.0f} | {r['endpoint_duplicates'] + r['outbox_duplicates']} |")
    return 0 if all(r["endpoint_duplicates"] == 0 and r["outbox_duplicates"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
