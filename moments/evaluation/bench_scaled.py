"""`make bench-scaled`: turns/s and latency with 1, 2 and 3 Rasa replicas behind HAProxy, and lost turns under
concurrent cross-replica load (must be 0). A benchmark, not a test: it prints a table (README "Benchmarks").

Each replica count gets a fresh ScaledStack (moments/scale.py): PostgreSQL tracker store, Redis locks, one action
server, the agencies of one moments.evaluation.stack. Load: USERS conversations at once, each TURNS messages in a
row (a Baby Bonus question and "thanks", alternating); then PAIRS conversations that each receive two messages at the
same moment, ROUNDS times, through the balancer (so on different replicas), and the user events in PostgreSQL are
counted against what was sent.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List

import requests

from moments.evaluation.stack import Stack
from moments.scale import ScaledStack, missing_parts

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = ("how much is the baby bonus", "thanks")


def conversation(url: str, turns: int) -> List[float]:
    sender, session, took = f"bench-{uuid.uuid4().hex[:10]}", requests.Session(), []
    for i in range(turns):
        t0 = time.perf_counter()
        r = session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": MESSAGES[i % 2]},
                         timeout=120)
        took.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200 or not r.json():
            raise RuntimeError(f"turn failed: {r.status_code} {r.text[:200]}")
    return took


def lost_turns(stack: ScaledStack, pairs: int, rounds: int) -> Dict[str, int]:
    import psycopg2

    senders = [f"pairs-{uuid.uuid4().hex[:10]}" for _ in range(pairs)]
    sent = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2 * pairs) as pool:
        for i in range(rounds):
            futures = [pool.submit(requests.post, f"{stack.url}/webhooks/rest/webhook",
                                   json={"sender": s, "message": f"thanks {i}-{n}"}, timeout=120)
                       for s in senders for n in range(2)]
            sent += len(futures)
            for f in futures:
                f.result().raise_for_status()
    with psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=stack.db) as conn:
        cur = conn.cursor()
        cur.execute("SELECT count(*), count(DISTINCT (sender_id, data::json->>'text')) FROM events "
                    "WHERE type_name = 'user' AND sender_id = ANY(%s)", (senders,))
        stored, distinct = cur.fetchone()
    return {"sent": sent, "stored": stored, "lost": sent - distinct, "duplicated": stored - distinct}


def run(replica_counts: List[int], users: int, turns: int, pairs: int, rounds: int, model: Path) -> List[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scaled-") as tmp:
        base = Stack(Path(tmp) / "base")
        base.start_assistant(model)  # agencies + an action server (its own Rasa sits idle)
        try:
            for n in replica_counts:
                workdir = Path(tmp) / f"r{n}"
                workdir.mkdir()
                stack = ScaledStack(workdir, base.env, model, replicas=n, action_server_url=base.urls["actions"])
                try:
                    stack.start()
                    conversation(stack.url, 4)  # warm up every replica's first turn
                    t0 = time.perf_counter()
                    with concurrent.futures.ThreadPoolExecutor(max_workers=users) as pool:
                        latencies = [ms for result in pool.map(lambda _: conversation(stack.url, turns), range(users))
                                     for ms in result]
                    elapsed = time.perf_counter() - t0
                    lost = lost_turns(stack, pairs, rounds)
                    q = statistics.quantiles(latencies, n=20)
                    rows.append({"replicas": n, "users": users, "turns": len(latencies),
                                 "turns_per_s": len(latencies) / elapsed, "p50": statistics.median(latencies),
                                 "p95": q[18], **lost})
                    print_row(rows[-1])
                finally:
                    stack.stop()
        finally:
            base.stop()
    return rows


HEADER = "| replicas | users | turns | turns/s | p50 ms | p95 ms | pairs sent | lost | duplicated |\n|---|---|---|---|---|---|---|---|---|"


def print_row(r: dict) -> None:
    print(f"| {r['replicas']} | {r['users']} | {r['turns']} | {r['turns_per_s']:.1f} | {r['p50']:.0f} | "
          f"{r['p95']:.0f} | {r['sent']} | {r['lost']} | {r['duplicated']} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench-scaled", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", default="1,2,3", help="replica counts to measure (default 1,2,3)")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--turns", type=int, default=10, help="turns per user")
    parser.add_argument("--pairs", type=int, default=4, help="conversations receiving two messages at once")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "moments.tar.gz")
    args = parser.parse_args()
    why = missing_parts()
    if why:
        raise SystemExit(f"bench-scaled needs PostgreSQL, Redis and HAProxy: {why}")
    print(f"{args.users} users x {args.turns} turns through HAProxy; then {args.pairs} conversations x "
          f"{args.rounds} rounds of two simultaneous messages\n\n{HEADER}", flush=True)
    rows = run([int(n) for n in args.replicas.split(",")], args.users, args.turns, args.pairs, args.rounds,
               args.model)
    if any(r["lost"] or r["duplicated"] for r in rows):
        raise SystemExit("turns were lost or duplicated across replicas")


if __name__ == "__main__":
    main()
