"""A new session (after an hour of silence, session_config) keeps the conversation's language and nothing that a
journey collected: actions/session.py's action_session_start, run by the real Rasa and action servers."""
from __future__ import annotations

import pytest

from testkit import Chat

pytestmark = pytest.mark.slow


def test_a_new_session_keeps_the_language_and_forgets_the_answers(servers):
    chat = Chat(servers)
    assert chat.say("你好呀，早上好")
    assert chat.slot("language") == "zh"
    r = servers.api("POST", f"/conversations/{chat.sender}/tracker/events",
                    json=[{"event": "slot", "name": "bb_account", "value": "0123456789"},
                          {"event": "slot", "name": "myinfo_consent", "value": True}])
    assert r.status_code == 200, r.text[:300]
    assert chat.slot("bb_account") == "0123456789"

    r = servers.api("POST", f"/conversations/{chat.sender}/execute", json={"name": "action_session_start"})
    assert r.status_code == 200, r.text[:300]
    slots = chat.tracker()["slots"]
    assert slots["language"] == "zh"
    assert slots.get("bb_account") is None and slots.get("myinfo_consent") is None
    # and the conversation goes on in Chinese
    replies = chat.say("婴儿花红有多少钱？")
    assert replies and any("\u4e00" <= ch <= "\u9fff" for r in replies for ch in r.get("text", ""))
