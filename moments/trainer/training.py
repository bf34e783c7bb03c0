"""`train`: a candidate model under models/candidates/, with a progress display.

What gets retrained is decided by Rasa 3.6's own training cache (.rasa/cache): every graph component
is fingerprinted by its inputs, so when only data/nlu changed the dialogue policies (TED, rules,
memoization) are restored from the cache and only the NLU components are retrained. The result is
still a complete model that the server can load (`rasa train nlu` would make an NLU-only model the
server cannot use for dialogue). This module tells the trainer which case applies and shows progress.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, TextIO

from moments.trainer.project import Project, files_digest, rasa_executable

STATE_FILE = ".last_training.json"

FRIENDLY = {
    "MomentsTokenizer": "splitting messages into words",
    "CountVectorsFeaturizer": "counting words and letter groups",
    "DIETClassifier": "learning the intents",
    "FallbackClassifier": "setting the 'not sure' threshold",
    "LanguageDetector": "language detection",
    "MemoizationPolicy": "remembering the example conversations",
    "RulePolicy": "learning the rules",
    "TEDPolicy": "learning the dialogue",
}


def input_digests(project: Project) -> Dict[str, str]:
    """One hash per kind of input, to say what changed since the last training."""
    import moments.nlu

    code_dir = Path(moments.nlu.__file__).parent
    root = project.root
    return {
        "nlu": files_digest(list(project.nlu_dir.rglob("*.yml")) if project.nlu_dir.exists() else [], root),
        "dialogue": files_digest(
            [p for folder in (project.domain_dir, project.rules_dir, project.stories_dir) if folder.exists()
             for p in folder.rglob("*.yml")], root),
        "config": files_digest([project.config], root),
        # the NLU components and what they read at training time (the concept lexicon, the Chinese terms)
        "code": files_digest(sorted(p for pattern in ("*.py", "*.txt", "*.yml") for p in code_dir.glob(pattern)),
                             code_dir),
    }


def language_digests(project: Project) -> Dict[str, str]:
    """One hash per language's training file: which languages a change touched."""
    from moments.trainer.project import LANGS

    return {lang: files_digest([project.nlu_file(lang)], project.root) for lang in LANGS}


EXPERIMENTS_FILE = ".experiments.json"


def mark_experiment(project: Project, model: Path, why: str) -> None:
    """Remembers (by the file's sha256) that `model` may never be deployed, whatever happens to its data later."""
    from moments.trainer.project import file_sha256

    path = project.candidates_dir / EXPERIMENTS_FILE
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    known[file_sha256(model)] = {"model_file": str(model), "why": why}
    path.write_text(json.dumps(known, indent=1))


def experiment_note(project: Project, model: Path) -> Optional[str]:
    """Why `model` can never be deployed (trained without the data checks), or None."""
    from moments.trainer.project import file_sha256

    try:
        known = json.loads((project.candidates_dir / EXPERIMENTS_FILE).read_text())
    except (OSError, ValueError):
        return None
    entry = known.get(file_sha256(model))
    return entry["why"] if entry else None


def load_state(project: Project) -> Dict:
    path = project.candidates_dir / STATE_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def what_changed(project: Project) -> List[str]:
    """Kinds of input that changed since the last `train` ([] = nothing; all four when never trained)."""
    before = load_state(project).get("inputs") or {}
    now = input_digests(project)
    return [k for k in now if before.get(k) != now[k]]


@dataclass
class TrainResult:
    model: Optional[Path]
    seconds: float
    changed: List[str]
    retrained: List[str] = field(default_factory=list)
    reused: List[str] = field(default_factory=list)
    skipped: bool = False
    log: str = ""


class Progress:
    """Turns Rasa's log lines and progress bars into short lines a trainer can follow."""

    _START = re.compile(r"Starting to train component '(\w+)'")
    _DONE = re.compile(r"Finished training component '(\w+)'")
    _CACHED = re.compile(r"Restored component '(\w+)' from cache")
    _EPOCH = re.compile(r"Epochs:\s+(\d+)%.*?\|\s*(\d+)/(\d+)")

    def __init__(self, out: TextIO, started: float):
        self.out = out
        self.started = started
        self.tty = hasattr(out, "isatty") and out.isatty()
        self.current = ""
        self.last_pct = -1
        self.retrained: List[str] = []
        self.reused: List[str] = []
        self._line_open = False

    def _say(self, text: str, overwrite: bool = False) -> None:
        stamp = f"[{time.monotonic() - self.started:5.0f}s] "
        if overwrite and self.tty:
            self.out.write("\r\033[K" + stamp + text)
            self._line_open = True
        else:
            if self._line_open:
                self.out.write("\n")
                self._line_open = False
            self.out.write(stamp + text + "\n")
        self.out.flush()

    def feed(self, line: str) -> None:
        if m := self._CACHED.search(line):
            self.reused.append(m.group(1))
            self._say(f"reused {m.group(1)} ({FRIENDLY.get(m.group(1), 'unchanged')}): nothing it depends on changed")
        elif m := self._START.search(line):
            self.current = m.group(1)
            self.last_pct = -1
            self.retrained.append(self.current)
            self._say(f"training {self.current} ({FRIENDLY.get(self.current, 'component')}) …")
        elif m := self._DONE.search(line):
            self._say(f"done with {m.group(1)}")
        elif m := self._EPOCH.search(line):
            pct, n, total = int(m.group(1)), int(m.group(2)), int(m.group(3))
            step = 1 if self.tty else 25
            if pct != self.last_pct and (pct // step != self.last_pct // step or n == total):
                self.last_pct = pct
                self._say(f"  {self.current}: epoch {n}/{total} ({pct}%)", overwrite=True)

    def close(self) -> None:
        if self._line_open:
            self.out.write("\n")
            self.out.flush()


QUICK_EPOCH_FRACTION = 0.25
# MOMENTS_QUICK_EPOCH_FRACTION overrides it (a test uses 0: Rasa then fine-tunes for ceil(0 x epochs) = 0 epochs,
# so the quick model keeps whatever the last model got wrong, a drift that does not depend on the machine).
import os as _os

QUICK_EPOCH_FRACTION = float(_os.environ.get("MOMENTS_QUICK_EPOCH_FRACTION") or QUICK_EPOCH_FRACTION)


def quick_base(project: Project, changed: List[str], state: Optional[Dict] = None) -> Optional[Path]:
    """The model `--quick` can fine-tune, or None when only a full (NLU) training will do.

    Rasa fine-tunes a model only on the same intents, domain and config: so only when nothing but the
    examples changed since the last training, and no intent appeared or disappeared.
    """
    state = load_state(project) if state is None else state
    base = Path(state["model"]) if state.get("model") else None
    if changed != ["nlu"] or base is None or not base.exists():
        return None
    return base if trained_intents(project) == sorted(state.get("intents") or []) else None


def trained_intents(project: Project) -> List[str]:
    """The intents that have examples in data/nlu (what the intent classifier's labels will be)."""
    from moments.trainer.nlu_files import read_examples

    intents = set()
    for path in project.nlu_dir.rglob("*.yml"):
        intents |= {i for i, examples in read_examples(path).items() if examples}
    return sorted(intents)


def train(project: Project, force: bool = False, out: TextIO = sys.stdout,
          name: Optional[str] = None, timeout: float = 3600, quick: bool = False,
          experiment: bool = False) -> TrainResult:
    started = time.monotonic()
    changed = what_changed(project)
    state = load_state(project)
    previous = Path(state["model"]) if state.get("model") else None
    last_was_quick = bool(state.get("fine_tuned_from"))
    last_was_experiment = bool(state.get("experiment"))
    if not changed and previous and previous.exists() and not force:
        if last_was_quick and not quick:
            out.write(f"Nothing changed since the last training, but {project.rel(previous)} was a quick "
                      "fine-tune: this is the full training of the same data.\n")
            changed = ["nlu"]
        elif last_was_experiment and not experiment:
            out.write(f"Nothing changed since the last training, but {project.rel(previous)} was an experiment "
                      "(trained without the checks, never deployable): training it properly now.\n")
            changed = ["nlu"]
        else:
            out.write(f"Nothing changed since the last training: the model is {project.rel(previous)}\n"
                      "(make train-candidate FORCE=1 trains again anyway)\n")
            return TrainResult(previous, 0.0, [], skipped=True)
    base = quick_base(project, changed, state) if quick else None
    if quick and base is None:
        out.write("QUICK=1 fine-tunes the last model when only examples of existing intents changed; that is not "
                  "the case here, so this is a normal training.\n")

    if base is not None:
        out.write(f"Only examples of existing intents changed: fine-tuning {project.rel(base)} for "
                  f"{QUICK_EPOCH_FRACTION:.0%} of the usual epochs (quick; make train-candidate without QUICK=1 for the full model).\n")
    elif not state:
        out.write("First training here: everything is trained (later runs reuse what did not change).\n")
    elif changed == ["nlu"]:
        out.write("Only the training examples changed: retraining language understanding only; the dialogue "
                  "part is reused from Rasa's cache.\n")
    elif not changed:
        out.write("Training again from the same data (a full training).\n")
    else:
        out.write(f"Changed since the last training: {', '.join(changed)}.\n")

    project.candidates_dir.mkdir(parents=True, exist_ok=True)
    name = name or ("experiment-" if experiment else "moments-") + datetime.now().strftime("%Y%m%d-%H%M%S")
    args = [rasa_executable(), "train", "--domain", "domain", "--data", "data", "--config", "config.yml",
            "--out", str(project.candidates_dir), "--fixed-model-name", name]
    if base is not None:
        args += ["--finetune", str(base), "--epoch-fraction", str(QUICK_EPOCH_FRACTION)]
    progress = Progress(out, started)
    log: List[str] = []
    proc = subprocess.Popen(args, cwd=project.root, env=project.rasa_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    buf = b""
    deadline = started + timeout
    while True:
        chunk = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(4096)
        if not chunk:
            break
        buf += chunk
        parts = re.split(rb"[\r\n]", buf)
        buf = parts.pop()
        for part in parts:
            line = part.decode("utf-8", "replace")
            if line.strip():
                log.append(line)
                progress.feed(line)
        if time.monotonic() > deadline:
            proc.kill()
            break
    if buf:
        log.append(buf.decode("utf-8", "replace"))
    code = proc.wait()
    progress.close()
    seconds = time.monotonic() - started
    model = project.candidates_dir / f"{name}.tar.gz"
    if code != 0 or not model.exists():
        tail = "\n".join(l for l in log[-40:] if "Warning" not in l)
        out.write(f"\nTraining failed (exit {code}). Run make validate first; the end of Rasa's output:\n{tail}\n")
        return TrainResult(None, seconds, changed, progress.retrained, progress.reused, log="\n".join(log))

    if experiment:
        mark_experiment(project, model, f"{model.name} was trained with NO_VALIDATE=1 (an experiment): it can be "
                                        "evaluated but never deployed")
    state = {"model": str(model), "inputs": input_digests(project), "seconds": round(seconds, 1),
             "languages": language_digests(project), "experiment": experiment,
             "previous_languages": (load_state(project).get("languages") or {}),
             "intents": trained_intents(project), "fine_tuned_from": str(base) if base else None,
             "retrained": progress.retrained, "reused": progress.reused,
             "trained_at": datetime.now().isoformat(timespec="seconds")}
    (project.candidates_dir / STATE_FILE).write_text(json.dumps(state, indent=2))
    out.write(f"\nNew model: {project.rel(model)} (trained in {seconds:.0f}s; retrained "
              f"{len(progress.retrained)} part(s), reused {len(progress.reused)}).\n"
              + ("This is an experiment (NO_VALIDATE=1): make evaluate shows its scores, make deploy will refuse it.\n"
                 if experiment else "Next: make evaluate   (checks it against the deployed model)\n"))
    return TrainResult(model, seconds, changed, progress.retrained, progress.reused, log="\n".join(log))
