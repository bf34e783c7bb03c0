"""The local endpoint keeps Twilio's contract: basic auth, form fields, Twilio's error JSON, listing by number."""
from __future__ import annotations

import requests

from notifier_testkit import TOKEN


def post(twilio, data, auth=None):
    return requests.post(f"{twilio.url}/2010-04-01/Accounts/{twilio.account_sid}/Messages.json", data=data,
                         auth=auth or (twilio.account_sid, TOKEN), timeout=10)


def test_it_wants_the_account_and_its_token(twilio):
    ok = {"To": "+6591110000", "From": "+6580000000", "Body": "hi"}
    assert post(twilio, ok, auth=(twilio.account_sid, "wrong-token")).json()["code"] == 20003
    assert post(twilio, ok, auth=("ACsomeoneelse", TOKEN)).status_code == 401
    r = requests.post(f"{twilio.url}/2010-04-01/Accounts/ACother/Messages.json", data=ok,
                      auth=("ACother", TOKEN), timeout=10)
    assert r.status_code == 401


def test_bad_messages_get_twilio_errors_not_500(twilio):
    assert post(twilio, {"From": "+6580000000", "Body": "hi"}).json()["code"] == 21604
    assert post(twilio, {"To": "91234567", "From": "+6580000000", "Body": "hi"}).json()["code"] == 21211
    assert post(twilio, {"To": "+6591110001", "From": "+6580000000", "Body": " "}).json()["code"] == 21602
    assert post(twilio, {"To": "+6591110001", "From": "+6580000000", "Body": "x" * 1601}).json()["code"] == 21617


def test_a_message_is_recorded_and_listed_for_its_number(twilio):
    r = post(twilio, {"To": "+6591110002", "From": "+6580000000", "Body": "提醒：明天打疫苗"})
    assert r.status_code == 201 and r.json()["sid"].startswith("SM") and r.json()["status"] == "queued"
    [m] = twilio.messages("+6591110002")
    assert m["body"] == "提醒：明天打疫苗" and m["num_segments"] == "1"


def test_the_phone_simulator_shows_what_the_endpoint_received_for_its_number_once(twilio):
    from moments.channels.simulator import Inbox

    inbox = Inbox(twilio.url, twilio.account_sid, TOKEN)
    assert inbox.new("+6591110003") == []
    post(twilio, {"To": "+6591110003", "From": "+6580000000", "Body": "Moments: reminder one"})
    post(twilio, {"To": "+6591110004", "From": "+6580000000", "Body": "someone else's"})
    assert inbox.new("+6591110003") == ["Moments: reminder one"]
    assert inbox.new("+6591110003") == []


def test_the_twilio_library_lists_through_the_endpoint(twilio):
    from datetime import datetime, timezone

    from moments.notifier.sms import SmsSender

    sender = SmsSender(twilio.url, twilio.account_sid, TOKEN, "+6580000000")
    sid = sender.send("+6591110005", "Moments: two")
    [m] = sender.sent_to("+6591110005", datetime.now(timezone.utc))
    assert (m.sid, m.body) == (sid, "Moments: two")
