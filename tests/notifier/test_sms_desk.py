"""The SMS channel's reminder desk, with a fake assistant for Rasa and the real notifier database: STOP / START in
four languages before Rasa, the consent question after a journey, "REMINDERS", and a reminder's "1" continuing the
conversation with the reminder's payload."""
from __future__ import annotations

import asyncio
import re
import sys
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from moments.channels.gateway import Conversation, SmsGateway, conversation_id_for
from moments.channels.menus import Menu, Option
from moments.channels.twilio_protocol import compute_signature, twiml_messages
from moments.notifier.store import Store

sys.path.insert(0, str(Path(__file__).parents[1] / "channels"))
from test_sms_gateway import KEYS, TOKEN, URL, config  # noqa: E402

PHONE = "+6591239876"


class Bot:
    def __init__(self, language="en"):
        self.lang, self.in_form, self.calls = language, False, []

    def ready(self):
        return True

    async def process(self, text, conversation_id, metadata, message_id):
        self.calls.append(text)
        if text.startswith("/book_appointment"):
            return [{"text": "Booked: AP-7K3M9Q2X on Mon 14 Dec, 9:00 am."}]
        return [{"text": f"You said {text}"}]

    async def conversation(self, conversation_id):
        return Conversation(language=self.lang, in_form=self.in_form)


@pytest.fixture
def setup(tmp_path):
    url = f"sqlite:///{tmp_path / 'notifier.db'}"
    gateway = SmsGateway(config(reminders_url=url))
    return gateway, Store(url).migrate(), conversation_id_for(PHONE, KEYS["conversation_key"])


def say(gateway, bot, body):
    params = [("MessageSid", "SM" + uuid.uuid4().hex), ("From", PHONE), ("Body", body)]
    reply = asyncio.run(gateway.handle(urlencode(params).encode(), URL, compute_signature(TOKEN, URL, params),
                                       "application/x-www-form-urlencoded", bot))
    assert reply.status == 200, reply.body
    return "\n".join(twiml_messages(reply.body))


@pytest.mark.parametrize("lang,stop,confirmation", [("en", "STOP", "no more reminders"), ("zh", "停止", "不再收到"),
                                                    ("ms", "berhenti", "tidak akan terima"),
                                                    ("ta", "நிறுத்து", "நிறுத்தப்பட்டன")])
def test_stop_and_start_in_four_languages_never_reach_rasa(setup, lang, stop, confirmation):
    gateway, store, cid = setup
    bot = Bot(lang)
    say(gateway, bot, "START")
    assert store.subscriber(cid).status == "on"
    assert confirmation in say(gateway, bot, stop)
    assert store.subscriber(cid).status == "off"
    for word in ("UNSUBSCRIBE", "quit", "StopAll"):
        say(gateway, bot, word)
    assert bot.calls == [] and store.subscriber(cid).status == "off"


@pytest.mark.parametrize("lang,how", [("en", "cancel appointment"), ("zh", "取消预约"), ("ms", "batal temujanji"),
                                      ("ta", "அப்பாயிண்ட்மென்ட்டை ரத்து செய்")])
def test_a_bare_cancel_stops_reminders_as_twilio_does_and_says_how_to_cancel_an_appointment(setup, lang, how):
    gateway, store, cid = setup
    bot = Bot(lang)
    say(gateway, bot, "START")
    reply = re.sub(r" \(\d/\d\)$", "", say(gateway, bot, "Cancel"), flags=re.M)
    assert store.subscriber(cid).status == "off" and reply.endswith(how), reply
    assert how not in say(gateway, bot, "START") + say(gateway, bot, "STOP")


def test_inside_a_form_stop_stops_the_journey_not_the_reminders(setup):
    gateway, store, cid = setup
    bot = Bot()
    say(gateway, bot, "START")
    bot.in_form = True
    say(gateway, bot, "stop")
    assert bot.calls == ["stop"] and store.subscriber(cid).status == "on"


def test_after_a_journey_consent_is_asked_once_and_1_says_yes(setup):
    gateway, store, cid = setup
    bot = Bot("ms")
    reply = say(gateway, bot, "/book_appointment")
    assert "AP-7K3M9Q2X" in reply and "Boleh saya ingatkan anda melalui SMS" in reply
    assert "Peringatan dihidupkan" in say(gateway, bot, "1")
    assert store.subscriber(cid).status == "on" and store.subscriber(cid).language == "ms"
    assert "Boleh saya" not in say(gateway, bot, "/book_appointment")  # once


def test_2_says_no_and_the_question_is_not_asked_again(setup):
    gateway, store, cid = setup
    bot = Bot("zh")
    assert "可以用短信提醒您" in say(gateway, bot, "/book_appointment")
    assert "不发提醒" in say(gateway, bot, "2")
    assert store.subscriber(cid).status == "declined"
    assert "可以用短信" not in say(gateway, bot, "/book_appointment")


def test_1_after_a_reminder_sends_its_payload_into_the_conversation(setup):
    gateway, store, cid = setup
    bot = Bot("ta")
    say(gateway, bot, "START")
    payload = '/book_appointment{"vaccination_child": "child-1"}'
    store.put_menu(cid, Menu([Option("தடுப்பூசி பதிவு", payload)], "ta", asked="…").to_json())
    say(gateway, bot, "1")
    assert bot.calls[-1] == payload


def test_reminders_lists_what_was_sent(setup):
    gateway, store, cid = setup
    bot = Bot("en")
    assert "Reminders are off" in say(gateway, bot, "REMINDERS")
    say(gateway, bot, "START")
    assert "none sent yet" in say(gateway, bot, "reminders")
    from datetime import datetime

    item = {"key": "vaccination:c:2026-12-14", "window": "due-7", "kind": "vaccination_due", "due_on": "2026-12-14"}
    claim = store.claim(cid, item, "body", datetime(2026, 12, 7, 10), 5, "test")
    store.sent(claim.reminder_id, "SM1", datetime(2026, 12, 7, 10))
    listing = say(gateway, bot, "Reminders")
    assert "vaccination due: 14 Dec 2026" in listing
