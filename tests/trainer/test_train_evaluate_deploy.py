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
from moments.trainer.training import input_digests, language_digests, load_state, quick_base, what_changed

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


def _scores(accuracy: float, n: int = 100, wrong=()):
    return {"accuracy": accuracy, "macro_f1": accuracy, "n": n,
            "misclassified": [{"text": t, "expected": "x", "predicted": "y"} for t in wrong]}


def test_gate_fails_a_language_only_beyond_retraining_noise():
    langs = ("en", "zh", "ms", "ta")
    deployed = {l: _scores(0.90, wrong=[f"{l}{i}" for i in range(10)]) for l in langs}
    # Malay: 3 points down, but 4 messages went wrong and 1 came right: a retraining does that (McNemar).
    noisy = {**deployed, "ms": _scores(0.87, wrong=[f"ms{i}" for i in range(1, 10)] + ["a", "b", "c", "d"])}
    # Tamil: 6 lost, none won back: beyond noise.
    worse = {**deployed, "ta": _scores(0.84, wrong=[f"ta{i}" for i in range(10)] + list("abcdef"))}
    small = {**deployed, "zh": _scores(0.885, wrong=[f"zh{i}" for i in range(10)] + ["a"])}  # 1.5 points: always ok
    assert gate(noisy, deployed).passed and gate(small, deployed).passed
    result = gate(worse, deployed)
    assert not result.passed and result.failed_languages == ["ta"], result.reasons
    assert "Tamil (ta) accuracy dropped 6.0 points" in result.reasons[0] and "net loss of 6" in result.reasons[0]
    assert "more than the 2" not in " ".join(result.reasons)  # no "2.0 … more than the 2"
    assert gate(worse, None).passed  # nothing deployed yet
    # Without per-message results: the binomial noise of 100 test messages at 87-90% is ~7 points.
    plain = {l: {"accuracy": 0.90, "macro_f1": 0.9, "n": 100} for l in langs}
    assert gate({**plain, "ms": {"accuracy": 0.86, "macro_f1": 0.86, "n": 100}}, plain).passed
    assert not gate({**plain, "ms": {"accuracy": 0.78, "macro_f1": 0.78, "n": 100}}, plain).passed


def test_gate_is_one_decision_with_the_data_checks_and_the_test_messages():
    same = {l: _scores(0.9) for l in ("en", "zh", "ms", "ta")}
    assert gate(same, same).passed
    checks = gate(same, same, validation=["data/nlu/ta.yml, intent greet: 3 examples"])
    assert not checks.passed and checks.parts["validation"] is False and "data checks" in checks.reasons[0]
    untested = gate(same, same, untested={"ask_preschool": ["zh", "ms", "ta"]})
    assert not untested.passed and "ask_preschool in Chinese, Malay, Tamil" in untested.reasons[0]
    experiment = gate(same, same, experiment="x.tar.gz was trained with NO_VALIDATE=1")
    assert not experiment.passed and "NO_VALIDATE=1" in experiment.reasons[0]


def test_evaluate_writes_a_report_with_the_four_languages(tiny_models, tmp_path):
    project = tiny_models.fresh_project(tmp_path / "p")
    result = run_trainer(project.root, "evaluate", "--model", str(tiny_models.good))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Regression gate PASSED" in result.stdout and "nothing deployed yet to compare with" in result.stdout
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


def test_quick_that_drifts_on_an_untouched_language_falls_back_to_a_full_training(tiny_models, tmp_path):
    """The last model learnt Tamil wrong (damaged); the trainer adds one English and one Chinese example and trains
    QUICK=1. The fine-tune is given no epochs at all (MOMENTS_QUICK_EPOCH_FRACTION=0: Rasa trains ceil(0 x epochs)
    = 0), so the quick model is the last model with the new words in its vocabulary, as bad at Tamil as the damaged
    one: deterministic, where a fraction of an epoch on a model that had merely never seen Tamil learnt enough back
    to pass. Tamil's examples were not touched: the trainer is not told to "fix the data", the full training runs
    by itself and passes."""
    project = Project(tmp_path / "p")
    shutil.copytree(tiny_models.project_dir, project.root, ignore=shutil.ignore_patterns("reports", "var", ".rasa"))
    shutil.copy2(tiny_models.good, project.deployed_model)  # live: the good model
    state = load_state(project)
    state["languages"] = language_digests(project)  # Tamil as it is now is what the last training saw
    (project.candidates_dir / ".last_training.json").write_text(json.dumps(state))
    for lang, text in (("en", "hello there, good morning to you"), ("zh", "各位早上好，我想问点事情")):
        run = run_trainer(project.root, "add-examples", "greet", "--lang", lang, text)
        assert run.returncode == 0, run.stdout + run.stderr
    quick = run_trainer(project.root, "train", "--quick", env={"MOMENTS_QUICK_EPOCH_FRACTION": "0"}, timeout=1800)
    out = quick.stdout
    assert "fine-tuning" in out, out[-3000:]
    assert "Tamil, a language whose examples you did not change" in out, out[-4000:]
    assert "Training the full model now, by itself" in out
    assert quick.returncode == 0 and out.rstrip().count("Regression gate PASSED") == 1, out[-4000:]
    assert load_state(project)["fine_tuned_from"] is None  # the candidate is the full training
    assert "fix the data" not in out


@pytest.fixture
def rasa_server(tiny_models, tmp_path):
    """The Rasa server as `make run` starts it (moments.serve: API behind a generated token), serving the good
    tiny model."""
    project = tiny_models.fresh_project(tmp_path / "served")
    project.models_dir.mkdir()
    shutil.copy2(tiny_models.good, project.deployed_model)
    log = tmp_path / "rasa.log"
    with serve_rasa(project, log) as (url, proc, token):
        wait_http(f"{url}/status?token={token}", proc, log, timeout=180)
        yield project, url, token, tmp_path / "secrets.env"


def _variant(model: Path, dst: Path) -> Path:
    """The same model in a file with another sha256 (gzip header time), as a retraining of the same data gives."""
    import gzip

    dst.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(model, "rb") as src, gzip.GzipFile(dst, "wb", mtime=1234567) as out:
        shutil.copyfileobj(src, out)
    return dst


def test_deploy_gates_confirms_the_server_records_history_and_rolls_back(tiny_models, rasa_server):
    from moments.trainer.training import mark_experiment

    project, url, token, secrets_file = rasa_server
    # No RASA_TOKEN: deploy reads the token from the installation's secrets file.
    env = {"RASA_URL": url, "MOMENTS_SECRETS_FILE": str(secrets_file), "RASA_TOKEN": "", "RASA_AUTH_TOKEN": ""}
    status = lambda: requests.get(f"{url}/status", params={"token": token}, timeout=10).json()  # noqa: E731

    wrong = run_trainer(project.root, "deploy", "--model", str(tiny_models.good), env={**env, "RASA_TOKEN": "nope"})
    assert wrong.returncode == 1 and "did not accept the token (401)" in wrong.stderr, wrong.stderr
    assert f"RASA_TOKEN=<its --auth-token> make deploy RASA_URL={url}" in wrong.stderr

    candidate = _variant(tiny_models.good, project.candidates_dir / "moments-20990101-000000.tar.gz")
    unconfirmed = run_trainer(project.root, "deploy", env=env)
    assert unconfirmed.returncode == 1, unconfirmed.stdout + unconfirmed.stderr
    assert f"Nothing was deployed to {url} from this checkout before" in unconfirmed.stderr
    assert f"make deploy RASA_URL={url} CONFIRM=1" in unconfirmed.stderr
    assert status()["model_file"] == "moments.tar.gz"

    refused = run_trainer(project.root, "deploy", "--yes", "--model", str(tiny_models.damaged), env=env)
    assert refused.returncode == 1, refused.stdout[-3000:]
    assert "Not deploying: the gate failed" in refused.stderr and "Tamil" in refused.stderr
    experiment = _variant(tiny_models.good, project.candidates_dir / "experiment-20990101-000000.tar.gz")
    mark_experiment(project, experiment, f"{experiment.name} was trained with NO_VALIDATE=1 (an experiment)")
    no = run_trainer(project.root, "deploy", "--yes", "--model", str(experiment), env=env)
    assert no.returncode == 1 and "NO_VALIDATE=1" in no.stderr, no.stdout + no.stderr
    experiment.unlink()
    assert status()["model_file"] == "moments.tar.gz"

    deployed = run_trainer(project.root, "deploy", env={**env, "CONFIRM": "1"})  # the latest candidate
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    out = deployed.stdout
    assert f"Server: {url}" in out and "Live now: moments.tar.gz" in out and "What changes:" in out
    assert f"Deployed: the server at {url} now runs moments-20990101-000000.tar.gz" in out
    assert f"To undo: make deploy ROLLBACK=1 RASA_URL={url}" in out
    assert status()["model_file"] == "moments-20990101-000000.tar.gz"
    parsed = requests.post(f"{url}/model/parse", params={"token": token}, json={"text": "你好"}, timeout=10).json()
    assert parsed["intent"]["name"] == "greet" and parsed["language"] == "zh"
    record = json.loads((project.reports_dir / "deployed.json").read_text())
    assert record["model_file"] == str(candidate.resolve()) and record["scores"]["ta"]["n"] > 0

    back = run_trainer(project.root, "deploy", "--rollback", env=env)  # same server as last time: no question
    assert back.returncode == 0, back.stdout[-3000:] + back.stderr[-3000:]
    assert "Rolled back: the server at" in back.stdout and "previous-live-" in back.stdout, back.stdout
    assert status()["model_file"].startswith("previous-live-")
    again = run_trainer(project.root, "deploy", env=env)  # the newest candidate is the one rolled back from
    assert again.returncode == 1 and "it was rolled back" in again.stderr, again.stdout + again.stderr
    assert "make deploy MODEL=models/candidates/moments-20990101-000000.tar.gz" in again.stderr
    assert status()["model_file"].startswith("previous-live-")
    history = json.loads((project.reports_dir / "deployments.json").read_text())["deployments"]
    assert [Path(h["model_file"]).name.split("-")[0] for h in history] == ["previous", "moments", "previous"]
    assert history[-1]["rollback_of"] == history[1]["sha256"]
