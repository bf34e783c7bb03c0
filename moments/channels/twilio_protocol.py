"""The Twilio messaging webhook protocol: request signatures, form bodies and TwiML replies.

Twilio POSTs `application/x-www-form-urlencoded` UTF-8 (From, Body, MessageSid, …) and signs each
request: X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + every POST parameter name followed by
its value, sorted by name)), where URL is the exact URL configured in Twilio (with its query string).
https://www.twilio.com/docs/usage/webhooks/webhooks-security
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Iterable, List, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from xml.sax.saxutils import escape

Params = Sequence[Tuple[str, str]]

# Characters XML 1.0 does not allow (C0 controls except tab/newline/CR, lone surrogates, U+FFFE/F).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class FormError(ValueError):
    """The body is not a UTF-8 form (the message says why, for the 400 reply)."""


def parse_form(body: bytes) -> List[Tuple[str, str]]:
    """Decodes a form body strictly as UTF-8 (raw bytes and %-escapes alike)."""
    try:
        text = body.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                         encoding="utf-8", errors="strict", max_num_fields=100)
    except UnicodeDecodeError as e:
        raise FormError("the request body is not valid UTF-8") from e
    except ValueError as e:  # too many fields
        raise FormError(str(e)) from e


def compute_signature(auth_token: str, url: str, params: Params) -> str:
    # As twilio.request_validator: names sorted, each name's distinct values sorted (a pair sent twice counts once).
    data = url + "".join(k + v for k, v in sorted(set(params)))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _url_variants(url: str) -> Iterable[str]:
    """The URL as given, and with the default port added/removed (Twilio signs what was configured)."""
    yield url
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if default is None or not parts.hostname:
        return
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port is None:
        yield urlunsplit(parts._replace(netloc=f"{host}:{default}"))
    elif parts.port == default:
        yield urlunsplit(parts._replace(netloc=host))


def valid_signature(auth_token: str, url: str, params: Params, signature: Optional[str]) -> bool:
    if not signature:
        return False
    return any(hmac.compare_digest(compute_signature(auth_token, u, params), signature.strip())
               for u in _url_variants(url))


def twiml(messages: Iterable[str]) -> str:
    """<Response><Message>…</Message>…</Response>: Twilio sends each <Message> as one SMS."""
    body = "".join(f"<Message>{escape(_XML_ILLEGAL.sub('', m))}</Message>" for m in messages)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


def twiml_messages(xml: str) -> List[str]:
    """The texts of the <Message> elements of a TwiML document (for the simulator and tests)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(xml.encode("utf-8"))
    if root.tag != "Response":
        raise ValueError(f"TwiML root is <{root.tag}>, not <Response>")
    return [("".join(m.itertext())) for m in root if m.tag == "Message"]


# E.164: "+" and 8 to 15 digits. Twilio sends WhatsApp senders as "whatsapp:+65…".
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_SG_LOCAL = re.compile(r"^[3689]\d{7}$")


def normalise_sender(raw: str) -> Tuple[Optional[str], str]:
    """(phone in E.164 or None if not a phone number, transport 'sms' | 'whatsapp')."""
    value = raw.strip()
    transport = "sms"
    if value.lower().startswith("whatsapp:"):
        transport, value = "whatsapp", value.split(":", 1)[1]
    digits = re.sub(r"[\s\-().]", "", value)
    if _SG_LOCAL.match(digits):  # a Singapore number without country code (test tools, local gateways)
        digits = "+65" + digits
    elif digits.startswith("00"):
        digits = "+" + digits[2:]
    return (digits if _E164.match(digits) else None), transport
