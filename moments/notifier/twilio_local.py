"""A local Twilio-compatible Messages API that records what it is sent (`make run` starts it on 127.0.0.1:8091):

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json          To, From, Body[, StatusCallback] -> 201 message JSON
    GET  /2010-04-01/Accounts/{AccountSid}/Messages.json          ?To=&From=&DateSent>=&DateSent>&DateSent<&PageSize=
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json
    GET  /healthz

Basic auth AccountSid:token like Twilio's (the token is this installation's TWILIO_API_TOKEN, var/secrets.env);
errors are Twilio's JSON ({"code": 21211, "message": …, "status": 400}). With a StatusCallback the endpoint posts
`MessageStatus=sent`, then `delivered`, to it, signed with X-Twilio-Signature as Twilio does. Messages are kept in
SQLite (TWILIO_LOCAL_DATABASE, default var/twilio-local.db, mode 0600) so that `make sms` can show what a number
received, and tests can count what arrived. It stands in for the provider: a real account needs no code change
(moments/notifier/sms.py).

    python -m moments.notifier.twilio_local [--port 8091]
"""
from __future__ import annotations

import argparse
import base64
import hmac
import logging
import os
import re
import secrets as _random
import sqlite3
import threading
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qsl

import requests
from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse

from moments.notifier.texts import count_segments
from moments.channels.twilio_protocol import compute_signature

log = logging.getLogger("moments.twilio_local")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ACCOUNT_SID = "AC" + "6d6f6d656e74736c6f63616c" + "0" * 8  # "momentslocal"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
API = "/2010-04-01/Accounts/{account}"


def default_database(env=None) -> Path:
    env = os.environ if env is None else env
    if env.get("TWILIO_LOCAL_DATABASE"):
        return Path(env["TWILIO_LOCAL_DATABASE"])
    var = Path(env.get("MOMENTS_VAR_DIR") or ROOT / "var")
    return (var if var.is_absolute() else ROOT / var) / "twilio-local.db"


class Messages:
    """The messages received, in SQLite (one connection per thread; WAL)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._db() as db:
            db.execute("""CREATE TABLE IF NOT EXISTS messages (
                sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, to_number TEXT NOT NULL, from_number TEXT NOT NULL,
                body TEXT NOT NULL, status TEXT NOT NULL, num_segments INTEGER NOT NULL, created REAL NOT NULL)""")
            db.execute("CREATE INDEX IF NOT EXISTS ix_messages_to ON messages (to_number, created)")
        os.chmod(self.path, 0o600)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.row_factory = sqlite3.Row
        return db

    def add(self, account: str, to: str, from_: str, body: str) -> Dict[str, Any]:
        sid = "SM" + _random.token_hex(16)
        row = (sid, account, to, from_, body, "queued", count_segments(body), time.time())
        self._db().execute("INSERT INTO messages VALUES (?,?,?,?,?,?,?,?)", row)
        return self.get(sid)

    def set_status(self, sid: str, status: str) -> None:
        self._db().execute("UPDATE messages SET status = ? WHERE sid = ?", (status, sid))

    def get(self, sid: str) -> Optional[Dict[str, Any]]:
        row = self._db().execute("SELECT * FROM messages WHERE sid = ?", (sid,)).fetchone()
        return dict(row) if row else None

    def find(self, account: str, to: Optional[str] = None, from_: Optional[str] = None,
             after: Optional[float] = None, before: Optional[float] = None, limit: int = 50,
             offset: int = 0) -> List[Dict[str, Any]]:
        q, args = "SELECT * FROM messages WHERE account_sid = ?", [account]
        for column, value in (("to_number", to), ("from_number", from_)):
            if value:
                q += f" AND {column} = ?"
                args.append(value)
        if after is not None:
            q += " AND created >= ?"
            args.append(after)
        if before is not None:
            q += " AND created < ?"
            args.append(before)
        q += " ORDER BY created DESC, sid LIMIT ? OFFSET ?"
        return [dict(r) for r in self._db().execute(q, args + [limit, offset])]


def message_json(m: Dict[str, Any]) -> Dict[str, Any]:
    created = format_datetime(datetime.fromtimestamp(m["created"], timezone.utc))
    return {
        "sid": m["sid"], "account_sid": m["account_sid"], "to": m["to_number"], "from": m["from_number"],
        "body": m["body"], "status": m["status"], "num_segments": str(m["num_segments"]), "direction": "outbound-api",
        "date_created": created, "date_updated": created, "date_sent": created, "api_version": "2010-04-01",
        "price": None, "price_unit": "USD", "error_code": None, "error_message": None, "num_media": "0",
        "messaging_service_sid": None,
        "uri": f"/2010-04-01/Accounts/{m['account_sid']}/Messages/{m['sid']}.json", "subresource_uris": {},
    }


def twilio_error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                         "status": status}, status_code=status)


def _date_bound(value: str) -> Optional[float]:
    try:
        text = value.strip().replace("Z", "+00:00")
        moment = datetime.fromisoformat(text) if "T" in text else datetime.fromisoformat(text + "T00:00:00+00:00")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    except ValueError:
        return None


def create_app(account_sid: str, token: str, database: Path) -> FastAPI:
    app = FastAPI(title="Local Twilio-compatible Messages API", docs_url=None, redoc_url=None, openapi_url=None)
    store = Messages(database)
    app.state.messages = store

    def authorised(request: Request, account: str) -> Optional[JSONResponse]:
        header = request.headers.get("authorization", "")
        try:
            user, _, password = base64.b64decode(header.split(" ", 1)[1]).decode().partition(":")
        except Exception:  # noqa: BLE001 - missing or malformed: the same answer
            user = password = ""
        if not (hmac.compare_digest(user.encode(), account_sid.encode())
                and hmac.compare_digest(password.encode(), token.encode()) and account == account_sid):
            return twilio_error(401, 20003, "Authenticate")
        return None

    def callback(url: str, sid: str, account: str, to: str, from_: str) -> None:
        for status in ("sent", "delivered"):
            store.set_status(sid, status)
            params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": account, "MessageStatus": status,
                      "SmsStatus": status, "To": to, "From": from_, "ApiVersion": "2010-04-01"}
            try:
                requests.post(url, data=params, timeout=5,
                              headers={"X-Twilio-Signature": compute_signature(token, url, params.items())})
            except requests.RequestException as exc:
                log.warning("status callback for %s failed: %s", sid, type(exc).__name__)
                return

    @app.get("/healthz")
    def healthz() -> Dict[str, str]:
        return {"status": "ok"}

    @app.post(API + "/Messages.json")
    async def create(account: str, request: Request, background: BackgroundTasks):
        refused = authorised(request, account)
        if refused:
            return refused
        raw = (await request.body())[:64 * 1024].decode("utf-8", "replace")
        form = dict(parse_qsl(raw, keep_blank_values=True))
        to, from_, body = form.get("To", "").strip(), form.get("From", "").strip(), form.get("Body", "")
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not E164.match(to):
            return twilio_error(400, 21211, f"The 'To' number {to[:20]} is not a valid phone number.")
        if not from_:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body.strip():
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return twilio_error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        m = store.add(account, to, from_, body)
        if form.get("StatusCallback"):
            background.add_task(callback, form["StatusCallback"], m["sid"], account, to, from_)
        return JSONResponse(message_json(m), status_code=201)

    @app.get(API + "/Messages.json")
    def listing(account: str, request: Request):
        refused = authorised(request, account)
        if refused:
            return refused
        q = request.query_params
        after = next((_date_bound(q[k]) for k in ("DateSent>", "DateSent>=") if q.get(k)), None)
        before = _date_bound(q["DateSent<"]) if q.get("DateSent<") else None
        try:
            size = max(1, min(int(q.get("PageSize", 50)), 1000))
            page = max(0, int(q.get("Page", 0)))
        except ValueError:
            return twilio_error(400, 20001, "PageSize and Page are numbers.")
        rows = store.find(account, q.get("To"), q.get("From"), after, before, size + 1, page * size)
        base = f"/2010-04-01/Accounts/{account}/Messages.json"
        more = len(rows) > size
        keep = [(k, v) for k, v in q.multi_items() if k not in ("Page", "PageSize", "PageToken")]
        def uri(n: int) -> str:
            return base + "?" + "&".join(f"{k}={requests.utils.quote(v)}" for k, v in keep + [("PageSize", str(size)), ("Page", str(n))])
        return {"messages": [message_json(m) for m in rows[:size]], "page": page, "page_size": size,
                "uri": uri(page), "first_page_uri": uri(0), "previous_page_uri": uri(page - 1) if page else None,
                "next_page_uri": uri(page + 1) if more else None, "start": page * size,
                "end": page * size + min(len(rows), size) - 1}

    @app.get(API + "/Messages/{sid}.json")
    def one(account: str, sid: str, request: Request):
        refused = authorised(request, account)
        if refused:
            return refused
        m = store.get(sid)
        if m is None or m["account_sid"] != account:
            return twilio_error(404, 20404, f"The requested resource {request.url.path} was not found")
        return message_json(m)

    return app


def main(argv: Optional[list] = None) -> None:
    from moments import secrets

    parser = argparse.ArgumentParser(prog="python -m moments.notifier.twilio_local", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("TWILIO_LOCAL_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("TWILIO_LOCAL_PORT", "8091")))
    args = parser.parse_args(argv)
    token = secrets.require("local Twilio endpoint", ["TWILIO_API_TOKEN"])["TWILIO_API_TOKEN"]
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(os.environ.get("SMS_API_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID, token, default_database())
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, server_header=False, log_level="warning")


if __name__ == "__main__":
    main()
