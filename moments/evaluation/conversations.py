"""`make bench`: turn latency of a full birth registration over REST, against the stock `rasa init` bot.

- Our bot: real agency services, action server and Rasa (the model in models/), each simulated parent logged in
  with the mock Singpass token in the message metadata, registering a baby the hospital feed (agency admin API)
  just notified. Answers are chosen from the form's requested slot, so the script follows the journey as built.
- Reference: the stock bot from `rasa init` (trained here), a four-turn conversation, measured in the same run.
- Reported: per-turn p50/p95 for 1 user and 8 concurrent users, turns/s, p95 of the turns that call an agency
  (consent → MyInfo + notifications, picking the baby, confirming → ICA registration), and user turns per journey.
- Then one long conversation (a Baby Bonus question and "thanks", alternating, --long-turns of them): p50 per block
  of 10 turns, to see whether a turn costs more as a conversation goes on (issue 17; an SMS conversation is keyed by
  the phone number and only grows).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import requests

from moments.evaluation.stack import BIN, ROOT, Stack

# Seeded mothers (docs/agencies.md) who can register a new baby; one per concurrent user.
MOTHERS = ["S9210102I", "S9110202A", "S8710302A", "S8610802Z", "S9510401J", "S8511002J", "S9311102H", "G5610602U"]
AGENCY_SLOTS = {"myinfo_consent", "birth_notification", "confirm_submission"}
STOCK_SCRIPT = ["hello there", "I am feeling very sad", "yes", "bye"]


@dataclass
class Timings:
    turns: List[float] = field(default_factory=list)
    agency_turns: List[float] = field(default_factory=list)
    conversation_turns: List[int] = field(default_factory=list)
    completed: int = 0
    failed: List[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def pct(xs: List[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")


def answer_for(slot: Optional[str], replies: List[dict], enlb: str) -> str:
    buttons = [b for r in replies for b in r.get("buttons", [])]
    if slot == "birth_notification":
        for b in buttons:
            if enlb in b.get("title", "") or enlb in b.get("payload", ""):
                return b["payload"]
        return enlb
    return {"myinfo_consent": "yes", "birth_child_name": "Tan Wei Ming", "birth_ethnic_name": "skip",
            "birth_child_sex": "boy", "birth_child_dob": "yesterday", "birth_dialects": "skip",
            "confirm_submission": "yes"}.get(slot or "", "skip")


def register_birth(stack: Stack, nric: str, timings: Timings) -> None:
    rasa, agencies = stack.urls["rasa"], stack.urls["agencies"]
    session = requests.Session()
    token = session.post(f"{agencies}/singpass/v1/login", json={"nric": nric}, timeout=10).json()["access_token"]
    born = (datetime.now() - timedelta(days=1)).replace(microsecond=0).isoformat()
    enlb = session.post(f"{agencies}/admin/v1/live-birth-notifications", headers=stack.admin_headers,
                        json={"mother_nric": nric, "hospital_code": "KKH", "born_at": born, "sex": "M"},
                        timeout=10).json()["enlb_number"]
    sender = f"bench-{uuid.uuid4().hex[:10]}"
    message, slot, turns = "I want to register my baby's birth", None, 0
    while turns < 20:
        t0 = time.perf_counter()
        r = session.post(f"{rasa}/webhooks/rest/webhook",
                         json={"sender": sender, "message": message, "metadata": {"token": token}}, timeout=60)
        elapsed = time.perf_counter() - t0
        turns += 1
        replies = r.json() if r.status_code == 200 else []
        with timings.lock:
            timings.turns.append(elapsed)
            if slot in AGENCY_SLOTS:
                timings.agency_turns.append(elapsed)
        if any("BR-" in (x.get("text") or "") for x in replies):
            with timings.lock:
                timings.completed += 1
                timings.conversation_turns.append(turns)
            return
        slot = session.get(f"{rasa}/conversations/{sender}/tracker", params={"token": stack.rasa_token},
                           timeout=30).json()["slots"].get("requested_slot")
        if slot is None:
            break
        message = answer_for(slot, replies, enlb)
    with timings.lock:
        timings.failed.append(f"{sender}: no BR- reference after {turns} turns (last slot {slot})")


LONG_SCRIPT = ["how much is the baby bonus", "thanks"]  # two simple questions, alternating
LONG_BLOCKS = ((0, 10), (50, 60), (110, 120), (190, 200))  # user turns [from, to) reported as p50 per block


def long_conversation(stack: Stack, turns: int, logged_in: bool = False, nric: str = MOTHERS[0]) -> List[float]:
    """One REST conversation that goes on: LONG_SCRIPT alternating for `turns` user turns (logged in: the parent's
    token in every message and "yes" to the MyInfo consent the first Baby Bonus question asks). Seconds per turn."""
    rasa, agencies = stack.urls["rasa"], stack.urls["agencies"]
    session = requests.Session()
    metadata = {}
    if logged_in:
        metadata = {"token": session.post(f"{agencies}/singpass/v1/login", json={"nric": nric},
                                          timeout=10).json()["access_token"]}
    sender = f"long-{uuid.uuid4().hex[:10]}"
    out: List[float] = []
    consent_given = not logged_in
    i = 0
    while len(out) < turns:
        text = LONG_SCRIPT[i % len(LONG_SCRIPT)]
        i += 1
        t0 = time.perf_counter()
        r = session.post(f"{rasa}/webhooks/rest/webhook",
                         json={"sender": sender, "message": text, "metadata": metadata}, timeout=120)
        out.append(time.perf_counter() - t0)
        r.raise_for_status()
        if not consent_given:
            consent_given = True
            t0 = time.perf_counter()
            session.post(f"{rasa}/webhooks/rest/webhook",
                         json={"sender": sender, "message": "yes", "metadata": metadata}, timeout=120)
            out.append(time.perf_counter() - t0)
    return out


def block_p50s(per_turn: List[float], blocks=LONG_BLOCKS) -> List[Tuple[str, float]]:
    """(label, p50 ms) for every block of user turns the conversation reached."""
    return [(f"{a + 1}–{b}", statistics.median(per_turn[a:b]) * 1000) for a, b in blocks if len(per_turn) >= b]


def stock_conversation(rasa: str, timings: Timings) -> None:
    session = requests.Session()
    sender = f"stock-{uuid.uuid4().hex[:10]}"
    for text in STOCK_SCRIPT:
        t0 = time.perf_counter()
        session.post(f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
        with timings.lock:
            timings.turns.append(time.perf_counter() - t0)
    with timings.lock:
        timings.completed += 1
        timings.conversation_turns.append(len(STOCK_SCRIPT))


def run(users: int, rounds: int, job: Callable[[int, Timings], None]) -> Tuple[Timings, float]:
    """`rounds` times, `users` conversations at once; job(user_index, timings) runs one conversation."""
    timings = Timings()
    t0 = time.perf_counter()
    for _ in range(rounds):
        threads = [threading.Thread(target=job, args=(i, timings)) for i in range(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return timings, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "moments.tar.gz"))
    parser.add_argument("--rounds", type=int, default=3, help="conversations per user")
    parser.add_argument("--long-turns", type=int, default=200,
                        help="user turns of the one long conversation (0: none); scripts/bench_long_conversation.py "
                             "runs it with and without moments/rasa_history.py")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="moments-bench-") as tmp:
        work = Path(tmp)
        stack = Stack(work)
        try:
            print("training the stock `rasa init` bot …", flush=True)
            (work / "stock").mkdir()  # rasa init wants the folder to exist
            subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(work / "stock")],
                           cwd=work, env=stack.env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            stock = stack.start_rasa("stock", next((work / "stock" / "models").glob("*.tar.gz")), None, work / "stock")
            print("starting agency services, action server and Rasa …", flush=True)
            stack.start_assistant(Path(args.model))
            rows = []
            for users in (1, 8):
                ours, ours_s = run(users, args.rounds, lambda i, t: register_birth(stack, MOTHERS[i], t))
                ref, ref_s = run(users, args.rounds, lambda i, t: stock_conversation(stock, t))
                rows.append((users, ours, ours_s, ref, ref_s))
            long = long_conversation(stack, args.long_turns) if args.long_turns else []
        finally:
            stack.stop()
    print("\n| users | bot | turns | p50 ms | p95 ms | turns/s | agency-turn p95 ms | user turns per conversation |")
    print("|---|---|---|---|---|---|---|---|")
    for users, ours, ours_s, ref, ref_s in rows:
        print(f"| {users} | ours: birth registration | {len(ours.turns)} | {pct(ours.turns, .5):.0f} | "
              f"{pct(ours.turns, .95):.0f} | {len(ours.turns) / ours_s:.1f} | {pct(ours.agency_turns, .95):.0f} | "
              f"{statistics.median(ours.conversation_turns) if ours.conversation_turns else 'n/a'} |")
        print(f"| {users} | stock rasa init | {len(ref.turns)} | {pct(ref.turns, .5):.0f} | {pct(ref.turns, .95):.0f} | "
              f"{len(ref.turns) / ref_s:.1f} | – | {len(STOCK_SCRIPT)} |")
    one = rows[0]
    print(f"\n1-user p50 ratio ours/stock: {pct(one[1].turns, .5) / pct(one[3].turns, .5):.2f} (target <= 1.5)")
    if long:
        blocks = block_p50s(long)
        print(f"\none conversation of {len(long)} user turns ({' / '.join(repr(t) for t in LONG_SCRIPT)}), p50 ms per "
              "block of turns:")
        print("| " + " | ".join(f"turns {label}" for label, _ in blocks) + " | last / first (target <= 1.2) |")
        print("|---" * (len(blocks) + 1) + "|")
        print("| " + " | ".join(f"{v:.0f}" for _, v in blocks) + f" | {blocks[-1][1] / blocks[0][1]:.2f} |")
    failed = [f for r in rows for f in r[1].failed]
    if failed:
        print("conversations that did not finish:\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    main()
