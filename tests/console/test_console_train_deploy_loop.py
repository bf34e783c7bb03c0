"""Done when: a trainer who never opened a terminal finds a misunderstood Tamil message in the console, fixes it,
trains, sees the gate pass and deploys (then rolls back) — in a browser, on a copy of a (tiny) project, against the
Rasa server as `make run` starts it. Trains a tiny model twice (~1-2 minutes each)."""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest
import requests

from console_testkit import browser_login, conversation, shot
from moments.evaluation.stack import wait_http
from moments.trainer.nlu_files import norm, read_examples

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trainer"))
from trainer_testkit import make_tiny_project, rasa_server, run_trainer  # noqa: E402

pytestmark = pytest.mark.slow

TAMIL = "போனஸ் காசு எப்போ என் அக்கவுண்ட்ல வரும்"   # "when does the bonus money come into my account"


def wait_job(page, timeout: float = 900) -> str:
    """The Train & deploy page refreshes itself while a job runs; the status once it is done."""
    deadline = time.monotonic() + timeout
    from playwright.sync_api import Error

    while time.monotonic() < deadline:
        try:
            page.wait_for_load_state()
            status = page.locator("#job-status").inner_text(timeout=10000)
        except Error:  # the page was refreshing itself meanwhile
            continue
        if "running" not in status:
            return status
        time.sleep(2)
    raise AssertionError("the console's job did not finish: " + page.locator("#job-log").inner_text()[-3000:])


def test_review_train_evaluate_deploy_and_roll_back_from_the_console(store, console_for, tmp_path, browser):
    project = make_tiny_project(tmp_path / "tiny")
    first = run_trainer(project.root, "train")           # what is live before the trainer starts
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    project.models_dir.mkdir(exist_ok=True)
    shutil.copy2(project.latest_candidate(), project.deployed_model)
    live_before = project.deployed_model.name

    store.save("ta-parent", conversation("ta", (TAMIL, "nlu_fallback", 0.28), channel="sms"))
    with rasa_server(project, tmp_path / "rasa.log") as (url, proc, token):
        wait_http(f"{url}/status?token={token}", proc, tmp_path / "rasa.log", timeout=240)
        status = lambda: requests.get(f"{url}/status", params={"token": token}, timeout=10).json()  # noqa: E731
        assert status()["model_file"] == live_before
        console = console_for(store, project.root, CONSOLE_RASA_URL=url, RASA_AUTH_TOKEN=token)
        page = browser_login(browser, console, "trainer")

        # 1. review: the Tamil message the bot did not understand -> ask_baby_bonus
        page.goto(f"{console.url}/review?lang=ta")
        item = page.locator(".review-item", has_text=TAMIL)
        item.get_by_label("Intent", exact=True).select_option("ask_baby_bonus")
        item.get_by_role("button", name="Add as example").click()
        page.wait_for_selector("#result")
        assert "Added 1 example(s)" in page.locator("#result").inner_text()
        assert norm(TAMIL) in {norm(e) for e in read_examples(project.nlu_file("ta"))["ask_baby_bonus"]}

        # 2. train (quick: fine-tunes the live model with the new example), progress on the page
        page.goto(f"{console.url}/train")
        page.get_by_label("Quick", exact=False).check()
        page.get_by_role("button", name="Train", exact=True).click()
        done = wait_job(page)
        assert "done" in done, page.locator("#job-log").inner_text()[-3000:]
        candidate = page.locator("#candidate").inner_text()
        assert candidate.startswith("models/candidates/")

        # 3. evaluate: the gate passes
        page.get_by_role("button", name="Evaluate the newest candidate").click()
        done = wait_job(page)
        assert "The gate passed" in done, page.locator("#job-log").inner_text()[-3000:]
        assert "passed" in page.locator("#gate").inner_text()
        assert page.locator("#scores tbody tr").count() == 4
        shot(page, "train-gate-passed")

        # 4. deploy: the server answers with the new model, and the history shows it
        page.get_by_role("button", name="Deploy the newest candidate").click()
        done = wait_job(page)
        assert "Deployed" in done, page.locator("#job-log").inner_text()[-3000:]
        assert status()["model_file"] == Path(candidate).name
        assert Path(candidate).name in page.locator("#history").inner_text()
        parsed = requests.post(f"{url}/model/parse", params={"token": token}, json={"text": TAMIL}, timeout=30).json()
        assert parsed["intent"]["name"] == "ask_baby_bonus"

        # 5. roll back (gated the same way; confirmed in case the old model scores lower)
        page.get_by_label("Roll back even if").check()
        page.get_by_role("button", name="Roll back to the previous model").click()
        done = wait_job(page)
        assert "Rolled back" in done, page.locator("#job-log").inner_text()[-3000:]
        assert status()["model_file"] != Path(candidate).name
        shot(page, "train-rolled-back")
