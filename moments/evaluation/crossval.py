"""Where is the training data weak? k-fold cross-validation on data/nlu only (not a test; not the held-out split).

    .venv/bin/python -m moments.evaluation.crossval [--folds 3] [--config config.yml]

Every training example is put in one of k folds (by a hash of its text, so the split is stable). For each fold
an NLU model is trained on the other folds of all four languages and scores that fold per language. The report
lists per-language accuracy, the weakest intents and the most frequent confusions — what to write more
examples for — without ever looking at tests/nlu/heldout, which stays a blind measure (`make eval`).
It also compares pipelines fairly: `--config other.yml` on the same folds.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from moments.evaluation.heldout import LANGS, LanguageResult, evaluate_model, load_heldout
from moments.trainer.project import RASA_ENV

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, **RASA_ENV}


def fold_of(text: str, folds: int) -> int:
    return int(hashlib.sha256(text.strip().lower().encode()).hexdigest(), 16) % folds


def write_nlu(path: Path, pairs: List[Tuple[str, str]]) -> None:
    blocks: Dict[str, List[str]] = defaultdict(list)
    for text, intent in pairs:
        blocks[intent].append(text)
    doc = {"version": "3.1", "nlu": [{"intent": i, "examples": "".join(f"- {t}\n" for t in ts)}
                                     for i, ts in sorted(blocks.items())]}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")


def run(folds: int, config: Path, data: Path) -> Dict[str, LanguageResult]:
    examples = {lang: load_heldout(lang, data) for lang in LANGS}  # same format as the held-out files
    merged = {lang: LanguageResult(lang) for lang in LANGS}
    with tempfile.TemporaryDirectory(prefix="moments-cv-") as tmp:
        for k in range(folds):
            train_dir, dev_dir = Path(tmp, f"train{k}"), Path(tmp, f"dev{k}")
            train_dir.mkdir()
            dev_dir.mkdir()
            for lang, pairs in examples.items():
                write_nlu(train_dir / f"{lang}.yml", [p for p in pairs if fold_of(p[0], folds) != k])
                write_nlu(dev_dir / f"{lang}.yml", [p for p in pairs if fold_of(p[0], folds) == k])
            print(f"fold {k + 1}/{folds}: training …", flush=True)
            log = Path(tmp, f"train{k}.log")
            done = subprocess.run([str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", str(config),
                                   "--nlu", str(train_dir), "--out", tmp, "--fixed-model-name", f"fold{k}"],
                                  cwd=ROOT, env={**ENV, "RASA_CACHE_DIRECTORY": str(Path(tmp, f"cache{k}"))},
                                  stdout=log.open("w"), stderr=subprocess.STDOUT)
            if done.returncode:
                sys.exit(f"training fold {k} failed:\n{log.read_text()[-3000:]}")
            for lang, res in evaluate_model(Path(tmp, f"fold{k}.tar.gz"), directory=dev_dir).items():
                for name in ("gold", "predicted", "detected", "latencies_ms", "texts", "top_two"):
                    getattr(merged[lang], name).extend(getattr(res, name))
    return merged


def report(results: Dict[str, LanguageResult], weakest: int = 6) -> str:
    lines = ["| language | examples | accuracy | macro-F1 |", "|---|---|---|---|"]
    lines += [f"| {l} | {len(r.gold)} | {r.accuracy:.3f} | {r.macro_f1:.3f} |" for l, r in results.items()]
    for lang, r in results.items():
        per_intent = defaultdict(lambda: [0, 0])
        for g, p in zip(r.gold, r.predicted):
            per_intent[g][0] += g == p
            per_intent[g][1] += 1
        worst = sorted(per_intent.items(), key=lambda kv: kv[1][0] / kv[1][1])[:weakest]
        confusions = Counter((g, p) for g, p in zip(r.gold, r.predicted) if g != p).most_common(weakest)
        lines += ["", f"{lang}: weakest intents " + ", ".join(f"{i} {ok}/{n}" for i, (ok, n) in worst),
                  f"{lang}: most confused " + ", ".join(f"{g}→{p} ×{n}" for (g, p), n in confusions)]
    return "\n".join(lines)


def thresholds(results: Dict[str, LanguageResult], ambiguity: float) -> str:
    """Accuracy per language if FallbackClassifier had another threshold (same folds, no retraining).

    A lower threshold answers more messages and also guesses wrong more often: "wrong" counts confident
    wrong answers (worse for a parent than "sorry, I did not get that").
    """
    lines = [f"FallbackClassifier threshold (ambiguity_threshold {ambiguity}): accuracy / confident-wrong share",
             "| threshold | " + " | ".join(results) + " |", "|---" * (len(results) + 1) + "|"]
    for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
        cells = []
        for r in results.values():
            right = wrong = 0
            for gold, top in zip(r.gold, r.top_two):
                (intent, conf), second = top[0], (top[1][1] if len(top) > 1 else 0.0)
                if conf >= t and conf - second >= ambiguity:
                    right += intent == gold
                    wrong += intent != gold
            n = max(len(r.gold), 1)
            cells.append(f"{right / n:.3f} / {wrong / n:.3f}")
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument("--errors", action="store_true", help="also list every misclassified example")
    args = parser.parse_args()
    results = run(args.folds, args.config.resolve(), args.data.resolve())
    print(report(results))
    fallback = next((c for c in yaml.safe_load(args.config.read_text())["pipeline"]
                     if c["name"] == "FallbackClassifier"), {})
    print("\n" + thresholds(results, fallback.get("ambiguity_threshold", 0.1)))
    if args.errors:
        for lang, r in results.items():
            print(f"\n{lang}:")
            print("\n".join(f"  {t!r}: {g} → {p}" for t, g, p in r.misclassified()))


if __name__ == "__main__":
    main()
