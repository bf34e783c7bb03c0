"""review finds the messages the bot was unsure of in a real SQLite tracker store and writes them correctly.

The store is written by Rasa's own SQLTrackerStore, with trackers whose UserUttered parse data looks
like our pipeline's (intent ranking, nlu_fallback, top-level "language").
"""
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import yaml

from trainer_testkit import run_trainer
from moments.trainer import review as rv
from moments.trainer.nlu_files import read_examples


def parse(text, intent, confidence, language, ranking=()):
    ranking = [{"name": intent, "confidence": confidence}] + [{"name": n, "confidence": c} for n, c in ranking]
    return {"intent": {"name": intent, "confidence": confidence}, "intent_ranking": ranking,
            "entities": [], "text": text, "language": language}


CONVERSATIONS = {
    "ms-parent": [("berapa lama nak dapat duit bonus bayi lepas daftar", "nlu_fallback", 0.45, "ms",
                   [("ask_baby_bonus", 0.41), ("apply_baby_bonus", 0.30)])],
    "zh-parent": [("我的IC是S1234567D，宝宝几时要打下一针", "ask_vaccination_schedule", 0.42, "zh",
                   [("book_appointment", 0.38)]),
                  ("谢谢", "thank", 0.99, "zh", [])],
    "en-parent": [("the app keeps showing error when i submit", "check_status", 0.71, "en", []),
                  ("pls call me at 9123 4567, i want a real person", "human_handoff", 0.93, "en", [])],
    "unknown-lang": [("preschool fees how much ah", "out_of_scope", 0.31, None, [("ask_baby_bonus", 0.2)])],
    "again-ms": [("berapa lama nak dapat duit bonus bayi lepas daftar", "nlu_fallback", 0.40, "ms",
                  [("ask_baby_bonus", 0.39)])],
    "confident": [("hello there", "greet", 0.98, "en", [])],
    "button": [("/greet", "greet", 0.3, None, [])],
}


def seed_tracker_store(db: Path, known_example: str) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    conversations = {**CONVERSATIONS, "already-known": [(known_example, "greet", 0.2, "en", [])]}
    now = time.time() - 3600
    for sender, turns in conversations.items():
        events = []
        for i, (text, intent, conf, lang, ranking) in enumerate(turns):
            data = parse(text, intent, conf, lang, ranking)
            events += [ActionExecuted("action_listen", timestamp=now + i),
                       UserUttered(text, intent=data["intent"], parse_data=data, timestamp=now + i + 0.5)]
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()


@pytest.fixture
def store(project, tmp_path) -> Path:
    db = tmp_path / "tracker.db"
    seed_tracker_store(db, read_examples(project.nlu_file("en"))["greet"][0])
    return db


def test_lists_uncertain_messages_by_language_and_likely_intent_with_personal_data_masked(project, store):
    result = run_trainer(project.root, "review", "--tracker-db", str(store), "--list")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "5 message(s) to review" in out, out
    ms = out.index("== Malay (ms): 1 ==")
    zh = out.index("== Chinese (zh): 1 ==")
    en = out.index("== English (en): 3 ==")
    assert en < zh < ms  # en, zh, ms, ta order
    assert "likely ask_baby_bonus:" in out[ms:]
    assert "berapa lama nak dapat duit bonus bayi lepas daftar" in out and "2x in 2 conversation(s)" in out
    assert "我的IC是S****567D，宝宝几时要打下一针" in out and "S1234567D" not in out
    assert "pls call me at ****4567" in out and "9123 4567" not in out
    assert "came just before a request for a person" in out  # "the app keeps showing error…"
    assert "preschool fees how much ah" in out  # language null -> detected as English
    assert "hello there" not in out and "/greet" not in out  # confident; a button payload
    assert out.count("low confidence") >= 2


def test_decisions_file_writes_examples_creates_new_intents_and_remembers_ignores(project, store, tmp_path):
    template = tmp_path / "decisions.yml"
    result = run_trainer(project.root, "review", "--tracker-db", str(store), "--template", str(template))
    assert result.returncode == 0, result.stderr
    drafted = yaml.safe_load(template.read_text(encoding="utf-8"))
    assert {d["text"] for d in drafted} >= {"berapa lama nak dapat duit bonus bayi lepas daftar"}
    assert all("S1234567D" not in d["text"] for d in drafted)
    # The bot's guesses are comments, never decisions: the file applied unedited adds nothing.
    assert all(d["intent"] is None and d["new_intent"] is None and d["ignore"] is None for d in drafted)
    assert "# the bot guessed ask_baby_bonus" in template.read_text(encoding="utf-8")
    before = project.nlu_file("ms").read_text(encoding="utf-8")
    unedited = run_trainer(project.root, "review", "--tracker-db", str(store), "--decisions", str(template))
    assert unedited.returncode == 0, unedited.stdout + unedited.stderr
    assert "Added 0 example(s)" in unedited.stdout and f"Left {len(drafted)} message(s) undecided" in unedited.stdout
    assert project.nlu_file("ms").read_text(encoding="utf-8") == before

    decisions = [
        {"text": "berapa lama nak dapat duit bonus bayi lepas daftar", "intent": "ask_baby_bonus"},
        {"text": "我的IC是S****567D，宝宝几时要打下一针", "intent": "ask_vaccination_schedule"},
        {"text": "pls call me at ****4567, i want a real person", "ignore": True},
        {"text": "the app keeps showing error when i submit", "new_intent": "report_app_problem"},
        {"text": "preschool fees how much ah", "lang": "en", "ignore": True},
    ]
    template.write_text(yaml.safe_dump(decisions, allow_unicode=True), encoding="utf-8")
    result = run_trainer(project.root, "review", "--tracker-db", str(store), "--decisions", str(template))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Added 3 example(s)" in result.stdout

    assert "berapa lama nak dapat duit bonus bayi lepas daftar" in read_examples(project.nlu_file("ms"))["ask_baby_bonus"]
    zh = project.nlu_file("zh").read_text(encoding="utf-8")
    assert "我的IC是S****567D，宝宝几时要打下一针" in read_examples(project.nlu_file("zh"))["ask_vaccination_schedule"]
    assert "S1234567D" not in zh
    assert (project.domain_dir / "report_app_problem.yml").exists()
    assert read_examples(project.nlu_file("en"))["report_app_problem"] == ["the app keeps showing error when i submit"]
    assert read_examples(project.nlu_file("ta"))["report_app_problem"][0].startswith("TODO")  # still to write
    state = json.loads((project.root / "var" / "trainer" / "review.json").read_text())
    assert len(state["ignored"]) == 2 and not any("4567" in k for k in state["ignored"])

    again = run_trainer(project.root, "review", "--tracker-db", str(store), "--list")
    assert "Nothing to review" in again.stdout, again.stdout


def test_interactive_review(project, store):
    messages = rv.read_user_messages(rv.tracker_store_url(project, db=str(store)))
    items = rv.build_queue(project, messages)
    answers = iter(["?", "no_such_intent", "", "i", "s", "q"])
    shown = []
    decisions = rv.interactive(project, items, ask=lambda prompt: (shown.append(prompt), next(answers))[1],
                               out=open("/dev/null", "w"))
    assert decisions[0].intent == items[0].likely and decisions[0].text == items[0].text
    assert decisions[1].ignore
    assert len(decisions) == 2
    assert all("S1234567D" not in p and "9123 4567" not in p for p in shown)


def test_tracker_store_from_endpoints_resolves_sqlite_path_from_the_project_root(project):
    (project.root / "endpoints.yml").write_text('tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "var/tracker.db"\n')
    with pytest.raises(rv.NoConversationsYet):  # no such file yet: nothing to review, said as such
        rv.tracker_store_url(project)
    (project.root / "var").mkdir(exist_ok=True)
    (project.root / "var" / "tracker.db").touch()
    url = rv.tracker_store_url(project)
    assert url == f"sqlite:///{project.root / 'var' / 'tracker.db'}"
