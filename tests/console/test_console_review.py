"""Review for trainers: messages the bot was unsure of, from the tracker store, grouped by language and likely intent,
masked; one click adds one to the training data of a copy of the project (the same code as add-examples)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from console_testkit import axe_violations, browser_login, conversation, csrf_of, shot
from moments.trainer.nlu_files import norm, read_examples

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trainer"))
from trainer_testkit import copy_project  # noqa: E402

TAMIL = "குழந்தை போனஸ் பணம் எப்ப கிடைக்கும் சொல்லுங்க"   # "when do I get the baby bonus money, tell me"
NRIC = "my IC is S1234567D can I check bonus"


def fill(store) -> None:
    store.save("ta-1", conversation("ta", (TAMIL, "nlu_fallback", 0.31), channel="sms"))
    store.save("en-1", conversation("en", (NRIC, "ask_baby_bonus", 0.42)))
    store.save("en-2", conversation("en", ("how much is the cash gift for twins", "ask_baby_bonus", 0.97),
                                    ("no", "deny", 0.99)))
    store.save("ms-1", conversation("ms", ("bila suntikan MMR anak saya", "ask_vaccination_schedule", 0.9),
                                    ("bila suntikan MMR anak saya ni", "ask_vaccination_schedule", 0.9)))


def items_on(html: str) -> list:
    return [m for m in re.findall(r'<p class="text"[^>]*>“(.*?)”</p>', html)]


def test_the_trainer_fixes_a_misunderstood_tamil_message(store, console_for, tmp_path):
    project = copy_project(tmp_path / "project")
    fill(store)
    console = console_for(store, project.root)
    s = console.session("trainer")
    page = s.get(f"{console.url}/review", timeout=60)
    assert page.status_code == 200, page.text
    shown = items_on(page.text)
    assert TAMIL in shown
    # masked for the trainer: never the NRIC itself
    assert "S1234567D" not in page.text and "S****567D" in page.text
    # a "no" right after a confident answer, and a message said twice, are there too
    assert "how much is the cash gift for twins" in shown
    assert "the user said no right after the answer" in page.text
    assert "the user repeated it" in page.text
    # grouped by language: the Tamil filter shows only it
    tamil = s.get(f"{console.url}/review?lang=ta", timeout=60).text
    assert items_on(tamil) == [TAMIL]
    assert "Tamil" in tamil and "The bot leaned to: ask_baby_bonus" in tamil or "The bot leaned to:" in tamil

    r = s.post(f"{console.url}/review?lang=ta", data={"csrf": csrf_of(tamil), "text": TAMIL, "lang": "ta",
                                                      "intent": "ask_baby_bonus", "action": "add"}, timeout=60)
    assert r.status_code == 200, r.text
    assert "Added 1 example(s)" in r.text
    assert norm(TAMIL) in {norm(e) for e in read_examples(project.nlu_file("ta"))["ask_baby_bonus"]}
    assert TAMIL not in items_on(r.text)  # in the data now: not to review any more
    # who did it is kept, never what the message said
    audit = (Path(console.env["MOMENTS_VAR_DIR"]) / "logs" / "console-audit.log").read_text(encoding="utf-8")
    assert '"by": "trainer"' in audit and '"intent": "ask_baby_bonus"' in audit and TAMIL not in audit


def test_out_of_scope_ignore_and_refusals(store, console_for, tmp_path):
    project = copy_project(tmp_path / "project")
    fill(store)
    console = console_for(store, project.root)
    s = console.session("trainer")
    csrf = csrf_of(s.get(f"{console.url}/review", timeout=60).text)
    masked = "my IC is S****567D can I check bonus"
    r = s.post(f"{console.url}/review", data={"csrf": csrf, "text": masked, "lang": "en", "action": "ignore"},
               timeout=60)
    assert "Ignored 1 message(s)" in r.text and masked not in items_on(r.text)
    r = s.post(f"{console.url}/review", data={"csrf": csrf, "text": "bila suntikan MMR anak saya", "lang": "ms",
                                              "action": "out_of_scope"}, timeout=60)
    assert "ms/out_of_scope" in r.text
    # a new intent: scaffolded as make add-intent does it, the message its first Tamil example
    r = s.post(f"{console.url}/review", data={"csrf": csrf, "text": TAMIL, "lang": "ta", "action": "add",
                                              "new_intent": "ask_bonus_payment_date"}, timeout=120)
    assert "Created new intent(s): ask_bonus_payment_date" in r.text, r.text[-3000:]
    assert (project.domain_dir / "ask_bonus_payment_date.yml").exists()
    assert norm(TAMIL) in {norm(e) for e in read_examples(project.nlu_file("ta"))["ask_bonus_payment_date"]}
    # a bad new intent name, or no language: said, not a 500
    r = s.post(f"{console.url}/review", data={"csrf": csrf, "text": "x", "lang": "en", "new_intent": "Bad Name!",
                                              "action": "add"}, timeout=60)
    assert r.status_code == 400 and "cannot be an intent name" in r.text
    r = s.post(f"{console.url}/review", data={"csrf": csrf, "text": "x", "lang": "xx", "action": "add"}, timeout=60)
    assert r.status_code == 400 and "which language" in r.text
    # an unknown intent goes through add_examples' own check
    r = s.post(f"{console.url}/review", data={"csrf": csrf, "text": "how much is the cash gift for twins",
                                              "lang": "en", "intent": "no_such_intent", "action": "add"}, timeout=60)
    assert "There is no intent no_such_intent" in r.text


def test_conflicting_examples_are_shown(store, console_for, tmp_path):
    project = copy_project(tmp_path / "project")
    existing = read_examples(project.nlu_file("en"))["ask_baby_bonus"][0]
    store.save("c", conversation("en", (existing + " ah", "greet", 0.3)))
    console = console_for(store, project.root)
    page = console.session("trainer").get(f"{console.url}/review", timeout=60).text
    assert "Reads like existing examples" in page and "(ask_baby_bonus)" in page


def test_review_page_in_a_browser(store, console_for, tmp_path, browser):
    project = copy_project(tmp_path / "project")
    fill(store)
    console = console_for(store, project.root)
    page = browser_login(browser, console, "trainer")
    assert page.url.endswith("/review")
    item = page.locator(".review-item", has_text=TAMIL)
    item.get_by_label("Intent", exact=True).select_option("ask_baby_bonus")
    item.get_by_role("button", name="Add as example").click()
    page.wait_for_selector("#result")
    assert "Added 1 example(s)" in page.locator("#result").inner_text()
    shot(page, "review-trainer")
    assert not page.console_errors, page.console_errors
    violations = axe_violations(browser_login(browser, console, "trainer", axe=True))
    assert not violations, violations
