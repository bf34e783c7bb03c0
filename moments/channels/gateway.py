"""The SMS webhook's logic: a Rasa input channel for text messages (SMS, WhatsApp), Twilio-style.

    POST /webhooks/sms/webhook   form-encoded From, Body, MessageSid  ->  TwiML <Response><Message>…

- The reply is returned in the HTTP response as TwiML, one <Message> per SMS segment (no outbound call).
- X-Twilio-Signature is always checked, with the installation's TWILIO_AUTH_TOKEN (var/secrets.env, which
  `make sms` and the tests sign with); a bad or missing signature gets 403 and nothing is processed. The
  channel refuses to start without a strong token, SMS_CONVERSATION_KEY and CHANNEL_IDENTITY_KEY, unless
  MOMENTS_DEV=1 (then it says so on the terminal, and an empty token means unchecked requests).
- Replays: a MessageSid is processed once. Twilio's retry (the same signed request within RETRY_WINDOW) gets
  the first reply back; the same MessageSid with other parameters, or the same request later, gets 403.
- Buttons become a numbered menu in the conversation's language; "2", the option's words or "menu"/"0"
  are mapped back (moments.channels.menus). The last menu stays valid after answers without buttons,
  until a form starts asking questions (whose answers may be numbers) or the language changes. Replies are plain text split into as few GSM-7/UCS-2
  segments as possible (moments.channels.segments), using the responses' `channel: sms` variations.
- Rasa sees metadata {"channel": "sms", "phone": "+65…", "sms_identity": {…signed record…}}: the action server
  believes the number only from the record signed with CHANNEL_IDENTITY_KEY (moments.channels.identity). The
  conversation ID is a keyed hash of the number ("sms-…"), so phone numbers never appear as conversation IDs in
  the tracker store or logs.
- A Twilio retry (same MessageSid from the same number) gets the first reply back without being
  processed again; menus and replies live in a `SmsStore` (in-process, or Redis for several replicas).

`SmsGateway.handle` is the webhook (bytes in, TwiML out); `moments.channels.sms.SmsInput` wires it to
Rasa's Sanic server, and tests drive it with a fake `Assistant`.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Protocol, Text, Tuple

from moments.channels import identity as sms_identity
from moments.channels.menus import (RESUME_PAYLOAD, Kind, Menu, Option, channel_text, language_or_default,
                                    main_menu_extras, reply_hint, select, stop_question)
from moments.channels.plain_text import to_plain_text
from moments.channels.segments import Segments, is_gsm7, split_sms
from moments.text.formatting import sms_dates
from moments.channels.stores import RETRY_WINDOW, ClaimState, SmsStore, StoredReply, store_from_url
from moments.channels.twilio_protocol import (
    FormError,
    normalise_sender,
    parse_form,
    twiml,
    valid_signature,
)
from moments.privacy import mask_personal, mask_phone
from moments.ratelimit import ChannelLimits, slow_down_text

logger = logging.getLogger(__name__)

CHANNEL_NAME = "sms"
WEBHOOK_PATH = "/webhooks/sms/webhook"
TWIML_TYPE = "application/xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
WHATSAPP_LIMIT = 1600  # Twilio's limit for one WhatsApp message body; WhatsApp has no 160/70 segments


def mask_number(phone: str) -> str:
    """'+6591234567' -> '****4567'; any other number keeps only its last 4 digits too."""
    masked = mask_phone(phone)
    return masked if masked != phone else "****" + phone[-4:]


def conversation_key_from_environment() -> str:
    """SMS_CONVERSATION_KEY from the environment, else from this installation's secrets file (var/secrets.env)."""
    from moments import secrets

    key = os.environ.get("SMS_CONVERSATION_KEY") or secrets.read(secrets.secrets_file()).get("SMS_CONVERSATION_KEY")
    if not key:
        raise ValueError("SMS_CONVERSATION_KEY is not set and there is no var/secrets.env yet (run `make run` once, "
                         "or `python -m moments.secrets ensure`)")
    return key


def conversation_id_for(phone: str, key: Optional[str] = None) -> str:
    """The Rasa conversation ID of a phone number: 'sms-' + a keyed hash (stable, not reversible
    without the key). Tools that know the number can find the conversation with this function
    (the key: SMS_CONVERSATION_KEY, from the environment or var/secrets.env)."""
    if key is None:
        key = conversation_key_from_environment()
    if not key:
        raise ValueError("an SMS conversation id needs SMS_CONVERSATION_KEY")
    digest = hmac.new(key.encode("utf-8"), phone.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"sms-{digest[:24]}"


class StartupRefused(SystemExit):
    """The channel's secrets are missing or weak (outside MOMENTS_DEV=1): Rasa must not start."""


@dataclass
class SmsConfig:
    auth_token: str = ""              # TWILIO_AUTH_TOKEN; empty: every request is refused (403) ...
    check_signatures: bool = True     # ... unless this is False (MOMENTS_DEV=1 without a token only)
    public_url: str = ""              # base URL Twilio calls (https://bot.example.sg); empty: the request's URL
    store_url: str = ""               # '' / 'memory' or redis://host:6379/2
    conversation_key: str = ""        # SMS_CONVERSATION_KEY; never a default (ids would be computable)
    identity_key: str = ""            # CHANNEL_IDENTITY_KEY: signs the identity record the actions verify
    reminders_url: str = ""           # NOTIFIER_DATABASE_URL: reminders' consent, STOP/START and reply menus (off if empty)
    max_body_chars: int = 2000        # longer Body: a polite "too long" reply, not processed
    max_request_bytes: int = 64 * 1024  # larger request: 413
    retry_wait_seconds: float = 20.0  # a retry that arrives while the first delivery is still processed waits
    retry_window_seconds: float = RETRY_WINDOW  # a retry later than this is a replay (403)

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]], environ: Optional[Dict[str, str]] = None
                         ) -> "SmsConfig":
        """Options in credentials.yml name environment variables, so secrets stay out of the file:

            moments.channels.sms.SmsInput:
              auth_token_env: TWILIO_AUTH_TOKEN
              public_url_env: SMS_PUBLIC_URL
              store_url_env: SMS_STORE_URL
              conversation_key_env: SMS_CONVERSATION_KEY
              identity_key_env: CHANNEL_IDENTITY_KEY
              max_body_chars: 2000

        Nothing is checked here; `checked()` decides whether the channel may start.
        """
        c = dict(credentials or {})
        env = os.environ if environ is None else environ

        def option(name: str, default_env: str, default: str = "") -> str:
            if c.get(name) not in (None, ""):
                return str(c[name])
            return env.get(str(c.get(f"{name}_env") or default_env), "") or default

        return cls(
            auth_token=option("auth_token", "TWILIO_AUTH_TOKEN"),
            public_url=option("public_url", "SMS_PUBLIC_URL"),
            store_url=option("store_url", "SMS_STORE_URL"),
            conversation_key=option("conversation_key", "SMS_CONVERSATION_KEY"),
            identity_key=option("identity_key", "CHANNEL_IDENTITY_KEY"),
            reminders_url=option("reminders_url", "NOTIFIER_DATABASE_URL"),
            max_body_chars=int(c.get("max_body_chars") or cls.max_body_chars),
            max_request_bytes=int(c.get("max_request_bytes") or cls.max_request_bytes),
            retry_wait_seconds=float(c.get("retry_wait_seconds") or cls.retry_wait_seconds),
            retry_window_seconds=float(c.get("retry_window_seconds") or cls.retry_window_seconds),
        )

    def checked(self, environ: Optional[Dict[str, str]] = None) -> "SmsConfig":
        """This configuration if its secrets are strong. Otherwise StartupRefused (a SystemExit: Rasa stops), or,
        with MOMENTS_DEV=1, a loud warning on the terminal and a development stand-in: no token = requests are
        not checked, no conversation key = a random one for this process, no identity key = nobody is identified."""
        from moments import secrets

        env = os.environ if environ is None else environ
        named = {"TWILIO_AUTH_TOKEN": self.auth_token, "SMS_CONVERSATION_KEY": self.conversation_key,
                 "CHANNEL_IDENTITY_KEY": self.identity_key}
        bad = [name for name, value in named.items() if secrets.weak(value)]
        if not bad:
            return self
        what = ", ".join(bad)
        if not secrets.dev_mode(env):
            raise StartupRefused(
                f"SMS channel: refusing to start: {what} {'is' if len(bad) == 1 else 'are'} empty or a development "
                f"value, so anyone could text as any registered mobile. Start it with `make run` (which generates "
                f"{secrets.secrets_file(env)}), set the variable(s), or set {secrets.DEV_SWITCH}=1 for a development "
                f"shortcut.")
        notes = []
        config = self
        if not self.auth_token:
            config = replace(config, check_signatures=False)
            notes.append("X-Twilio-Signature is NOT checked: anyone can text as any number")
        if not self.conversation_key:
            config = replace(config, conversation_key=uuid.uuid4().hex + uuid.uuid4().hex)
            notes.append("conversation ids use a random key for this process")
        if not self.identity_key:
            notes.append("texters are not identified (no records)")
        secrets.warn(f"SMS channel: {what} empty or a development value ({secrets.DEV_SWITCH}=1)"
                     + (": " + "; ".join(notes) if notes else "") + ".")
        return config


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: str
    content_type: str = TWIML_TYPE


@dataclass(frozen=True)
class Conversation:
    """What the channel needs to know about a conversation, read from Rasa's tracker."""

    language: Optional[str] = None   # the `language` slot
    in_form: bool = False            # a form is asking questions (its answers may be numbers)
    form: Optional[str] = None       # which one (the active loop's name)
    # The bot's messages since the last user message, as sent ({"text", "buttons", …}): what the texter reads now.
    # The menu store is a cache of their menu; when it has none (a restart of a one-server set-up, an expired entry,
    # a replica without a shared store), the menu is read back from them.
    last_turn: Tuple[Dict[str, Any], ...] = ()


class Assistant(Protocol):
    """What the gateway needs from Rasa (a fake in unit tests)."""

    def ready(self) -> bool: ...

    async def process(self, text: str, conversation_id: str, metadata: Dict[str, Any],
                      message_id: Optional[str]) -> List[Dict[str, Any]]: ...

    async def conversation(self, conversation_id: str) -> Conversation: ...


@dataclass
class RenderedTurn:
    text: str
    menu: Optional[Menu]


def render_turn(messages: List[Dict[str, Any]], language: Optional[str]) -> RenderedTurn:
    """The bot's messages of one turn as one plain text; buttons numbered, the reply hint last."""
    language = language_or_default(language)
    lines: List[str] = []
    options: List[Option] = []
    for message in messages:
        text = sms_dates(to_plain_text(message.get("text") or ""), language)
        if text:
            lines.append(text)
        for key in ("image", "attachment"):
            value = message.get(key)
            if isinstance(value, dict):
                value = value.get("url") or value.get("payload", {}).get("src")
            if value:
                lines.append(str(value))
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            lines.append(to_plain_text(custom["text"]))
        buttons = [Option.from_button(b) for b in message.get("buttons") or message.get("quick_replies") or []]
        buttons = [Option(sms_dates(o.title, language), o.payload) for o in buttons]  # "சனி 5 டிச., காலை 8:30"
        shared = shared_prefix([o.title for o in buttons])
        if shared:  # "Fri 4 Dec, 8:30 am", "Fri 4 Dec, 8:45 am" … -> "Fri 4 Dec:" once, then "1. 8:30 am" …
            lines.append(shared.rstrip(" ,.·:-–") + ":")
        middle = "" if shared else shared_words([o.title for o in buttons])
        if middle:  # "அங் மோ கியோ பலதுறை மருந்தகம் (~1.1 km)" … -> "பலதுறை மருந்தகம்:" once, then "1. அங் மோ கியோ (~1.1 km)"
            lines.append(middle + ":")
            buttons = [Option(" ".join(o.title.replace(f" {middle} ", " ").split()), o.payload) for o in buttons]
        for option in buttons:
            options.append(option)
            lines.append(f"{len(options)}. {option.title[len(shared):]}")
    for option in main_menu_extras(options, language):  # "Delete my chat" on the main menu
        options.append(option)
        lines.append(f"{len(options)}. {option.title}")
    if options:
        lines.append(reply_hint(len(options), language))
    return RenderedTurn("\n".join(lines), Menu(options, language) if options else None)


def shared_prefix(titles: List[str]) -> str:
    """The start three or more options share up to a separator ("Fri 4 Dec, " of a list of times), else "".
    Printed once above the list, it saves an SMS or two (a Tamil list of five times: 6 SMS -> 3)."""
    if len(titles) < 3:
        return ""
    first = titles[0]
    n = 0
    while n < len(first) and all(len(t) > n and t[n] == first[n] for t in titles):
        n += 1
    cut = max(first.rfind(sep, 0, n) + len(sep) if first.rfind(sep, 0, n) >= 0 else 0 for sep in (", ", " · ", "，"))
    # Times after a shared word ("சனி 5 டிச., காலை 8:30", "…காலை 8:45"): the word goes above too ("காலை:").
    space = first.rfind(" ", 0, n) + 1
    if space > cut and all(len(t) > space and t[space].isdigit() for t in titles):
        cut = space
    prefix = first[:cut]
    return prefix if len(prefix.strip(" ,·，")) >= 6 and all(len(t) > cut for t in titles) else ""


def shared_words(titles: List[str]) -> str:
    """Words three or more options of a Chinese or Tamil menu (UCS-2: 70 characters an SMS) all have in the
    middle ("பலதுறை மருந்தகம்" of "அங் மோ கியோ பலதுறை மருந்தகம் (~1.1 km)"), printed once above the list instead;
    else "". Only words in that script (a shared "Rajesh" of "Kavya d/o Rajesh (15 செப். 2022)" stays), never the
    first or last words."""
    if len(titles) < 3 or all(is_gsm7(t) for t in titles):
        return ""
    words = [t.split() for t in titles]
    best = ""
    first = words[0]
    for i in range(1, len(first) - 1):
        for j in range(len(first) - 1, i, -1):
            run = " ".join(first[i:j])
            if len(run) > len(best) and not is_gsm7(run) and all(f" {run} " in f" {' '.join(w[1:-1])} " for w in words):
                best = run
                break
    return best if len(best) >= 6 else ""


@dataclass
class SmsGateway:
    """The webhook: bytes in, TwiML out. Never raises; never answers 5xx."""

    config: SmsConfig
    store: SmsStore = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = store_from_url(self.config.store_url)
        self.store.retry_window = self.config.retry_window_seconds
        self.reminders = None  # moments.notifier.desk.ReminderDesk when NOTIFIER_DATABASE_URL is set
        if self.config.reminders_url:
            from moments.notifier.desk import ReminderDesk

            self.reminders = ReminderDesk.from_url(self.config.reminders_url)
        self.limits = ChannelLimits(CHANNEL_NAME)  # RATE_LIMIT_SENDER_MESSAGES / _ADDRESS_MESSAGES (moments.ratelimit)

    # --- HTTP level -------------------------------------------------------------------------------
    async def admit(self, phone: str, client: Optional[str],
                    assistant: Optional[Assistant] = None) -> Optional[HttpReply]:
        """Entry point for per-sender / per-address limits: called for every signed, well-formed request before
        anything is processed; return a reply (one polite SMS, e.g. `self._twiml(text, "sms")`) to stop here.

        Per number (RATE_LIMIT_SENDER_MESSAGES); per client address only when signatures are not checked — a signed
        request comes from Twilio, whose few addresses carry every texter's messages. A limited texter gets one
        polite SMS in the conversation's language per period, then empty replies (no SMS) until the limit lifts."""
        decision = await self.limits.acheck(phone, None if self.config.check_signatures else client)
        if decision.allowed:
            return None
        if not decision.first_refusal:
            return HttpReply(200, twiml([]))
        logger.info("sms: %s is over the rate limit (retry in %ss)", mask_number(phone), decision.retry_after_header)
        lang = (await self._language(assistant, conversation_id_for(phone, self.config.conversation_key))
                if assistant is not None else "en")
        return self._twiml(slow_down_text(lang), "sms")

    async def handle(self, body: bytes, url: str, signature: Optional[str], content_type: Optional[str],
                     assistant: Assistant, client: Optional[str] = None) -> HttpReply:
        if len(body) > self.config.max_request_bytes:
            return too_large(self.config.max_request_bytes)
        mime = (content_type or "").split(";")[0].strip().lower()
        if mime and mime != "application/x-www-form-urlencoded":
            return HttpReply(415, "Send the message as application/x-www-form-urlencoded "
                                  "(From, Body, MessageSid), like Twilio does.\n", TEXT_TYPE)
        try:
            params = parse_form(body)
        except FormError as e:
            return HttpReply(400, f"Bad request: {e}.\n", TEXT_TYPE)
        if self.config.check_signatures and not (
                self.config.auth_token and valid_signature(self.config.auth_token, url, params, signature)):
            logger.warning("sms: rejected a request with a %s X-Twilio-Signature",
                           "bad" if signature else "missing")
            return HttpReply(403, "Forbidden: missing or invalid X-Twilio-Signature.\n", TEXT_TYPE)
        form: Dict[str, str] = {}
        for k, v in params:
            form.setdefault(k, v)
        missing = [k for k in ("From", "Body") if k not in form]
        if missing or not form["From"].strip():
            return HttpReply(400, f"Bad request: missing {' and '.join(missing) or 'From'} "
                                  "(form fields From and Body are required).\n", TEXT_TYPE)
        phone, transport = normalise_sender(form["From"])
        if phone is None:
            return HttpReply(400, "Bad request: From is not a phone number in E.164 format (+6591234567).\n",
                             TEXT_TYPE)
        refused = await self.admit(phone, client, assistant)  # the one place a rate limit (or any other gate) plugs in
        if refused is not None:
            return refused
        if not (form.get("MessageSid") or form.get("SmsSid")):
            if self.config.check_signatures:  # a signed request without an id could be replayed for ever
                return HttpReply(400, "Bad request: missing MessageSid (Twilio sends one with every message).\n",
                                 TEXT_TYPE)
            form["MessageSid"] = "SMdev" + uuid.uuid4().hex  # development without signatures: one id per request
        return await self._once(phone, transport, form, fingerprint(params), assistant)

    async def _once(self, phone: str, transport: str, form: Dict[str, str], print_: str,
                    assistant: Assistant) -> HttpReply:
        """Processes a MessageSid once: a retry gets the stored reply (or waits for it); the same MessageSid with
        other parameters, or after RETRY_WINDOW, is refused with 403 (a replayed or forged request)."""
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        key = hashlib.sha256(f"{phone}|{sid}".encode("utf-8")).hexdigest()[:40] if sid else None
        if key:
            try:
                state, stored = await self.store.claim(key, print_)
            except Exception:
                logger.exception("sms: the store is unavailable; answering without processing")
                return await self._unavailable(phone, assistant)
            if state in (ClaimState.CONFLICT, ClaimState.STALE):
                logger.warning("sms: refused a replay of message %s from %s (%s)", sid, mask_number(phone),
                               "other parameters" if state is ClaimState.CONFLICT else "outside the retry window")
                return HttpReply(403, "Forbidden: this MessageSid was already processed (a replayed request).\n",
                                 TEXT_TYPE)
            if state is ClaimState.DONE and stored is not None:
                logger.info("sms: %s retried message %s; replaying the first reply", mask_number(phone), sid)
                return HttpReply(stored.status, stored.body, stored.content_type)
            if state is ClaimState.PENDING:
                stored = await self.store.wait_for_reply(key, self.config.retry_wait_seconds)
                if stored is not None:
                    return HttpReply(stored.status, stored.body, stored.content_type)
                logger.warning("sms: retry of %s from %s while the first is still running; empty reply",
                               sid, mask_number(phone))
                return HttpReply(200, twiml([]))  # the first delivery's reply is still on its way
        try:
            reply = await self._respond(phone, transport, form.get("Body", ""), sid or None, assistant)
        except Exception:
            logger.exception("sms: could not answer %s", mask_number(phone))
            reply = await self._unavailable(phone, assistant)
        if key:
            try:
                await self.store.finish(key, StoredReply(reply.status, reply.body, reply.content_type))
            except Exception:
                logger.exception("sms: could not store the reply to %s", sid)
        return reply

    # --- conversation level -----------------------------------------------------------------------
    async def _respond(self, phone: str, transport: str, body: str, sid: Optional[str],
                       assistant: Assistant) -> HttpReply:
        cid = conversation_id_for(phone, self.config.conversation_key)
        text = body.strip()
        if len(text) > self.config.max_body_chars:
            lang = await self._language(assistant, cid)
            return self._twiml(channel_text("too_long", lang, max=self.config.max_body_chars), transport)
        if not text:
            lang = await self._language(assistant, cid)
            return self._twiml(channel_text("not_text", lang), transport)

        if self.reminders is not None:
            early = await self._reminders_first(cid, text, transport, assistant)
            if early is not None:
                return early
        menu = await self.store.get_menu(cid)
        if menu is None:
            menu = await self._menu_from_history(assistant, cid)
        selection = select(text, menu)
        if self.reminders is not None and selection.kind is Kind.OPTION and selection.message.startswith("notify:"):
            from moments.notifier.desk import CONSENT_YES, CONSENT_NO

            if selection.message in (CONSENT_YES, CONSENT_NO):
                lang = menu.language if menu is not None else "en"
                reply = await asyncio.to_thread(self.reminders.answer, cid, selection.message, lang)
                await self.store.set_menu(cid, None)
                return self._twiml(reply, transport)
        logger.debug("sms: %s (%s) sent %r -> %s", mask_number(phone), cid, mask_personal(text[:80]),
                     selection.kind.value)
        if selection.kind is Kind.NO_SUCH_OPTION and menu is not None:
            lang = await self._language(assistant, cid)
            shown = Menu(menu.options, lang)
            reply = channel_text("no_such_option", lang, choice=selection.number) + "\n" + shown.text()
            return self._twiml(reply, transport)
        if selection.kind is Kind.MAIN_MENU or (selection.kind is Kind.OPTION and selection.message == RESUME_PAYLOAD):
            early = await self._inside_a_form(cid, selection, menu, assistant, transport)
            if early is not None:
                return early
        if not assistant.ready():
            return await self._unavailable(phone, assistant)

        metadata: Dict[str, Any] = {"channel": CHANNEL_NAME, "phone": phone}
        if transport != "sms":
            metadata["transport"] = transport
        if self.config.identity_key and sid:
            # The number as the action server may believe it: signed, for this conversation and message only.
            metadata[sms_identity.METADATA_KEY] = sms_identity.sign_record(self.config.identity_key, phone, cid, sid)
        messages = await assistant.process(selection.message, cid, metadata, sid)
        state = await self._conversation(assistant, cid)
        turn = render_turn(messages, state.language)
        if self.reminders is not None and turn.menu is None and not state.in_form:
            turn = await self._ask_consent(cid, turn, state.language)
        if turn.menu is not None:
            turn.menu.asked = turn.text
            await self.store.set_menu(cid, turn.menu)
        elif state.in_form:
            # A form asks questions whose answers may be numbers ("how many children?"): digits are text now. The
            # question is kept (a menu without options) so that "0, then 2 (go on)" can show it again.
            await self.store.set_menu(cid, Menu([], language_or_default(state.language), asked=turn.text))
        elif menu is not None and menu.language != language_or_default(state.language):
            await self.store.set_menu(cid, None)  # a menu in another language no longer matches what the user reads
        # Otherwise the last menu stays: after an answer, "3" still picks from the menu shown before it.
        return self._twiml(turn.text, transport)

    async def _reminders_first(self, cid: str, text: str, transport: str,
                               assistant: Assistant) -> Optional[HttpReply]:
        """STOP / START / REMINDERS (moments.notifier.desk), and the last reminder's menu as this conversation's."""
        from moments.notifier.desk import keyword

        word = keyword(text)
        try:
            if word is not None:
                state = await self._conversation(assistant, cid)
                if not (word == "stop" and state.in_form):  # in a form, STOP stops the journey (as before)
                    reply = await asyncio.to_thread(self.reminders.command, cid, word, state.language, text)
                    return self._twiml(reply, transport)
            pending = await asyncio.to_thread(self.reminders.take_menu, cid)
        except Exception:
            logger.exception("sms: the reminders database is unavailable")
            return None
        if pending is not None:
            await self.store.set_menu(cid, Menu.from_json(pending))
        return None

    async def _ask_consent(self, cid: str, turn: "RenderedTurn", language: Optional[str]) -> "RenderedTurn":
        """After a journey's last answer: "May I remind you by SMS …? 1 yes, 2 no", once per number."""
        try:
            asked = await asyncio.to_thread(self.reminders.maybe_ask, cid, turn.text, language)
            if asked is None:
                await asyncio.to_thread(self.reminders.follow_language, cid, language)
                return turn
        except Exception:
            logger.exception("sms: the reminders database is unavailable")
            return turn
        menu = Menu([Option(t, p) for t, p in asked["options"]], asked["language"], asked=asked["question"])
        return RenderedTurn(turn.text + "\n" + asked["question"], menu)

    async def _inside_a_form(self, cid: str, selection: Any, menu: Optional[Menu], assistant: Assistant,
                             transport: str) -> Optional[HttpReply]:
        """"0" / a menu word while a form asks questions: ask "stop <journey>? 1 yes, 2 no" instead of leaving the
        form running under the main menu (its next digit would be taken as an answer). "2" shows the form's
        question again, without a turn in Rasa; "1" sends /stop (the journeys' own stop handling)."""
        if selection.kind is Kind.OPTION:  # RESUME: back to the question the form asked
            back = Menu.from_json(menu.resume) if menu is not None and menu.resume else None
            lang = menu.language if menu is not None else "en"
            await self.store.set_menu(cid, back)
            text = channel_text("resumed", lang)
            if back is not None and back.asked:
                text += "\n" + back.asked
            return self._twiml(text, transport)
        state = await self._conversation(assistant, cid)
        if not state.in_form:
            return None
        lang = language_or_default(state.language)
        asked = menu.asked if menu is not None else ""
        question = stop_question(state.form, lang, menu if menu is not None and menu.resume is None else None, asked)
        if menu is not None and menu.resume is not None:  # "0" twice: keep the way back to the form's question
            question.resume = menu.resume
        await self.store.set_menu(cid, question)
        return self._twiml(question.asked + "\n" + question.text(), transport)

    async def _menu_from_history(self, assistant: Assistant, cid: str) -> Optional[Menu]:
        """The menu of the bot's last turn, rebuilt from the conversation when the store has forgotten it (as
        `_respond` would have stored it): its numbered options, or inside a form the question it asked."""
        state = await self._conversation(assistant, cid)
        if not state.last_turn:
            return None
        turn = render_turn(list(state.last_turn), state.language)
        if turn.menu is not None:
            turn.menu.asked = turn.text
            menu: Optional[Menu] = turn.menu
        elif state.in_form:
            menu = Menu([], language_or_default(state.language), asked=turn.text)
        else:
            return None
        await self.store.set_menu(cid, menu)
        return menu

    async def _conversation(self, assistant: Assistant, cid: str) -> Conversation:
        try:
            return await assistant.conversation(cid)
        except Exception:
            logger.exception("sms: could not read the conversation %s", cid)
            return Conversation()

    async def _language(self, assistant: Assistant, cid: str) -> str:
        return language_or_default((await self._conversation(assistant, cid)).language)

    async def _unavailable(self, phone: str, assistant: Assistant) -> HttpReply:
        lang = await self._language(assistant, conversation_id_for(phone, self.config.conversation_key))
        return self._twiml(channel_text("unavailable", lang), "sms")

    @staticmethod
    def _twiml(text: str, transport: str) -> HttpReply:
        return HttpReply(200, twiml(segments_for(text, transport)))


def fingerprint(params: Any) -> str:
    """What identifies one signed request: a hash of its (sorted) parameters."""
    canonical = "\n".join(f"{k}={v}" for k, v in sorted(set(params)))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def segments_for(text: str, transport: str = "sms") -> Segments:
    if transport == "whatsapp":
        return split_sms(text, gsm7_limit=WHATSAPP_LIMIT, ucs2_limit=WHATSAPP_LIMIT)
    return split_sms(text)


def too_large(limit: int) -> HttpReply:
    return HttpReply(413, f"Payload too large: at most {limit // 1024} KB per request.\n", TEXT_TYPE)
