"""`make eval`: the per-language NLU benchmark (not a test).

1. trains our model on the training split (data/) with `rasa train` (timed: the full-train target), unless
   `--model PATH` names one to evaluate as it is,
2. trains Rasa's default NLU pipeline on the same data (skipped with `--ours-only`),
3. serves each with a real `rasa run --enable-api` and sends every held-out example (tests/nlu/heldout/, never
   trained on) and every blind example (tests/nlu/fresh/, see moments/evaluation/blind.py) to /model/parse,
   measuring intent accuracy, macro-F1, confident errors, language-ID accuracy and latency,
4. reads a calibration curve off the held-out set, chooses the fallback threshold from it and applies it to the
   blind set,
5. prints the tables and writes reports/eval.md: held-out confusion matrices and misses; the blind set's
   aggregates only (its misses are printed only with `--reveal-blind`, which marks the set as spent).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import requests

from moments.evaluation import blind, metrics
from moments.evaluation.heldout import (
    LANGS, LanguageResult, confusion_markdown, load_heldout, spread, summary_table,
)

Results = Dict[str, LanguageResult]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
       "PYTHONWARNINGS": "ignore", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
TARGET_ACCURACY, TARGET_SPREAD, TARGET_P50_MS, TARGET_TRAIN_S = 0.95, 0.03, 10.0, 600


def train(args, out: Path, name: str) -> float:
    """Train with an empty Rasa cache of its own: a full training, never parts restored from .rasa/cache."""
    t0 = time.perf_counter()
    log = out / f"{name}.train.log"
    env = {**ENV, "RASA_CACHE_DIRECTORY": str(out / f"{name}.cache")}
    result = subprocess.run([str(BIN / "rasa"), *args, "--out", str(out), "--fixed-model-name", name],
                            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    if result.returncode != 0:
        sys.exit(f"training {name} failed; see {log}")
    return time.perf_counter() - t0


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def evaluate_over_http(model: Path, workdir: Path,
                       sets: Dict[str, Dict[str, List[Tuple[str, str]]]]) -> Dict[str, Results]:
    """{set name: {lang: LanguageResult}} for each {set name: {lang: [(text, intent)]}}, from one server."""
    port = free_port()
    log = workdir / f"{model.name.split('.')[0]}.server.log"
    proc = subprocess.Popen([str(BIN / "rasa"), "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port), "-m", str(model)],
                            cwd=workdir, env=ENV, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/model/parse"
    session = requests.Session()
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if session.post(url, json={"text": "hello"}, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                sys.exit(f"rasa server for {model} did not start; see {log}")
            time.sleep(1)
        for _ in range(20):  # warm up
            session.post(url, json={"text": "warm up message"}, timeout=30)
        out: Dict[str, Results] = {}
        for set_name, by_lang in sets.items():
            out[set_name] = {}
            for lang, pairs in by_lang.items():
                res = LanguageResult(lang)
                for text, intent in pairs:
                    t0 = time.perf_counter()
                    body = session.post(url, json={"text": text}, timeout=30).json()
                    res.add_parse(text, intent, body, (time.perf_counter() - t0) * 1000)
                out[set_name][lang] = res
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _pct(x: float) -> str:
    return f"{x * 100:.1f} %"


def both_sets_table(heldout: Results, fresh: Results) -> str:
    """Per language: held-out and blind side by side, with the gap (held-out minus blind accuracy)."""
    rows = ["| language | n held-out / blind | accuracy held-out | accuracy blind | gap (points) | macro-F1 held-out | "
            "macro-F1 blind | confident errors held-out | confident errors blind | language ID 3+ words held-out | "
            "language ID 3+ words blind |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for lang in LANGS:
        h, f = heldout.get(lang), fresh.get(lang)
        if h is None:
            continue
        if f is None:
            rows.append(f"| {lang} | {len(h.gold)} / – | {h.accuracy:.3f} | – | – | {h.macro_f1:.3f} | – | "
                        f"{_pct(metrics.confident_error_rate(h))} | – | "
                        f"{metrics.language_id_judgeable_accuracy(h):.3f} | – |")
            continue
        rows.append(
            f"| {lang} | {len(h.gold)} / {len(f.gold)} | {h.accuracy:.3f} | {f.accuracy:.3f} | "
            f"{(h.accuracy - f.accuracy) * 100:+.1f} | {h.macro_f1:.3f} | {f.macro_f1:.3f} | "
            f"{_pct(metrics.confident_error_rate(h))} | {_pct(metrics.confident_error_rate(f))} | "
            f"{metrics.language_id_judgeable_accuracy(h):.3f} | {metrics.language_id_judgeable_accuracy(f):.3f} |")
    return "\n".join(rows)


def calibration_table(results: Results) -> str:
    """The curve per threshold, all languages pooled, with each language's wrong-and-answered rate."""
    langs = [lang for lang in LANGS if lang in results]
    rows = ["| threshold | answered | accuracy of answered | wrong and answered (all) | "
            + " | ".join(f"wrong and answered ({lang})" for lang in langs) + " |",
            "|---" * (4 + len(langs)) + "|"]
    pooled = metrics.calibration_curve(list(results.values()))
    per_lang = {lang: metrics.calibration_curve(results[lang]) for lang in langs}
    for i, p in enumerate(pooled):
        rows.append(f"| {p.threshold:.1f} | {_pct(p.answered)} | {p.accuracy_answered:.3f} | "
                    f"{_pct(p.confident_error_rate)} | "
                    + " | ".join(_pct(per_lang[lang][i].confident_error_rate) for lang in langs) + " |")
    return "\n".join(rows)


def choose(results: Results) -> Tuple[float, str]:
    return metrics.choose_threshold(metrics.calibration_curve(r) for r in results.values())


def thresholded_table(results: Results, threshold: float) -> str:
    rows = [f"| language | n | answered at {threshold:.1f} | accuracy of answered | wrong and answered | falls back |",
            "|---|---|---|---|---|---|"]
    for lang, r in results.items():
        p = metrics.calibration_point(r, threshold)
        rows.append(f"| {lang} | {p.n} | {_pct(p.answered)} | {p.accuracy_answered:.3f} | "
                    f"{_pct(p.confident_error_rate)} | {_pct(p.fallback)} |")
    return "\n".join(rows)


def targets_table(ours: Results, fresh: Results, train_s: Optional[float]) -> str:
    graded, which = (fresh, "blind") if fresh else (ours, "held-out (no blind set)")
    worst = min(r.accuracy for r in graded.values())
    p50 = max(r.latency(0.5) for r in ours.values())
    conf = max(metrics.confident_error_rate(r) for r in graded.values())
    lid = min(metrics.language_id_judgeable_accuracy(r) for r in graded.values())
    rows = [(f"{which} intent accuracy >= 0.95 in every language", f"worst {worst:.3f}", worst >= TARGET_ACCURACY),
            ("worst language within 3 points of the best", f"spread {spread(graded) * 100:.1f} points",
             spread(graded) <= TARGET_SPREAD),
            ("confident errors (wrong, confidence >= 0.8) <= 1 % in every language", f"worst {_pct(conf)}",
             conf <= metrics.MAX_CONFIDENT_ERRORS),
            ("language ID >= 0.98 on 3+ words (Han, Tamil: all) in every language", f"worst {lid:.3f}", lid >= 0.98),
            ("/model/parse p50 <= 10 ms", f"worst language p50 {p50:.1f} ms", p50 <= TARGET_P50_MS)]
    if train_s is not None:
        rows.append(("full `rasa train` <= 10 minutes", f"{train_s:.0f} s", train_s <= TARGET_TRAIN_S))
    lines = ["| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else 'NO'} |" for t, m, ok in rows]
    return "\n".join(lines)


def report(ours: Results, fresh: Results, default: Optional[Results], train_s: Optional[float], model_note: str,
           fresh_note: str) -> str:
    threshold, why = choose(ours)
    lines = ["# NLU evaluation (held-out split and blind set)", "",
             f"Generated by `make eval` on {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} CPU cores; {model_note}.",
             ""]
    warning = blind.spent_warning()
    if warning:
        lines += [f"**{warning}**", ""]
    lines += ["## Both sets (ours)", "", fresh_note, "", both_sets_table(ours, fresh), "",
              "Gap: held-out minus blind accuracy. Confident errors: wrong intent with confidence >= 0.8, as a share "
              "of the language's messages. Language ID 3+ words: Latin-script messages of three or more words and "
              "every Han/Tamil-script message (the detector is meant to say null on \"ok\" or a name).", "",
              "## Calibration (held-out set) and the fallback threshold", "",
              "Top intent and confidence of the classifier itself (before FallbackClassifier). At a threshold the "
              "bot answers a message whose confidence is at least the threshold and falls back below it.", "",
              calibration_table(ours), "",
              f"Chosen fallback threshold: **{threshold:.1f}** — {why}.", ""]
    if fresh:
        lines += [f"### The blind set at threshold {threshold:.1f}", "", thresholded_table(fresh, threshold), ""]
    lines += ["## Targets", "", targets_table(ours, fresh, train_s), "",
              "## All pipelines (held-out split)", "",
              summary_table({"ours": ours, **({"rasa-default": default} if default else {})}), "",
              "Language-ID accuracy in this table counts `null` (message too short to tell) as a miss. The Rasa "
              "default pipeline has no language detector."]
    for lang, r in ours.items():
        lines += ["", f"## {lang}: held-out confusion matrix (ours)", "", confusion_markdown(r), "",
                  f"### {lang}: held-out misclassified ({len(r.misclassified())})", ""]
        lines += [f"- `{t}` — expected {g}, got {p}" for t, g, p in r.misclassified()] or ["- none"]
    if fresh:
        lines += ["", "## The blind set's misses", "",
                  "Not shown, by design: only its aggregates above. See moments/evaluation/blind.py."]
    return "\n".join(lines) + "\n"


def reveal(fresh: Results) -> None:
    marker = blind.mark_spent()
    print("\nblind set misses (--reveal-blind; the set is now spent):")
    for lang, r in fresh.items():
        print(f"\n{lang}: {len(r.misclassified())} of {len(r.gold)}")
        for t, g, p in r.misclassified():
            print(f"  {t!r}: expected {g}, got {p}")
    print(f"\nwrote {marker}: every `make eval` now warns until the blind set is rewritten by someone who has not "
          "seen the training data or these misses (then delete that file).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "reports" / "eval.md"))
    parser.add_argument("--model", help="evaluate this trained model (.tar.gz) as it is: no training of ours")
    parser.add_argument("--ours-only", action="store_true", help="skip Rasa's default pipeline (a run of minutes)")
    parser.add_argument("--reveal-blind", action="store_true",
                        help="also print the blind set's misses, which marks the set as spent (tests/nlu/fresh/SPENT)")
    args = parser.parse_args()
    warning = blind.spent_warning()
    if warning:
        print(warning, flush=True)
    fresh_sets = blind.available()
    if fresh_sets:
        missing = [lang for lang in LANGS if lang not in fresh_sets]
        fresh_note = (f"Blind set: {sum(map(len, fresh_sets.values()))} messages in tests/nlu/fresh/"
                      + (f" (no file for {', '.join(missing)})" if missing else "") + ".")
    else:
        fresh_note = "No blind set (tests/nlu/fresh/<lang>.yml absent): held-out figures only."
    print(fresh_note, flush=True)
    if args.reveal_blind and not fresh_sets:
        sys.exit("--reveal-blind: there is no blind set in tests/nlu/fresh/")
    sets = {"heldout": {lang: load_heldout(lang) for lang in LANGS}, "fresh": fresh_sets}
    train_s: Optional[float] = None
    default = None
    with tempfile.TemporaryDirectory(prefix="moments-eval-") as tmp:
        workdir = Path(tmp)
        if args.model:
            model = Path(args.model).resolve()
            if not model.is_file():
                sys.exit(f"--model {args.model}: no such file")
            model_note = f"model {args.model} as given (not trained by this run)"
        else:
            print("training our model (full rasa train) …", flush=True)
            train_s = train(["train", "--domain", "domain", "--config", "config.yml", "--data", "data"], workdir, "ours")
            print(f"  {train_s:.0f} s", flush=True)
            model = workdir / "ours.tar.gz"
            model_note = "our model trained by this run on data/"
        if not args.ours_only:
            print("training Rasa's default NLU pipeline …", flush=True)
            train(["train", "nlu", "--config", str(Path(__file__).with_name("rasa_default_config.yml")),
                   "--nlu", "data/nlu"], workdir, "rasa-default")
        print("evaluating over HTTP (/model/parse) …", flush=True)
        measured = evaluate_over_http(model, workdir, sets)
        if not args.ours_only:
            default = evaluate_over_http(workdir / "rasa-default.tar.gz", workdir, {"heldout": sets["heldout"]})["heldout"]
    ours, fresh = measured["heldout"], measured["fresh"]
    text = report(ours, fresh, default, train_s, model_note, fresh_note)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text.split("## All pipelines")[0].split("## Both sets (ours)", 1)[1].strip())
    print("\n" + summary_table({"ours": ours, **({"rasa-default": default} if default else {})}))
    if args.reveal_blind:
        reveal(fresh)
    if warning:
        print("\n" + warning)
    print(f"report: {out}")


if __name__ == "__main__":
    main()
