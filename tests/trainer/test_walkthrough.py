"""TRAINING.md, followed by a newcomer on the full bot: add `ask_preschool` in four languages, validate, train,
evaluate, deploy to a running Rasa server — and the bot answers it in each language. No Python is edited.
Then the mistakes trainers make: a broken YAML file (one plain message), an experiment trained with
NO_VALIDATE=1 (refused by deploy), and a rollback to the model that was live before.

The commands are TRAINING.md's own (read from its code blocks), run with `make` in this checkout against a
copy of the project (MOMENTS_ROOT), so the guide cannot drift from what works. What a trainer would type
beyond the guide's few examples comes from walkthrough_preschool.yml. Slow: one full training (~3 minutes).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
import requests
import yaml

from testkit import Servers
from trainer_testkit import ROOT, copy_project
from moments.trainer.nlu_files import read_examples
from moments.trainer.project import RASA_ENV

GUIDE = ROOT / "TRAINING.md"
INTENT = "ask_preschool"
HERE = Path(__file__).parent


def guide_blocks(kind: str) -> List[str]:
    return re.findall(rf"```{kind}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def guide_commands(prefix: str) -> List[str]:
    """Every line of TRAINING.md's bash blocks that starts with `prefix` (comments after `#` dropped)."""
    lines = [line.split("  #")[0].strip() for block in guide_blocks("bash") for line in block.splitlines()]
    return [line for line in lines if line.startswith(prefix)]


def guide_responses() -> Dict[str, str]:
    """The answer section 1.4 tells the trainer to write, by language."""
    block = next(b for b in guide_blocks("yaml") if f"utter_{INTENT}" in b)
    variants = yaml.safe_load(block)["responses"][f"utter_{INTENT}"]
    return {(v.get("condition") or [{"value": "en"}])[0]["value"]: v["text"] for v in variants}


TIMES: Dict[str, float] = {}  # command -> seconds, printed at the end (pytest -s shows them)
SAID: List[Tuple[str, str]] = []  # (command, what the trainer read), the deploys and mistakes printed at the end


class Trainer:
    """A trainer at the terminal in this checkout, working on the project copy."""

    def __init__(self, project_root: Path):
        self.env = {**{k: v for k, v in os.environ.items() if k not in ("RASA_TOKEN", "RASA_AUTH_TOKEN")},
                    **RASA_ENV, "MOMENTS_ROOT": str(project_root)}
        self.make_vars = f"VENV={sys.prefix}"

    def run(self, command: str, timeout: float = 900, ok: Optional[bool] = True) -> subprocess.CompletedProcess:
        if command.startswith("make "):
            command = f"{command} {self.make_vars}"
        elif command.startswith(".venv/bin/python "):
            command = sys.executable + command[len(".venv/bin/python"):]
        started = time.monotonic()
        result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=self.env, capture_output=True, text=True,
                                timeout=timeout)
        TIMES[command] = time.monotonic() - started
        SAID.append((command, (result.stdout + result.stderr).strip()))
        assert ok is None or (result.returncode == 0) == ok, \
            f"{command}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        return result


@pytest.fixture
def live_bot(tmp_path):
    """The full project copy with the checkout's model deployed, and the assistant running it as `make run` does:
    agency services, the action server and Rasa, each through moments.serve with secrets generated for this test
    and exported to all three (testkit.Servers, the test suites' stack), Rasa's endpoints pointing at that action
    server (every new conversation starts with the custom action_session_start)."""
    model = ROOT / "models" / "moments.tar.gz"
    if not model.exists():
        pytest.skip("no trained model: `make train` first (make test does it)")
    project = copy_project(tmp_path / "project")
    project.models_dir.mkdir(parents=True)
    shutil.copy2(model, project.deployed_model)
    servers = Servers(tmp_path / "servers")
    try:
        servers.start_assistant(project.deployed_model, credentials=ROOT / "credentials.yml")
        yield project, servers
    finally:
        servers.stop()


def test_training_md_adds_ask_preschool_to_the_running_bot_in_four_languages(live_bot, tmp_path):
    project, servers = live_bot
    url, token = servers.rasa_url, servers.rasa_token
    trainer = Trainer(project.root)
    trainer.env["MOMENTS_SECRETS_FILE"] = servers.env["MOMENTS_SECRETS_FILE"]  # the server's, as `make run`'s
    parse = lambda text: requests.post(f"{url}/model/parse", params={"token": token}, json={"text": text},  # noqa
                                       timeout=60).json()
    typed = yaml.safe_load((HERE / "walkthrough_preschool.yml").read_text(encoding="utf-8"))

    # 1.1 create the intent
    [create] = guide_commands(f"make add-intent NAME={INTENT}")
    assert "Created intent ask_preschool in all four languages" in trainer.run(create).stdout
    todo = trainer.run("make validate", ok=False).stdout  # the checklist of what is still to do
    assert "[placeholder]" in todo and "[too-few-examples]" in todo, todo[-3000:]

    # 1.2 / 1.3 examples and test messages: the guide's commands, then the rest from files (FILE=)
    guide_lines = [c for c in guide_commands(f"make add-examples INTENT={INTENT}") if "FILE=" not in c]
    assert {re.search(r"IN=(\w+)", c).group(1) for c in guide_lines if "HELDOUT" not in c} == {"en", "zh", "ms", "ta"}
    for command in guide_lines:
        trainer.run(command)
    # "Before a new topic goes live, look at out_of_scope": validate points at the lines, move-examples moves them
    overlap = trainer.run("make validate", ok=False).stdout
    assert "[topic-overlap]" in overlap and "tadika mana bagus kat Tampines" in overlap, overlap[-3000:]
    listing, move = guide_commands("make move-examples FROM=out_of_scope")
    assert "LIST=1" in listing and "Would move" in trainer.run(listing).stdout
    moved = trainer.run(move).stdout
    assert "Moved" in moved and "tadika mana bagus kat Tampines" in moved, moved
    assert "tadika mana bagus kat Tampines" in read_examples(project.nlu_file("ms"))[INTENT]
    for part, extra in (("examples", ""), ("heldout", " HELDOUT=1")):
        for lang, lines in typed[part].items():
            path = tmp_path / f"preschool-{part}-{lang}.txt"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            trainer.run(f"make add-examples INTENT={INTENT} IN={lang} FILE={path}{extra}")

    # 1.4 the answer: the trainer replaces the four TODO texts in an editor, keeping the condition lines
    answers = guide_responses()
    domain_file = project.domain_dir / f"{INTENT}.yml"
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
    for variant in domain["responses"][f"utter_{INTENT}"]:
        assert "TODO" in variant["text"]
        lang = (variant.get("condition") or [{"value": "en"}])[0]["value"]
        variant["text"] = answers[lang]
    domain_file.write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False), encoding="utf-8")

    # 1.5 validate, 2 train, 3 evaluate
    assert "OK: all" in trainer.run("make validate").stdout
    [train] = [c for c in guide_commands("make train-candidate") if c == "make train-candidate"]
    trained = trainer.run(train, timeout=1800).stdout
    assert "New model: models/candidates/" in trained, trained[-3000:]
    evaluated = trainer.run("make evaluate").stdout
    assert "PASSED" in evaluated and "every intent has test messages in all four languages" in evaluated, \
        evaluated[-3000:]
    report = (project.reports_dir / "index.html").read_text(encoding="utf-8")
    assert "<h2>New intents</h2>" in report and f"<td>{INTENT}</td>" in report, report[:3000]

    # 4 deploy to the running server, which then answers the new intent in each language. Never deployed there
    # from this checkout: deploy asks, and without a terminal says how to confirm.
    unconfirmed = trainer.run(f"make deploy RASA_URL={url}", ok=False)
    assert f"make deploy RASA_URL={url} CONFIRM=1" in unconfirmed.stderr, unconfirmed.stdout + unconfirmed.stderr
    deployed = trainer.run(f"make deploy RASA_URL={url} CONFIRM=1").stdout
    assert f"Server: {url}" in deployed and "new intents: ask_preschool" in deployed, deployed[-3000:]
    assert f"Deployed: the server at {url} now runs moments-" in deployed, deployed[-3000:]
    live_model = requests.get(f"{url}/status", params={"token": token}, timeout=10).json()["model_file"]
    assert "will not train it again" in deployed  # `make run` starts with it: models/.trained is up to date
    assert (project.models_dir / ".trained").stat().st_mtime >= project.deployed_model.stat().st_mtime - 1
    # New conversations, one per test message (never trained on): each is answered in its own language.
    asks = {"en": [c.split('EXAMPLES="')[1].rstrip('"').split("|") for c in guide_lines if "HELDOUT=1" in c][0],
            **typed["heldout"]}
    for lang, messages in asks.items():
        answered = []
        for text in messages:
            body = {"sender": f"walkthrough-{lang}-{uuid.uuid4().hex[:8]}", "message": text}
            replies = requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=60).json()
            intent = parse(text)["intent"]
            answered.append(([r.get("text") for r in replies] == [answers[lang]], text, intent))
        # like any classifier it may miss one unseen message; the evaluation report above measures that
        assert sum(ok for ok, _, _ in answered) >= len(messages) - 1, (lang, answered)

    # A slip in an editor: one example line indented by two spaces instead of four. Every command says it once,
    # with the file and the line, and nothing else; nothing is written.
    ms_file = project.nlu_file("ms")
    good_text = ms_file.read_text(encoding="utf-8")
    lines = good_text.splitlines()
    slip = next(i for i, l in enumerate(lines) if l.startswith("    - ") and i > 30)
    lines[slip] = "  " + lines[slip].strip()
    ms_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for command in ("make validate", f'make add-examples INTENT={INTENT} IN=ms EXAMPLES="tadika murah kat Bedok"',
                    "make review LIST=1"):
        said = trainer.run(command, ok=False)
        text = said.stdout + said.stderr
        assert f"data/nlu/ms.yml, line {slip + 1}" in text and text.count("data/nlu/ms.yml") == 1, (command, text)
        assert "Traceback" not in text and "examples of" not in text, (command, text)
    assert ms_file.read_text(encoding="utf-8") == "\n".join(lines) + "\n"
    ms_file.write_text(good_text, encoding="utf-8")

    # An experiment: trained without the checks (here from Rasa's cache, so it is quick), never deployable.
    experiment = trainer.run("make train-candidate NO_VALIDATE=1 FORCE=1", timeout=1800).stdout
    assert "New model: models/candidates/experiment-" in experiment, experiment[-3000:]
    refused = trainer.run(f"make deploy RASA_URL={url}", ok=False)
    assert "NO_VALIDATE=1" in refused.stderr and "Not deploying" in refused.stderr, refused.stdout + refused.stderr
    assert requests.get(f"{url}/status", params={"token": token}, timeout=10).json()["model_file"] == live_model

    # Roll back: the model that was live before ask_preschool is answering again.
    # When the checkout's model was trained on older data than today's test messages, it scores lower than the
    # live one: deploy says by how much and rolls back only when told (CONFIRM=1); otherwise it rolls back at once.
    first = trainer.run(f"make deploy ROLLBACK=1 RASA_URL={url}", timeout=1800, ok=None)
    if first.returncode != 0:
        assert "Not rolled back:" in first.stderr and "was live before, but it understands fewer" in first.stderr, \
            first.stdout + first.stderr
        assert f"make deploy ROLLBACK=1 RASA_URL={url} CONFIRM=1" in first.stderr, first.stderr
        assert requests.get(f"{url}/status", params={"token": token}, timeout=10).json()["model_file"] == live_model
        back = trainer.run(f"make deploy ROLLBACK=1 RASA_URL={url} CONFIRM=1", timeout=1800).stdout
    else:
        back = first.stdout
    assert "Rolled back: the server at" in back, back[-3000:]
    assert requests.get(f"{url}/status", params={"token": token}, timeout=10).json()["model_file"] != live_model
    assert parse(asks["en"][0])["intent"]["name"] != INTENT  # the old model does not know the intent
    print("\n".join(f"[time] {seconds:7.1f}s  {command}" for command, seconds in TIMES.items()))
    for command, text in SAID:
        if "deploy" in command or "ms.yml" in text:
            print(f"[said] $ {command}\n{text[-1500:]}\n")
