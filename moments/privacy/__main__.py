"""What the assistant keeps, and for how long — the operator's commands.

    python -m moments.privacy purge [--older-than 30d] [--handoffs-older-than 90d] [--logs var/logs]
        deletes conversations whose last event is older than the period from the SQL tracker store (SQLite or
        PostgreSQL), handoff requests older than theirs, and rotated logs older than the period.
        scripts/run.sh runs it on every start of `make run`; schedule it (cron, a Kubernetes CronJob) elsewhere.
    python -m moments.privacy forget --conversation ID | --phone +65… | --nric S…   (repeatable)
        deletes those conversations now; --phone finds the SMS conversation (SMS_CONVERSATION_KEY) and any
        conversation the number appeared in, --nric any conversation the NRIC appeared in (keyed-hash index).
    python -m moments.privacy rewrite
        applies the at-rest rule to rows stored before it existed (tokens, clear NRICs, accounts of an older
        install); idempotent. scripts/run.sh runs it once per tracker store (var/.privacy-rewritten).
    python -m moments.privacy rotate-logs [--logs var/logs] [--keep 5]
        var/logs/x.log -> x.log.1 -> … -> x.log.5 (dropped); run by scripts/run.sh before the services start.

The tracker store is read from endpoints.yml (--endpoints; ${VAR}s substituted like Rasa does), or given with
--db (an SQLite file) or --url (an SQLAlchemy URL, e.g. postgresql://user@host/db). Each deletion appends a line
to var/logs/privacy-audit.log that records that it happened and how much, never what was deleted.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import List, Optional, Set

import sqlalchemy as sa

from moments.privacy import audit, nrics_in
from moments.privacy.tables import delete_conversations, events_table, forgotten_table, index_table

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RETENTION = os.environ.get("CHAT_RETENTION", "30d")
DEFAULT_HANDOFF_RETENTION = os.environ.get("HANDOFF_RETENTION", "90d")
AUDIT_LOG = "privacy-audit.log"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_period(text: str) -> float:
    """'30d' / '12h' / '90m' / '2w' / '3600' (seconds) -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text or "")
    if not m:
        raise argparse.ArgumentTypeError(f"not a period: {text!r} (e.g. 30d, 12h, 90m)")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def tracker_store_url(endpoints: Optional[str] = None, db: Optional[str] = None, url: Optional[str] = None) -> str:
    if url:
        return url
    if db:
        return f"sqlite:///{Path(db).resolve()}"
    import yaml
    from rasa.core.tracker_store import SQLTrackerStore

    path = Path(endpoints or os.environ.get("ENDPOINTS") or ROOT / "endpoints.yml")
    section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("tracker_store") or {}
    kind = str(section.get("type") or "")
    if not (kind.lower() == "sql" or kind.lower().endswith("sqltrackerstore")):
        raise SystemExit(f"{path}: tracker_store is not an SQL store ({kind or 'none'}); use --db or --url")
    # ${VAR}s of this section only, as Rasa substitutes them (the other sections' secrets are not needed here)
    kw = {}
    for k, v in section.items():
        if isinstance(v, str):
            v = os.path.expandvars(v)
            if "${" in v:
                raise SystemExit(f"{path}: tracker_store.{k} needs {v} set in the environment")
        kw[k] = v
    cfg_url = kw.pop("url", None)
    dialect = kw.get("dialect", "sqlite")
    database = kw.get("db", "rasa.db")
    if dialect == "sqlite" and not Path(database).is_absolute():
        database = str(ROOT / database)  # Rasa resolves it from where `make run` starts: the root
    return str(SQLTrackerStore.get_db_url(dialect=dialect, host=cfg_url, port=kw.get("port"), db=database,
                                          username=kw.get("username"), password=kw.get("password"),
                                          login_db=kw.get("login_db"), query=kw.get("query")))


def engine_for(url: str) -> sa.engine.Engine:
    return sa.create_engine(url, future=True)


def _has_events(engine: sa.engine.Engine) -> bool:
    return sa.inspect(engine).has_table("events")


def stale_conversations(engine: sa.engine.Engine, older_than: float, now: Optional[float] = None) -> List[str]:
    """Conversations whose last event is older than `older_than` seconds."""
    if not _has_events(engine):
        return []
    cutoff = (now if now is not None else time.time()) - older_than
    last = sa.func.max(events_table.c.timestamp)
    stmt = sa.select(events_table.c.sender_id).group_by(events_table.c.sender_id).having(last < cutoff)
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(stmt)]


def purge(engine: sa.engine.Engine, older_than: float, now: Optional[float] = None) -> tuple:
    ids = stale_conversations(engine, older_than, now)
    cutoff = (now if now is not None else time.time()) - older_than
    with engine.begin() as conn:
        removed = delete_conversations(conn, ids, tombstone=False)  # nothing is in flight for a stale conversation
        if sa.inspect(conn).has_table("privacy_forgotten"):
            conn.execute(forgotten_table.delete().where(forgotten_table.c.timestamp < cutoff))
    return len(ids), removed


def purge_handoffs(url: Optional[str], older_than: float) -> int:
    from moments.handoff import HandoffRequest, default_url

    engine = engine_for(url or default_url())
    if not sa.inspect(engine).has_table(HandoffRequest.__tablename__):
        return 0
    cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than)
    with engine.begin() as conn:
        return conn.execute(sa.delete(HandoffRequest.__table__).where(
            HandoffRequest.__table__.c.created_at < cutoff)).rowcount or 0


def purge_logs(logs: Path, older_than: float) -> int:
    """Rotated logs (x.log.1, x.log.2, …) whose last write is older than the period."""
    if not logs.is_dir():
        return 0
    cutoff, n = time.time() - older_than, 0
    for f in logs.glob("*.log.*"):
        if f.is_file() and f.stat().st_mtime < cutoff:
            f.unlink()
            n += 1
    return n


def rotate_logs(logs: Path, keep: int = 5) -> int:
    """x.log -> x.log.1 -> … -> x.log.<keep> (the oldest dropped); empty logs and the audit log stay."""
    if not logs.is_dir():
        return 0
    n = 0
    for f in sorted(logs.glob("*.log")):
        if f.name == AUDIT_LOG or not f.is_file() or f.stat().st_size == 0:
            continue
        oldest = f.with_name(f"{f.name}.{keep}")
        if oldest.exists():
            oldest.unlink()
        for i in range(keep - 1, 0, -1):
            src = f.with_name(f"{f.name}.{i}")
            if src.exists():
                src.rename(f.with_name(f"{f.name}.{i + 1}"))
        f.rename(f.with_name(f"{f.name}.1"))
        n += 1
    return n


def rewrite(engine: sa.engine.Engine) -> int:
    """Every stored event made as PrivateSQLTrackerStore stores it (decrypted first, so it is never encrypted
    twice); returns how many rows changed."""
    import json

    from moments.privacy.crypto import Vault
    from moments.privacy.events import at_rest, digests, from_rest
    from moments.privacy.tables import metadata

    if not _has_events(engine):
        return 0
    vault = Vault.from_env()
    metadata.create_all(engine)
    ciphertext = re.compile(r'"enc:v1:[^"]*"')

    def shape(event: dict) -> str:
        return ciphertext.sub('"enc"', json.dumps(event, sort_keys=True, ensure_ascii=False))

    changed = 0
    with engine.begin() as conn:
        rows = conn.execute(sa.select(events_table.c.id, events_table.c.sender_id, events_table.c.timestamp,
                                      events_table.c.data)).all()
        indexed = {(s, d) for s, d in conn.execute(sa.select(index_table.c.sender_id, index_table.c.digest))}
        for row_id, sender, timestamp, data in rows:
            event = json.loads(data)
            stored, found = at_rest(from_rest(event, vault), vault)
            for digest in digests(found, vault):
                if (sender, digest) not in indexed:
                    indexed.add((sender, digest))
                    conn.execute(index_table.insert().values(sender_id=sender, digest=digest, timestamp=timestamp))
            if shape(stored) != shape(event):  # ciphertexts differ on every encryption: compare where they are
                intent = (stored.get("parse_data") or {}).get("intent", {}).get("name")
                conn.execute(events_table.update().where(events_table.c.id == row_id).values(
                    data=json.dumps(stored), intent_name=intent, action_name=stored.get("name")))
                changed += 1
    return changed


def normalise_phone(phone: str) -> List[str]:
    """How a number may have reached the SMS channel: '+6591234567' and the forms people type."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 8:
        digits = "65" + digits
    forms = {phone.strip(), "+" + digits, digits}
    return [f for f in forms if f]


def find_by_index(engine: sa.engine.Engine, kind: str, value: str) -> Set[str]:
    from moments.privacy.crypto import Vault

    if not sa.inspect(engine).has_table("privacy_index"):
        return set()
    wanted = Vault.from_env().digests(kind, value)
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.select(index_table.c.sender_id).where(
            index_table.c.digest.in_(wanted)).distinct())}


def existing(engine: sa.engine.Engine, ids: Set[str]) -> Set[str]:
    if not ids or not _has_events(engine):
        return set()
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.select(events_table.c.sender_id).where(
            events_table.c.sender_id.in_(sorted(ids))).distinct())}


def resolve(engine: sa.engine.Engine, conversations: List[str], phones: List[str], nrics: List[str]) -> Set[str]:
    ids: Set[str] = set(conversations)
    if phones:
        from moments.channels.gateway import conversation_id_for

        key = os.environ.get("SMS_CONVERSATION_KEY")
        if not key:
            from moments import secrets
            key = secrets.read(secrets.secrets_file()).get("SMS_CONVERSATION_KEY")
        for phone in phones:
            ids |= {conversation_id_for(form, key) for form in normalise_phone(phone)}
            digits = re.sub(r"\D", "", phone)[-8:]
            ids |= find_by_index(engine, "phone", digits)
    for nric in nrics:
        found = nrics_in(nric)
        if not found:
            raise SystemExit(f"not an NRIC/FIN: {nric[:1]}…")
        ids |= find_by_index(engine, "nric", found[0])
    return existing(engine, ids)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m moments.privacy", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def store_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--endpoints", help="endpoints.yml whose tracker_store to use (default: endpoints.yml)")
        sp.add_argument("--db", help="an SQLite tracker store file instead")
        sp.add_argument("--url", help="an SQLAlchemy URL instead (postgresql://…)")

    sp = sub.add_parser("purge", help="delete what is older than the retention periods")
    store_options(sp)
    sp.add_argument("--older-than", type=parse_period, default=parse_period(DEFAULT_RETENTION),
                    help=f"conversations whose last event is older than this (default {DEFAULT_RETENTION})")
    sp.add_argument("--handoffs-older-than", type=parse_period, default=parse_period(DEFAULT_HANDOFF_RETENTION),
                    help=f"handoff requests created before this (default {DEFAULT_HANDOFF_RETENTION})")
    sp.add_argument("--handoff-url", help="handoff database (default: HANDOFF_DATABASE_URL or var/handoff.db)")
    sp.add_argument("--no-handoffs", action="store_true", help="leave handoff requests alone")
    sp.add_argument("--logs", type=Path, help="also delete rotated logs older than the period in this folder")

    sf = sub.add_parser("forget", help="delete conversations now (an officer acting on a request)")
    store_options(sf)
    sf.add_argument("--conversation", action="append", default=[], metavar="ID")
    sf.add_argument("--phone", action="append", default=[], metavar="+65…")
    sf.add_argument("--nric", action="append", default=[], metavar="S…")

    sw = sub.add_parser("rewrite", help="apply the at-rest rule to rows stored before it existed")
    store_options(sw)

    sr = sub.add_parser("rotate-logs", help="rotate var/logs/*.log")
    sr.add_argument("--logs", type=Path, default=Path(os.environ.get("MOMENTS_VAR_DIR", "var")) / "logs")
    sr.add_argument("--keep", type=int, default=5)

    a = p.parse_args(argv)
    if a.command == "rotate-logs":
        print(f"rotated {rotate_logs(a.logs, a.keep)} log(s) in {a.logs}")
        return 0
    engine = engine_for(tracker_store_url(a.endpoints, a.db, a.url))
    if a.command == "rewrite":
        n = rewrite(engine)
        if n:
            audit.record("rewrite", by="operator", events=n)
        print(f"rewrote {n} stored event(s)")
        return 0
    if a.command == "purge":
        conversations, events = purge(engine, a.older_than)
        handoffs = 0 if a.no_handoffs else purge_handoffs(a.handoff_url, a.handoffs_older_than)
        logs = purge_logs(a.logs, a.older_than) if a.logs else 0
        audit.record("purge", by="retention", older_than_s=int(a.older_than), conversations=conversations,
                     events=events, handoffs=handoffs, logs=logs)
        print(f"purged {conversations} conversation(s) ({events} events), {handoffs} handoff request(s), "
              f"{logs} rotated log(s)")
        return 0
    if not (a.conversation or a.phone or a.nric):
        p.error("forget needs --conversation, --phone or --nric")
    ids = resolve(engine, a.conversation, a.phone, a.nric)
    from moments.privacy.crypto import Vault

    with engine.begin() as conn:
        events = delete_conversations(conn, ids, vault=Vault.from_env())
    selector = ",".join(k for k, v in (("conversation", a.conversation), ("phone", a.phone), ("nric", a.nric)) if v)
    audit.record("forget", by="officer", selector=selector, conversations=len(ids), events=events)
    print(f"forgot {len(ids)} conversation(s) ({events} events)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
