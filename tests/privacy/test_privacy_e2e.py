"""Citizens' data at rest, end to end (issue 11): real Rasa + action server + agencies (the session `servers`).

- After a birth registration and a Baby Bonus application in English and in Chinese (and an SMS conversation),
  no row of the tracker store and no log file holds a full NRIC, a bearer token, the bank account or the phone
  number typed.
- A copied tracker (every stored event of it) replayed through the REST API or straight to the action server
  reads and submits nothing for the citizen.
- "Forget me" in each language (REST) and from the SMS main menu: rows gone, the next message starts a new
  conversation, the agencies' records untouched; "no" changes nothing. An officer forgets by NRIC, phone or id.

Each journey registers a baby of its own (a fresh notification of live birth), so nothing here depends on the
e2e tests' babies and they do not depend on ours.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from moments.agency_client import Agencies
from moments.agencies.seed import PEOPLE
from moments.channels.gateway import WEBHOOK_PATH, conversation_id_for
from moments.channels.simulator import SmsPhone
from testkit import GREETINGS, ROOT, Chat, logged_in, notify_birth, texts, written_in

pytestmark = pytest.mark.slow

NRIC = {p.key: p.nric for p in PEOPLE}
FULL_NRIC = re.compile(r"[STFGM]\d{7}[A-Z]")
JWT = re.compile(r"eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*")
ENCRYPTED = re.compile(r"enc:v1:[A-Za-z0-9_\-=]+")
ACCOUNTS = {"en": "123-45678-9", "zh": "0123456789"}
TYPED_PHONE = "9123 4567"

# Everything secret a test typed or was given; the scan looks for each (digits-only forms too).
SEEN = {"tokens": set(), "accounts": {"123456789", "0123456789"}, "phones": {"91234567"}}


@pytest.fixture(scope="module")
def agency(servers):
    return Agencies(base_url=servers.agencies_url, api_key=servers.secrets["AGENCIES_API_KEY"])


def parent(servers, agency, key: str) -> Chat:
    chat = logged_in(servers, key)
    SEEN["tokens"].add(chat.token)
    return chat


def new_baby(servers, mother: str, father: str, sex: str) -> dict:
    return notify_birth(servers, mother, father, sex=sex, at="09:20", weight_g=3050)


def expect(chat: Chat, text: str, *names: str) -> list:
    replies = chat.say(text)
    got = chat.last_responses()
    assert got[:len(names)] == list(names), (text, got, texts(replies))
    return replies


def rows_of(servers, sender_id: str) -> int:
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        return db.execute("select count(*) from events where sender_id = ?", (sender_id,)).fetchone()[0]


# -- the journeys ---------------------------------------------------------------------------------------------------
JOURNEY = {
    # lang: parent who chats, mother, father, start, consent, child name, ethnic name, dialects, confirm, bb answers
    "en": dict(who="tan", mother="lim", father="tan", sex="M", start="I want to register my baby's birth",
               consent="yes", name="Tan Jun Jie", ethnic="陈俊杰", dialects="Hokkien, Teochew", confirm="/affirm",
               offer="yes", bb={"utter_ask_myinfo_consent": "yes", "utter_ask_bb_bank": "posb",
                                "utter_ask_bb_account": ACCOUNTS["en"], "utter_ask_bb_trustee": "yes",
                                "utter_baby_bonus_summary": "yes"}),
    "zh": dict(who="wong", mother="wong", father="chen", sex="F", start="我想给宝宝办出生登记", consent="好的",
               name="Chen Mei Ling", ethnic="陈美玲", dialects="跳过", confirm="是", offer="好的",
               bb={"utter_ask_myinfo_consent": "好的", "utter_ask_bb_bank": "星展银行",
                   "utter_ask_bb_account": ACCOUNTS["zh"], "utter_ask_bb_trustee": "是",
                   "utter_baby_bonus_summary": "是的"}),
}
DONE = {}


def register_and_apply(servers, agency, lang: str) -> dict:
    j = JOURNEY[lang]
    chat = parent(servers, agency, j["who"])
    chat.say(f"my IC is {NRIC[j['who']]} and my mobile {TYPED_PHONE}")  # typed personal data, whatever the answer
    baby = new_baby(servers, j["mother"], j["father"], j["sex"])
    expect(chat, j["start"], "utter_ask_myinfo_consent")
    replies = expect(chat, j["consent"], "utter_ask_birth_notification")
    assert baby["enlb_number"] in [b["payload"] for b in replies[0]["buttons"]]
    expect(chat, baby["enlb_number"], "utter_ask_birth_child_name")
    expect(chat, j["name"], "utter_ask_birth_ethnic_name")
    expect(chat, j["ethnic"], "utter_ask_birth_dialects")
    expect(chat, j["dialects"], "utter_birth_registration_summary")
    replies = expect(chat, j["confirm"], "utter_birth_registered", "utter_offer_baby_bonus")
    assert written_in(lang, replies[0]["text"])
    [registration] = [r for r in agency.ica.registrations(chat.token) if r["enlb_number"] == baby["enlb_number"]]
    assert "/certificates/" in replies[0]["text"]  # the user saw the certificate link
    chat.say(j["offer"])
    for _ in range(8):  # the Baby Bonus form, whatever it asks (the child may be asked when there are several)
        last = chat.last_responses()
        if "utter_baby_bonus_submitted" in last:
            break
        ask = last[-1] if last else None
        answer = j["name"] if ask == "utter_ask_bb_child" else j["bb"].get(ask)
        assert answer, f"{lang}: unexpected step {last}"
        chat.say(answer)
    assert "utter_baby_bonus_submitted" in chat.last_responses()
    reference = chat.slot("bb_reference")
    [application] = [a for a in agency.msf.applications(chat.token) if a["reference"] == reference]
    assert application["child"]["name"] == j["name"]
    assert chat.slot("language") == lang
    return {"chat": chat, "registration": registration["reference"], "application": reference}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_registration_and_a_baby_bonus_application(servers, agency, lang):
    DONE[lang] = register_and_apply(servers, agency, lang)
    # the form needed the account typed several turns before it submitted: it was encrypted, not lost
    assert DONE[lang]["application"].startswith("BB-")


APPOINTMENT = {"utter_ask_myinfo_consent": "yes", "utter_ask_appointment_service": "vaccination",
               "utter_ask_appointment_clinic": "AMK", "utter_ask_appointment_clinic_which": "1",
               "utter_ask_appointment_clinic_suggested": "yes", "utter_ask_appointment_date": "next Monday",
               "utter_ask_appointment_slot": "1", "utter_ask_book_appointment_confirm": "yes"}


def test_an_appointment_for_the_new_baby(servers, agency):
    chat = DONE["en"]["chat"]
    chat.say(f"book a vaccination for {JOURNEY['en']['name']}")
    for _ in range(10):
        last = chat.last_responses()
        if "utter_appointment_booked" in last:
            break
        ask = last[-1] if last else None
        answer = JOURNEY["en"]["name"] if ask == "utter_ask_appointment_child" else APPOINTMENT.get(ask)
        assert answer, f"unexpected step {last}"
        chat.say(answer)
    assert "utter_appointment_booked" in chat.last_responses()
    booked = [a for a in agency.health.appointments(chat.token, status="booked")
              if a["child"]["name"] == JOURNEY["en"]["name"]]
    assert len(booked) == 1
    DONE["appointment"] = booked[0]["reference"]


def test_sms_conversation_with_a_registered_number(servers):
    phone = next(p for p in PEOPLE if p.key == "koh").mobile
    SEEN["phones"].add(phone[-8:])
    sms = SmsPhone(f"{servers.rasa_url}{WEBHOOK_PATH}", phone, token=servers.env["TWILIO_AUTH_TOKEN"])
    for text in ("hello", "what is the baby bonus?"):
        reply = sms.send(text)
        assert reply.status == 200 and reply.messages
    cid = conversation_id_for(phone, servers.env["SMS_CONVERSATION_KEY"])
    assert rows_of(servers, cid) > 0
    DONE["sms"] = cid


# -- what is at rest ------------------------------------------------------------------------------------------------
def _without_ciphertext(text: str) -> str:
    return ENCRYPTED.sub("enc:v1:…", text)


def stored_text(servers) -> str:
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        rows = db.execute("select * from events").fetchall()
        index = db.execute("select sender_id, timestamp from privacy_index").fetchall()
    return _without_ciphertext("\n".join(json.dumps(r, ensure_ascii=False) for r in rows + index))


def log_text(servers) -> str:
    files = [p for p in Path(servers.workdir).rglob("*.log*") if p.is_file()]
    assert any(p.name == "rasa.log" for p in files) and any(p.name == "actions.log" for p in files), files
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def problems(text: str) -> list:
    found = [f"NRIC {m.group(0)[:1]}…{m.group(0)[-4:]}" for m in FULL_NRIC.finditer(text)]
    found += ["a JWT" for _ in JWT.finditer(text)]
    found += ["an issued token" for t in SEEN["tokens"] if t in text]
    digits = re.sub(r"[ \-]", "", text)
    found += [f"account …{a[-4:]}" for a in SEEN["accounts"] if a in digits or a in text]
    found += [f"phone …{p[-4:]}" for p in SEEN["phones"] if p in digits]
    return found


def test_the_scan_finds_what_it_looks_for():
    leaked = 'S8810201J eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln POSB 123-45678-9 call 9123 4567'
    assert len(problems(leaked)) >= 4 and problems(_without_ciphertext("enc:v1:gAAAAS8810201J")) == []


def test_nothing_personal_in_any_row_of_the_tracker_store(servers):
    assert {"en", "zh", "sms"} <= set(DONE), "the journeys above did not run"
    text = stored_text(servers)
    assert "S****" in text or "****" in text        # masked, not missing: the conversation is still there
    assert problems(text) == []
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        # the SQL columns outside `data`: type, intent, action/slot name, timestamp, conversation id only
        for sender, type_name, intent, action in db.execute(
                "select sender_id, type_name, intent_name, action_name from events"):
            assert problems(" ".join(str(v) for v in (sender, type_name, intent, action))) == []
        user_meta = [json.loads(d).get("metadata") or {} for (d,) in db.execute(
            "select data from events where type_name in ('user', 'session_started')")]
    assert user_meta and not any("token" in m or "sms_identity" in m for m in user_meta)


def test_nothing_personal_in_any_log_file(servers):
    assert {"en", "zh"} <= set(DONE)
    assert problems(log_text(servers)) == []


# -- a copied tracker -----------------------------------------------------------------------------------------------
def stolen_events(servers, sender_id: str) -> list:
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        return [json.loads(d) for (d,) in db.execute(
            "select data from events where sender_id = ? order by id", (sender_id,))]


def test_a_copied_tracker_replayed_through_the_rest_api_reads_and_submits_nothing(servers, agency):
    victim = DONE["en"]["chat"]
    before = agency.msf.applications(victim.token)
    events = stolen_events(servers, victim.sender)
    assert len(events) > 20
    thief = Chat(servers)  # no token: only what the copy holds
    r = servers.api("PUT", f"/conversations/{thief.sender}/tracker/events", json=events)
    assert r.status_code == 200, r.text[:300]
    replies = thief.say("check my applications")
    assert thief.last_responses() == ["utter_login_required"], texts(replies)
    assert not any(DONE["en"]["application"] in t or DONE["en"]["registration"] in t for t in texts(replies))
    thief.say("I want to apply for baby bonus")
    assert thief.last_responses() == ["utter_login_required"]
    assert agency.msf.applications(victim.token) == before


def test_a_copied_tracker_sent_to_the_action_server_reads_nothing(servers):
    victim = DONE["zh"]["chat"]
    events = stolen_events(servers, victim.sender)
    latest = [e for e in events if e["event"] == "user"][-1]
    tracker = {"sender_id": "thief", "slots": {"language": "zh"}, "latest_message": latest, "events": events,
               "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
               "latest_input_channel": "rest"}
    headers = {"X-Moments-Action-Secret": servers.secrets["ACTION_SERVER_SECRET"]}
    for action in ("action_check_identity", "action_show_status"):
        r = requests.post(f"{servers.actions_url}/webhook", headers=headers, timeout=60,
                          json={"next_action": action, "sender_id": "thief", "tracker": tracker, "domain": {}})
        assert r.status_code == 200, r.text[:300]
        body = r.json()
        said = json.dumps(body["responses"], ensure_ascii=False)
        assert DONE["zh"]["application"] not in said and DONE["zh"]["registration"] not in said
        if action == "action_check_identity":
            assert {"event": "slot", "name": "logged_in", "value": False} in [
                {k: e.get(k) for k in ("event", "name", "value")} for e in body["events"]]


# -- forget me ------------------------------------------------------------------------------------------------------
FORGET = {"en": ("delete my conversation", "yes"), "zh": ("删除我的对话记录", "是"),
          "ms": ("padam perbualan saya", "ya"), "ta": ("என் உரையாடலை நீக்கு", "ஆம்")}


def forget(chat: Chat, lang: str) -> None:
    ask, yes = FORGET[lang]
    replies = expect(chat, ask, "utter_forget_me_confirm")
    assert written_in(lang, replies[0]["text"])
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/affirm", "/deny"]
    replies = chat.say(yes)  # no tracker read after this: it would be a new, empty conversation
    assert len(replies) == 1 and written_in(lang, replies[0]["text"]), texts(replies)


def starts_afresh(servers, chat: Chat, lang: str) -> None:
    assert rows_of(servers, chat.sender) == 0
    chat.say(GREETINGS[lang])
    events = chat.tracker()["events"]
    first = [e.get("name") or e["event"] for e in events[:4]]
    assert "action_session_start" in first and "session_started" in first, first
    assert [e["text"] for e in events if e["event"] == "user"] == [GREETINGS[lang]]


def test_forget_me_after_the_journeys_keeps_the_agency_records(servers, agency):
    chat = DONE["en"]["chat"]
    assert rows_of(servers, chat.sender) > 20
    forget(chat, "en")
    starts_afresh(servers, chat, "en")
    assert [a["reference"] for a in agency.msf.applications(chat.token)].count(DONE["en"]["application"]) == 1
    assert agency.health.appointment(chat.token, DONE["appointment"])["status"] == "booked"
    assert DONE["en"]["registration"] in [r["reference"] for r in agency.ica.registrations(chat.token)]
    audit = (servers.workdir / "logs" / "privacy-audit.log").read_text()
    assert '"by": "citizen"' in audit and chat.sender not in audit


@pytest.mark.parametrize("lang", ["zh", "ms", "ta"])
def test_forget_me_in_each_language(servers, lang):
    chat = Chat(servers)
    chat.say(GREETINGS[lang])
    assert chat.slot("language") == lang
    forget(chat, lang)
    starts_afresh(servers, chat, lang)


def test_no_keeps_everything(servers):
    chat = Chat(servers)
    chat.say(GREETINGS["ms"])
    expect(chat, "tolong padam chat saya", "utter_forget_me_confirm")
    before = rows_of(servers, chat.sender)
    expect(chat, "tidak", "utter_forget_me_kept")
    assert rows_of(servers, chat.sender) > before
    assert [e["text"] for e in chat.tracker()["events"] if e["event"] == "user"][0] == GREETINGS["ms"]


def test_forget_me_from_the_sms_main_menu(servers):
    phone = "+6580" + str(os.getpid() % 1000000).zfill(6)
    sms = SmsPhone(f"{servers.rasa_url}{WEBHOOK_PATH}", phone, token=servers.env["TWILIO_AUTH_TOKEN"])
    cid = conversation_id_for(phone, servers.env["SMS_CONVERSATION_KEY"])
    assert sms.send(GREETINGS["ms"]).status == 200
    menu = sms.send("0").joined()
    option = re.search(r"(\d)\. Padam perbualan saya", menu)
    assert option, menu
    confirm = sms.send(option.group(1)).joined()
    assert "1. Ya, padam" in confirm and "2. Tidak, simpan" in confirm, confirm
    assert rows_of(servers, cid) > 0
    done = sms.send("1").joined()
    assert "dipadam" in done, done
    assert rows_of(servers, cid) == 0
    sms.send("hai")
    r = servers.api("GET", f"/conversations/{cid}/tracker")
    assert [e["text"] for e in r.json()["events"] if e["event"] == "user"] == ["hai"]


# -- an officer ----------------------------------------------------------------------------------------------------
def officer(servers, *args: str) -> str:
    env = {**servers.env, "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-m", "moments.privacy", "forget", "--db",
                          str(servers.workdir / "tracker.db"), *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_an_officer_forgets_by_nric_phone_or_conversation(servers, agency):
    zh = DONE["zh"]["chat"]
    assert rows_of(servers, zh.sender) > 0
    assert "forgot 1 conversation" in officer(servers, "--nric", NRIC["wong"])  # MyInfo put it in the chat
    assert rows_of(servers, zh.sender) == 0
    assert DONE["zh"]["application"] in [a["reference"] for a in agency.msf.applications(zh.token)]

    phone = next(p for p in PEOPLE if p.key == "koh").mobile
    assert rows_of(servers, DONE["sms"]) > 0
    assert "forgot 1 conversation" in officer(servers, "--phone", phone)
    assert rows_of(servers, DONE["sms"]) == 0

    chat = Chat(servers)
    chat.say("hello")
    assert "forgot 1 conversation" in officer(servers, "--conversation", chat.sender)
    assert rows_of(servers, chat.sender) == 0

    audit = [json.loads(line) for line in (servers.workdir / "logs" / "privacy-audit.log").read_text().splitlines()]
    officers = [a for a in audit if a["by"] == "officer"]
    assert [a["selector"] for a in officers[-3:]] == ["nric", "phone", "conversation"]
    text = json.dumps(audit)
    assert NRIC["wong"] not in text and phone not in text and chat.sender not in text and DONE["sms"] not in text
