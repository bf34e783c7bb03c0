"""Who the action server believes is texting (actions/shared/agency.py `identify`), without servers.

The SMS channel signs a record of the sender's number for one conversation and one message
(moments.channels.identity); identify() accepts only that. A hand-made tracker with `latest_input_channel: sms` and a
phone, a forged or stale record, one copied from another conversation or message: nobody is identified and the agency
login by mobile is never even tried. Also the date-of-birth check before an SMS submission (actions/shared/form.py).
"""
from __future__ import annotations

import asyncio
import time
from datetime import date

import jwt
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.shared.agency as common
from actions.shared.form import SMS_CHECK_SLOT, MomentsFormValidation, parse_birth_date
from moments.channels import identity

KEY = "channel-identity-test-key-0123456789"
PHONE = "+6591234567"
CID = "sms-0123456789abcdef01234567"
SID = "SM" + "a" * 32


class FakeSingpass:
    def __init__(self):
        self.logins = []

    def login(self, mobile=None, nric=None):
        self.logins.append(mobile)
        return {"access_token": f"token-for-{mobile}", "person": {"name": "Lim Hui Min"}}


class FakeMyInfo:
    def __init__(self, dob="1992-07-02"):
        self.dob = dob
        self.calls = 0

    def person(self, token):
        self.calls += 1
        return {"id": "p-1", "nric": "S9210102I", "date_of_birth": self.dob}


class FakeAgencies:
    def __init__(self):
        self.singpass = FakeSingpass()
        self.myinfo = FakeMyInfo()


@pytest.fixture
def agencies(monkeypatch):
    fake = FakeAgencies()
    monkeypatch.setattr(common, "_agencies", fake)
    monkeypatch.setenv(identity.KEY_ENV, KEY)
    return fake


def sms_tracker(metadata, sender=CID, message_id=SID, channel="sms", slots=None, text="status"):
    event = {"event": "user", "text": text, "input_channel": channel, "message_id": message_id,
             "metadata": metadata, "parse_data": {"intent": {"name": "check_status"}, "entities": []}}
    return Tracker(sender, slots or {}, {"text": text, "intent": {"name": "check_status"}, "entities": [],
                                         "metadata": metadata}, [event], False, None,
                   {"name": "baby_bonus_form"} if slots else {}, "action_listen")


def record(**kw):
    args = {"key": KEY, "phone": PHONE, "conversation": CID, "sid": SID, **kw}
    return identity.sign_record(args.pop("key"), **args)


def identify(tracker):
    return asyncio.run(common.identify(tracker))


def test_a_valid_fresh_record_of_this_message_identifies_the_texter(agencies):
    who = identify(sms_tracker({"channel": "sms", "phone": PHONE, identity.METADATA_KEY: record()}))
    assert who.known and who.via == "sms" and who.token == f"token-for-{PHONE}"
    assert agencies.singpass.logins == [PHONE]


def forged(rec):
    return {**rec, "sig": "0" * 64}


@pytest.mark.parametrize("why,metadata,kw", [
    ("a bare phone (the hand-made tracker of issue 10)", {"channel": "sms", "phone": PHONE}, {}),
    ("forged signature", {"phone": PHONE, identity.METADATA_KEY: forged(record())}, {}),
    ("signed with another key", {identity.METADATA_KEY: record(key="another-key-of-the-same-length-000")}, {}),
    ("another number written next to a valid record's signature",
     {identity.METADATA_KEY: {**record(), "phone": "+6598765432"}}, {}),
    ("stale: 11 minutes old", {identity.METADATA_KEY: record(now=time.time() - 660)}, {}),
    ("from the future", {identity.METADATA_KEY: record(now=time.time() + 3600)}, {}),
    ("copied from another conversation", {identity.METADATA_KEY: record(conversation="sms-other")}, {}),
    ("copied from an earlier message", {identity.METADATA_KEY: record(sid="SM" + "b" * 32)}, {}),
    ("the message has no id", {identity.METADATA_KEY: record()}, {"message_id": None}),
    ("not the sms channel", {identity.METADATA_KEY: record()}, {"channel": "rest"}),
    ("garbage", {identity.METADATA_KEY: "yes it's me"}, {}),
    ("ts as text", {identity.METADATA_KEY: {**record(), "ts": str(int(time.time()))}}, {}),
])
def test_anything_else_identifies_nobody_and_never_logs_in(agencies, why, metadata, kw):
    who = identify(sms_tracker(metadata, **kw))
    assert not who.known and who.token is None, why
    assert agencies.singpass.logins == [], f"{why}: logged in by mobile"


def test_without_a_configured_key_nobody_is_identified(agencies, monkeypatch):
    monkeypatch.delenv(identity.KEY_ENV)
    assert not identify(sms_tracker({identity.METADATA_KEY: record()})).known
    assert agencies.singpass.logins == []


def test_the_record_of_an_earlier_message_does_not_cover_a_later_one(agencies):
    earlier = {"event": "user", "text": "hi", "input_channel": "sms", "message_id": SID,
               "metadata": {identity.METADATA_KEY: record()}}
    later = {"event": "user", "text": "status", "input_channel": "sms", "message_id": "SM" + "c" * 32,
             "metadata": {"channel": "sms", "phone": PHONE}}
    tracker = Tracker(CID, {}, {"text": "status"}, [earlier, later], False, None, {}, "action_listen")
    assert not identify(tracker).known


# -- web / REST tokens ----------------------------------------------------------------------------------------------

def singpass_token(secret, **claims):
    now = int(time.time())
    return jwt.encode({"iss": "mock-singpass", "aud": "moments-agencies", "sub": "p-1", "iat": now, "exp": now + 600,
                       **claims}, secret, algorithm="HS256")


def web_tracker(token):
    event = {"event": "user", "text": "status", "input_channel": "socketio", "metadata": {"token": token}}
    return Tracker("web-1", {}, {"text": "status"}, [event], False, None, {}, "action_listen")


def test_a_token_is_checked_with_the_agencies_secret(agencies, monkeypatch):
    secret = "agencies-token-secret-for-this-test-000"
    monkeypatch.setenv("AGENCIES_TOKEN_SECRET", secret)
    good = singpass_token(secret)
    assert identify(web_tracker(good)) == common.Identity(good, "token")
    assert not identify(web_tracker(singpass_token("dev-agencies-token-secret-not-for-production"))).known
    assert not identify(web_tracker(singpass_token(secret, aud="someone-else"))).known
    expired = singpass_token(secret, exp=int(time.time()) - 60)
    assert identify(web_tracker(expired)).known, "expiry is the agency's to say (token_expired: 'log in again')"


# -- the date of birth before an SMS submission --------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["02071992", "2 7 1992", "02/07/1992", "2-7-1992", "2.7.1992", " 02 07 1992 ",
                                   "1992-07-02", "1992年7月2日", "０２０７１９９２"])
def test_dates_of_birth_as_texters_type_them(typed):
    assert parse_birth_date(typed) == date(1992, 7, 2)


@pytest.mark.parametrize("typed", ["", "0000", "567D", "31021992", "2 7 92", "0207199", "yes", None, "1 2 3 4"])
def test_not_a_date_of_birth(typed):
    assert parse_birth_date(typed) is None


class Form(MomentsFormValidation):
    def name(self):
        return "validate_baby_bonus_form"


def check(answer, agencies, slots=None):
    slots = {"requested_slot": "sms_identity_confirmed", **(slots or {})}
    tracker = sms_tracker({identity.METADATA_KEY: record()}, slots=slots, text=answer)
    dispatcher = CollectingDispatcher()
    result = asyncio.run(Form().validate_sms_identity_confirmed(answer, dispatcher, tracker, {}))
    return result, [m.get("response") for m in dispatcher.messages]


def test_the_right_date_of_birth_confirms(agencies):
    result, said = check("2 7 1992", agencies)
    assert result["sms_identity_confirmed"] is True and said == []
    assert result[SMS_CHECK_SLOT] is None


@pytest.mark.parametrize("answer", ["0102", "S9210102I"[-4:], "01011990", "hello"])
def test_a_wrong_answer_is_refused_and_counted(agencies, answer):
    result, said = check(answer, agencies)
    assert result["sms_identity_confirmed"] is None and said == ["utter_sms_identity_wrong"]
    assert result[SMS_CHECK_SLOT]["count"] == 1


def test_the_third_wrong_answer_stops_the_journey_and_then_nothing_is_compared(agencies):
    failures = None
    for n in (1, 2):
        result, said = check("01011990", agencies, {SMS_CHECK_SLOT: failures})
        failures = result[SMS_CHECK_SLOT]
        assert said == ["utter_sms_identity_wrong"] and failures["count"] == n
    result, said = check("01011990", agencies, {SMS_CHECK_SLOT: failures})
    assert said == ["utter_sms_identity_locked"]
    assert result["journey_aborted"] is True and result["requested_slot"] is None
    assert result["sms_identity_confirmed"] is None
    calls = agencies.myinfo.calls
    # Locked: even the right answer is not compared (no guessing), the journey stops again.
    result, said = check("02071992", agencies, {SMS_CHECK_SLOT: result[SMS_CHECK_SLOT]})
    assert said == ["utter_sms_identity_locked"] and result["sms_identity_confirmed"] is None
    assert agencies.myinfo.calls == calls


def test_the_lock_ends_after_a_day(agencies):
    old = {"count": 3, "since": time.time() - 25 * 3600}
    result, said = check("02071992", agencies, {SMS_CHECK_SLOT: old})
    assert result["sms_identity_confirmed"] is True


def test_a_texter_the_channel_did_not_vouch_for_is_not_asked_for_a_date(agencies):
    slots = {"requested_slot": "sms_identity_confirmed"}
    tracker = sms_tracker({"phone": PHONE}, slots=slots, text="02071992")
    dispatcher = CollectingDispatcher()
    result = asyncio.run(Form().validate_sms_identity_confirmed("02071992", dispatcher, tracker, {}))
    assert result["sms_identity_confirmed"] is None and result["journey_aborted"] is True
    assert agencies.myinfo.calls == 0
