"""The action server dies or hangs: the citizen is told in their language within seconds, and nothing raw is kept.

A stack of its own (agencies, action server, Rasa with the trained model): these tests kill and freeze its action
server, which the session's shared stack must never see. moments/resilience.py is what they exercise.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from testkit import MODEL, Servers, logged_in, notify_birth, texts, written_in
from moments.evaluation.stack import BIN, wait_http

pytestmark = pytest.mark.slow

APOLOGY = {  # a phrase of utter_action_server_down in each language
    "en": "something went wrong on our side", "zh": "出了点问题", "ms": "masalah di pihak kami", "ta": "கோளாறு"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip("no trained model: `make train` first (make test does it)")
    s = Servers(tmp_path_factory.mktemp("failures"))
    s.env["MOMENTS_ACTION_TIMEOUT"] = "4"
    try:
        s.start_assistant(MODEL)
        yield s
    finally:
        s.stop()


def action_server(stack: Servers) -> subprocess.Popen:
    return next(p for p in stack.procs if "actions" in p.args and p.poll() is None)


def restart_action_server(stack: Servers) -> None:
    port = stack.actions_url.rsplit(":", 1)[1]
    stack.start("actions", [str(BIN / "python"), "-m", "moments.serve", "actions", "--actions", "actions",
                            "--port", port], f"{stack.actions_url}/health")


def test_action_server_down_mid_form_says_so_keeps_answers_and_stores_no_raw_answer(stack):
    chat = logged_in(stack, "tan")
    baby = notify_birth(stack, "tan", days_ago=2, sex="M", at="09:30", weight_g=3200)
    chat.say("I want to register my baby's birth")
    chat.say("yes")  # MyInfo consent
    replies = chat.say(baby["enlb_number"])
    assert chat.slot("birth_notification") == baby["enlb_number"], texts(replies)
    assert chat.last_responses() == ["utter_ask_birth_child_name"], texts(replies)

    proc = action_server(stack)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    started = time.monotonic()
    replies = chat.say("Tan Jun Wei")
    took = time.monotonic() - started
    said = " ".join(texts(replies))
    assert replies, "the user was told nothing"
    assert APOLOGY["en"] in said, said
    assert took < 15, took
    assert chat.slot("birth_child_name") is None  # never checked, so never kept
    assert chat.slot("birth_notification") == baby["enlb_number"]  # the earlier answer is kept

    restart_action_server(stack)
    chat.say("Tan Jun Wei")
    assert chat.slot("birth_child_name") == "Tan Jun Wei"
    assert chat.last_responses() == ["utter_ask_birth_ethnic_name"]


@pytest.mark.parametrize("lang, message", [("ms", "apa status permohonan saya"), ("ta", "என் விண்ணப்பம் எந்த நிலையில் இருக்கிறது")])
def test_a_hung_action_server_gets_a_reply_in_the_users_language_within_seconds(stack, lang, message):
    chat = logged_in(stack, "nurul" if lang == "ms" else "anitha")
    proc = action_server(stack)
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        replies = chat.say(message)
        took = time.monotonic() - started
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    said = " ".join(texts(replies))
    assert APOLOGY[lang] in said and written_in(lang, said), said
    assert took < 15, took
    wait_http(f"{stack.actions_url}/health", proc, stack.workdir / "actions.log", timeout=30)
    replies = chat.say(message)
    assert replies and APOLOGY[lang] not in " ".join(texts(replies)), texts(replies)
