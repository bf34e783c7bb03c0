"""A/B benchmark (make bench-long): does a turn cost more as one conversation goes on?

Two stacks side by side, one with moments/rasa_history.py (MOMENTS_RASA_HISTORY_SPEEDUPS=1) and one without (=0);
the same long REST conversation (moments.evaluation.conversations.LONG_SCRIPT, alternating) is played on both,
turn by turn in alternation, so both see the same load on a shared machine. Prints, per block of 10 turns, the wall
p50 and the Rasa server's CPU time per turn (user + system from /proc, mean of the block without its largest turn; what a turn costs, less disturbed by other work on
the machine than wall time), and turns 191–200 / turns 1–10 (the issue's target: ≤ 1.2).

    python scripts/bench_long_conversation.py [--turns 200] [--logged-in] [--modes 1,0] [--baseline DIR]

--baseline DIR adds a third stack running the code checked out in DIR (e.g. `git archive <commit> | tar -x -C DIR`),
for a before/after in the same run.
"""
import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from moments.evaluation.conversations import LONG_BLOCKS, LONG_SCRIPT, MOTHERS, block_p50s  # noqa: E402
from moments.evaluation.stack import ROOT, Stack  # noqa: E402


class BaselineStack(Stack):
    """A stack whose processes run the code in another directory."""

    def __init__(self, workdir: Path, code: Path):
        super().__init__(workdir)
        self.code = code.resolve()
        self.env["PYTHONPATH"] = str(self.code)

    def start(self, name, args, health, cwd=ROOT, env=None, timeout=240):
        return super().start(name, args, health, cwd=self.code, env=env, timeout=timeout)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): less disturbed by other work than wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def trimmed_mean(xs) -> float:
    """The mean without the largest value (a block's first turn warms the model up; CPU ticks are 10 ms)."""
    xs = sorted(xs)[:-1] or xs
    return sum(xs) / len(xs)


def label(mode: str) -> str:
    return {"1": "on", "0": "off"}.get(mode, mode)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--turns", type=int, default=200)
    p.add_argument("--logged-in", action="store_true", help="the parent's token in every message (MyInfo consent)")
    p.add_argument("--modes", default="1,0", help="MOMENTS_RASA_HISTORY_SPEEDUPS values, one stack each")
    p.add_argument("--model", default=str(ROOT / "models" / "moments.tar.gz"))
    p.add_argument("--baseline", help="a checkout of other code (the commit before a change) run as one more stack")
    a = p.parse_args()
    modes = a.modes.split(",") + (["baseline"] if a.baseline else [])
    tmps = [tempfile.TemporaryDirectory(prefix=f"moments-long-{m}-") for m in modes]
    stacks = []
    try:
        for mode, tmp in zip(modes, tmps):
            st = Stack(Path(tmp.name)) if mode != "baseline" else BaselineStack(Path(tmp.name), Path(a.baseline))
            st.env["MOMENTS_RASA_HISTORY_SPEEDUPS"] = "1" if mode == "baseline" else mode
            stacks.append(st)
            st.start_assistant(Path(a.model))
        conversations = []
        for st in stacks:
            s = requests.Session()
            meta = {}
            if a.logged_in:
                meta = {"token": s.post(f"{st.urls['agencies']}/singpass/v1/login", json={"nric": MOTHERS[0]},
                                        timeout=10).json()["access_token"]}
            conversations.append((st, s, meta, f"long-{uuid.uuid4().hex[:10]}", [], []))
        for turn in range(a.turns):
            text = LONG_SCRIPT[turn % len(LONG_SCRIPT)]
            if a.logged_in and turn == 1:
                text = "yes"  # the MyInfo consent the first Baby Bonus question asks for
            for st, s, meta, sender, times, cpu in conversations:
                rasa_pid = st.procs[-1].pid
                t0, c0 = time.perf_counter(), cpu_seconds(rasa_pid)
                r = s.post(f"{st.urls['rasa']}/webhooks/rest/webhook",
                           json={"sender": sender, "message": text, "metadata": meta}, timeout=300)
                times.append(time.perf_counter() - t0)
                cpu.append(cpu_seconds(rasa_pid) - c0)
                r.raise_for_status()
        events = {}
        for st, s, meta, sender, times, cpu in conversations:
            events[id(st)] = len(st.api("GET", f"/conversations/{sender}/tracker").json()["events"])
    finally:
        for st in stacks:
            st.stop()
        for tmp in tmps:
            tmp.cleanup()
    blocks = [f"{x + 1}–{y}" for x, y in LONG_BLOCKS if y <= a.turns]
    print(f"\none conversation, {a.turns} user turns ({'logged in' if a.logged_in else 'not logged in'}), "
          f"p50 ms per block of turns")
    print("| code | measure | " + " | ".join(blocks) + " | last / first | events |")
    print("|---" * (len(blocks) + 4) + "|")
    for mode, (st, s, meta, sender, times, cpu) in zip(modes, conversations):
        p50 = block_p50s(times)
        print(f"| {label(mode)} | wall p50 ms | " + " | ".join(f"{v:.0f}" for _, v in p50)
              + f" | {p50[-1][1] / p50[0][1]:.2f} | {events[id(st)]} |")
        means = [trimmed_mean(cpu[x:y]) * 1000 for x, y in LONG_BLOCKS if y <= a.turns]
        print(f"| {label(mode)} | Rasa CPU ms / turn | " + " | ".join(f"{v:.0f}" for v in means)
              + f" | {means[-1] / means[0]:.2f} | |")


if __name__ == "__main__":
    main()
