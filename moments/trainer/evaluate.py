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


def _clean_heldout_copy(project: Project, into: Path, only_intents=None) -> Path:
    """The held-out files without add-intent's placeholder lines (they are not real test messages);
    only the intents in `only_intents` when given."""
    for lang in LANGS:
        doc = yaml.safe_load(project.heldout_file(lang).read_text(encoding="utf-8")) or {}
        blocks = []
        for block in doc.get("nlu") or []:
            if "intent" not in block or (only_intents is not None and block["intent"] not in only_intents):
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


def score_model(project: Project, model: Path, only_intents=None) -> Dict[str, Dict]:
    """{lang: scores} of `model` on the project's held-out split (loads the model in this process)."""
    from moments.evaluation.heldout import evaluate_model

    _quiet_rasa()

    with tempfile.TemporaryDirectory() as tmp:
        results = evaluate_model(Path(model), LANGS, _clean_heldout_copy(project, Path(tmp), only_intents))
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
#
# One decision, three parts; `deploy` refuses a model unless all three pass:
#   1. the data checks are clean (`make validate`'s own checks) and the model was not trained with --no-validate;
#   2. every intent the model knows has at least HELDOUT_MIN test messages in every language (otherwise its
#      score says nothing about that language);
#   3. no language regresses beyond noise. Retraining the same data moves some test messages each way, so a
#      language fails only when (a) its accuracy dropped more than GATE_POINTS and (b) the drop is more than
#      chance: McNemar's test on the same test messages (b = right before and wrong now, c = the other way
#      round; fail when b - c > Z * sqrt(b + c), one-sided 95%). Without per-message results (old records)
#      the binomial standard error of the difference over the held-out size is used instead.

NOISE_Z = 1.645


@dataclass
class Gate:
    passed: bool
    reasons: List[str] = field(default_factory=list)
    deltas: Dict[str, Dict[str, float]] = field(default_factory=dict)  # lang -> {accuracy, macro_f1} in points
    parts: Dict[str, bool] = field(default_factory=dict)              # validation / test messages / regression
    failed_languages: List[str] = field(default_factory=list)


def _wrong(scores: Dict) -> Optional[set]:
    mis = scores.get("misclassified")
    return None if mis is None else {m["text"] for m in mis}


def regression(lang: str, cand: Dict, dep: Dict, points: float = GATE_POINTS) -> Optional[str]:
    """Why `lang` regressed beyond noise, or None."""
    import math

    drop = 100 * (dep["accuracy"] - cand["accuracy"])
    if drop <= points + 1e-9:
        return None
    name = f"{LANGUAGE_NAMES[lang]} ({lang}) accuracy dropped {drop:.1f} points " \
           f"({100 * dep['accuracy']:.1f}% → {100 * cand['accuracy']:.1f}%)"
    was, now = _wrong(dep), _wrong(cand)
    if was is not None and now is not None:
        lost, won = len(now - was), len(was - now)
        chance = NOISE_Z * math.sqrt(lost + won)
        if lost - won <= chance:
            return None
        return (f"{name}: {lost} test message(s) it understood are now wrong and {won} the other way round; a "
                f"retraining moves messages both ways, but a net loss of {lost - won} is more than chance "
                f"(up to {math.floor(chance)})")
    n = max(1, min(cand.get("n") or 1, dep.get("n") or 1))
    p = (cand["accuracy"] + dep["accuracy"]) / 2
    allowed = max(points, 100 * NOISE_Z * math.sqrt(2 * p * (1 - p) / n))
    if drop <= allowed + 1e-9:
        return None
    return f"{name}: more than the {allowed:.1f} points {n} test messages can move by chance"


def gate(candidate: Dict[str, Dict], deployed: Optional[Dict[str, Dict]], points: float = GATE_POINTS,
         validation: Optional[List[str]] = None, untested: Optional[Dict[str, List[str]]] = None,
         experiment: Optional[str] = None) -> Gate:
    """The whole decision. validation: problems of the data checks; untested: intent -> languages without
    enough test messages; experiment: why the model may never be deployed (trained with --no-validate)."""
    result = Gate(True)
    problems = list(validation or [])
    if experiment:
        problems.insert(0, experiment)
    result.parts["validation"] = not problems
    if problems:
        result.reasons.append("the data checks are not clean: " + "; ".join(problems[:3])
                              + (f" (and {len(problems) - 3} more: make validate)" if len(problems) > 3 else ""))
    result.parts["test messages"] = not untested
    if untested:
        result.reasons.append("some intents have too few test messages to be measured: " + "; ".join(
            f"{intent} in {', '.join(LANGUAGE_NAMES[l] for l in langs)}" for intent, langs in sorted(untested.items())))
    regressed = []
    if deployed:
        for lang in LANGS:
            if lang not in candidate or lang not in deployed:
                continue
            d_acc = 100 * (candidate[lang]["accuracy"] - deployed[lang]["accuracy"])
            d_f1 = 100 * (candidate[lang]["macro_f1"] - deployed[lang]["macro_f1"])
            result.deltas[lang] = {"accuracy": d_acc, "macro_f1": d_f1}
            why = regression(lang, candidate[lang], deployed[lang], points)
            if why:
                regressed.append(why)
                result.failed_languages.append(lang)
    result.parts["regression"] = not regressed
    result.reasons += regressed
    result.passed = all(result.parts.values())
    if result.passed:
        result.reasons.append("data checks clean, every intent has test messages in all four languages, and "
                              + ("no language dropped beyond noise" if deployed else
                                 "nothing deployed yet to compare with"))
    return result


def untested_intents(project: Project, model: Path) -> Dict[str, List[str]]:
    """{intent: [languages]} where the model's intent has fewer than HELDOUT_MIN real test messages."""
    from moments.trainer.intent_kinds import HELDOUT_MIN
    from moments.trainer.nlu_files import read_examples

    heldout = {l: read_examples(project.heldout_file(l)) for l in LANGS}
    out: Dict[str, List[str]] = {}
    for intent in model_intents(model):
        if intent in ("nlu_fallback",):
            continue
        for lang in LANGS:
            if len([e for e in heldout[lang].get(intent, []) if not is_placeholder(e)]) < HELDOUT_MIN:
                out.setdefault(intent, []).append(lang)
    return out


def validation_problems(project: Project) -> List[str]:
    """The data checks' problems, one short sentence each (what `make validate` shows, without Rasa's check)."""
    from moments.trainer.validate import validate

    return [f"{p.where}: {p.message}" for p in validate(project, run_rasa=False).problems]


def data_digest(project: Project) -> str:
    """Everything the gate's first two parts read: the data, the domain, the test set."""
    files = [p for folder in (project.data_dir, project.domain_dir, project.heldout_dir) if folder.is_dir()
             for p in folder.rglob("*.yml")]
    return files_digest(files, project.root)


def experiment_reason(project: Project, model: Path) -> Optional[str]:
    from moments.trainer.training import experiment_note

    return experiment_note(project, model)


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
        raise FileNotFoundError("No model to evaluate: make train-candidate first "
                                "(or say which: make evaluate MODEL=<file>).")
    base = baseline(project, out)
    if out:
        out.write(f"Scoring {project.rel(model)} on the held-out test set (4 languages) …\n")
    scores = score_model(project, model)
    outcome = gate(scores, (base or {}).get("scores"), validation=validation_problems(project),
                   untested=untested_intents(project, model), experiment=experiment_reason(project, model))
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
                 "points": GATE_POINTS, "parts": outcome.parts, "failed_languages": outcome.failed_languages},
    }
    if base:
        results["new_intents"] = sorted(set(model_intents(model)) - set(model_intents(Path(base["model_file"]))))
    _write_json(report_dir / "results.json", results)
    gates = _read_json(report_dir / "gates.json")
    gates[sha] = {"model_file": str(model.resolve()), "passed": outcome.passed, "reasons": outcome.reasons,
                  "parts": outcome.parts, "failed_languages": outcome.failed_languages,
                  "data_digest": data_digest(project),
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
        todo = []
        if not ev.gate.parts.get("validation", True):
            todo.append("make validate and fix what it says")
        if not ev.gate.parts.get("test messages", True):
            todo.append("add test messages: make add-examples INTENT=<intent> IN=<language> HELDOUT=1 "
                        'EXAMPLES="…|…"')
        if not ev.gate.parts.get("regression", True):
            todo.append("look at the misunderstood messages in the report and add examples for the intents they "
                        "should have been")
        lines.append("This model cannot be deployed. To do: " + "; ".join(todo)
                     + "; then make train-candidate and make evaluate again.")
    else:
        lines.append("Next: make deploy")
    return "\n".join(lines)


def copy_for_baseline(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".partial")
    shutil.copy2(src, tmp)
    tmp.replace(dst)
