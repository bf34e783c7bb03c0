"""The webhook's logic without a server: a fake assistant stands in for Rasa.

Covers what is awkward to provoke over HTTP: startup refusal without secrets, development mode, replays,
the signed identity record, concurrent Twilio retries, a failing assistant or store, and the Redis-backed
store that several Rasa replicas share (skipped with a reason when Redis is not on 127.0.0.1:6379).
Every request is signed with TOKEN unless a test says otherwise (the gateway refuses unsigned ones).
"""
import asyncio
import socket
import time
import uuid
from urllib.parse import urlencode

import pytest

from moments.channels import identity
from moments.channels.gateway import Conversation, SmsConfig, SmsGateway, StartupRefused, conversation_id_for
from moments.channels.menus import Menu, Option, reply_hint
from moments.channels.stores import ClaimState, MemorySmsStore, RedisSmsStore, StoredReply, store_from_url
from moments.channels.twilio_protocol import compute_signature, twiml_messages

URL = "https://bot.example.sg/webhooks/sms/webhook"
PHONE = "+6591234567"
TOKEN = "twilio-test-token-" + "x" * 16
KEYS = {"conversation_key": "conversation-test-key-0123456789", "identity_key": "identity-test-key-0123456789ab"}


def config(**kw):
    """A configuration that would start: strong token and keys (override any of them)."""
    return SmsConfig(**{"auth_token": TOKEN, **KEYS, **kw})
MENU_BUTTONS = [{"title": "Register a birth", "payload": "/register_birth"},
                {"title": "Baby Bonus", "payload": "/ask_baby_bonus"}]


class FakeAssistant:
    """Answers like the bot: /help shows a two-option menu, anything else gets an echo."""

    def __init__(self, language="en", delay=0.0, fail=False, ready=True):
        self.in_form = False
        self.calls = []
        self.lang = language
        self.delay = delay
        self.fail = fail
        self._ready = ready

    def ready(self):
        return self._ready

    async def process(self, text, conversation_id, metadata, message_id):
        self.calls.append((text, conversation_id, metadata, message_id))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("boom")
        if text == "/help":
            return self._said([{"text": "I can help with:", "buttons": MENU_BUTTONS}])
        return self._said([{"text": f"You said {text}"}])

    def _said(self, messages):
        self.last_turn = tuple(messages)  # as the tracker holds them (BotUttered events after the user's)
        return messages

    async def conversation(self, conversation_id):
        return Conversation(language=self.lang, in_form=self.in_form, last_turn=getattr(self, "last_turn", ()))


def form(body="hello", sid=None, phone=PHONE, **extra):
    return [("MessageSid", sid or "SM" + uuid.uuid4().hex), ("From", phone), ("Body", body),
            *extra.items()]


def run(coro):
    return asyncio.run(coro)


async def post(gateway, params, assistant, token=TOKEN, url=URL, signature=None,
               content_type="application/x-www-form-urlencoded"):
    body = urlencode(params).encode()
    if token and signature is None:
        signature = compute_signature(token, url, params)
    return await gateway.handle(body, url, signature, content_type, assistant)


def redis_reachable():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


_REDIS_PREFIXES = []


def make_store(kind):
    if kind == "memory":
        return MemorySmsStore()
    if not redis_reachable():
        pytest.skip("Redis is not running on 127.0.0.1:6379 (start it to test the multi-replica store)")
    prefix = f"moments-test:{uuid.uuid4().hex[:8]}:"
    _REDIS_PREFIXES.append(prefix)
    return RedisSmsStore("redis://127.0.0.1:6379/15", key_prefix=prefix)


@pytest.fixture(autouse=True, scope="module")
def _remove_test_keys_from_redis():
    yield
    if _REDIS_PREFIXES:
        import redis

        r = redis.Redis.from_url("redis://127.0.0.1:6379/15")
        for prefix in _REDIS_PREFIXES:
            for key in r.scan_iter(f"{prefix}*"):
                r.delete(key)
        r.close()


STORES = pytest.mark.parametrize("store_kind", ["memory", pytest.param("redis", marks=pytest.mark.redis)])


# --- signatures -------------------------------------------------------------------------------------

def test_without_a_token_nothing_is_processed_even_unsigned():
    gw, bot = SmsGateway(SmsConfig(auth_token="", **KEYS)), FakeAssistant()
    assert run(post(gw, form("hello"), bot, token=None)).status == 403
    assert run(post(gw, form("hello"), bot, token="")).status == 403
    assert bot.calls == []


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "garbage"])
def test_with_a_token_a_missing_or_bad_signature_is_403_and_nothing_is_processed(signature):
    gw, bot = SmsGateway(config()), FakeAssistant()
    params = form("hello")
    body = urlencode(params).encode()
    reply = run(gw.handle(body, URL, signature, "application/x-www-form-urlencoded", bot))
    assert reply.status == 403 and "X-Twilio-Signature" in reply.body
    assert bot.calls == []


def test_a_signature_for_another_url_or_token_is_rejected():
    gw, bot = SmsGateway(config()), FakeAssistant()
    params = form("hello")
    assert run(post(gw, params, bot, signature=compute_signature(TOKEN, URL + "x", params))).status == 403
    assert run(post(gw, params, bot, token="other")).status == 403
    assert bot.calls == []
    assert run(post(gw, params, bot)).status == 200
    assert len(bot.calls) == 1


def test_a_signed_request_without_a_message_sid_is_refused():
    gw, bot = SmsGateway(config()), FakeAssistant()
    reply = run(post(gw, [("From", PHONE), ("Body", "yes")], bot))
    assert reply.status == 400 and "MessageSid" in reply.body
    assert bot.calls == []


# --- replays ----------------------------------------------------------------------------------------

def test_the_same_message_sid_with_another_body_is_403():
    gw, bot = SmsGateway(config()), FakeAssistant()
    sid = "SM" + uuid.uuid4().hex
    assert run(post(gw, form("hello", sid=sid), bot)).status == 200
    replayed = run(post(gw, form("yes", sid=sid), bot))  # properly signed (someone who has the token), other body
    assert replayed.status == 403 and "already processed" in replayed.body
    assert [c[0] for c in bot.calls] == ["hello"]


def test_the_same_request_after_the_retry_window_is_403(monkeypatch):
    from moments.channels import stores

    gw, bot = SmsGateway(config()), FakeAssistant()
    params = form("yes")
    first = run(post(gw, params, bot))
    assert run(post(gw, params, bot)) == first, "Twilio's retry (at once) gets the first reply"
    later = time.time() + stores.RETRY_WINDOW + 1
    monkeypatch.setattr(stores.time, "time", lambda: later)
    replayed = run(post(gw, params, bot))
    assert replayed.status == 403 and "already processed" in replayed.body
    assert len(bot.calls) == 1


# --- starting the channel ---------------------------------------------------------------------------

STRONG_ENV = {"TWILIO_AUTH_TOKEN": TOKEN, "SMS_CONVERSATION_KEY": KEYS["conversation_key"],
              "CHANNEL_IDENTITY_KEY": KEYS["identity_key"]}


@pytest.mark.parametrize("name,value", [
    ("TWILIO_AUTH_TOKEN", ""), ("TWILIO_AUTH_TOKEN", "secret"), ("TWILIO_AUTH_TOKEN", "short-token"),
    ("SMS_CONVERSATION_KEY", ""), ("SMS_CONVERSATION_KEY", "moments-sms-development-key"),
    ("CHANNEL_IDENTITY_KEY", ""),
])
def test_the_channel_refuses_to_start_without_strong_secrets(name, value):
    env = {**STRONG_ENV, name: value}
    with pytest.raises(StartupRefused) as refused:
        SmsConfig.from_credentials({}, env).checked(env)
    assert name in str(refused.value) and "MOMENTS_DEV=1" in str(refused.value)
    assert isinstance(refused.value, SystemExit), "Rasa must stop, not log and go on"


def test_the_channel_starts_with_strong_secrets():
    c = SmsConfig.from_credentials({}, STRONG_ENV).checked(STRONG_ENV)
    assert (c.auth_token, c.check_signatures, c.conversation_key, c.identity_key) == (
        TOKEN, True, KEYS["conversation_key"], KEYS["identity_key"])


def test_development_mode_starts_with_a_loud_warning_and_no_token_means_unchecked(capsys):
    env = {"MOMENTS_DEV": "1"}
    c = SmsConfig.from_credentials({}, env).checked(env)
    err = capsys.readouterr().err
    assert "WARNING (development mode)" in err and "TWILIO_AUTH_TOKEN" in err and "NOT checked" in err
    assert c.check_signatures is False and len(c.conversation_key) >= 32 and c.identity_key == ""
    gw, bot = SmsGateway(c), FakeAssistant()
    assert run(post(gw, [("From", PHONE), ("Body", "hello")], bot, token=None)).status == 200
    assert bot.calls[0][3].startswith("SMdev"), "each unsigned request still gets its own message id"
    assert identity.METADATA_KEY not in bot.calls[0][2], "no identity key: nobody is identified"


def test_development_mode_with_a_weak_token_still_checks_it(capsys):
    env = {**STRONG_ENV, "TWILIO_AUTH_TOKEN": "test", "MOMENTS_DEV": "1"}
    c = SmsConfig.from_credentials({}, env).checked(env)
    assert "WARNING (development mode)" in capsys.readouterr().err
    gw, bot = SmsGateway(c), FakeAssistant()
    assert run(post(gw, form("hello"), bot, token=None)).status == 403
    assert run(post(gw, form("hello"), bot, token="test")).status == 200


# --- what Rasa receives -----------------------------------------------------------------------------

def test_rasa_gets_the_phone_and_a_signed_identity_record_and_a_pseudonymous_conversation_id():
    gw, bot = SmsGateway(config()), FakeAssistant()
    params = form("hello", sid="SM1")
    run(post(gw, params, bot))
    text, cid, metadata, message_id = bot.calls[0]
    record = metadata.pop(identity.METADATA_KEY)
    assert metadata == {"channel": "sms", "phone": PHONE}
    assert cid == conversation_id_for(PHONE, KEYS["conversation_key"]) and PHONE not in cid and "4567" not in cid
    assert message_id == "SM1"
    assert conversation_id_for(PHONE, "other key") != cid
    assert identity.verify_record(KEYS["identity_key"], record, cid, "SM1") == PHONE
    assert abs(record["ts"] - time.time()) < 5


def test_conversation_ids_need_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SMS_CONVERSATION_KEY", raising=False)
    monkeypatch.setenv("MOMENTS_SECRETS_FILE", str(tmp_path / "none.env"))
    with pytest.raises(ValueError, match="SMS_CONVERSATION_KEY"):
        conversation_id_for(PHONE)
    (tmp_path / "none.env").write_text("SMS_CONVERSATION_KEY=from-the-file-0123456789\n")
    assert conversation_id_for(PHONE) == conversation_id_for(PHONE, "from-the-file-0123456789")


def test_whatsapp_senders_are_marked_and_not_split_into_sms_segments():
    gw, bot = SmsGateway(config()), FakeAssistant()
    reply = run(post(gw, form("x" * 300, phone="whatsapp:" + PHONE), bot))
    assert {k: v for k, v in bot.calls[0][2].items() if k != identity.METADATA_KEY} == {
        "channel": "sms", "phone": PHONE, "transport": "whatsapp"}
    assert len(twiml_messages(reply.body)) == 1


def test_a_failing_assistant_gets_a_polite_localised_reply_not_a_5xx():
    gw = SmsGateway(config())
    reply = run(post(gw, form("hello"), FakeAssistant(language="zh", fail=True)))
    assert reply.status == 200
    assert twiml_messages(reply.body) == ["对不起，我现在无法回复。请过几分钟再试。"]


def test_while_the_model_loads_the_user_is_asked_to_try_again():
    bot = FakeAssistant(language="ms", ready=False)
    reply = run(post(SmsGateway(config()), form("hello"), bot))
    assert reply.status == 200 and "cuba lagi" in reply.body and bot.calls == []


def test_a_broken_store_gives_a_polite_reply_and_processes_nothing():
    store = RedisSmsStore("redis://127.0.0.1:1/0")  # nothing listens on port 1
    bot = FakeAssistant()
    reply = run(post(SmsGateway(config(), store), form("hello"), bot))
    assert reply.status == 200 and "try again" in reply.body and bot.calls == []


# --- bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,status,says", [
    (b"Body=hello", 400, "From"),
    (b"From=%2B6591234567", 400, "Body"),
    (b"From=&Body=hi", 400, "From"),
    (b"From=not-a-number&Body=hi", 400, "E.164"),
    (b"From=%2B6591234567&Body=%FF", 400, "UTF-8"),
    (b"x" * (64 * 1024 + 1), 413, "Payload too large"),
])
def test_malformed_requests_get_clear_4xx(body, status, says):
    from moments.channels.twilio_protocol import FormError, parse_form

    bot = FakeAssistant()
    try:  # signed as Twilio would sign it, so that the reply is about the fields, not the signature
        signature = compute_signature(TOKEN, URL, parse_form(body))
    except FormError:
        signature = None
    reply = run(SmsGateway(config()).handle(body, URL, signature, "application/x-www-form-urlencoded", bot))
    assert reply.status == status and says in reply.body
    assert bot.calls == []


def test_json_is_refused_with_415():
    reply = run(SmsGateway(config()).handle(b'{"From": "+6591234567"}', URL, None, "application/json",
                                               FakeAssistant()))
    assert reply.status == 415 and "x-www-form-urlencoded" in reply.body


# --- retries and menus, on both stores --------------------------------------------------------------

@STORES
def test_a_retried_message_is_processed_once_and_gets_the_same_twiml(store_kind):
    async def scenario():
        gw, bot = SmsGateway(config(), make_store(store_kind)), FakeAssistant()
        params = form("hello", sid="SMretry" + uuid.uuid4().hex)
        first, second = await post(gw, params, bot), await post(gw, params, bot)
        assert first == second and first.status == 200
        assert len(bot.calls) == 1

    run(scenario())


@STORES
def test_a_retry_arriving_while_the_first_is_processed_waits_for_its_reply(store_kind):
    async def scenario():
        gw, bot = SmsGateway(config(), make_store(store_kind)), FakeAssistant(delay=0.5)
        params = form("slow", sid="SMconc" + uuid.uuid4().hex)
        replies = await asyncio.gather(post(gw, params, bot), post(gw, params, bot), post(gw, params, bot))
        assert len(bot.calls) == 1, "Twilio's retry was processed again"
        assert replies[0] == replies[1] == replies[2]
        assert twiml_messages(replies[0].body) == ["You said slow"]

    run(scenario())


@STORES
def test_the_same_message_sid_from_another_number_is_not_replayed(store_kind):
    async def scenario():
        gw, bot = SmsGateway(config(), make_store(store_kind)), FakeAssistant()
        sid = "SMshared" + uuid.uuid4().hex
        await post(gw, form("mine", sid=sid, phone="+6591234567"), bot)
        other = await post(gw, form("theirs", sid=sid, phone="+6598765432"), bot)
        assert twiml_messages(other.body) == ["You said theirs"], "someone else's reply was handed out"
        assert len(bot.calls) == 2

    run(scenario())


@STORES
def test_menu_is_remembered_per_sender_and_digits_map_to_payloads(store_kind):
    async def scenario():
        gw, bot = SmsGateway(config(), make_store(store_kind)), FakeAssistant()
        phone = f"+659{uuid.uuid4().int % 10**7:07d}"
        menu = await post(gw, form("menu", phone=phone), bot)
        assert twiml_messages(menu.body) == ["I can help with:\n1. Register a birth\n2. Baby Bonus\nReply 1 or 2"]
        await post(gw, form("2", phone=phone), bot)
        assert bot.calls[-1][0] == "/ask_baby_bonus"
        # Another phone has no menu: its "2" is text.
        await post(gw, form("2", phone="+6598765432"), bot)
        assert bot.calls[-1][0] == "2"
        # The answer to "2" had no buttons: the menu stays, "1" still picks from it.
        await post(gw, form("1", phone=phone), bot)
        assert bot.calls[-1][0] == "/register_birth"
        # Once a form asks questions, numbers are answers, not menu picks.
        bot.in_form = True
        await post(gw, form("my baby", phone=phone), bot)
        await post(gw, form("2", phone=phone), bot)
        assert bot.calls[-1][0] == "2"

    run(scenario())


@STORES
def test_a_menu_in_another_language_is_forgotten(store_kind):
    async def scenario():
        gw, bot = SmsGateway(config(), make_store(store_kind)), FakeAssistant()
        phone = f"+659{uuid.uuid4().int % 10**7:07d}"
        await post(gw, form("menu", phone=phone), bot)
        bot.lang = "zh"  # the user wrote in Chinese; the bot answered in Chinese without buttons
        await post(gw, form("婴儿花红有多少", phone=phone), bot)
        await post(gw, form("1", phone=phone), bot)
        assert bot.calls[-1][0] == "1"

    run(scenario())


@STORES
def test_a_number_not_on_the_menu_repeats_it_in_the_conversation_language(store_kind):
    async def scenario():
        store = make_store(store_kind)
        gw, bot = SmsGateway(config(), store), FakeAssistant(language="ms")
        cid = conversation_id_for(PHONE, KEYS["conversation_key"])
        await store.set_menu(cid, Menu([Option("Daftar kelahiran", "/register_birth"),
                                        Option("Bonus Bayi", "/ask_baby_bonus")], "ms"))
        reply = await post(gw, form("7"), bot)
        assert twiml_messages(reply.body) == ["Maaf, tiada pilihan 7.\n1. Daftar kelahiran\n2. Bonus Bayi\nBalas 1 atau 2"]
        assert bot.calls == [], "a wrong number must not reach Rasa"

    run(scenario())


@STORES
def test_store_claims(store_kind):
    async def scenario():
        store = make_store(store_kind)
        key = uuid.uuid4().hex
        assert await store.claim(key) == (ClaimState.NEW, None)
        assert await store.claim(key) == (ClaimState.PENDING, None)
        reply = StoredReply(200, "<Response/>", "application/xml")
        await store.finish(key, reply)
        assert await store.claim(key) == (ClaimState.DONE, reply)
        await store.close()

    run(scenario())


def test_store_is_chosen_by_url():
    assert isinstance(store_from_url(""), MemorySmsStore)
    assert isinstance(store_from_url("memory"), MemorySmsStore)
    assert isinstance(store_from_url("redis://127.0.0.1:6379/2"), RedisSmsStore)
    with pytest.raises(ValueError):
        store_from_url("postgres://x")


# --- bodies -----------------------------------------------------------------------------------------

def test_an_overlong_body_is_refused_politely_in_the_users_language():
    bot = FakeAssistant(language="ta")
    reply = run(post(SmsGateway(config(max_body_chars=50)), form("x" * 51), bot))
    assert reply.status == 200 and "50" in reply.body and "மன்னிக்கவும்" in reply.body
    assert bot.calls == []


def test_an_empty_body_asks_for_text():
    bot = FakeAssistant(language="zh")
    reply = run(post(SmsGateway(config()), form("   "), bot))
    assert twiml_messages(reply.body) == ["我只能看文字信息。请输入您的问题，或回复 0 查看菜单。"]
    assert bot.calls == []


# --- configuration ----------------------------------------------------------------------------------

def test_options_name_environment_variables():
    env = {"MY_TOKEN": "t0k", "SMS_PUBLIC_URL": "https://bot.example.sg", "SMS_STORE_URL": "redis://r:6379/2"}
    c = SmsConfig.from_credentials({"auth_token_env": "MY_TOKEN", "max_body_chars": 500}, env)
    assert (c.auth_token, c.public_url, c.store_url, c.max_body_chars) == ("t0k", "https://bot.example.sg",
                                                                          "redis://r:6379/2", 500)
    assert SmsConfig.from_credentials({}, {}).conversation_key == "", "no working default key"
    assert SmsConfig.from_credentials({"auth_token": "literal"}, {"TWILIO_AUTH_TOKEN": "env"}).auth_token == "literal"


# --- "0" inside a form --------------------------------------------------------------------------------

class FormAssistant(FakeAssistant):
    """A bot with a form running: it asks a question with one option ("1. Skip") until /stop ends the form."""

    def __init__(self, language="en"):
        super().__init__(language)
        self.in_form = True

    async def process(self, text, conversation_id, metadata, message_id):
        self.calls.append((text, conversation_id, metadata, message_id))
        if text == "/stop":
            self.in_form = False
            return self._said([{"text": "Stopped."}])
        return self._said([{"text": "Dialect?", "buttons": [{"title": "Skip", "payload": "/deny"}]}])

    async def conversation(self, conversation_id):
        return Conversation(language=self.lang, in_form=self.in_form,
                            form="birth_registration_form" if self.in_form else None,
                            last_turn=getattr(self, "last_turn", ()))


@STORES
@pytest.mark.parametrize("lang,word,question", [
    ("en", "0", "Stop the birth registration?\n1. Yes, stop\n2. No, go on\nReply 1 or 2"),
    ("zh", "菜单", "要停止出生登记吗？\n1. 是，停止\n2. 不，继续\n请回复 1 或 2"),
    ("ms", "menu utama", "Berhenti pendaftaran kelahiran?\n1. Ya, berhenti\n2. Tidak, teruskan\nBalas 1 atau 2"),
    ("ta", "0", "பிறப்பு பதிவை நிறுத்தவா?\n1. ஆம்\n2. இல்லை\nபதில்: 1 அல்லது 2"),
])
def test_zero_inside_a_form_asks_to_stop_and_2_shows_the_question_again(store_kind, lang, word, question):
    async def scenario():
        gw, bot = SmsGateway(config(), make_store(store_kind)), FormAssistant(lang)
        phone = f"+659{uuid.uuid4().int % 10**7:07d}"
        await post(gw, form("Tan Kai Xuan", phone=phone), bot)
        calls = len(bot.calls)
        asked = await post(gw, form(word, phone=phone), bot)
        assert "\n".join(twiml_messages(asked.body)) == question
        assert len(bot.calls) == calls, "the menu word must not reach Rasa while the form waits for an answer"
        back = await post(gw, form("2", phone=phone), bot)
        text = "\n".join(twiml_messages(back.body))
        assert text.endswith("Dialect?\n1. Skip\n" + reply_hint(1, lang)), text
        assert len(bot.calls) == calls, "'2. go on' is answered by the channel"
        await post(gw, form("1", phone=phone), bot)   # the form's own menu again: 1 = Skip
        assert bot.calls[-1][0] == "/deny"

    run(scenario())


@STORES
def test_zero_inside_a_form_then_1_stops_it_and_the_next_digit_is_not_an_answer(store_kind):
    async def scenario():
        gw, bot = SmsGateway(config(), make_store(store_kind)), FormAssistant("en")
        phone = f"+659{uuid.uuid4().int % 10**7:07d}"
        await post(gw, form("hello", phone=phone), bot)
        await post(gw, form("0", phone=phone), bot)
        await post(gw, form("1", phone=phone), bot)
        assert bot.calls[-1][0] == "/stop" and not bot.in_form
        await post(gw, form("0", phone=phone), bot)   # outside a form: the main menu, as before
        assert bot.calls[-1][0] == "/help"

    run(scenario())


# --- a store that forgot (restart of a one-server set-up, expiry): the menu is read back from the conversation --

def test_after_a_restart_a_digit_still_picks_from_the_menu_the_texter_is_reading():
    async def scenario():
        bot = FakeAssistant("en")
        await post(SmsGateway(config(), MemorySmsStore()), form("0"), bot)  # the main menu
        restarted = SmsGateway(config(), MemorySmsStore())  # nothing remembered
        await post(restarted, form("2"), bot)
        assert bot.calls[-1][0] == "/ask_baby_bonus"

    run(scenario())


def test_after_a_restart_zero_then_2_inside_a_form_shows_the_forms_question_again():
    async def scenario():
        bot = FormAssistant("en")
        await post(SmsGateway(config(), MemorySmsStore()), form("Tan Kai Xuan"), bot)
        restarted = SmsGateway(config(), MemorySmsStore())
        calls = len(bot.calls)
        asked = await post(restarted, form("0"), bot)
        assert "Stop the birth registration?" in "\n".join(twiml_messages(asked.body))
        back = "\n".join(twiml_messages((await post(restarted, form("2"), bot)).body))
        assert back.endswith("Dialect?\n1. Skip\n" + reply_hint(1, "en")), back
        assert len(bot.calls) == calls
        await post(restarted, form("1"), bot)
        assert bot.calls[-1][0] == "/deny", "1 is the form's own option, not text"

    run(scenario())


def test_a_reply_without_options_outside_a_form_leaves_digits_as_text():
    async def scenario():
        bot = FakeAssistant("en")
        await post(SmsGateway(config(), MemorySmsStore()), form("hello"), bot)
        await post(SmsGateway(config(), MemorySmsStore()), form("2"), bot)
        assert bot.calls[-1][0] == "2"

    run(scenario())


def test_the_last_turn_is_the_bots_messages_after_the_last_user_message():
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    from moments.channels.sms import last_turn

    buttons = [{"title": "Yes", "payload": "/affirm"}]
    events = [BotUttered("Hi"), UserUttered("hello"), ActionExecuted("utter_greet"), BotUttered("Hello!"),
              SlotSet("language", "en"), BotUttered("Which?", data={"buttons": buttons}), ActionExecuted("action_listen")]
    assert last_turn(events) == ({"text": "Hello!"}, {"text": "Which?", "buttons": buttons})
    assert last_turn(events[:3]) == ()
