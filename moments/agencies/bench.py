"""`make bench-agencies`: latency per endpoint and booking throughput of the agency services (not a test).

Starts the service on a free port with a throw-away SQLite database (or `--database-url` for PostgreSQL), adds per
client a family (2 children and a newborn) for the reads and a parent of 60 children for the bookings, then measures
over HTTP with keep-alive connections:

1. each read endpoint with 1 client, then with 16 concurrent clients: p50 / p95 / p99 latency and requests/s;
2. bookings/s with 16 concurrent clients booking different slots;
3. 16 clients racing for the same slot, 20 times: exactly one must win each time.

Client and server share the machine's cores, so this measures the pair; the load average is printed with it.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from . import clock
from moments.rules import nric as nric_rules
from .db import make_engine, make_session_factory
from .models import LiveBirthNotification, Person

CLIENTS = 16
API_KEY = "bench-agencies-key"
ADMIN_KEY = "bench-agencies-admin-key"
CHILDREN_PER_PARENT = 60


class Http:
    """One keep-alive connection (one per client thread)."""

    def __init__(self, base: str):
        u = urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method: str, path: str, headers: dict, body: dict | None = None) -> tuple[int, bytes, float]:
        data = json.dumps(body).encode() if body is not None else None
        h = dict(headers, **({"Content-Type": "application/json"} if data else {}))
        started = time.perf_counter()
        self.conn.request(method, path, body=data, headers=h)
        resp = self.conn.getresponse()
        payload = resp.read()
        return resp.status, payload, (time.perf_counter() - started) * 1000


@dataclass
class Row:
    name: str
    n: int
    p50: float
    p95: float
    p99: float
    rps: float
    errors: int


def _row(name: str, latencies: list[float], elapsed: float, errors: int) -> Row:
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return Row(name, len(latencies), statistics.median(latencies), q[94], q[98], len(latencies) / elapsed, errors)


def _run(base: str, clients: int, per_client: int, work) -> tuple[list[float], float, int]:
    """`work(client_index, i, http)` -> (status, ms); returns latencies, elapsed seconds, non-2xx count."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def body(c: int) -> None:
        http_ = Http(base)
        barrier.wait()
        for i in range(per_client):
            status, ms = work(c, i, http_)
            latencies[c].append(ms)
            errors[c] += status >= 300
    threads = [threading.Thread(target=body, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return [x for xs in latencies for x in xs], time.perf_counter() - started, sum(errors)



def _start(database_url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, DATABASE_URL=database_url, AGENCIES_API_KEY=API_KEY, AGENCIES_ADMIN_KEY=ADMIN_KEY,
               AGENCIES_TOKEN_SECRET="bench-token-secret-" + uuid.uuid4().hex, AGENCIES_LOG_LEVEL="WARNING",
               # thousands of logins a second from one address: the brute-force limits stay on, far out of the way
               RATE_LIMIT_LOGIN_ATTEMPTS="10000000/60s", RATE_LIMIT_LOGIN_FAILURES="10000000/60s")
    log = open(workdir / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "moments.agencies", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if Http(base).call("GET", "/readyz", {})[0] == 200:
                return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the agency service did not start: " + (workdir / "server.log").read_text()[-2000:])


def _add_parent(s, number: int, children: int, now: datetime) -> tuple[str, list[str]]:
    mother_id, mother_nric = str(uuid.uuid4()), nric_rules.make("S", f"70{number:05d}")
    s.add(Person(id=mother_id, nric=mother_nric, name=f"Bench Parent {number}", sex="F", date_of_birth=date(1990, 1, 1),
                 nationality="SG", residential_status="citizen", marital_status="married", created_at=now))
    kids = []
    for k in range(children):
        cid, born = str(uuid.uuid4()), date(2020 + k % 6, 1 + k % 12, 1 + k % 28)
        s.add(Person(id=cid, nric=nric_rules.make("T", f"{born.year % 100:02d}{number % 1000:03d}{k:02d}"),
                     name=f"Bench Child {k}", sex="M", date_of_birth=born, nationality="SG",
                     residential_status="citizen", marital_status="single", mother_id=mother_id,
                     born_at=datetime(born.year, born.month, born.day, 9), parents_married=True, created_at=now))
        kids.append(cid)
    return mother_nric, kids


def _parents(database_url: str) -> tuple[list, list]:
    """Per client, straight into the database: a reader (a family of 2 children and a newborn to register) and a
    booker (60 children, so that each booking is for a child without one)."""
    sessions = make_session_factory(make_engine(database_url))
    now = clock.now()
    readers, bookers = [], []
    with sessions.begin() as s:
        for c in range(CLIENTS):
            readers.append(_add_parent(s, 100 + c, 2, now))
            bookers.append(_add_parent(s, 200 + c, CHILDREN_PER_PARENT, now))
        s.flush()
        for nric, _ in readers:
            mother_id = s.execute(select(Person.id).where(Person.nric == nric)).scalar_one()
            s.add(LiveBirthNotification(enlb_number=f"NLB{now.year}{uuid.uuid4().int % 10**6:06d}", hospital_code="KKH",
                                        born_at=now - timedelta(days=3), sex="F", mother_id=mother_id, created_at=now))
    sessions.kw["bind"].dispose()
    return readers, bookers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m moments.agencies.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--requests", type=int, default=40, help="requests per client per read endpoint (16 clients)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--skip-reads", action="store_true", help="only bookings and the race")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="agencies-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        proc, base = _start(url, Path(tmp))
        try:
            rows, bookings, race, load = _bench(base, url, args.requests, args.skip_reads)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    db = url.split(":", 1)[0]
    print(f"\nAgency services benchmark — {db}, {os.cpu_count()} cores, load average before "
          f"{load:.2f}, {CLIENTS} concurrent clients, keep-alive HTTP/1.1 on 127.0.0.1\n")
    print(f"{'endpoint':<48} {'clients':>7} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'non-2xx':>7}")
    for clients, r in rows:
        print(f"{r.name:<48} {clients:>7} {r.n:>5} {r.p50:>8.1f} {r.p95:>8.1f} {r.p99:>8.1f} {r.rps:>8.0f} {r.errors:>7}")
    print(f"\nbookings: {bookings.n} booked by {CLIENTS} clients, {bookings.rps:.0f} bookings/s, "
          f"p50 {bookings.p50:.1f} ms, p95 {bookings.p95:.1f} ms, failures {bookings.errors}")
    print(f"race: {race['rounds']} rounds of {CLIENTS} clients on one slot: winners per round "
          f"{sorted(set(race['winners']))}, others all slot_taken: {race['all_slot_taken']}, "
          f"p95 {race['p95']:.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "database": db, "load_before": load,
            "rows": [dict(vars(r), clients=c) for c, r in rows], "bookings": vars(bookings), "race": race,
        }, indent=2))


def _bench(base: str, url: str, per_client: int, skip_reads: bool = False):
    readers, bookers = _parents(url)

    def login(nric: str) -> dict:
        status, body, _ = Http(base).call("POST", "/singpass/v1/login", {}, {"nric": nric})
        assert status == 200, body
        return {"X-API-Key": API_KEY, "Authorization": f"Bearer {json.loads(body)['access_token']}"}
    auth = [login(nric) for nric, _ in readers]
    book_auth = [login(nric) for nric, _ in bookers]
    key_only = {"X-API-Key": API_KEY}
    status, body, _ = Http(base).call("GET", "/health/v1/clinics/jurong/slots?limit=1", key_only)
    assert status == 200, body
    load = os.getloadavg()[0]

    reads = [
        ("GET /myinfo/v1/person", lambda c, i: ("GET", "/myinfo/v1/person", auth[c], None)),
        ("GET /ica/v1/notifications", lambda c, i: ("GET", "/ica/v1/notifications", auth[c], None)),
        ("GET /msf/v1/children/{id}/baby-bonus",
         lambda c, i: ("GET", f"/msf/v1/children/{readers[c][1][i % 2]}/baby-bonus", auth[c], None)),
        ("GET /health/v1/children/{id}/immunisations",
         lambda c, i: ("GET", f"/health/v1/children/{readers[c][1][i % 2]}/immunisations", auth[c], None)),
        ("GET /health/v1/clinics?postal_code=560123",
         lambda c, i: ("GET", "/health/v1/clinics?postal_code=560123", key_only, None)),
        ("GET /health/v1/clinics/{id}/slots (14 days)",
         lambda c, i: ("GET", "/health/v1/clinics/tampines/slots", key_only, None)),
        ("GET /health/v1/appointments", lambda c, i: ("GET", "/health/v1/appointments", auth[c], None)),
        ("GET /ecda/v1/centres?postal_code=560406&level=infant",
         lambda c, i: ("GET", "/ecda/v1/centres?postal_code=560406&level=infant", key_only, None)),
        ("GET /ecda/v1/centres/{id}",
         lambda c, i: ("GET", "/ecda/v1/centres/little-sprouts-ang-mo-kio-345", key_only, None)),
        ("GET /msf/v1/baby-bonus/calculator",
         lambda c, i: ("GET", "/msf/v1/baby-bonus/calculator?date_of_birth=2026-01-01&birth_order=2", key_only, None)),
        ("POST /singpass/v1/login", lambda c, i: ("POST", "/singpass/v1/login", {}, {"nric": readers[c][0]})),
    ]
    rows = []
    for name, make in ([] if skip_reads else reads):
        def work(c, i, h, make=make):
            method, path, headers, body = make(c, i)
            status, _, ms = h.call(method, path, headers, body)
            return status, ms
        _run(base, 1, 20, work)  # warm-up
        single = _run(base, 1, per_client * 4, work)
        rows.append((1, _row(name, *single)))
        rows.append((CLIENTS, _row(name, *_run(base, CLIENTS, per_client, work))))

    # bookings: each client books different slots for its own children
    per_client_bookings = 40
    free = []
    for clinic in ("jurong", "tampines", "punggol", "bukit-batok", "queenstown", "ang-mo-kio", "toa-payoh",
                   "choa-chu-kang"):
        _, body, _ = Http(base).call("GET", f"/health/v1/clinics/{clinic}/slots?limit=1000", key_only)
        free += [s["id"] for s in json.loads(body)]
    need = CLIENTS * per_client_bookings + 20
    assert len(free) >= need, f"only {len(free)} free slots"

    def book(c, i, h):
        slot = free[c * per_client_bookings + i]
        status, body, ms = h.call("POST", "/health/v1/appointments",
                                  dict(book_auth[c], **{"Idempotency-Key": uuid.uuid4().hex}),
                                  {"child_id": bookers[c][1][i], "slot_id": slot})
        return status, ms
    bookings = _row("POST /health/v1/appointments", *_run(base, CLIENTS, per_client_bookings, book))

    # the race: 16 clients, one slot, 20 rounds; each round uses children that have no booking yet
    winners, all_taken, race_latencies = [], True, []
    for r in range(20):
        slot = free[-(r + 1)]
        results = []

        def grab(c, i, h, slot=slot, r=r):
            status, body, ms = h.call("POST", "/health/v1/appointments",
                                      dict(book_auth[c], **{"Idempotency-Key": uuid.uuid4().hex}),
                                      {"child_id": bookers[c][1][per_client_bookings + r], "slot_id": slot})
            results.append((status, json.loads(body).get("code")))
            return (200 if status in (201, 409) else status), ms
        lat, _, _ = _run(base, CLIENTS, 1, grab)
        race_latencies += lat
        winners.append(sum(s == 201 for s, _ in results))
        all_taken &= all(code == "slot_taken" for s, code in results if s != 201)
    q = statistics.quantiles(race_latencies, n=100, method="inclusive")
    return rows, bookings, {"rounds": 20, "winners": winners, "all_slot_taken": all_taken, "p95": q[94]}, load


if __name__ == "__main__":
    main()
