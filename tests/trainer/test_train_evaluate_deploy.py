"""train -> evaluate -> deploy on tiny models (trained once per session, see trainer_testkit.py).

The report covers the four languages; the regression gate fails on the damaged model (no Tamil
training data) and deploy then refuses it; a gated model is swapped into a running Rasa server.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests

from trainer_testkit import PYTHON, ROOT, run_trainer
from trainer_testkit import rasa_server as serve_rasa  # the fixture below is named rasa_server
from moments.evaluation.stack import wait_http
from moments.trainer.evaluate import gate
from moments.trainer.project import Project
from moments.trainer.training import input_digests, load_state, quick_base, what_changed

pytestmark = pytest.mark.slow  # shares two tiny trained models; starts a Rasa server


def test_train_reports_what_changed_and_reuses_the_dialogue_part(tiny_models):
    assert "First training here" in tiny_models.first_output
    assert "New model: models/candidates/moments-" in tiny_models.first_output
    assert "training DIETClassifier" in tiny_models.first_output
    assert "Nothing changed since the last training" in tiny_models.unchanged_output
    second = tiny_models.second_output
    assert "Only the training examples changed" in second, second
    for policy in ("RulePolicy", "MemoizationPolicy", "TEDPolicy"):
        assert f"reused {policy}" in second, second
    assert "training DIETClassifier" in second


def test_what_changed_tells_nlu_from_dialogue(tiny_models, tmp_path):
    project = tiny_models.fresh_project(tmp_path / "p")
    assert what_changed(project) == ["nlu", "dialogue", "config", "code"]  # never trained here
    project.candidates_dir.mkdir(parents=True)
    (project.candidates_dir / ".last_training.json").write_text(json.dumps({"inputs": input_digests(project)}))
    assert what_changed(project) == []
    with project.nlu_file("en").open("a", encoding="utf-8") as f:
        f.write("    - hello from a test\n")
    assert what_changed(project) == ["nlu"]
    (project.rules_dir / "tiny.yml").write_text((project.rules_dir / "tiny.yml").read_text() + "\n# edited\n")
    assert what_changed(project) == ["nlu", "dialogue"]


def test_quick_fine_tunes_the_last_model_only_when_just_examples_of_known_intents_changed(tiny_models, tmp_path):
    project = Project(tmp_path / "p")
    shutil.copytree(tiny_models.project_dir, project.root, ignore=shutil.ignore_patterns("reports", "var", ".rasa"))
    base = Path(load_state(project)["model"])
    with project.nlu_file("en").open("a", encoding="utf-8") as f:
        f.write("    - hello there from the quick test\n")
    assert what_changed(project) == ["nlu"] and quick_base(project, ["nlu"]) == base

    quick = run_trainer(project.root, "train", "--quick")
    assert quick.returncode == 0, quick.stdout[-3000:] + quick.stderr[-3000:]
    assert "fine-tuning" in quick.stdout and "New model: models/candidates/" in quick.stdout, quick.stdout
    state = load_state(project)
    assert state["fine_tuned_from"] == str(base) and Path(state["model"]).exists() and Path(state["model"]) != base

    # a new intent changes the classifier's labels: Rasa cannot fine-tune, so --quick trains normally
    with project.nlu_file("en").open("a", encoding="utf-8") as f:
        f.write("- intent: ask_preschool\n  examples: |\n    - which preschool is near me\n")
    assert what_changed(project) == ["nlu"] and quick_base(project, ["nlu"]) is None


def test_gate_is_per_language_with_a_two_point_margin():
    deployed = {l: {"accuracy": 0.90, "macro_f1": 0.9} for l in ("en", "zh", "ms", "ta")}
    ok = {**deployed, "ms": {"accuracy": 0.881, "macro_f1": 0.85}}
    bad = {**deployed, "ta": {"accuracy": 0.875, "macro_f1": 0.9}}
    assert gate(ok, deployed).passed
    result = gate(bad, deployed)
    assert not result.passed and "Tamil (ta) accuracy dropped 2.5 points" in result.reasons[0]
    assert gate(bad, None).passed  # nothing deployed yet


def test_evaluate_writes_a_report_with_the_four_languages(tiny_models, tmp_path):
    project = tiny_models.fresh_project(tmp_path / "p")
    result = run_trainer(project.root, "evaluate", "--model", str(tiny_models.good))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Regression gate PASSED: nothing deployed yet to compare with" in result.stdout
    page = (project.reports_dir / "index.html").read_text(encoding="utf-8")
    for lang, name in (("en", "English"), ("zh", "Chinese"), ("ms", "Malay"), ("ta", "Tamil")):
        assert f'<section id="{lang}">' in page and f"{name} ({lang})" in page
        png = project.reports_dir / f"confusion-{lang}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert "Misunderstood test messages" in page and "macro-F1" in page
    results = json.loads((project.reports_dir / "results.json").read_text())
    assert set(results["scores"]) == {"en", "zh", "ms", "ta"}
    assert all(s["n"] >= 15 for s in results["scores"].values())
    assert results["scores"]["en"]["accuracy"] >= 0.6  # even 20 epochs on 3 intents learn something


def test_regression_gate_fails_on_the_damaged_model(tiny_models, tmp_path):
    project = tiny_models.fresh_project(tmp_path / "p")
    project.models_dir.mkdir()
    shutil.copy2(tiny_models.good, project.deployed_model)  # what `make run` serves
    result = run_trainer(project.root, "evaluate", "--model", str(tiny_models.damaged))
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Regression gate FAILED" in result.stdout and "Tamil (ta) accuracy dropped" in result.stdout
    assert "English (en) accuracy dropped" not in result.stdout
    page = (project.reports_dir / "index.html").read_text(encoding="utf-8")
    assert "Regression gate FAILED" in page and 'class="bad"' in page
    gates = json.loads((project.reports_dir / "gates.json").read_text())
    assert [g["passed"] for g in gates.values()] == [False]


@pytest.fixture
def rasa_server(tiny_models, tmp_path):
    """A Rasa server like `make run`'s (--enable-api), with a token, serving the good tiny model."""
    project = tiny_models.fresh_project(tmp_path / "served")
    project.models_dir.mkdir()
    shutil.copy2(tiny_models.good, project.deployed_model)
    log = tmp_path / "rasa.log"
    with serve_rasa(project, log, "--auth-token", "s3cret") as (url, proc):
        wait_http(f"{url}/status?token=s3cret", proc, log, timeout=180)
        yield project, url


def test_deploy_refuses_a_failing_model_and_swaps_a_passing_one_without_restart(tiny_models, rasa_server):
    project, url = rasa_server
    env = {"RASA_TOKEN": "s3cret", "RASA_URL": url}
    status = lambda: requests.get(f"{url}/status", params={"token": "s3cret"}, timeout=10).json()  # noqa: E731

    no_token = run_trainer(project.root, "deploy", "--model", str(tiny_models.damaged), env={"RASA_URL": url})
    assert no_token.returncode == 1 and "wants a token" in no_token.stderr, no_token.stderr

    refused = run_trainer(project.root, "deploy", "--model", str(tiny_models.damaged), env=env)
    assert refused.returncode == 1, refused.stdout[-3000:]
    assert "Not deploying: the regression gate failed" in refused.stderr and "Tamil" in refused.stderr
    assert status()["model_file"] == "moments.tar.gz"

    candidate = project.candidates_dir / "moments-20990101-000000.tar.gz"
    candidate.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(tiny_models.good, candidate)
    deployed = run_trainer(project.root, "deploy", env=env)  # the latest candidate
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    assert "Deployed: the server now runs moments-20990101-000000.tar.gz" in deployed.stdout
    now = status()
    assert now["model_file"] == "moments-20990101-000000.tar.gz"
    parsed = requests.post(f"{url}/model/parse", params={"token": "s3cret"}, json={"text": "你好"}, timeout=10).json()
    assert parsed["intent"]["name"] == "greet" and parsed["language"] == "zh"
    record = json.loads((project.reports_dir / "deployed.json").read_text())
    assert record["model_file"] == str(candidate.resolve()) and record["scores"]["ta"]["n"] > 0
