"""`validate` catches each kind of mistake a trainer can make — one planted mistake per check.

Each test plants one mistake in a temporary copy of the data and expects a problem of that kind that
was not there before (the checkout's own data may be mid-edit by others; only the difference counts).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, List

import pytest
import yaml

from trainer_testkit import run_trainer
from moments.trainer import validate as v
from moments.trainer.nlu_files import merge_examples, read_examples
from moments.trainer.project import Project


def new_problems(project: Project, check: Callable, plant: Callable[[], None]) -> List[v.Problem]:
    before = {(p.where, p.message) for p in check(v.Data.load(project))}
    plant()
    return [p for p in check(v.Data.load(project)) if (p.where, p.message) not in before]


def write_nlu_block(path: Path, intent: str, examples: List[str]) -> None:
    text = path.read_text(encoding="utf-8").rstrip("\n")
    text += f"\n\n- intent: {intent}\n  examples: |\n" + "".join(f"    - {e}\n" for e in examples)
    path.write_text(text, encoding="utf-8")


def test_tiny_project_passes_all_our_checks(tiny_project):
    report = v.validate(tiny_project, run_rasa=False)
    assert report.ok, v.format_report(report)


def test_too_few_examples_in_one_language(project):
    def plant():
        path = project.nlu_file("ms")
        examples = read_examples(path)["ask_baby_bonus"]
        text = path.read_text(encoding="utf-8")
        for e in examples[5:]:
            text = text.replace(f"    - {e}\n", "", 1)
        path.write_text(text, encoding="utf-8")

    found = new_problems(project, v.check_enough_examples, plant)
    assert [p for p in found if p.check == "too-few-examples" and "ask_baby_bonus" in p.where
            and "ms.yml" in p.where and "needs at least 20" in p.message], found


def test_same_example_under_two_intents(project):
    greeting = read_examples(project.nlu_file("en"))["greet"][0]
    found = new_problems(project, v.check_duplicates,
                         lambda: merge_examples(project.nlu_file("en"), "goodbye", [greeting.upper() + "!"]))
    assert [p for p in found if p.check == "duplicate" and greeting in p.message and "greet" in p.message], found


def test_near_duplicate_across_intents(project):
    source = max(read_examples(project.nlu_file("en"))["ask_baby_bonus"], key=len)
    near = source[:-1] + ("x" if source[-1] != "x" else "y")  # one letter differs
    found = new_problems(project, v.check_near_duplicates,
                         lambda: merge_examples(project.nlu_file("en"), "apply_baby_bonus", [near]))
    assert [p for p in found if p.check == "near-duplicate" and near in p.message], found


@pytest.mark.parametrize("lang, yes, no, twin", [
    ("ms", "betul sekali", "x betul sekali", "betul sekalii"),  # SMS Malay: x = tak
    ("en", "i can make it on monday morning", "i cant make it on monday morning", "i can make it on monday mornin"),
    ("zh", "这个日期是对的", "这个日期是不对的", "这个日期是对的啦"),
])
def test_a_message_and_its_negation_are_not_near_duplicates(project, lang, yes, no, twin):
    """One letter or word apart, opposite meanings: affirm and deny may hold them both. The same message with a
    typo instead of the negation is still a near-duplicate."""
    path = project.nlu_file(lang)
    found = new_problems(project, v.check_near_duplicates,
                         lambda: (merge_examples(path, "affirm", [yes]), merge_examples(path, "deny", [no])))
    assert not [p for p in found if f"'{yes}'" in p.message and f"'{no}'" in p.message], found
    found = new_problems(project, v.check_near_duplicates, lambda: merge_examples(path, "greet", [twin]))
    assert [p for p in found if f"'{yes}'" in p.message and f"'{twin}'" in p.message], found


def test_response_missing_a_language(project):
    def plant():
        (project.domain_dir / "broken.yml").write_text(
            'version: "3.1"\nresponses:\n  utter_half_done:\n'
            '    - text: "Only English so far"\n'
            '    - condition: [{type: slot, name: language, value: zh}]\n      text: "只有中文"\n'
            '    - condition: [{type: slot, name: language, value: ms}]\n      text: "TODO translate"\n',
            encoding="utf-8")

    found = new_problems(project, v.check_responses, plant)
    messages = " | ".join(p.message for p in found)
    assert "utter_half_done has no text in ta" in messages, messages
    assert "utter_half_done in Malay still says TODO" in messages, messages


def test_sms_texts_may_be_shorter_but_not_invent_a_placeholder_or_miss_a_language(project):
    """`channel: sms` variations leave out details to stay short (fine); one that names a value the English
    text does not have, or a language without its SMS text, is reported."""
    web = ('    - text: "Booked {child} at {clinic} on {when}."\n'
           '    - condition: [{type: slot, name: language, value: zh}]\n      text: "已为{child}预约{clinic}，{when}。"\n'
           '    - condition: [{type: slot, name: language, value: ms}]\n      text: "Ditempah {child} di {clinic}, {when}."\n'
           '    - condition: [{type: slot, name: language, value: ta}]\n      text: "{child} {clinic} {when} பதிவானது."\n')

    def sms(lang, text):
        return f'    - channel: sms\n      condition: [{{type: slot, name: language, value: {lang}}}]\n      text: "{text}"\n'

    def plant():
        (project.domain_dir / "sms.yml").write_text(
            'version: "3.1"\nresponses:\n  utter_short_sms:\n' + web + sms("en", "Booked {when}.")
            + sms("zh", "已预约 {when}。") + sms("ms", "Ditempah {when}.") + sms("ta", "{when} பதிவானது.")
            + '  utter_bad_sms:\n' + web + sms("en", "Booked {when}, ref {reference}.") + sms("zh", "已预约 {when}。"),
            encoding="utf-8")

    found = new_problems(project, v.check_responses, plant)
    messages = " | ".join(p.message for p in found)
    assert "utter_short_sms" not in messages, messages
    assert "utter_bad_sms's SMS text in en uses {reference}, which the English text does not have" in messages
    assert "utter_bad_sms has SMS texts, but none in ms, ta" in messages, messages


def test_intent_not_used_in_any_rule_or_story(project):
    def plant():
        (project.domain_dir / "lonely.yml").write_text('version: "3.1"\nintents:\n  - ask_lonely\n', encoding="utf-8")

    found = new_problems(project, v.check_intents_used, plant)
    assert [p.check for p in found] == ["unused-intent"] and "ask_lonely" in found[0].message, found


@pytest.mark.parametrize("bad, expected", [
    ("can you speak [Tamil](language", "broken"),
    ("switch to [Tamil]{\"entity\": \"language\"", "broken"),
    ("switch to [Tamil](mother_tongue) please", "does not declare"),
])
def test_entity_annotations_must_parse(project, bad, expected):
    found = new_problems(project, v.check_entities,
                         lambda: merge_examples(project.nlu_file("en"), "change_language", [bad]))
    assert [p for p in found if p.check == "entity" and expected in p.message], found


def test_good_entity_annotation_is_accepted(project):
    found = new_problems(project, v.check_entities,
                         lambda: merge_examples(project.nlu_file("en"), "change_language",
                                                ["please answer in [Tamil](language) from now"]))
    assert found == []


def test_placeholders_from_add_intent_are_flagged_until_replaced(project):
    result = run_trainer(project.root, "add-intent", "ask_preschool")
    assert result.returncode == 0, result.stderr
    problems = v.check_placeholders(v.Data.load(project))
    flagged = {p.where for p in problems if "ask_preschool" in p.where}
    assert len(flagged) == 8, flagged  # 4 training files + 4 test files


def test_examples_for_an_intent_the_domain_lacks(project):
    found = new_problems(project, v.check_unknown_intents,
                         lambda: write_nlu_block(project.nlu_file("zh"), "ask_preschol", ["幼儿园怎么报名"]))
    assert [p for p in found if p.check == "unknown-intent" and "ask_preschol" in p.message], found


def test_test_set_example_also_in_training(project):
    leaked = read_examples(project.heldout_file("ta"))["ask_baby_bonus"][0]
    found = new_problems(project, v.check_heldout_leaks,
                         lambda: merge_examples(project.nlu_file("ta"), "ask_baby_bonus", [leaked]))
    assert [p for p in found if p.check == "heldout-leak" and leaked in p.message], found


def test_rasa_data_validate_complaints_are_reported(tiny_project):
    rule = tiny_project.rules_dir / "tiny.yml"
    doc = yaml.safe_load(rule.read_text())
    doc["rules"][0]["steps"][1]["action"] = "utter_does_not_exist"
    rule.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = run_trainer(tiny_project.root, "validate")
    assert result.returncode == 1
    assert "[rasa]" in result.stdout and "utter_does_not_exist" in result.stdout, result.stdout[-3000:]


def test_responses_only_code_sends_are_not_reported_as_unused(tiny_project):
    """Rasa warns about a response no rule or story uses; one an action in a sub-package of actions/ sends, or
    one the Rasa server's own code sends (utter_action_server_down), is used all the same."""
    from moments.resilience import FALLBACK_RESPONSE

    (tiny_project.root / "actions" / "journey").mkdir(parents=True)
    (tiny_project.root / "actions" / "journey" / "form.py").write_text(
        'dispatcher.utter_message(response="utter_sent_from_a_sub_package")\n')
    sent = v.responses_sent_by_code(tiny_project, tiny_project.domain())
    assert {"utter_sent_from_a_sub_package", FALLBACK_RESPONSE} <= sent
    assert "utter_does_not_exist" not in sent and "utter_greet" not in sent  # tiny's rules use it; no code does


def test_cli_json_lists_problem_kinds(tiny_project):
    merge_examples(tiny_project.nlu_file("en"), "greet", ["[broken(language"])
    result = run_trainer(tiny_project.root, "validate", "--skip-rasa", "--json")
    assert result.returncode == 1
    import json
    kinds = {p["check"] for p in json.loads(result.stdout)["problems"]}
    assert kinds == {"entity"}, result.stdout
