#!/usr/bin/env python
"""Benchmark (not a test): time from "a trainer added 10 examples" to "the running bot answers with the new model".

    .venv/bin/python scripts/bench_trainer.py            (or: make bench-trainer)

Works on a temporary copy of the project, so data/ and models/ are not touched. Untimed set-up: train
the current data once (this fills the copy's Rasa cache, as the previously deployed model would have),
start a Rasa server (`python -m moments.serve rasa`: the API behind a token generated for this run, as
`make run` starts it) on a free port with that model, and record it as deployed.
Timed: add-examples (10 Malay examples) -> train (Rasa reuses the cached dialogue policies, only NLU
is retrained) -> evaluate (held-out split, regression gate) -> deploy (PUT /model) -> the server's
/status shows the new model and /model/parse answers one of the new examples with it.
While the model is swapped, another thread keeps sending /model/parse requests to count failures.

Results are printed and written to reports/trainer/bench.json. Target: <= 180 s on 2 cores.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for _key, _value in {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
                     "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONWARNINGS": "ignore"}.items():
    os.environ.setdefault(_key, _value)
import warnings  # noqa: E402

warnings.filterwarnings("ignore")

from moments.trainer.deploy import deploy  # noqa: E402
from moments.trainer.evaluate import baseline, evaluate, record_deployed  # noqa: E402
from moments.trainer.project import RASA_ENV, Project  # noqa: E402
from moments.trainer.scaffold import add_examples  # noqa: E402
from moments.trainer.training import train  # noqa: E402

INTENT, LANG = "ask_vaccination_schedule", "ms"
NEW_EXAMPLES = [
    "bila anak saya kena ambil suntikan MMR kedua",
    "jadual suntikan bayi umur 4 bulan apa ya",
    "suntikan 6-in-1 tu umur berapa bulan",
    "anak 15 bulan perlu vaksin apa lagi",
    "vaksin selesema untuk budak kecil wajib ke",
    "lepas BCG masa lahir, suntikan seterusnya bila",
    "boleh senaraikan vaksin wajib untuk bayi Singapura",
    "anak umur setahun kena cucuk apa",
    "vaksin PCV tu berapa dos semuanya",
    "suntikan campak untuk anak bila ya",
]


def cpu_seconds() -> float:
    """CPU time used so far by this process and its finished children (rasa train runs as a child)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def load_average() -> float:
    return round(os.getloadavg()[0], 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PROJECT_FILES = ["config.yml", "credentials.yml", "domain", "data", "tests/nlu/heldout"]


def copy_project(dst: Path, worktree: bool = False, ref: str = "HEAD") -> Project:
    """The committed project (HEAD) by default: a consistent state even while people edit the checkout."""
    if not worktree:
        archive = subprocess.run(["git", "archive", "--format=tar", ref, *PROJECT_FILES], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dst)], input=archive, check=True)
        return Project(dst)
    for name in ("config.yml", "credentials.yml"):
        shutil.copy2(ROOT / name, dst / name)
    for folder in ("domain", "data"):
        shutil.copytree(ROOT / folder, dst / folder)
    (dst / "tests" / "nlu").mkdir(parents=True)
    shutil.copytree(ROOT / "tests" / "nlu" / "heldout", dst / "tests" / "nlu" / "heldout")
    return Project(dst)


class Poller(threading.Thread):
    """Keeps parsing while the model is swapped: counts errors and the slowest answer (bounded)."""

    def __init__(self, url: str, token: str, max_seconds: float = 300):
        super().__init__(daemon=True)
        self.url, self.max_seconds = url, max_seconds
        self.params = {"token": token}
        self.stop = threading.Event()
        self.ok = self.failed = 0
        self.slowest = 0.0

    def run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            t0 = time.monotonic()
            try:
                r = requests.post(f"{self.url}/model/parse", params=self.params, json={"text": "hello"}, timeout=60)
                self.ok += r.status_code == 200
                self.failed += r.status_code != 200
            except requests.RequestException:
                self.failed += 1
            self.slowest = max(self.slowest, time.monotonic() - t0)
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="keep the temporary project here (default: a new temp folder)")
    parser.add_argument("--keep", action="store_true", help="do not delete the temporary project")
    parser.add_argument("--worktree", action="store_true",
                        help="benchmark the checkout as it is now (default: the last commit)")
    parser.add_argument("--ref", default="HEAD", help="the commit whose data to benchmark (default: HEAD)")
    parser.add_argument("--quick", action="store_true",
                        help="train with --quick (fine-tune the last model) instead of the NLU-only retrain")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-trainer-"))
    work.mkdir(parents=True, exist_ok=True)
    project = copy_project(work, args.worktree, args.ref)
    log = io.StringIO()
    server = None
    results = {"cores": os.cpu_count(), "examples_added": 0, "intent": INTENT, "lang": LANG,
               "training": "quick (fine-tune)" if args.quick else "NLU-only retrain"}
    results["data"] = "worktree" if args.worktree else subprocess.run(
        ["git", "rev-parse", "--short", args.ref], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    try:
        print(f"project copy: {work}")
        t0 = time.monotonic()
        first = train(project, out=log, name="moments-baseline")
        assert first.model, log.getvalue()[-3000:]
        results["setup_full_training_cold_cache_s"] = round(time.monotonic() - t0, 1)
        print(f"set-up: full training with an empty cache took {results['setup_full_training_cold_cache_s']}s")

        port = free_port()
        (work / "endpoints.yml").write_text(
            f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{work / "tracker.db"}"\n')
        server_log = (work / "rasa.log").open("wb")
        from moments import secrets

        values = secrets.ensure(work / "secrets.env")
        token = values["RASA_AUTH_TOKEN"]
        server_env = {k: v for k, v in os.environ.items() if k not in secrets.SECRETS and k != "MOMENTS_DEV"}
        server = subprocess.Popen(
            [sys.executable, "-m", "moments.serve", "rasa", "--port", str(port), "-m", str(first.model),
             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
            cwd=work, env={**server_env, **RASA_ENV, **values}, stdout=server_log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        auth = {"token": token}
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if requests.post(f"{url}/model/parse", params=auth, json={"text": "hi"}, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None:
                raise RuntimeError((work / "rasa.log").read_text()[-3000:])
            time.sleep(1)
        record_deployed(project, first.model)
        baseline(project, out=log)  # scores of the deployed model, as a trainer's earlier evaluate left them
        print(f"set-up: server on {url} with {first.model.name}; deployed baseline scored")

        # ---- timed ------------------------------------------------------------------------------
        timings, cpu = {}, {}
        results["load_average_before"] = load_average()
        t_start, c_start = time.monotonic(), cpu_seconds()
        added = add_examples(project, INTENT, LANG, NEW_EXAMPLES)
        results["examples_added"] = len(added.edit.added)
        timings["add_examples_s"] = time.monotonic() - t_start

        t, c = time.monotonic(), cpu_seconds()
        second = train(project, out=log, quick=args.quick)
        assert second.model, log.getvalue()[-3000:]
        timings["train_s"] = time.monotonic() - t
        cpu["train_cpu_s"] = cpu_seconds() - c
        results["retrained_components"] = second.retrained
        results["reused_components"] = second.reused

        t, c = time.monotonic(), cpu_seconds()
        ev = evaluate(project, second.model, out=log)
        timings["evaluate_s"] = time.monotonic() - t
        cpu["evaluate_cpu_s"] = cpu_seconds() - c
        results["gate_passed"] = ev.gate.passed
        results["accuracy"] = {l: round(s["accuracy"], 3) for l, s in ev.scores.items()}

        poller = Poller(url, token)
        poller.start()
        t = time.monotonic()
        done = deploy(project, second.model, url=url, token=token, out=log, confirmed=True)
        parsed = requests.post(f"{url}/model/parse", params=auth, json={"text": NEW_EXAMPLES[0]}, timeout=30).json()
        status = requests.get(f"{url}/status", params=auth, timeout=10).json()
        timings["deploy_s"] = time.monotonic() - t
        total = time.monotonic() - t_start
        poller.stop.set()
        poller.join(timeout=70)
        assert status["model_id"] == done.model_id, status

        results.update({k: round(v, 1) for k, v in timings.items()})
        results["total_s"] = round(total, 1)
        # CPU time does not grow when other work shares the machine; wall time does.
        results.update({k: round(v, 1) for k, v in cpu.items()})
        results["client_side_cpu_s"] = round(cpu_seconds() - c_start, 1)
        results["load_average_after"] = load_average()
        results["new_model_answers"] = {"text": NEW_EXAMPLES[0], "intent": parsed["intent"]["name"],
                                        "confidence": round(parsed["intent"]["confidence"], 3),
                                        "model_file": status["model_file"]}
        results["during_swap"] = {"requests_ok": poller.ok, "requests_failed": poller.failed,
                                  "slowest_answer_s": round(poller.slowest, 2)}
        results["target_s"] = 180
        results["within_target"] = total <= 180
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)

    out = ROOT / "reports" / "trainer" / ("bench-quick.json" if args.quick else "bench.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\n10 examples added -> new model answering: {results['total_s']}s "
          f"(add {results['add_examples_s']}s, train {results['train_s']}s, evaluate {results['evaluate_s']}s, "
          f"deploy {results['deploy_s']}s); target 180s: {'met' if results['within_target'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
