"""The trainer's Data page (examples side by side in four languages, validate's warnings, responses per language) and
the Train & deploy page before anything was trained, in a browser with axe."""
from __future__ import annotations

import sys
from pathlib import Path

from console_testkit import axe_violations, browser_login, shot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trainer"))
from trainer_testkit import copy_project  # noqa: E402


def test_data_page_shows_each_intent_in_four_languages_and_what_is_missing(store, console_for, tmp_path):
    project = copy_project(tmp_path / "project")
    # a Malay response removed and a Tamil intent emptied: both flagged
    ta = project.nlu_file("ta")
    text = ta.read_text(encoding="utf-8")
    start = text.index("- intent: thank")
    end = text.find("\n- intent:", start + 1)
    ta.write_text(text[:start] + text[end + 1:] if end > 0 else text[:start], encoding="utf-8")
    console = console_for(store, project.root)
    s = console.session("trainer")
    page = s.get(f"{console.url}/data?intent=thank", timeout=120)
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="intent-thank"' in html and "Tamil <span class=\"missing\">(0)</span>" in html
    assert "English <span class=\"\">(" in html
    # make validate's warning, under the intent it is about
    section = html[html.index('id="intent-thank"'):]
    assert "Tamil has 0 example(s) of thank" in section[:section.index('class="side"')]
    full = s.get(f"{console.url}/data", timeout=120).text
    assert 'id="responses"' in full and "utter_greet" in full


def test_train_page_before_any_training(store, console_for, tmp_path):
    project = copy_project(tmp_path / "project")
    console = console_for(store, project.root)
    html = console.session("trainer").get(f"{console.url}/train", timeout=60).text
    assert "Nothing running." in html and "Newest candidate: none yet" in html
    assert '<button type="submit" id="deploy" disabled>' in html  # no gate passed: no deploying


def test_data_and_train_pages_in_a_browser(store, console_for, tmp_path, browser):
    project = copy_project(tmp_path / "project")
    console = console_for(store, project.root)
    page = browser_login(browser, console, "trainer", axe=True)
    page.goto(f"{console.url}/data?intent=ask_baby_bonus")
    assert page.locator("#intent-ask_baby_bonus .side > div").count() == 4
    shot(page, "data-trainer")
    violations = axe_violations(page)
    assert not violations, violations
    page.goto(f"{console.url}/train")
    assert page.get_by_role("button", name="Train").is_enabled()
    violations = axe_violations(page)
    assert not violations, violations


def test_editing_an_intents_examples_goes_through_add_examples_checks(store, console_for, tmp_path):
    from console_testkit import csrf_of
    from moments.trainer.nlu_files import read_examples

    project = copy_project(tmp_path / "project")
    console = console_for(store, project.root)
    s = console.session("trainer")
    page = s.get(f"{console.url}/data?intent=ask_baby_bonus", timeout=120)
    current = read_examples(project.nlu_file("ms"))["ask_baby_bonus"]
    other = read_examples(project.nlu_file("ms"))["greet"][0]
    edited = current[1:] + ["berapa duit baby bonus untuk anak kembar tiga", other]
    r = s.post(f"{console.url}/data/examples", data={"csrf": csrf_of(page.text), "intent": "ask_baby_bonus",
                                                     "lang": "ms", "examples": "\n".join(edited)}, timeout=120)
    assert r.status_code == 200, r.text
    after = read_examples(project.nlu_file("ms"))["ask_baby_bonus"]
    assert "berapa duit baby bonus untuk anak kembar tiga" in after
    assert current[0] not in after and "Removed 1 example(s)" in r.text
    assert other not in after and "already an example of greet" in r.text  # add_examples' own check
    bad = s.post(f"{console.url}/data/examples", data={"csrf": csrf_of(page.text), "intent": "nope", "lang": "ms",
                                                       "examples": "x"}, timeout=60)
    assert bad.status_code == 400 and "Choose an intent" in bad.text
