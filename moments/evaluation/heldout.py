"""Per-language intent accuracy, macro-F1, language-ID accuracy and parse latency on the held-out split."""
from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELDOUT_DIR = ROOT / "tests" / "nlu" / "heldout"
FRESH_DIR = ROOT / "tests" / "nlu" / "fresh"  # the blind set: aggregates only, see moments/evaluation/blind.py
LANGS = ("en", "zh", "ms", "ta")


def load_heldout(lang: str, directory: Path = HELDOUT_DIR) -> List[Tuple[str, str]]:
    """[(text, intent)] from a Rasa NLU YAML file."""
    doc = yaml.safe_load((directory / f"{lang}.yml").read_text(encoding="utf-8"))
    pairs = []
    for block in doc.get("nlu", []):
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((line[2:].strip(), block["intent"]))
    return pairs


@dataclass
class LanguageResult:
    lang: str
    gold: List[str] = field(default_factory=list)
    predicted: List[str] = field(default_factory=list)
    detected: List[Optional[str]] = field(default_factory=list)
    latencies_ms: List[float] = field(default_factory=list)
    texts: List[str] = field(default_factory=list)
    # the classifier's own top two (intent, confidence), before FallbackClassifier's verdict
    top_two: List[Tuple[Tuple[str, float], ...]] = field(default_factory=list)

    def add_parse(self, text: str, gold: str, body: Dict, latency_ms: Optional[float] = None) -> None:
        """Records one /model/parse answer (or Agent.parse_message result) for `text` whose intent is `gold`."""
        self.texts.append(text)
        self.gold.append(gold)
        self.predicted.append((body.get("intent") or {}).get("name") or "")
        self.detected.append(body.get("language"))
        ranking = [(r["name"], float(r["confidence"])) for r in body.get("intent_ranking") or []
                   if r["name"] != "nlu_fallback"]
        self.top_two.append(tuple(ranking[:2]))
        if latency_ms is not None:
            self.latencies_ms.append(latency_ms)

    @property
    def accuracy(self) -> float:
        return sum(g == p for g, p in zip(self.gold, self.predicted)) / max(len(self.gold), 1)

    @property
    def macro_f1(self) -> float:
        labels = sorted(set(self.gold))
        f1s = []
        for label in labels:
            tp = sum(g == label and p == label for g, p in zip(self.gold, self.predicted))
            fp = sum(g != label and p == label for g, p in zip(self.gold, self.predicted))
            fn = sum(g == label and p != label for g, p in zip(self.gold, self.predicted))
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        return sum(f1s) / max(len(f1s), 1)

    @property
    def language_id_accuracy(self) -> float:
        """Share of held-out messages whose detected language is the file's language.

        None (too short to tell, e.g. "ok") counts as a miss here, so this is a lower bound.
        """
        return sum(d == self.lang for d in self.detected) / max(len(self.detected), 1)

    @property
    def language_null_rate(self) -> float:
        return sum(d is None for d in self.detected) / max(len(self.detected), 1)

    def latency(self, q: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")

    def misclassified(self) -> List[Tuple[str, str, str]]:
        return [(t, g, p) for t, g, p in zip(self.texts, self.gold, self.predicted) if g != p]

    def confusion(self) -> Dict[str, Counter]:
        table: Dict[str, Counter] = defaultdict(Counter)
        for g, p in zip(self.gold, self.predicted):
            table[g][p] += 1
        return table


async def _evaluate_agent(agent, langs=LANGS, directory: Path = HELDOUT_DIR) -> Dict[str, LanguageResult]:
    results = {}
    await agent.parse_message("warm up")
    for lang in langs:
        res = LanguageResult(lang)
        for text, intent in load_heldout(lang, directory):
            t0 = time.perf_counter()
            parsed = await agent.parse_message(text)
            res.add_parse(text, intent, parsed, (time.perf_counter() - t0) * 1000)
        results[lang] = res
    return results


def quiet_rasa_logs() -> None:
    """Rasa logs every parse at debug level in-process; an evaluation needs none of it."""
    import logging

    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    for name in ("rasa", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.WARNING)


def evaluate_model(model_path: Path, langs=LANGS, directory: Path = HELDOUT_DIR) -> Dict[str, LanguageResult]:
    """Loads a trained model in-process and evaluates it on the held-out split."""
    from rasa.core.agent import Agent

    quiet_rasa_logs()

    agent = Agent.load(str(model_path))
    return asyncio.run(_evaluate_agent(agent, langs, directory))


def summary_table(named_results: Dict[str, Dict[str, LanguageResult]]) -> str:
    """Markdown table, one row per (pipeline, language)."""
    rows = ["| pipeline | language | n | intent accuracy | macro-F1 | language-ID accuracy | parse p50 ms | parse p95 ms |",
            "|---|---|---|---|---|---|---|---|"]
    for name, results in named_results.items():
        for lang, r in results.items():
            rows.append(
                f"| {name} | {lang} | {len(r.gold)} | {r.accuracy:.3f} | {r.macro_f1:.3f} | "
                f"{r.language_id_accuracy:.3f} | {r.latency(0.5):.1f} | {r.latency(0.95):.1f} |"
            )
    return "\n".join(rows)


def confusion_markdown(r: LanguageResult) -> str:
    labels = sorted(set(r.gold) | set(r.predicted))
    short = {l: l.replace("appointment", "appt").replace("registration", "reg") for l in labels}
    table = r.confusion()
    lines = ["| gold \\ predicted | " + " | ".join(short[l] for l in labels) + " |",
             "|---" * (len(labels) + 1) + "|"]
    for g in sorted(set(r.gold)):
        lines.append(f"| {short[g]} | " + " | ".join(str(table[g][p] or "") for p in labels) + " |")
    return "\n".join(lines)


def spread(results: Dict[str, LanguageResult]) -> float:
    accs = [r.accuracy for r in results.values()]
    return max(accs) - min(accs)


def median(xs):  # re-exported for the report
    return statistics.median(xs)
