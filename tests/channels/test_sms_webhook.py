"""The SMS channel over real HTTP, against the Rasa server of the session `servers` fixture (tests/conftest.py),
which loads credentials.yml — so /webhooks/sms/webhook is live there, checking signatures with the test token
(SMS_ENV in tests/conftest.py). Requests are made the way Twilio makes them, by the simulator's SmsPhone.
"""
import random
import re

import pytest
import requests

from moments.channels.gateway import WEBHOOK_PATH, conversation_id_for
from moments.channels.menus import reply_hint
from moments.channels.segments import GSM7, UCS2, encoding_of, units
from moments.channels.simulator import SmsPhone, SmsReply, new_message_sid
from moments.nlu.scripts import count_scripts
from testkit import GREETINGS

pytestmark = pytest.mark.slow

# The main menu: utter_help's five buttons and "Delete my chat" (moments.channels.menus.main_menu_extras).
MAIN_MENU_OPTIONS = 6

# Words only the `channel: sms` variation of utter_baby_bonus_info has: proof SMS users get the short text.
SMS_ONLY = {"en": "$1-for-$1 co-matching", "zh": "存款一元对一元配对", "ms": "dipadankan $1 untuk $1", "ta": "டாலருக்கு டாலர்"}
BABY_BONUS_WORDS = {"en": "baby bonus", "zh": "婴儿花红", "ms": "bonus bayi", "ta": "பேபி போனஸ்"}
NUMBERED = re.compile(r" \((\d+)/(\d+)\)$")


def random_phone():
    """A mobile number no seeded person has (they are +65912345xx, +6598765432, +658123…), so the
    agencies do not know the sender: the answers are the general ones."""
    return f"+6580{random.randrange(10 ** 6):06d}"


class SmsUser:
    """A person texting the bot; reads their conversation back through Rasa's HTTP API."""

    def __init__(self, servers, phone=None):
        self.servers = servers
        self.phone = phone or random_phone()
        self.url = f"{servers.rasa_url}{WEBHOOK_PATH}"
        self.token = servers.env["TWILIO_AUTH_TOKEN"]
        self.sms = SmsPhone(self.url, self.phone, token=self.token)
        self.conversation_id = conversation_id_for(self.phone, servers.env["SMS_CONVERSATION_KEY"])

    def say(self, text, message_sid=None) -> SmsReply:
        reply = self.sms.send(text, message_sid)
        assert reply.status == 200, f"{reply.status}: {reply.text[:300]}"
        assert reply.messages, f"no SMS came back for {text!r}"
        return reply

    def tracker(self):
        r = self.servers.api("GET", f"/conversations/{self.conversation_id}/tracker", timeout=30)
        r.raise_for_status()
        return r.json()

    def slot(self, name):
        return self.tracker()["slots"].get(name)

    def user_events(self):
        return [e for e in self.tracker()["events"] if e["event"] == "user"]

    def last_responses(self):
        names = []
        for e in reversed(self.tracker()["events"]):
            if e["event"] == "user":
                break
            if e["event"] == "bot":
                names.append((e.get("metadata") or {}).get("utter_action"))
        return list(reversed(names))


@pytest.fixture
def user(servers):
    return SmsUser(servers)


def written_in(lang, text):
    c = count_scripts(text)
    if lang == "zh":
        return c.han > 0
    if lang == "ta":
        return c.tamil > 0
    return c.han == 0 and c.tamil == 0


def assert_fits_sms(reply: SmsReply, encoding=None):
    """Every <Message> is one SMS: <= 160 GSM-7 or 70 UCS-2 units, numbered (i/n) when there are several."""
    n = len(reply.messages)
    if encoding == UCS2:  # each SMS is encoded on its own: a part with only digits and Latin letters may be GSM-7
        assert any(encoding_of(m) == UCS2 for m in reply.messages), reply.messages
    for i, msg in enumerate(reply.messages, 1):
        enc = encoding_of(msg)
        if encoding == GSM7:
            assert enc == encoding, f"SMS {i} is {enc}, expected {encoding}: {msg!r}"
        limit = 160 if enc == GSM7 else 70
        assert units(msg, enc) <= limit, f"SMS {i}/{n} has {units(msg, enc)} > {limit} units: {msg!r}"
        if n > 1:
            m = NUMBERED.search(msg)
            assert m and (int(m.group(1)), int(m.group(2))) == (i, n), f"SMS {i} is not numbered ({i}/{n}): {msg!r}"


def menu_lines(reply: SmsReply):
    return [line for line in reply.joined().split("\n") if re.match(r"^\d+\. ", NUMBERED.sub("", line))]


# --- protocol ---------------------------------------------------------------------------------------

def test_reply_is_twiml_with_one_message_per_sms(user):
    r = user.sms.post(user.sms.form("hello"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/xml")
    assert r.text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert r.text.endswith("</Message></Response>")
    assert "*" not in r.text and "**" not in r.text


def test_health_answers_on_get(servers):
    r = requests.get(f"{servers.rasa_url}/webhooks/sms/", timeout=10)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


@pytest.mark.parametrize("how", ["missing", "wrong token", "other url", "tampered body"])
def test_a_bad_or_missing_signature_is_403_and_nothing_is_processed(servers, how):
    user = SmsUser(servers)
    form = user.sms.form("hello")
    if how == "missing":
        r = user.sms.post(form, sign=False)
    elif how == "wrong token":
        r = user.sms.post(form, headers={"X-Twilio-Signature": SmsPhone(user.url, token="not-it").signature(form)})
    elif how == "other url":
        r = user.sms.post(form, headers={"X-Twilio-Signature": SmsPhone("https://evil.example/x", token=user.token)
                                         .signature(form)})
    else:
        signature = user.sms.signature(form)
        tampered = [(k, "/human_handoff" if k == "Body" else v) for k, v in form]
        r = user.sms.post(tampered, headers={"X-Twilio-Signature": signature})
    assert r.status_code == 403, r.text
    assert user.user_events() == [], "a rejected request reached the conversation"
    assert user.say("hello").ok, "the same phone, signed properly, is served"


def test_rasa_sees_the_phone_in_metadata_but_not_as_the_conversation_id(user):
    user.say("hello")
    event = user.user_events()[-1]
    assert {k: event["metadata"][k] for k in ("channel", "phone")} == {"channel": "sms", "phone": user.phone}
    assert event["input_channel"] == "sms"
    assert user.conversation_id.startswith("sms-") and user.phone[1:] not in user.conversation_id


# --- menus in four languages ------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh", "ms", "ta"])
def test_greeting_gets_a_numbered_menu_and_a_digit_picks_from_it(servers, lang):
    user = SmsUser(servers)
    reply = user.say(GREETINGS[lang])
    assert user.slot("language") == lang
    assert user.last_responses()[-1] == "utter_help", "the greeting should end with the menu"
    text = "\n".join(NUMBERED.sub("", m) for m in reply.messages)
    assert written_in(lang, text), text
    assert len(menu_lines(reply)) == MAIN_MENU_OPTIONS, text
    assert reply_hint(MAIN_MENU_OPTIONS, lang) in text, f"no '{reply_hint(MAIN_MENU_OPTIONS, lang)}' in {text!r}"
    assert_fits_sms(reply, UCS2 if lang in ("zh", "ta") else GSM7)

    reply = user.say("2")
    assert user.last_responses()[:1] == ["utter_baby_bonus_info"]
    assert user.user_events()[-1]["text"] == "/ask_baby_bonus"
    assert written_in(lang, reply.joined())
    received = "".join(NUMBERED.sub("", m) for m in reply.messages)
    assert re.sub(r"\s", "", SMS_ONLY[lang]) in re.sub(r"\s", "", received), "not the `channel: sms` variation"
    assert_fits_sms(reply, UCS2 if lang in ("zh", "ta") else GSM7)


@pytest.mark.parametrize("lang", ["en", "zh", "ms", "ta"])
def test_the_options_words_pick_it_too(servers, lang):
    user = SmsUser(servers)
    user.say(GREETINGS[lang])
    user.say(BABY_BONUS_WORDS[lang])
    assert user.user_events()[-1]["text"] == "/ask_baby_bonus"
    assert user.last_responses()[:1] == ["utter_baby_bonus_info"]


def test_a_small_typo_in_the_words_is_forgiven(user):
    user.say(GREETINGS["en"])
    user.say("Bby Bonus")
    assert user.last_responses()[:1] == ["utter_baby_bonus_info"]


@pytest.mark.parametrize("lang,word", [("en", "0"), ("zh", "菜单"), ("ms", "menu utama"), ("ta", "பட்டியல்")])
def test_zero_or_a_menu_word_returns_to_the_main_menu_in_the_conversation_language(servers, lang, word):
    user = SmsUser(servers)
    user.say(GREETINGS[lang])
    user.say("2")
    reply = user.say(word)
    assert user.last_responses() == ["utter_help"]
    assert user.slot("language") == lang
    assert reply_hint(MAIN_MENU_OPTIONS, lang) in reply.joined()


@pytest.mark.parametrize("lang,expected", [
    ("en", "Sorry, there is no option 9."),
    ("zh", "对不起，没有选项 9。"),
    ("ms", "Maaf, tiada pilihan 9."),
    ("ta", "மன்னிக்கவும், 9 என்ற தேர்வு இல்லை."),
])
def test_a_digit_that_matches_no_option_is_explained_and_the_menu_repeated(servers, lang, expected):
    user = SmsUser(servers)
    user.say(GREETINGS[lang])
    before = len(user.tracker()["events"])
    reply = user.say("9")
    text = reply.joined()
    assert text.startswith(expected), text
    assert len(menu_lines(reply)) == MAIN_MENU_OPTIONS and reply_hint(MAIN_MENU_OPTIONS, lang) in text
    assert len(user.tracker()["events"]) == before, "a wrong number must not reach Rasa"


def test_after_an_answer_without_buttons_the_last_menu_still_works(user):
    user.say(GREETINGS["en"])
    user.say("thank you")
    assert user.last_responses() == ["utter_thank"]
    assert user.say("9").joined().startswith("Sorry, there is no option 9.")
    user.say("3")
    assert user.last_responses()[:1] == ["utter_vaccination_info"]


# --- segments ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,question", [
    ("zh", "婴儿花红可以拿多少钱？"),
    ("ta", "பேபி போனஸ் எவ்வளவு கிடைக்கும்?"),
    ("ta", "என் குழந்தைக்கு எந்த தடுப்பூசிகள் போட வேண்டும்?"),
])
def test_chinese_and_tamil_replies_are_split_into_numbered_70_character_sms(user, lang, question):
    reply = user.say(question)
    assert user.slot("language") == lang
    assert len(reply.messages) > 1
    assert_fits_sms(reply, UCS2)


def test_english_replies_are_gsm7_and_at_most_160_characters(user):
    reply = user.say("how much is the baby bonus for my first child?")
    assert user.last_responses()[:1] == ["utter_baby_bonus_info"]
    assert_fits_sms(reply, GSM7)


# --- retries and bad input --------------------------------------------------------------------------

def test_a_twilio_retry_is_processed_once_and_gets_the_same_reply(user):
    sid = new_message_sid()
    first = user.say("how much is the baby bonus?", message_sid=sid)
    second = user.say("how much is the baby bonus?", message_sid=sid)
    assert second.text == first.text
    assert len(user.user_events()) == 1, "the retry was processed again"


def test_an_oversized_request_is_413(user):
    r = user.sms.post(raw_body=b"Body=" + b"x" * (70 * 1024) + b"&From=%2B6591234567", sign=False)
    assert r.status_code == 413 and "too large" in r.text


def test_an_overlong_message_is_answered_politely_and_not_processed(servers):
    user = SmsUser(servers)
    user.say(GREETINGS["zh"])
    before = len(user.user_events())
    reply = user.say("很长" * 1500)
    assert reply.messages[0].startswith("对不起，您的信息太长了"), reply.messages
    assert len(user.user_events()) == before


@pytest.mark.parametrize("form,says", [
    ([("Body", "hello")], "From"),
    ([("From", "+6591234567")], "Body"),
    ([("From", "someone"), ("Body", "hello")], "E.164"),
])
def test_missing_or_malformed_fields_are_400(user, form, says):
    r = user.sms.post(form)
    assert r.status_code == 400 and says in r.text


def test_non_utf8_is_400(user):
    raw = b"From=%2B6591234567&Body=caf\xe9"
    r = user.sms.post(raw_body=raw, headers={"X-Twilio-Signature": "x"}, sign=False)
    assert r.status_code == 400 and "UTF-8" in r.text


def test_an_empty_message_asks_for_text(user):
    reply = user.say("")
    assert "I can only read text" in reply.joined()
    assert user.user_events() == []


# --- a whole conversation ---------------------------------------------------------------------------

def test_journey_by_sms_in_tamil_greet_menu_pick_2_answer_then_0_back_to_menu(user):
    """What exists today (the form-based journeys are being built): a Tamil speaker, digits only after hello."""
    reply = user.say("வணக்கம்")
    assert user.slot("language") == "ta"
    assert len(menu_lines(reply)) == MAIN_MENU_OPTIONS
    assert_fits_sms(reply, UCS2)

    reply = user.say("2")
    assert user.last_responses()[:1] == ["utter_baby_bonus_info"]
    assert "$11,000" in reply.joined() and written_in("ta", reply.joined())
    assert_fits_sms(reply, UCS2)

    reply = user.say("0")
    assert user.last_responses() == ["utter_help"]
    assert reply_hint(MAIN_MENU_OPTIONS, "ta") in reply.joined()

    reply = user.say("3")
    assert user.last_responses()[:1] == ["utter_vaccination_info"]
    assert "BCG" in reply.joined()
    assert [e["metadata"]["phone"] for e in user.user_events()] == [user.phone] * 4


# --- make sms ---------------------------------------------------------------------------------------

def test_the_simulator_texts_the_webhook_and_shows_each_sms_with_its_size(servers, capsys):
    from moments.channels.simulator import main

    phone = random_phone()
    code = main(["--url", f"{servers.rasa_url}{WEBHOOK_PATH}", "--from", phone,
                 f"--token={servers.env['TWILIO_AUTH_TOKEN']}", "-m", "hello", "-m", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "you › hello" in out and "Reply 1-6" in out
    assert re.search(r"\[SMS 1/\d+ · GSM-7 \d+/160\]", out), out
    assert "$11,000" in out


def test_the_simulator_lists_seeded_people_and_defaults_to_a_registered_mobile(capsys):
    from moments.channels.simulator import DEFAULT_PERSON, main, mobile_of

    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert DEFAULT_PERSON in out and mobile_of(DEFAULT_PERSON) in out
    assert re.fullmatch(r"\+65[89]\d{7}", mobile_of(DEFAULT_PERSON))


# --- "0" inside a form, on the real stack -------------------------------------------------------------------------

@pytest.mark.parametrize("lang,greeting,stop_question", [
    ("en", "hello", "Stop the birth registration?"),
    ("ta", "வணக்கம்", "பிறப்பு பதிவை நிறுத்தவா?"),
])
def test_zero_inside_the_registration_form_asks_first_and_never_answers_the_form(servers, lang, greeting,
                                                                               stop_question):
    """A seeded parent starts registering by SMS, then texts 0: asked whether to stop, '2' brings the question
    back (no turn in Rasa), the next '1' answers the form's own menu; '0' then '1' stops the registration."""
    from moments.agencies.seed import PEOPLE

    person = next(p for p in PEOPLE if p.key == ("lim" if lang == "en" else "priya"))
    user = SmsUser(servers, phone=person.mobile)
    user.say(greeting)
    user.say("1")                                            # main menu: register a birth
    if user.last_responses()[-1:] == ["utter_ask_myinfo_consent"]:
        user.say("1")                                        # consent: yes
    assert user.last_responses()[-1:] == ["utter_ask_birth_notification"], user.last_responses()
    assert user.tracker()["active_loop"].get("name") == "birth_registration_form"
    before = len(user.user_events())

    asked = user.say("0").joined()
    assert stop_question in asked, asked
    back = user.say("2").joined()
    assert len(user.user_events()) == before, "'0' and '2. go on' are answered by the channel, not the form"
    assert NUMBERED.sub("", back.split("\n")[-1]).strip() and "1." in back, back   # the notification menu again

    user.say("1")                                            # the form's own menu: the first baby
    assert user.last_responses()[-1:] == ["utter_ask_birth_child_name"], user.last_responses()
    assert user.say("0").joined().count(stop_question) == 1
    user.say("1")                                            # yes, stop
    assert user.tracker()["active_loop"].get("name") in (None, ""), "the form is still running"
    assert "utter_journey_stopped" in user.last_responses() or "utter_stop" in user.last_responses()
