"""`evaluate`: how well a model understands each language, compared with the deployed one.

Scores come from moments.evaluation.heldout (the held-out split in tests/nlu/heldout/, never trained
on). The regression gate fails when any language's intent accuracy is more than GATE_POINTS
percentage points below the deployed model's. `deploy` refuses a model whose gate did not pass.

Files (reports/ is git-ignored):
  reports/trainer/index.html          the report a trainer opens in the browser
  reports/trainer/confusion-<lang>.png
  reports/trainer/results.json        the numbers behind the report
  reports/trainer/gates.json          gate outcome per model (by sha256), read by `deploy`
  reports/trainer/deployed.json       the deployed model and its scores: the baseline to compare with
"""
from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from moments.trainer.nlu_files import is_placeholder
from moments.trainer.project import LANGS, LANGUAGE_NAMES, Project, file_sha256, files_digest

GATE_POINTS = 2.0  # a language may not lose more than this many accuracy points


def language_scores(result) -> Dict:
    """The numbers we keep for one language (a moments.evaluation.heldout.LanguageResult)."""
    per_intent = {}
    for label in sorted(set(result.gold)):
        tp = sum(g == label and p == label for g, p in zip(result.gold, result.predicted))
        fp = sum(g != label and p == label for g, p in zip(result.gold, result.predicted))
        fn = sum(g == label and p != label for g, p in zip(result.gold, result.predicted))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        per_intent[label] = {"n": tp + fn, "precision": prec, "recall": rec,
                             "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0}
    return {
        "n": len(result.gold),
        "accuracy": result.accuracy,
        "macro_f1": result.macro_f1,
        "language_id_accuracy": result.language_id_accuracy,
        "parse_p50_ms": result.latency(0.5),
        "misclassified": [{"text": t, "expected": g, "predicted": p} for t, g, p in result.misclassified()],
        "per_intent": per_intent,
        "confusion": {g: dict(c) for g, c in result.confusion().items()},
    }


def heldout_digest(project: Project) -> str:
    return files_digest([project.heldout_file(l) for l in LANGS], project.root)


def _clean_heldout_copy(project: Project, into: Path) -> Path:
    """The held-out files without add-intent's placeholder lines (they are not real test messages)."""
    for lang in LANGS:
        doc = yaml.safe_load(project.heldout_file(lang).read_text(encoding="utf-8")) or {}
        blocks = []
        for block in doc.get("nlu") or []:
            if "intent" not in block:
                continue
            lines = [l for l in (block.get("examples") or "").splitlines()
                     if l.strip().startswith("- ") and not is_placeholder(l.strip()[2:])]
            if lines:
                blocks.append({"intent": block["intent"], "examples": "\n".join(lines) + "\n"})
        (into / f"{lang}.yml").write_text(yaml.safe_dump({"nlu": blocks}, allow_unicode=True), encoding="utf-8")
    return into


def _quiet_rasa() -> None:
    """Rasa logs every parse at debug level in-process; a trainer needs none of it."""
    import logging

    from moments.evaluation.heldout import quiet_rasa_logs

    quiet_rasa_logs()
    logging.getLogger("matplotlib").setLevel(logging.ERROR)  # style-file deprecation chatter on import


def score_model(project: Project, model: Path) -> Dict[str, Dict]:
    """{lang: scores} of `model` on the project's held-out split (loads the model in this process)."""
    from moments.evaluation.heldout import evaluate_model

    _quiet_rasa()

    with tempfile.TemporaryDirectory() as tmp:
        results = evaluate_model(Path(model), LANGS, _clean_heldout_copy(project, Path(tmp)))
    return {lang: language_scores(r) for lang, r in results.items()}


# -- the deployed baseline ------------------------------------------------------------------------

def _read_json(path: Path) -> Dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data: Dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def deployed_record(project: Project) -> Dict:
    return _read_json(project.reports_dir / "deployed.json")


def record_deployed(project: Project, model: Path, scores: Optional[Dict] = None) -> None:
    """Remember which model is deployed (and its scores on the current held-out split, if known)."""
    _write_json(project.reports_dir / "deployed.json", {
        "model_file": str(Path(model).resolve()),
        "sha256": file_sha256(model),
        "deployed_at": datetime.now().isoformat(timespec="seconds"),
        "heldout_digest": heldout_digest(project) if scores else None,
        "scores": scores,
    })


def baseline(project: Project, out=None) -> Optional[Dict]:
    """The deployed model and its scores on today's held-out split, or None when nothing is deployed.

    Scores are recomputed from the deployed model file when the held-out split changed since they were
    stored (e.g. a new intent's test messages were added).
    """
    record = deployed_record(project)
    model = Path(record["model_file"]) if record.get("model_file") else None
    if model is None or not model.exists():
        model = project.deployed_model if project.deployed_model.exists() else None
        record = {}
    if model is None:
        return None
    digest = heldout_digest(project)
    if record.get("scores") and record.get("heldout_digest") == digest:
        return record
    if out:
        out.write(f"Scoring the deployed model {project.rel(model)} on the current test set …\n")
    scores = score_model(project, model)
    record = {**record, "model_file": str(model.resolve()), "sha256": file_sha256(model),
              "heldout_digest": digest, "scores": scores}
    _write_json(project.reports_dir / "deployed.json", record)
    return record


# -- the gate -------------------------------------------------------------------------------------

@dataclass
class Gate:
    passed: bool
    reasons: List[str] = field(default_factory=list)
    deltas: Dict[str, Dict[str, float]] = field(default_factory=dict)  # lang -> {accuracy, macro_f1} in points


def gate(candidate: Dict[str, Dict], deployed: Optional[Dict[str, Dict]], points: float = GATE_POINTS) -> Gate:
    if not deployed:
        return Gate(True, ["nothing deployed yet to compare with"])
    result = Gate(True)
    for lang in LANGS:
        if lang not in candidate or lang not in deployed:
            continue
        d_acc = 100 * (candidate[lang]["accuracy"] - deployed[lang]["accuracy"])
        d_f1 = 100 * (candidate[lang]["macro_f1"] - deployed[lang]["macro_f1"])
        result.deltas[lang] = {"accuracy": d_acc, "macro_f1": d_f1}
        if d_acc < -points - 1e-9:
            result.passed = False
            result.reasons.append(
                f"{LANGUAGE_NAMES[lang]} ({lang}) accuracy dropped {-d_acc:.1f} points "
                f"({100 * deployed[lang]['accuracy']:.1f}% → {100 * candidate[lang]['accuracy']:.1f}%), "
                f"more than the {points:g} allowed")
    if result.passed:
        result.reasons.append(f"no language dropped more than {points:g} points")
    return result


def gate_record(project: Project, model: Path) -> Optional[Dict]:
    return _read_json(project.reports_dir / "gates.json").get(file_sha256(model))


@dataclass
class Evaluation:
    model: Path
    scores: Dict[str, Dict]
    baseline: Optional[Dict]
    gate: Gate
    report: Path


def model_metadata(model: Path) -> Dict:
    """metadata.json from inside a Rasa model archive (model_id, training_type, domain, …)."""
    import tarfile

    with tarfile.open(model, "r:gz") as tar:
        return json.load(tar.extractfile(tar.getmember("metadata.json")))  # type: ignore[arg-type]


def model_intents(model: Path) -> List[str]:
    """The intents in a Rasa model archive's domain; [] when it cannot be read."""
    import tarfile

    try:
        meta = model_metadata(model)
    except (OSError, KeyError, ValueError, tarfile.TarError):
        return []
    return [i if isinstance(i, str) else next(iter(i)) for i in (meta.get("domain") or {}).get("intents", [])]


def evaluate(project: Project, model: Optional[Path] = None, out=None) -> Evaluation:
    from moments.trainer.report import write_report

    model = Path(model) if model else project.latest_candidate()
    if model is None or not model.exists():
        raise FileNotFoundError("No model to evaluate: run `python -m moments.trainer train` first "
                                "(or pass --model PATH).")
    base = baseline(project, out)
    if out:
        out.write(f"Scoring {project.rel(model)} on the held-out test set (4 languages) …\n")
    scores = score_model(project, model)
    outcome = gate(scores, (base or {}).get("scores"))
    report_dir = project.reports_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    sha = file_sha256(model)
    results = {
        "model_file": str(model.resolve()),
        "sha256": sha,
        "evaluated_at": datetime.now().isoformat(timespec="seconds"),
        "heldout_digest": heldout_digest(project),
        "scores": scores,
        "deployed": {k: base.get(k) for k in ("model_file", "sha256", "scores")} if base else None,
        "gate": {"passed": outcome.passed, "reasons": outcome.reasons, "deltas": outcome.deltas,
                 "points": GATE_POINTS},
    }
    if base:
        results["new_intents"] = sorted(set(model_intents(model)) - set(model_intents(Path(base["model_file"]))))
    _write_json(report_dir / "results.json", results)
    gates = _read_json(report_dir / "gates.json")
    gates[sha] = {"model_file": str(model.resolve()), "passed": outcome.passed, "reasons": outcome.reasons,
                  "deployed_sha256": (base or {}).get("sha256"), "heldout_digest": results["heldout_digest"],
                  "evaluated_at": results["evaluated_at"], "scores": scores}
    _write_json(report_dir / "gates.json", gates)
    report = write_report(report_dir, results)
    return Evaluation(model, scores, base, outcome, report)


def summary(project: Project, ev: Evaluation) -> str:
    base = (ev.baseline or {}).get("scores") or {}
    lines = [f"Model: {project.rel(ev.model)}",
             f"Compared with: {project.rel(Path(ev.baseline['model_file'])) if ev.baseline else 'nothing deployed'}",
             "",
             f"{'language':<10} {'n':>4} {'accuracy':>9} {'change':>8} {'macro-F1':>9} {'change':>8}"]
    for lang in LANGS:
        s = ev.scores[lang]
        d = ev.gate.deltas.get(lang)
        acc_d = f"{d['accuracy']:+.1f}" if d else "–"
        f1_d = f"{d['macro_f1']:+.1f}" if d else "–"
        lines.append(f"{LANGUAGE_NAMES[lang]:<10} {s['n']:>4} {100 * s['accuracy']:>8.1f}% {acc_d:>8} "
                     f"{100 * s['macro_f1']:>8.1f}% {f1_d:>8}")
    lines.append("")
    verdict = "PASSED" if ev.gate.passed else "FAILED"
    lines.append(f"Regression gate {verdict}: " + "; ".join(ev.gate.reasons))
    lines.append(f"Report: {ev.report}  (open it in a browser)")
    if not ev.gate.passed:
        lines.append("Do not deploy this model: look at the misclassified examples in the report, fix the data, "
                     "train and evaluate again.")
    elif base is not None:
        lines.append("Next: make deploy")
    return "\n".join(lines)


def copy_for_baseline(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".partial")
    shutil.copy2(src, tmp)
    tmp.replace(dst)
