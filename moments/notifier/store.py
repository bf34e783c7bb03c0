"""The notifier's database (SQLite under var/ by default, PostgreSQL by URL: NOTIFIER_DATABASE_URL): who opted in,
every reminder claimed or sent, the menu a reminder's "Reply 1 …" stands for, and the movable clock.

Exactly once, without any lock in Python:

- A reminder is *claimed* before it is sent: a row in `notify_reminders` whose unique key is (conversation, item,
  window). Two replicas racing for the same item insert it with `INSERT … ON CONFLICT DO NOTHING`; one sees a row
  inserted, the other sees none and moves on.
- The claim runs in one transaction with an UPDATE of the subscriber's row (a row lock in PostgreSQL, the write lock
  in SQLite), so the weekly cap is counted and the claim made with no other replica in between.
- After the provider accepted the message the row becomes `sent`, with the provider's message id. A process killed
  between the two leaves a `sending` row: after LEASE_SECONDS another run *recovers* it (a conditional UPDATE
  decides which replica) by asking the provider whether that body went to that number; only if it did not is it
  sent again. A reminder is therefore sent once, late, or (when the agency no longer lists it) never — not twice.

No phone number is stored: a subscriber is the SMS conversation id (a keyed hash of the number,
moments.channels.gateway.conversation_id_for); a reminder row keeps a hash of its body, not the body.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import (Column, Date, DateTime, Float, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        create_engine, delete, event, func, insert, select, update)
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = float(os.environ.get("NOTIFIER_LEASE_SECONDS", "60"))  # a `sending` row older than this belongs to a process that died (or a lost answer)
MENU_TTL_SECONDS = 3 * 24 * 3600  # "1" after a reminder means its option for three days

metadata = MetaData()

subscribers = Table(
    "notify_subscribers", metadata,
    Column("conversation_id", String(40), primary_key=True),
    Column("language", String(2), nullable=False),
    Column("status", String(10), nullable=False),  # on | off (STOP) | declined (said no when asked)
    Column("asked_at", DateTime, nullable=True),
    Column("updated_at", DateTime, nullable=False),
    Column("claims", Integer, nullable=False, default=0),  # bumped by every claim: the row lock
)

reminders = Table(
    "notify_reminders", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(40), nullable=False),
    Column("item_key", String(160), nullable=False),
    Column("reminder_window", String(16), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("due_on", Date, nullable=True),
    Column("state", String(10), nullable=False),  # sending | sent | failed
    Column("attempts", Integer, nullable=False, default=1),
    Column("claimed_at", Float, nullable=False),  # real time (epoch seconds): the lease
    Column("clock_at", DateTime, nullable=False),  # the notifier's clock (SGT, naive): weekly cap, listing
    Column("sent_at", DateTime, nullable=True),
    Column("provider_sid", String(64), nullable=True),
    Column("body_sha", String(64), nullable=False),
    Column("worker", String(64), nullable=False),
    UniqueConstraint("conversation_id", "item_key", "reminder_window", name="uq_reminder_once"),
)

reply_menus = Table(
    "notify_reply_menus", metadata,
    Column("conversation_id", String(40), primary_key=True),
    Column("menu", Text, nullable=False),  # moments.channels.menus.Menu JSON: generic titles and payloads
    Column("created_at", Float, nullable=False),
)

meta = Table(
    "notify_meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)


def default_url(env=None) -> str:
    env = os.environ if env is None else env
    if env.get("NOTIFIER_DATABASE_URL"):
        return env["NOTIFIER_DATABASE_URL"]
    var = Path(env.get("MOMENTS_VAR_DIR") or ROOT / "var")
    if not var.is_absolute():
        var = ROOT / var
    return f"sqlite:///{var / 'notifier.db'}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, future=True)

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # several processes: WAL lets readers go on while one writes
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, future=True)


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class Outcome(Enum):
    CLAIMED = "claimed"            # this process sends it now
    DONE = "done"                  # sent (or being sent) already: nothing to do
    STALE = "stale"                # a `sending` row past its lease: recover it
    CAPPED = "capped"              # the weekly cap is reached: later, if still relevant
    NOT_SUBSCRIBED = "not_subscribed"


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    reminder_id: Optional[int] = None
    attempts: int = 0
    body_sha: str = ""
    claimed_at: float = 0.0


@dataclass(frozen=True)
class Subscriber:
    conversation_id: str
    language: str
    status: str
    asked_at: Optional[datetime]


class Store:
    def __init__(self, url: Optional[str] = None, engine: Optional[Engine] = None):
        self.url = url or default_url()
        self.engine = engine or make_engine(self.url)
        self._upsert_ignore = _insert_ignore(self.engine)

    def migrate(self) -> "Store":
        metadata.create_all(self.engine, checkfirst=True)
        return self

    def dispose(self) -> None:
        self.engine.dispose()

    # --- subscribers (the SMS channel writes them; the notifier reads them) ------------------------------------
    def subscriber(self, cid: str) -> Optional[Subscriber]:
        with self.engine.connect() as c:
            row = c.execute(select(subscribers).where(subscribers.c.conversation_id == cid)).first()
        return Subscriber(row.conversation_id, row.language, row.status, row.asked_at) if row else None

    def subscribed(self, cids: Iterable[str]) -> Dict[str, Subscriber]:
        cids = list(cids)
        out: Dict[str, Subscriber] = {}
        with self.engine.connect() as c:
            for i in range(0, len(cids), 500):
                for row in c.execute(select(subscribers).where(subscribers.c.conversation_id.in_(cids[i:i + 500]),
                                                               subscribers.c.status == "on")):
                    out[row.conversation_id] = Subscriber(row.conversation_id, row.language, row.status, row.asked_at)
        return out

    def set_status(self, cid: str, status: str, language: str, now: datetime, asked: bool = False) -> None:
        with self.engine.begin() as c:
            values: Dict[str, Any] = {"status": status, "language": language, "updated_at": now}
            if asked:
                values["asked_at"] = now
            done = c.execute(update(subscribers).where(subscribers.c.conversation_id == cid).values(**values))
            if done.rowcount == 0:
                c.execute(self._upsert_ignore(subscribers).values(conversation_id=cid, claims=0,
                                                                  **{"asked_at": None, **values}))
                c.execute(update(subscribers).where(subscribers.c.conversation_id == cid).values(**values))

    def mark_asked(self, cid: str, language: str, now: datetime) -> bool:
        """Records that the consent question was asked; False when it was asked (or answered) before."""
        with self.engine.begin() as c:
            r = c.execute(self._upsert_ignore(subscribers).values(
                conversation_id=cid, language=language, status="asked", asked_at=now, updated_at=now, claims=0))
            return r.rowcount == 1

    def set_language(self, cid: str, language: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(subscribers).where(subscribers.c.conversation_id == cid,
                                                subscribers.c.language != language).values(language=language))

    # --- reminders ------------------------------------------------------------------------------------------
    def claim(self, cid: str, item: Dict[str, Any], body: str, clock_now: datetime, weekly_cap: int,
              worker: str) -> Claim:
        sha = body_hash(body)
        with self.engine.begin() as c:
            locked = c.execute(update(subscribers)
                               .where(subscribers.c.conversation_id == cid, subscribers.c.status == "on")
                               .values(claims=subscribers.c.claims + 1))
            if locked.rowcount == 0:
                return Claim(Outcome.NOT_SUBSCRIBED)
            row = c.execute(select(reminders.c.id, reminders.c.state, reminders.c.attempts, reminders.c.claimed_at,
                                   reminders.c.body_sha)
                            .where(reminders.c.conversation_id == cid, reminders.c.item_key == item["key"],
                                   reminders.c.reminder_window == item["window"])).first()
            if row is not None:
                if row.state == "sending" and time.time() - row.claimed_at > LEASE_SECONDS:
                    return Claim(Outcome.STALE, row.id, row.attempts, row.body_sha, row.claimed_at)
                return Claim(Outcome.DONE, row.id)
            week = c.execute(select(func.count()).select_from(reminders).where(
                reminders.c.conversation_id == cid, reminders.c.state != "failed",
                reminders.c.clock_at > clock_now - timedelta(days=7))).scalar_one()
            if week >= weekly_cap:
                return Claim(Outcome.CAPPED)
            now = time.time()
            r = c.execute(self._upsert_ignore(reminders).values(
                conversation_id=cid, item_key=item["key"], reminder_window=item["window"], kind=item["kind"],
                due_on=_day(item.get("due_on")), state="sending", attempts=1, claimed_at=now, clock_at=clock_now,
                body_sha=sha, worker=worker))
            if r.rowcount != 1:
                return Claim(Outcome.DONE)
            rid = c.execute(select(reminders.c.id).where(
                reminders.c.conversation_id == cid, reminders.c.item_key == item["key"],
                reminders.c.reminder_window == item["window"])).scalar_one()
        return Claim(Outcome.CLAIMED, rid, 1, sha, now)

    def settled(self, cids: Iterable[str]) -> set:
        """(conversation, item, window) of every reminder already sent, failed or claimed within its lease, for these
        conversations: one read per page, so a run skips what is done without a transaction per item."""
        cids, out, now = list(cids), set(), time.time()
        with self.engine.connect() as c:
            for i in range(0, len(cids), 500):
                for row in c.execute(select(reminders.c.conversation_id, reminders.c.item_key,
                                            reminders.c.reminder_window, reminders.c.state, reminders.c.claimed_at)
                                     .where(reminders.c.conversation_id.in_(cids[i:i + 500]))):
                    if row.state != "sending" or now - row.claimed_at <= LEASE_SECONDS:
                        out.add((row.conversation_id, row.item_key, row.reminder_window))
        return out

    def take_over(self, claim: Claim, body: str, worker: str) -> Optional[Claim]:
        """The stale claim for this process (one replica wins the conditional UPDATE), or None."""
        now = time.time()
        with self.engine.begin() as c:
            r = c.execute(update(reminders).where(reminders.c.id == claim.reminder_id, reminders.c.state == "sending",
                                                  reminders.c.attempts == claim.attempts)
                          .values(attempts=claim.attempts + 1, claimed_at=now, worker=worker, body_sha=body_hash(body)))
        if r.rowcount != 1:
            return None
        return Claim(Outcome.CLAIMED, claim.reminder_id, claim.attempts + 1, claim.body_sha, claim.claimed_at)

    def sent(self, reminder_id: int, provider_sid: str, clock_now: datetime) -> None:
        with self.engine.begin() as c:
            c.execute(update(reminders).where(reminders.c.id == reminder_id)
                      .values(state="sent", provider_sid=provider_sid[:64], sent_at=clock_now))

    def failed(self, reminder_id: int) -> None:
        with self.engine.begin() as c:
            c.execute(update(reminders).where(reminders.c.id == reminder_id).values(state="failed"))

    def recent(self, cid: str, limit: int = 5) -> List[Dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(select(reminders.c.kind, reminders.c.due_on, reminders.c.sent_at)
                             .where(reminders.c.conversation_id == cid, reminders.c.state == "sent")
                             .order_by(reminders.c.sent_at.desc(), reminders.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]

    def counts(self) -> Dict[str, int]:
        with self.engine.connect() as c:
            rows = c.execute(select(reminders.c.state, func.count()).group_by(reminders.c.state))
            return {state: n for state, n in rows}

    def duplicates(self) -> int:
        """Rows sharing (conversation, item, window): 0 unless the unique key was dropped."""
        with self.engine.connect() as c:
            q = select(func.count()).select_from(
                select(reminders.c.conversation_id).group_by(reminders.c.conversation_id, reminders.c.item_key,
                                                             reminders.c.reminder_window)
                .having(func.count() > 1).subquery())
            return int(c.execute(q).scalar_one())

    # --- reply menus -----------------------------------------------------------------------------------------
    def put_menu(self, cid: str, menu: Dict[str, Any]) -> None:
        values = {"menu": json.dumps(menu, ensure_ascii=False), "created_at": time.time()}
        with self.engine.begin() as c:  # an upsert: two replicas texting the same parent at once
            c.execute(_upsert(self.engine, reply_menus, ["conversation_id"], values).values(conversation_id=cid,
                                                                                           **values))

    def take_menu(self, cid: str) -> Optional[Dict[str, Any]]:
        """The menu of the last reminder to this conversation, once (the SMS channel then keeps it)."""
        with self.engine.begin() as c:
            row = c.execute(select(reply_menus).where(reply_menus.c.conversation_id == cid)).first()
            if row is None:
                return None
            gone = c.execute(delete(reply_menus).where(reply_menus.c.conversation_id == cid,
                                                       reply_menus.c.created_at == row.created_at))
        if gone.rowcount != 1 or time.time() - row.created_at > MENU_TTL_SECONDS:
            return None
        return json.loads(row.menu)

    # --- the movable clock -----------------------------------------------------------------------------------
    def clock_offset(self) -> float:
        with self.engine.connect() as c:
            value = c.execute(select(meta.c.value).where(meta.c.key == "clock_offset_seconds")).scalar()
        return float(value or 0)

    def set_clock_offset(self, seconds: float) -> None:
        with self.engine.begin() as c:
            c.execute(delete(meta).where(meta.c.key == "clock_offset_seconds"))
            c.execute(insert(meta).values(key="clock_offset_seconds", value=repr(float(seconds))))


def _day(value: Any) -> Optional[date]:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _upsert(engine: Engine, table: Table, keys: List[str], values: Dict[str, Any]):
    """`INSERT … ON CONFLICT (keys) DO UPDATE SET values` in this database's dialect."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table).on_conflict_do_update(index_elements=keys, set_=values)


def _insert_ignore(engine: Engine):
    """`INSERT … ON CONFLICT DO NOTHING` in this database's dialect."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return lambda table: pg_insert(table).on_conflict_do_nothing()
    if engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return lambda table: sqlite_insert(table).on_conflict_do_nothing()
    raise ValueError(f"the notifier needs SQLite or PostgreSQL, not {engine.dialect.name}")
