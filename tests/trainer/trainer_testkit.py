"""Helpers for the trainer tests: temporary copies of the project, a tiny project, running the CLI.

Training our real config takes minutes, so the tests that need models share two tiny ones trained
once per session on a small project (3 intents x 4 languages, DIET 20 epochs, TED 2 epochs):
  - `good`: trained on all four languages;
  - `damaged`: the same project retrained after the Tamil examples were filed under the wrong intents (each
    intent's Tamil examples under the next one): it has learnt Tamil wrong, not merely not at all (the concept
    features shared by the four languages carry an untrained language a long way). Only NLU data changed
    between the two trainings, so the second one also shows that the dialogue policies are reused.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from contextlib import contextmanager
from typing import Dict, Iterator, List, Tuple

import yaml

from moments.trainer.nlu_files import norm, read_examples
from moments.evaluation.stack import free_port
from moments.trainer.project import LANGS, RASA_ENV, Project

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
TINY_INTENTS = ("greet", "ask_baby_bonus", "ask_vaccination_schedule")
TINY_EPOCHS = {"DIETClassifier": 20, "TEDPolicy": 2}

TINY_RESPONSES = {
    "greet": ("Hello! How can I help?", "您好！有什么可以帮您？", "Helo! Apa yang boleh saya bantu?",
              "வணக்கம்! எப்படி உதவலாம்?"),
    "ask_baby_bonus": ("The Baby Bonus cash gift is $11,000 for a first child.", "第一胎的婴儿花红现金礼是 11,000 元。",
                       "Hadiah tunai Bonus Bayi ialah $11,000 untuk anak pertama.",
                       "முதல் குழந்தைக்கு பேபி போனஸ் ரொக்கப் பரிசு $11,000."),
    "ask_vaccination_schedule": ("At birth: BCG and hepatitis B.", "出生时：卡介苗和乙肝疫苗。",
                                 "Semasa lahir: BCG dan hepatitis B.", "பிறக்கும்போது: BCG மற்றும் ஹெபடைடிஸ் B."),
}


def run_trainer(root: Path, *args: str, env: Dict[str, str] = None, timeout: float = 900,
                input: str = None) -> subprocess.CompletedProcess:
    """`python -m moments.trainer --root ROOT ARGS…`, as a trainer would run it."""
    return subprocess.run([PYTHON, "-m", "moments.trainer", "--root", str(root), *args], cwd=ROOT,
                          env={**os.environ, **RASA_ENV, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout, input=input)


@contextmanager
def rasa_server(project: Project, log: Path, *args: str) -> Iterator[Tuple[str, subprocess.Popen, str]]:
    """The Rasa server as `make run` starts it — `python -m moments.serve rasa` (API behind --auth-token, on
    127.0.0.1) with secrets generated for this test — on a free port, serving the project's deployed model.

    Yields (url, process, token) at once: the model may still be loading; wait with moments.evaluation.stack.wait_http.
    """
    from moments import secrets

    values = secrets.ensure(log.parent / "secrets.env")
    env = {k: v for k, v in os.environ.items() if k not in secrets.SECRETS and k != "MOMENTS_DEV"}
    env = {**env, **RASA_ENV, **values, "MOMENTS_SECRETS_FILE": str(log.parent / "secrets.env")}
    proc = subprocess.Popen([PYTHON, "-m", "moments.serve", "rasa", "--port", str(port := free_port()), "-m",
                             str(project.deployed_model), *args], cwd=project.root,
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}", proc, values["RASA_AUTH_TOKEN"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def copy_project(dst: Path) -> Project:
    """A full copy of this checkout's data: config, domain, NLU/rules/stories, held-out split."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("config.yml", "credentials.yml", "endpoints.yml"):
        shutil.copy2(ROOT / name, dst / name)
    shutil.copytree(ROOT / "domain", dst / "domain")
    shutil.copytree(ROOT / "data", dst / "data")
    shutil.copytree(ROOT / "tests" / "nlu" / "heldout", dst / "tests" / "nlu" / "heldout")
    return Project(dst)


def _nlu_yaml(blocks: Dict[str, List[str]]) -> str:
    lines = ['version: "3.1"', "nlu:"]
    for intent, examples in blocks.items():
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {e}" for e in examples] + [""]
    return "\n".join(lines).rstrip() + "\n"


def make_tiny_project(dst: Path) -> Project:
    """3 intents in 4 languages, taken from this checkout's data; a tiny domain, rules and a fast config."""
    (dst / "domain").mkdir(parents=True)
    (dst / "data" / "nlu").mkdir(parents=True)
    (dst / "data" / "rules").mkdir(parents=True)
    (dst / "tests" / "nlu" / "heldout").mkdir(parents=True)
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    for part in config["pipeline"] + config["policies"]:
        if part["name"] in TINY_EPOCHS:
            part["epochs"] = TINY_EPOCHS[part["name"]]
    (dst / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.copy2(ROOT / "credentials.yml", dst / "credentials.yml")

    responses = {}
    for intent, (en, zh, ms, ta) in TINY_RESPONSES.items():
        responses[f"utter_{intent}"] = [{"text": en}] + [
            {"condition": [{"type": "slot", "name": "language", "value": lang}], "text": text}
            for lang, text in (("zh", zh), ("ms", ms), ("ta", ta))]
    domain = {
        "version": "3.1",
        "intents": list(TINY_INTENTS),
        "entities": ["language", "detected_language"],
        "slots": {"language": {"type": "categorical", "values": list(LANGS), "initial_value": "en",
                               "influence_conversation": False,
                               "mappings": [{"type": "from_entity", "entity": "detected_language"}]}},
        "responses": responses,
    }
    (dst / "domain" / "tiny.yml").write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False))
    rules = {"version": "3.1", "rules": [
        {"rule": f"answer {i}", "steps": [{"intent": i}, {"action": f"utter_{i}"}]} for i in TINY_INTENTS]}
    (dst / "data" / "rules" / "tiny.yml").write_text(yaml.safe_dump(rules, sort_keys=False))

    tested = set()
    for lang in LANGS:
        heldout = read_examples(ROOT / "tests" / "nlu" / "heldout" / f"{lang}.yml")
        blocks = {i: heldout[i] for i in TINY_INTENTS}
        tested |= {norm(e) for exs in blocks.values() for e in exs}
        (dst / "tests" / "nlu" / "heldout" / f"{lang}.yml").write_text(_nlu_yaml(blocks))
    for lang in LANGS:
        train = read_examples(ROOT / "data" / "nlu" / f"{lang}.yml")
        # The checkout's data may be mid-edit: never train on the tiny test set.
        blocks = {i: [e for e in train[i] if norm(e) not in tested] for i in TINY_INTENTS}
        (dst / "data" / "nlu" / f"{lang}.yml").write_text(_nlu_yaml(blocks))
    return Project(dst)


@dataclass
class TinyModels:
    project_dir: Path        # the tiny project as trained for `good` (all four languages)
    good: Path
    damaged: Path            # Tamil examples under the wrong intents
    first_output: str        # what `train` printed each time
    second_output: str
    unchanged_output: str

    def fresh_project(self, dst: Path) -> Project:
        """A copy of the tiny project (without its models) to run a command on."""
        shutil.copytree(self.project_dir, dst, ignore=shutil.ignore_patterns("models", "reports", "var", ".rasa"))
        return Project(dst)


def train_tiny_models(base: Path) -> TinyModels:
    project = make_tiny_project(base / "project")
    first = run_trainer(project.root, "train")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    good = base / "good.tar.gz"
    shutil.copy2(project.latest_candidate(), good)
    unchanged = run_trainer(project.root, "train")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr[-2000:]

    ta = project.nlu_file("ta")
    original = ta.read_text(encoding="utf-8")
    examples = read_examples(ta)
    wrong = {TINY_INTENTS[(i + 1) % len(TINY_INTENTS)]: examples[intent] for i, intent in enumerate(TINY_INTENTS)}
    ta.write_text(_nlu_yaml(wrong), encoding="utf-8")
    second = run_trainer(project.root, "train", "--no-validate")
    ta.write_text(original, encoding="utf-8")
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    damaged = base / "damaged.tar.gz"
    shutil.copy2(project.latest_candidate(), damaged)
    return TinyModels(project.root, good, damaged, first.stdout, second.stdout, unchanged.stdout)
