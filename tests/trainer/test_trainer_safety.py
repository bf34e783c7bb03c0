"""What a trainer's mistakes lead to: one plain message, never a traceback; moving examples between intents;
the out_of_scope overlap check. No training here (seconds per test)."""
from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from trainer_testkit import ROOT, run_trainer
from moments.trainer import validate as v
from moments.trainer.nlu_files import read_examples
from moments.trainer.project import RASA_ENV, Project

# Every trainer command, as a trainer would type it, on broken data.
COMMANDS = [
    ("validate",),
    ("add-intent", "ask_preschool"),
    ("add-examples", "greet", "--lang", "ms", "hai semua"),
    ("move-examples", "--from", "out_of_scope", "--to", "greet", "--match", "hai"),
    ("train",),
    ("train", "--quick"),
    ("train", "--no-validate"),
    ("evaluate",),
    ("deploy",),
    ("deploy", "--rollback"),
    ("review", "--list"),
]


def _slip_indentation(path: Path) -> int:
    """One example line typed with two spaces instead of four, as happens in an editor; returns its line number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    n = next(i for i, l in enumerate(lines) if l.startswith("    - ") and i > 20)
    lines[n] = "  " + lines[n].strip()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return n + 1


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_broken_yaml_file_is_said_once_with_its_line_by_every_command(tiny_project, command):
    line = _slip_indentation(tiny_project.nlu_file("ms"))
    before = {p: p.read_bytes() for p in tiny_project.root.rglob("*.yml")}
    result = run_trainer(tiny_project.root, *command, timeout=300)
    said = result.stdout + result.stderr
    assert result.returncode != 0, said
    assert "Traceback" not in said and 'File "' not in said, said
    assert f"data/nlu/ms.yml, line {line}" in said, said
    assert said.count("data/nlu/ms.yml") == 1 and "indentation" in said, said
    assert "examples of" not in said and "[too-few-examples]" not in said, said  # nothing else
    assert {p: p.read_bytes() for p in tiny_project.root.rglob("*.yml")} == before  # nothing was touched


def test_a_quote_inside_an_answer_names_the_domain_file_and_its_line(tiny_project):
    domain = tiny_project.domain_dir / "tiny.yml"
    text = domain.read_text(encoding="utf-8")
    broken = text.replace("text: Hello! How can I help?", 'text: "Hello! Say "help" to see what I can do"')
    assert broken != text
    domain.write_text(broken, encoding="utf-8")
    result = run_trainer(tiny_project.root, "validate")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    out = result.stdout
    assert "Found 1 problem(s)" in out and "domain/tiny.yml, line " in out, out
    assert 'a quote (") inside a text' in out and "utter_" not in out, out


def test_no_traceback_even_when_something_unexpected_breaks(tiny_project):
    (tiny_project.root / "config.yml").write_text("pipeline: [\n", encoding="utf-8")
    result = run_trainer(tiny_project.root, "train")
    assert result.returncode == 2 and "config.yml, line" in result.stderr and "Traceback" not in result.stderr
    (tiny_project.root / "config.yml").write_text("pipeline: []\n", encoding="utf-8")
    missing = run_trainer(tiny_project.root, "add-examples", "greet", "--lang", "en", "--file", "/no/such/file.txt")
    assert missing.returncode == 2 and "There is no file /no/such/file.txt (FILE=)" in missing.stderr
    decisions = run_trainer(tiny_project.root, "review", "--tracker-db", str(tiny_project.root / "none.db"),
                            "--decisions", "/no/such/decisions.yml")
    assert decisions.returncode != 0 and "Traceback" not in decisions.stderr, decisions.stderr


def test_a_failing_make_target_exits_non_zero_at_a_terminal_too(tiny_project):
    """Scripts and CI rely on the exit status, and so does a trainer's `make validate && make train-candidate`:
    at a terminal (here a pseudo-terminal from `script -e`, which returns the command's status) as in a pipe."""
    _slip_indentation(tiny_project.nlu_file("ms"))
    env = {**RASA_ENV, "MOMENTS_ROOT": str(tiny_project.root), "PATH": "/usr/bin:/bin"}
    make = f"make --no-print-directory validate VENV={Path(__import__('sys').prefix)}"
    piped = subprocess.run(["bash", "-c", make], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert piped.returncode != 0 and "data/nlu/ms.yml, line" in piped.stdout, piped.stdout + piped.stderr
    tty = subprocess.run(["script", "-qec", f"{make} && echo NEXT-STEP-RAN", "/dev/null"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert tty.returncode != 0 and "data/nlu/ms.yml, line" in tty.stdout, tty.stdout + tty.stderr
    assert "NEXT-STEP-RAN" not in tty.stdout and tty.stdout.count("make: ***") == 1, tty.stdout
    assert tty.stdout.rstrip().splitlines()[-1].startswith("make: ***"), tty.stdout  # after our message, once


def test_commands_say_what_to_type_when_an_argument_is_wrong(tiny_project):
    """make forms (IN=, TRACKER_DB=), never argparse's usage text or an option name."""
    for command, said_first in ((("add-examples", "greet", "--lang", "fr", "bonjour"), "Nothing added: IN=fr is not"),
                                (("move-examples", "--from", "greet", "--to", "thank", "--match", "hi", "--lang", "de"),
                                 "Nothing moved: IN=de is not")):
        result = run_trainer(tiny_project.root, *command)
        said = result.stdout + result.stderr
        assert result.returncode == 2 and said.startswith(said_first), said
        assert "IN=en (English), IN=zh (Chinese), IN=ms (Malay) or IN=ta (Tamil)" in said
        assert "usage:" not in said and "--lang" not in said, said
    missing = run_trainer(tiny_project.root, "review", "--tracker-db", str(tiny_project.root / "none.db"))
    assert missing.returncode == 2 and "There is no file" in missing.stderr and "TRACKER_DB=" in missing.stderr
    assert not (tiny_project.root / "none.db").exists()  # not created empty on the way


def _review_list(root: Path, unset: tuple) -> subprocess.CompletedProcess:
    """`review --list` from a terminal that has none of the variables in `unset` (no scripts/with-secrets.sh)."""
    import os
    import sys

    env = {**{k: v for k, v in os.environ.items() if k not in unset}, **RASA_ENV}
    return subprocess.run([sys.executable, "-m", "moments.trainer", "--root", str(root), "review", "--list"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_review_reads_only_the_tracker_store_of_endpoints_yml(tiny_project):
    """endpoints.yml names the action server's secret as ${ACTION_SERVER_SECRET}; a trainer's terminal does not
    have it and review does not need it. No store yet is not a failure; a store that needs an unset variable
    says which, and how to run with the secrets."""
    (tiny_project.root / "endpoints.yml").write_text((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    result = _review_list(tiny_project.root, ("ACTION_SERVER_SECRET",))
    said = result.stdout + result.stderr
    assert result.returncode == 0 and "No conversations yet: there is no var/tracker.db" in result.stdout, said
    assert "ACTION_SERVER_SECRET" not in said
    (tiny_project.root / "endpoints.yml").write_text(
        "tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: db.internal\n  password: ${TRACKER_DB_PASSWORD}\n")
    result = _review_list(tiny_project.root, ("TRACKER_DB_PASSWORD",))
    assert result.returncode == 2 and "needs TRACKER_DB_PASSWORD, which is not set here" in result.stderr, \
        result.stdout + result.stderr
    assert "scripts/with-secrets.sh make review" in result.stderr and "Traceback" not in result.stderr


def test_move_examples_moves_a_topic_from_out_of_scope_in_training_and_test_data(project):
    zh_train, zh_test = read_examples(project.nlu_file("zh")), read_examples(project.heldout_file("zh"))
    words = ("托儿所", "幼儿园")
    expected = [e for e in zh_train["out_of_scope"] if any(w in e for w in words)]
    assert expected, "the checkout's out_of_scope has lines about childcare"
    listed = run_trainer(project.root, "move-examples", "--from", "out_of_scope", "--to", "ask_baby_bonus",
                         "--lang", "zh", "--match", "托儿所|幼儿园", "--list")
    assert listed.returncode == 0 and "Would move" in listed.stdout and expected[0] in listed.stdout
    assert read_examples(project.nlu_file("zh")) == zh_train  # LIST=1 changes nothing
    moved = run_trainer(project.root, "move-examples", "--from", "out_of_scope", "--to", "ask_baby_bonus",
                        "--lang", "zh", "--match", "托儿所|幼儿园")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    after = read_examples(project.nlu_file("zh"))
    assert not [e for e in after["out_of_scope"] if any(w in e for w in words)]
    assert set(expected) <= set(after["ask_baby_bonus"])
    assert read_examples(project.nlu_file("en")) == read_examples(Project(ROOT).nlu_file("en"))  # IN=zh only
    unknown = run_trainer(project.root, "move-examples", "--from", "out_of_scope", "--to", "ask_preschool",
                          "--match", "x")
    assert unknown.returncode == 2 and "make add-intent NAME=ask_preschool" in unknown.stderr


def _fake_live_model(project: Project, intents) -> None:
    """models/moments.tar.gz with only what validate reads of it: metadata.json's domain intents."""
    project.models_dir.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"domain": {"intents": list(intents)}}).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    project.deployed_model.write_bytes(gzip.compress(buf.getvalue()))


def test_validate_flags_out_of_scope_examples_about_a_new_intent(project):
    live = project.domain()["intents"]
    _fake_live_model(project, live)
    assert not v.check_topic_overlap(v.Data.load(project))  # no new intent: nothing to flag
    assert run_trainer(project.root, "add-intent", "ask_preschool").returncode == 0
    examples = [f"{w} near {p}" for w in ("preschool", "kindergarten", "childcare") for p in
                ("Tampines", "Jurong", "Woodlands", "Punggol", "Bedok", "Yishun", "Bishan")]
    assert run_trainer(project.root, "add-examples", "ask_preschool", "--lang", "en", *examples).returncode == 0
    zh = [f"{p}附近的{w}" for w in ("幼儿园", "托儿所") for p in ("淡滨尼", "裕廊", "兀兰", "榜鹅", "勿洛", "义顺", "碧山", "盛港", "后港", "宏茂桥")]
    assert run_trainer(project.root, "add-examples", "ask_preschool", "--lang", "zh", *zh).returncode == 0
    problems = v.check_topic_overlap(v.Data.load(project))
    flagged = {p.message.split("'")[1] for p in problems}
    oos_zh = [e for e in read_examples(project.nlu_file("zh"))["out_of_scope"] if "托儿所" in e or "幼儿园" in e]
    assert set(oos_zh) <= flagged, (oos_zh, flagged)
    assert all("make move-examples FROM=out_of_scope TO=ask_preschool" in p.fix for p in problems)
    assert len(problems) <= len(oos_zh) + 3, [p.message for p in problems]  # about the topic, not common words
    result = run_trainer(project.root, "validate", "--skip-rasa")
    assert "[topic-overlap]" in result.stdout
