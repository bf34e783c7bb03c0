"""The SMS doors of a stack started as `make run` starts it (the `servers` fixture: moments/serve.py, credentials.yml,
generated secrets): nobody texts as a registered mobile without Twilio's signature, a captured request cannot be
replayed, and nothing a caller writes into a tracker makes the action server believe a phone number.

Attacks from issue 10, against the real Rasa server, action server and agency services; then the positive side (the
`make sms` simulator, signed with the stack's token, identifies Lim Hui Min by her number).
"""
from __future__ import annotations

import copy
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests

from moments.channels import identity
from moments.channels.gateway import WEBHOOK_PATH, conversation_id_for
from moments.channels.simulator import SmsPhone, new_message_sid
from moments.serve import ACTION_SECRET_HEADER
from testkit import BIN, ROOT, free_port, wait_http

pytestmark = pytest.mark.slow

LIM_MOBILE = "+6591234567"  # Lim Hui Min, a seeded mother with a baby born 5 days before the seed


def phone(servers, number=LIM_MOBILE, **kw) -> SmsPhone:
    return SmsPhone(f"{servers.rasa_url}{WEBHOOK_PATH}", number, token=servers.env["TWILIO_AUTH_TOKEN"], **kw)


def tracker_of(servers, number: str) -> dict:
    cid = conversation_id_for(number, servers.env["SMS_CONVERSATION_KEY"])
    r = servers.api("GET", f"/conversations/{cid}/tracker", timeout=30)
    r.raise_for_status()
    return r.json()


def user_events(servers, number: str) -> list:
    return [e for e in tracker_of(servers, number)["events"] if e["event"] == "user"]


def stored_rows(servers, number: str) -> int:
    """Rows of this number's conversation in the stack's SQL tracker store, read without Rasa (whose GET /tracker
    would create a conversation to answer)."""
    import sqlite3

    cid = conversation_id_for(number, servers.env["SMS_CONVERSATION_KEY"])
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (cid,)).fetchone()[0]


def fresh_number() -> str:
    return f"+6580{time.time_ns() % 10 ** 6:06d}"


# -- unsigned, badly signed, wrong URL, replayed ------------------------------------------------------------------

@pytest.mark.parametrize("how", ["unsigned", "signed with another token", "signed with a development value",
                                 "signed for another URL", "body changed after signing", "garbage signature"])
def test_a_request_without_a_valid_signature_is_403_and_creates_no_conversation(servers, how):
    number = fresh_number()
    sms = phone(servers, number)
    form = sms.form("apply for baby bonus")
    if how == "unsigned":
        r = sms.post(form, sign=False)
    elif how == "signed with another token":
        r = sms.post(form, headers={"X-Twilio-Signature": SmsPhone(sms.url, token="x" * 32).signature(form)})
    elif how == "signed with a development value":
        r = sms.post(form, headers={"X-Twilio-Signature": SmsPhone(sms.url, token="test").signature(form)})
    elif how == "signed for another URL":
        other = SmsPhone("https://attacker.example/webhooks/sms/webhook", token=sms.token)
        r = sms.post(form, headers={"X-Twilio-Signature": other.signature(form)})
    elif how == "body changed after signing":
        signature = sms.signature(form)
        r = sms.post([(k, "yes" if k == "Body" else v) for k, v in form], headers={"X-Twilio-Signature": signature})
    else:
        r = sms.post(form, headers={"X-Twilio-Signature": "AAAA"})
    assert r.status_code == 403, r.text
    assert "Signature" in r.text and "<Message>" not in r.text
    assert stored_rows(servers, number) == 0, "a refused request created a conversation"
    # The same number, signed properly, is served: the 403 was about the signature.
    assert sms.send("hello").status == 200
    assert stored_rows(servers, number) > 0, "the check above would pass vacuously"
    assert len(user_events(servers, number)) == 1


def test_the_same_message_sid_with_another_body_is_403_and_not_processed(servers):
    number = fresh_number()
    sms = phone(servers, number)
    sid = new_message_sid()
    first = sms.send("hello", message_sid=sid)
    assert first.status == 200 and first.messages
    retry = sms.send("hello", message_sid=sid)
    assert retry.text == first.text, "Twilio's retry gets the first reply"
    forged = sms.send("yes", message_sid=sid)  # a valid signature over other parameters: not Twilio's retry
    assert forged.status == 403 and "already processed" in forged.text
    assert [e["text"] for e in user_events(servers, number)] == ["hello"]


def test_a_signed_request_without_a_message_sid_is_refused(servers):
    number = fresh_number()
    sms = phone(servers, number)
    r = sms.post([("From", number), ("Body", "hello")])
    assert r.status_code == 400 and "MessageSid" in r.text
    assert stored_rows(servers, number) == 0


# -- the action server believes no phone number a caller wrote --------------------------------------------------

def post_action(servers, name: str, tracker: dict) -> dict:
    body = {"next_action": name, "sender_id": tracker["sender_id"], "tracker": tracker, "domain": {},
            "version": "3.6.21"}
    r = requests.post(f"{servers.actions_url}/webhook", json=body, timeout=60,
                      headers={ACTION_SECRET_HEADER: servers.secrets["ACTION_SERVER_SECRET"]})
    assert r.status_code == 200, r.text[:300]
    return r.json()


def logged_in(result: dict):
    return next((e["value"] for e in result["events"] if e.get("event") == "slot" and e["name"] == "logged_in"), None)


def status_text(result: dict) -> str:
    return " ".join(str(r) for r in result["responses"])


@pytest.fixture(scope="module")
def lim_tracker(servers) -> dict:
    """Lim Hui Min's real SMS conversation, one message in, as anyone who can read the tracker store (or Rasa's API)
    gets it back: the channel's identity record is not kept at rest (moments.privacy), only the bare `phone`."""
    assert phone(servers, LIM_MOBILE).send("hello").status == 200
    return tracker_of(servers, LIM_MOBILE)


def hand_made(sender: str, metadata: dict, message_id: str = "SM" + "0" * 32) -> dict:
    """A tracker as Rasa posts it to the action server, with one SMS user message."""
    event = {"event": "user", "text": "check my status", "input_channel": "sms", "message_id": message_id,
             "timestamp": time.time(), "metadata": metadata,
             "parse_data": {"intent": {"name": "check_status", "confidence": 1.0}, "entities": [],
                            "text": "check my status", "metadata": metadata}}
    return {"sender_id": sender, "slots": {"language": "en"}, "latest_message": event["parse_data"],
            "latest_input_channel": "sms", "events": [event], "paused": False, "followup_action": None,
            "active_loop": {}, "latest_action_name": "action_listen", "latest_event_time": time.time()}


def lim_cid(servers) -> str:
    return conversation_id_for(LIM_MOBILE, servers.env["SMS_CONVERSATION_KEY"])


def signed(servers, **kw) -> dict:
    """A record signed with the stack's real CHANNEL_IDENTITY_KEY (what the channel would have sent)."""
    args = {"phone": LIM_MOBILE, "conversation": lim_cid(servers), "sid": "SM" + "0" * 32, **kw}
    return identity.sign_record(servers.secrets["CHANNEL_IDENTITY_KEY"], **args)


def test_a_record_the_channel_signed_for_this_message_identifies_lim_so_the_refusals_below_mean_something(servers):
    tracker = hand_made(lim_cid(servers), {"channel": "sms", "phone": LIM_MOBILE, identity.METADATA_KEY: signed(servers)})
    assert logged_in(post_action(servers, "action_check_identity", tracker)) is True
    shown = status_text(post_action(servers, "action_show_status", tracker))
    assert "utter_status_list" in shown, shown[:300]


FORGED = {
    "phone in the metadata (issue 10)": lambda s, lim: hand_made("attacker-1", {"channel": "sms", "phone": LIM_MOBILE}),
    "phone, in Lim's own conversation": lambda s, lim: hand_made(lim_cid(s), {"channel": "sms", "phone": LIM_MOBILE}),
    "Lim's tracker as stored, posted back": lambda s, lim: {**copy.deepcopy(lim), "latest_input_channel": "sms"},
    "a record with a made-up signature": lambda s, lim: hand_made(
        lim_cid(s), {identity.METADATA_KEY: {**signed(s), "sig": "f" * 64}}),
    "a record signed with a development value": lambda s, lim: hand_made(
        lim_cid(s), {identity.METADATA_KEY: identity.sign_record("test", LIM_MOBILE, lim_cid(s), "SM" + "0" * 32)}),
    "a genuine record in another conversation": lambda s, lim: hand_made(
        "attacker-2", {identity.METADATA_KEY: signed(s)}),
    "a genuine record of another message": lambda s, lim: hand_made(
        lim_cid(s), {identity.METADATA_KEY: signed(s)}, "SM" + "1" * 32),
    "a genuine record, 11 minutes old": lambda s, lim: hand_made(
        lim_cid(s), {identity.METADATA_KEY: signed(s, now=time.time() - 660)}),
    "a genuine record with another number written in": lambda s, lim: hand_made(
        lim_cid(s), {identity.METADATA_KEY: {**signed(s), "phone": "+6598765432"}}),
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_a_forged_sms_tracker_with_the_action_secret_gets_no_records(servers, lim_tracker, case):
    tracker = FORGED[case](servers, lim_tracker)
    assert logged_in(post_action(servers, "action_check_identity", tracker)) is False
    shown = status_text(post_action(servers, "action_show_status", tracker))
    assert "utter_status_list" not in shown and "BR-" not in shown and "BB-" not in shown
    assert "utter_login_required" in shown, shown[:300]


# -- the channel refuses to start without its secrets ------------------------------------------------------------

def start_rasa(servers, tmp_path: Path, env: dict, credentials: str):
    """Rasa as moments.serve starts it, with only the SMS channel and no model (the channel is set up before any
    model loads, and an SMS while no model is loaded gets a polite 'try again')."""
    (tmp_path / "credentials.yml").write_text(credentials)
    (tmp_path / "models").mkdir(exist_ok=True)
    port = free_port()
    args = [str(BIN / "python"), "-m", "moments.serve", "rasa", "--port", str(port), "-m", str(tmp_path / "models"),
            "--credentials", str(tmp_path / "credentials.yml")]
    return port, args, {**servers.env, "MOMENTS_SECRETS_FILE": str(tmp_path / "none.env"), **env}


SMS_ONLY = "moments.channels.sms.SmsInput:\n  auth_token_env: TWILIO_AUTH_TOKEN\n"


@pytest.mark.parametrize("token", ["", "changeme", "short"])
def test_the_sms_channel_refuses_to_start_without_a_strong_twilio_token(servers, tmp_path, token):
    port, args, env = start_rasa(servers, tmp_path, {"TWILIO_AUTH_TOKEN": token}, SMS_ONLY)
    env.pop("MOMENTS_DEV", None)
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode != 0
    out = done.stderr + done.stdout
    assert "SMS channel: refusing to start" in out and "TWILIO_AUTH_TOKEN" in out and "MOMENTS_DEV=1" in out, out[-800:]


def test_without_a_conversation_key_it_refuses_too(servers, tmp_path):
    port, args, env = start_rasa(servers, tmp_path, {"SMS_CONVERSATION_KEY": ""}, SMS_ONLY)
    env.pop("MOMENTS_DEV", None)
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode != 0 and "SMS_CONVERSATION_KEY" in done.stderr + done.stdout


def test_in_development_mode_it_starts_and_says_so_on_the_terminal(servers, tmp_path):
    port, args, env = start_rasa(servers, tmp_path, {"TWILIO_AUTH_TOKEN": "", "MOMENTS_DEV": "1"}, SMS_ONLY)
    log = tmp_path / "rasa.log"
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    try:
        wait_http(f"http://127.0.0.1:{port}/webhooks/sms/", proc, log, timeout=180)
        text = log.read_text()
        assert "WARNING (development mode)" in text and "TWILIO_AUTH_TOKEN" in text and "NOT checked" in text, text[-800:]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_replay_after_the_retry_window_is_403(servers, tmp_path):
    """The same captured request, sent again later (here the window is 2 s instead of 15 min)."""
    port, args, env = start_rasa(servers, tmp_path, {}, SMS_ONLY + "  retry_window_seconds: 2\n")
    log = tmp_path / "rasa.log"
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    try:
        wait_http(f"http://127.0.0.1:{port}/webhooks/sms/", proc, log, timeout=180)
        sms = SmsPhone(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", fresh_number(), token=servers.env["TWILIO_AUTH_TOKEN"])
        form = sms.form("yes")
        first = sms.post(form)
        assert first.status_code == 200 and "<Message>" in first.text  # (no model here: a polite "try again")
        assert sms.post(form).text == first.text, "an immediate retry gets the first reply"
        time.sleep(3)
        replay = sms.post(form)
        assert replay.status_code == 403 and "already processed" in replay.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# -- the positive side: `make sms` ------------------------------------------------------------------------------

def test_make_sms_signs_with_the_installations_token_and_lim_is_identified(servers, capsys, monkeypatch):
    """The simulator finds the token where `make run` put it (the secrets file), not in a command-line option; Lim's
    number, vouched for by the channel, shows her records."""
    from moments.channels.simulator import main

    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("MOMENTS_SECRETS_FILE", servers.env["MOMENTS_SECRETS_FILE"])
    code = main(["--url", f"{servers.rasa_url}{WEBHOOK_PATH}", "--as", "lim", "-m", "hello",
                 "-m", "what is the status of my applications"])
    out = capsys.readouterr().out
    assert code == 0 and "HTTP 403" not in out, out
    assert re.search(r"Reply 1( or 2|-\d)", out), out  # a numbered menu ("Reply 1 or 2", "Reply 1-6")
    assert "Birth notified by the hospital" in out and "log in" not in out.lower(), out
    assert tracker_of(servers, LIM_MOBILE)["slots"]["logged_in"] is True
    stored = user_events(servers, LIM_MOBILE)[-1]["metadata"]
    assert identity.METADATA_KEY not in stored, "the record is a credential for its turn only, never kept"
