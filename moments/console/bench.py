"""`make bench-console`: the console's analytics over 100,000 synthetic conversations, SQLite and PostgreSQL.

The conversations (moments.console.synthetic.random_plan: five journeys, four languages, web and SMS, 60% completed,
fallbacks, handoffs, agency errors) are written as PrivateSQLTrackerStore writes its rows (the same `data`, masked
and encrypted with a throw-away PRIVACY_KEY), spread over the last 28 days; then the analytics of all of them is
computed (what the console does on a cache miss), and of the last 7 days. Prints the numbers; asserts nothing.

    python -m moments.console.bench [--conversations 100000] [--no-postgres] [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import List, Optional


def _templates(n: int, vault, rng: random.Random) -> List[tuple]:
    """n distinct conversations as rows relative to t=0 (data without its timestamp patched yet)."""
    from moments.console.synthetic import events_for, random_plan, rows_for

    out = []
    for i in range(n):
        # from t=1000 (Rasa's events take a timestamp of 0 for "now")
        rows = rows_for("x", events_for(random_plan(rng), 1000.0), vault)
        out.append([(r["type_name"], r["timestamp"] - 1000.0, r["intent_name"], r["action_name"], json.loads(r["data"]))
                    for r in rows])
    return out


def fill(url: str, conversations: int, now: float, seed: int = 7) -> int:
    from cryptography.fernet import Fernet
    from sqlalchemy import create_engine

    from moments.privacy.crypto import Vault
    from moments.privacy.store import PrivateSQLTrackerStore

    os.environ.setdefault("PRIVACY_KEY", Fernet.generate_key().decode())
    vault = Vault.from_env()
    rng = random.Random(seed)
    templates = _templates(400, vault, rng)
    engine = create_engine(url, future=True)
    PrivateSQLTrackerStore.SQLEvent.metadata.create_all(engine)  # Rasa's own table, as the store creates it
    table = PrivateSQLTrackerStore.SQLEvent.__table__
    rows = 0
    batch = []
    with engine.begin() as conn:
        for i in range(conversations):
            start = now - rng.uniform(3600, 28 * 86400)
            sender = uuid.UUID(int=rng.getrandbits(128)).hex
            for type_name, ts, intent, action, data in templates[rng.randrange(len(templates))]:
                t = start + ts
                batch.append({"sender_id": sender, "type_name": type_name, "timestamp": t, "intent_name": intent,
                              "action_name": action, "data": json.dumps({**data, "timestamp": t})})
            if len(batch) >= 20000:
                conn.execute(table.insert(), batch)
                rows += len(batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
            rows += len(batch)
    engine.dispose()
    return rows


def measure(name: str, url: str, conversations: int) -> None:
    from moments.console import analytics

    now = time.time()
    t0 = time.perf_counter()
    rows = fill(url, conversations, now)
    t1 = time.perf_counter()
    print(f"{name}: wrote {conversations:,} conversations ({rows:,} events) in {t1 - t0:.1f} s", flush=True)
    for label, since in (("all 28 days", None), ("the last 7 days", analytics.day_of(now - 6 * 86400))):
        t = time.perf_counter()
        a = analytics.from_store(url, since=since, now=now)
        took = time.perf_counter() - t
        total = a.total()
        print(f"{name}: analytics of {label}: {took:.2f} s ({a.runs:,} journeys in {a.conversations:,} conversations "
              f"read; completion {100 * (total.completion_rate or 0):.0f}%)", flush=True)


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moments.console.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        measure("SQLite", f"sqlite:///{Path(tmp) / 'tracker.db'}", args.conversations)
    if args.no_postgres:
        return 0
    from sqlalchemy import create_engine, text

    name = f"bench_console_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception as e:  # noqa: BLE001
        print(f"PostgreSQL: skipped ({e.__class__.__name__}: not answering at {args.pg_url})")
        return 0
    try:
        measure("PostgreSQL", args.pg_url.rsplit("/", 1)[0] + f"/{name}", args.conversations)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
