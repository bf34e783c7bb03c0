"""`make sms`: a phone in the terminal. Posts to the SMS webhook exactly as Twilio would and prints the
replies the way a phone receives them, one SMS at a time, with the size of each.

    make sms                                   # as Lim Hui Min (+6591234567), a seeded parent
    make sms SMS_ARGS="--as priya"             # another seeded person (--list shows them)
    make sms SMS_ARGS="--from +6590001111"     # any number (not known to the agencies)
    .venv/bin/python -m moments.channels.simulator -m hello -m 2 -m 0     # scripted, no prompt
    make sms SMS_ARGS="--inbox"                # what the notifier texted this number (reminders), then exit

Reminders the notifier sent to the number (through the local Twilio endpoint of `make run`, :8091) are shown as
`reminder ‹ …` before each prompt (press Enter to check again, or type /inbox); reply to them as to any SMS.

Talks to the Rasa server of `make run` (http://127.0.0.1:5005) unless --url / SMS_WEBHOOK_URL says
otherwise. Every request is signed as Twilio signs it (the server refuses unsigned ones), with --token, else
TWILIO_AUTH_TOKEN from the environment, else the one `make run` generated in var/secrets.env; for the URL
in SMS_PUBLIC_URL if that is set.

`SmsPhone` is also what tests/channels use to talk to the webhook.
"""
from __future__ import annotations

import argparse
import os
import sys
import uuid
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlencode, urlsplit

import requests

from moments.channels.segments import encoding_of, limit_for, units
from moments.channels.twilio_protocol import compute_signature, twiml_messages

DEFAULT_URL = "http://127.0.0.1:5005/webhooks/sms/webhook"
DEFAULT_PERSON = "lim"            # Lim Hui Min: her baby was born 5 days before the agencies were seeded
FALLBACK_MOBILE = "+6591234567"   # her registered mobile, if the agency seed data cannot be read

Form = Union[Dict[str, str], Sequence[Tuple[str, str]]]


@dataclass
class SmsReply:
    status: int
    text: str                              # the raw HTTP body (TwiML, or an error message)
    messages: List[str] = field(default_factory=list)  # the <Message> texts, one per SMS
    message_sid: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    def joined(self) -> str:
        return "\n".join(self.messages)


def new_message_sid() -> str:
    return "SM" + uuid.uuid4().hex  # Twilio's shape: SM + 32 hex digits


class SmsPhone:
    """One phone talking to the webhook: form-encoded posts, signed when a token is given."""

    def __init__(self, url: str = DEFAULT_URL, phone: str = FALLBACK_MOBILE, token: Optional[str] = None,
                 signing_url: Optional[str] = None, whatsapp: bool = False, to: str = "+6560001234",
                 session: Optional[requests.Session] = None, timeout: float = 60):
        self.url = url
        self.phone = phone
        self.token = token or None
        self.signing_url = signing_url or url
        self.whatsapp = whatsapp
        self.to = to
        self.session = session or requests.Session()
        self.timeout = timeout

    @property
    def sender(self) -> str:
        return f"whatsapp:{self.phone}" if self.whatsapp else self.phone

    def form(self, body: str, message_sid: Optional[str] = None) -> List[Tuple[str, str]]:
        return [("MessageSid", message_sid or new_message_sid()), ("AccountSid", "AC" + "0" * 32),
                ("From", self.sender), ("To", f"whatsapp:{self.to}" if self.whatsapp else self.to),
                ("Body", body), ("NumMedia", "0")]

    def signature(self, params: Form) -> str:
        items = list(params.items()) if isinstance(params, dict) else list(params)
        return compute_signature(self.token or "", self.signing_url, items)

    def post(self, params: Optional[Form] = None, *, raw_body: Optional[bytes] = None,
             headers: Optional[Dict[str, str]] = None, sign: Optional[bool] = None) -> requests.Response:
        """Low level: posts `params` (or `raw_body`) with a signature when a token is set."""
        hdrs = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
        if (sign if sign is not None else bool(self.token)) and params is not None:
            hdrs["X-Twilio-Signature"] = self.signature(params)
        hdrs.update(headers or {})
        data = raw_body if raw_body is not None else urlencode(list(params.items()) if isinstance(params, dict)
                                                               else list(params or []), encoding="utf-8")
        return self.session.post(self.url, data=data, headers=hdrs, timeout=self.timeout)

    def send(self, body: str, message_sid: Optional[str] = None) -> SmsReply:
        """Sends one text message and returns the SMS the phone gets back."""
        form = self.form(body, message_sid)
        r = self.post(form)
        return parse_reply(r, dict(form)["MessageSid"])


def parse_reply(r: requests.Response, message_sid: str = "") -> SmsReply:
    reply = SmsReply(r.status_code, r.text, message_sid=message_sid)
    if r.status_code == 200 and "xml" in r.headers.get("content-type", ""):
        reply.messages = twiml_messages(r.text)
    return reply


def describe_segment(text: str) -> str:
    enc = encoding_of(text)
    return f"{enc} {units(text, enc)}/{limit_for(enc)}"


def seeded_people() -> List[Tuple[str, str, str]]:
    """(key, name, mobile) of the agency service's seeded people that have a mobile number."""
    try:
        from moments.agencies.seed import PEOPLE
    except Exception:  # the agency services are optional for the simulator
        return [(DEFAULT_PERSON, "Lim Hui Min", FALLBACK_MOBILE)]
    return [(p.key, p.name, p.mobile) for p in PEOPLE if p.mobile]


def mobile_of(key: str) -> Optional[str]:
    for k, _name, mobile in seeded_people():
        if k == key:
            return mobile
    return None


class Inbox:
    """Messages the local Twilio endpoint (moments/notifier/twilio_local.py) received for one number, new ones only.
    Silent when the endpoint is not running."""

    def __init__(self, url: Optional[str] = None, account_sid: Optional[str] = None, token: Optional[str] = None):
        from moments import secrets
        from moments.notifier.twilio_local import DEFAULT_ACCOUNT_SID

        self.url = (url or os.environ.get("SMS_API_URL") or "http://127.0.0.1:8091").rstrip("/")
        self.account_sid = account_sid or os.environ.get("SMS_API_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID
        self.token = token or os.environ.get("TWILIO_API_TOKEN") or \
            secrets.read(secrets.secrets_file()).get("TWILIO_API_TOKEN", "")
        self.seen: set = set()

    def new(self, phone: str) -> List[str]:
        try:
            r = requests.get(f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages.json",
                             params={"To": phone, "PageSize": 50}, auth=(self.account_sid, self.token), timeout=3)
            messages = r.json().get("messages", []) if r.status_code == 200 else []
        except (requests.RequestException, ValueError):
            return []
        fresh = [m for m in reversed(messages) if m["sid"] not in self.seen]
        self.seen.update(m["sid"] for m in messages)
        return [m["body"] for m in fresh]


class Terminal:
    """Prints the conversation like a phone screen (colours only on a terminal)."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        colour = self.out.isatty() and not os.environ.get("NO_COLOR")
        self.dim = "\033[2m" if colour else ""
        self.bold = "\033[1m" if colour else ""
        self.reset = "\033[0m" if colour else ""

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def reply(self, reply: SmsReply) -> None:
        if reply.status != 200:
            self.line(f"{self.dim}  HTTP {reply.status}: {reply.text.strip()}{self.reset}")
            return
        if not reply.messages:
            self.line(f"{self.dim}  (no reply){self.reset}")
            return
        n = len(reply.messages)
        for i, msg in enumerate(reply.messages, 1):
            prefix = "bot ‹ "
            for j, part in enumerate(msg.split("\n")):
                self.line(f"{self.bold if j == 0 else ''}{prefix if j == 0 else ' ' * len(prefix)}{part}{self.reset}")
            self.line(f"{self.dim}      [SMS {i}/{n} · {describe_segment(msg)}]{self.reset}")
        self.line(f"{self.dim}      {n} SMS{self.reset}")

    def reminders(self, bodies: List[str]) -> None:
        for body in bodies:
            for j, part in enumerate(body.split("\n")):
                self.line(f"{self.bold if j == 0 else ''}{'reminder ‹ ' if j == 0 else ' ' * 11}{part}{self.reset}")
            from moments.notifier.texts import count_segments

            self.line(f"{self.dim}      [{count_segments(body)} SMS · {encoding_of(body)}, {len(body)} characters]"
                      f"{self.reset}")


def _args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="make sms", description="Talk to the assistant as a phone would (SMS).")
    p.add_argument("--url", default=os.environ.get("SMS_WEBHOOK_URL", DEFAULT_URL), help="webhook URL")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--from", dest="phone", default=os.environ.get("SMS_FROM"),
                     help="sender number, E.164 (+6591234567)")
    who.add_argument("--as", dest="person", help="a seeded person's key (see --list); default: lim")
    p.add_argument("--token", default=None,
                   help="Twilio auth token to sign with (default: $TWILIO_AUTH_TOKEN, else var/secrets.env's)")
    p.add_argument("--public-url", default=os.environ.get("SMS_PUBLIC_URL", ""),
                   help="the base URL the server validates signatures against (default: $SMS_PUBLIC_URL)")
    p.add_argument("--whatsapp", action="store_true", help="send as a WhatsApp user (From: whatsapp:+65…)")
    p.add_argument("-m", "--message", action="append", default=[],
                   help="send this message and print the reply (repeatable); no prompt")
    p.add_argument("--list", action="store_true", help="list the seeded people and their mobiles")
    p.add_argument("--inbox", action="store_true",
                   help="print what the notifier texted this number (the local Twilio endpoint), then exit")
    return p.parse_args(argv)


def default_token(environ=None) -> str:
    """What the server of `make run` checks signatures with: TWILIO_AUTH_TOKEN, else var/secrets.env's."""
    from moments import secrets

    env = os.environ if environ is None else environ
    return env.get("TWILIO_AUTH_TOKEN") or secrets.read(secrets.secrets_file(env)).get("TWILIO_AUTH_TOKEN", "")


def signing_url_for(url: str, public_url: str) -> str:
    if not public_url:
        return url
    parts = urlsplit(url)
    base = public_url.rstrip("/")
    return base if base.endswith(parts.path) else base + parts.path + (f"?{parts.query}" if parts.query else "")


def main(argv: Optional[Sequence[str]] = None, stdin: Optional[Iterable[str]] = None) -> int:
    args = _args(argv)
    term = Terminal()
    if args.list:
        for key, name, mobile in seeded_people():
            term.line(f"{key:10} {mobile:14} {name}")
        return 0
    phone = args.phone
    if args.person or not phone:
        key = args.person or DEFAULT_PERSON
        phone = mobile_of(key)
        if phone is None:
            term.line(f"no seeded person {key!r}; try --list")
            return 2
    token = args.token if args.token is not None else default_token()
    if not token:
        term.line("no TWILIO_AUTH_TOKEN and no var/secrets.env yet: the server will refuse unsigned messages "
                  "(start `make run` once, or pass --token)")
    sms = SmsPhone(args.url, phone, token=token, signing_url=signing_url_for(args.url, args.public_url),
                   whatsapp=args.whatsapp)
    inbox = Inbox()
    if args.inbox:
        bodies = inbox.new(phone)
        term.reminders(bodies) if bodies else term.line(f"no reminders for {phone} at {inbox.url}")
        return 0
    inbox.new(phone)  # what arrived before this session is not news

    def send(text: str) -> bool:
        try:
            reply = sms.send(text)
            term.reply(reply)
            if reply.status == 403:
                term.line("  the server refused the signature: sign with the token it uses (--token, or "
                          "TWILIO_AUTH_TOKEN / var/secrets.env of the same `make run`)")
            return True
        except requests.ConnectionError:
            term.line(f"cannot reach {args.url} - is `make run` running?")
            return False

    if args.message:
        term.line(f"{term.dim}phone {sms.sender} -> {args.url}{term.reset}")
        for text in args.message:
            term.line(f"you › {text}")
            if not send(text):
                return 1
        return 0

    if stdin is None:
        stdin = sys.stdin
    interactive = stdin is sys.stdin and sys.stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:  # pragma: no cover
            pass
        term.line(f"Phone {sms.sender} -> {args.url}" + ("  (signed)" if sms.token else ""))
        term.line("Type a message in any language; numbers pick from a menu, 0 or 'menu' shows the main menu.")
        term.line("/as <person>, /from <number>, /list, /inbox (reminders the notifier sent), /quit")
    lines = iter(stdin) if not interactive else None
    while True:
        if interactive:
            term.reminders(inbox.new(sms.phone))
        try:
            text = input("you › ") if interactive else next(lines)  # type: ignore[arg-type]
        except (EOFError, KeyboardInterrupt, StopIteration):
            term.line()
            return 0
        text = text.rstrip("\n")
        if not text.strip():
            continue
        if text.strip() in ("/quit", "/exit", "/q"):
            return 0
        if text.strip() == "/inbox":
            bodies = inbox.new(sms.phone)
            term.reminders(bodies) if bodies else term.line("  no new reminders")
            continue
        if text.strip() == "/list":
            for key, name, mobile in seeded_people():
                term.line(f"  {key:10} {mobile:14} {name}")
            continue
        if text.startswith(("/as ", "/from ")):
            cmd, value = text.split(None, 1)
            number = mobile_of(value.strip()) if cmd == "/as" else value.strip()
            if not number:
                term.line("  unknown person; /list shows them")
                continue
            sms.phone = number
            term.line(f"{term.dim}  now texting from {sms.sender}{term.reset}")
            continue
        if not interactive:
            term.line(f"you › {text}")
        if not send(text):
            return 1


if __name__ == "__main__":
    sys.exit(main())
