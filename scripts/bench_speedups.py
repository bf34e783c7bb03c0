"""A/B benchmark (make bench-speedups): birth-registration turn latency with and without moments.rasa_speedups,
alternating stacks on the same machine (MOMENTS_RASA_SPEEDUPS=1 / 0)."""
import statistics, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from moments.evaluation.stack import Stack
from moments.evaluation.conversations import Timings, register_birth, MOTHERS

res = {}
for rnd in range(2):
    for mode in ("1", "0"):
        with tempfile.TemporaryDirectory() as tmp:
            st = Stack(Path(tmp)); st.env["MOMENTS_RASA_SPEEDUPS"] = mode
            try:
                st.start_assistant(Path(__file__).resolve().parents[1] / "models" / "moments.tar.gz")
                t = Timings()
                for i in range(3):
                    register_birth(st, MOTHERS[(i + rnd * 3) % len(MOTHERS)], t)
                res.setdefault(mode, []).extend(t.turns)
                print(mode, "completed", t.completed, "failed", t.failed[:1], flush=True)
            finally:
                st.stop()
for mode, xs in res.items():
    xs = sorted(xs)
    print(f"speedups={mode}: turns={len(xs)} p50={statistics.median(xs)*1000:.0f} ms p95={xs[int(len(xs)*0.95)]*1000:.0f} ms")
