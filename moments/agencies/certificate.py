"""Digital birth certificates: a signed download link valid 90 days, and the PDF behind it.

The link carries the reference and its expiry, signed with HMAC-SHA256 under the service's token secret, so it
works without a login (like the link in ICA's e-mail) but cannot be forged or extended.

By SMS the ~100-character link costs segments and is split on basic phones, so ICA also gives a short link,
`/c/<code>`: the reference's 8 characters and 16 base-32 characters of an HMAC of it (80 bits, as unguessable as a
password nobody can try twice a second), 24 characters in all. It redirects to the signed link while the certificate
can be downloaded; the expiry is the registration's, read at the time of the request.
"""
from __future__ import annotations

import base64
import hashlib
import re
import hmac
from datetime import datetime

from .clock import SGT


def _sig(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), f"certificate:{payload}".encode(), hashlib.sha256).hexdigest()[:32]


def sign(secret: str, reference: str, expires_at: datetime) -> str:
    payload = f"{reference}.{int(expires_at.replace(tzinfo=SGT).timestamp())}"
    return f"{payload}.{_sig(secret, payload)}"


SHORT_SIG = 16  # base-32 characters of the short code's HMAC
SHORT_CODE = re.compile(r"[0-9A-Z]{8}[A-Z2-7]{%d}" % SHORT_SIG)


def _short_sig(secret: str, reference: str) -> str:
    mac = hmac.new(secret.encode(), f"certificate-short:{reference}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:SHORT_SIG]


def short_code(secret: str, reference: str) -> str:
    """'BR-7K3M9Q2X' → '7K3M9Q2X' + 16 characters that only the service can make."""
    return reference.removeprefix("BR-") + _short_sig(secret, reference)


def verify_short(secret: str, code: str) -> str | None:
    """The registration reference of a short code, or None when it was not made by this service."""
    code = code.upper()
    if not SHORT_CODE.fullmatch(code):
        return None
    reference = "BR-" + code[:8]
    return reference if hmac.compare_digest(code[8:], _short_sig(secret, reference)) else None


def verify(secret: str, token: str) -> tuple[str, int] | None:
    """(reference, expiry epoch) when the signature is right, else None (expiry is checked by the caller)."""
    parts = token.split(".")
    if len(parts) != 3 or not re.fullmatch(r"[0-9]{1,12}", parts[1]) or len(parts[1]) > 12:
        return None
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _sig(secret, payload)):
        return None
    return parts[0], int(parts[1])


def _pdf_text(value: str) -> str:
    ascii_only = value.encode("ascii", "replace").decode("ascii")
    return ascii_only.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def render_pdf(title: str, lines: list[tuple[str, str]]) -> bytes:
    """A one-page A4 PDF in Helvetica: a title and 'label: value' lines (English alphabet; other scripts are
    recorded in the registration and shown by the app, not in this mock certificate)."""
    ops = ["BT", "/F1 18 Tf", "72 770 Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf", "0 -36 Td"]
    for label, value in lines:
        ops += [f"({_pdf_text(label)}) Tj", "180 0 Td", f"({_pdf_text(value)}) Tj", "-180 -20 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
