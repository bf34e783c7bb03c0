"""The tracker store's tables as the privacy tools see them: Rasa's `events` and our `privacy_index`.

Plain SQLAlchemy Core, so `python -m moments.privacy` works on the database without loading Rasa's domain.
"""
from __future__ import annotations

import time
from typing import Iterable, List, Optional

import sqlalchemy as sa

metadata = sa.MetaData()

# Rasa's table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent), declared again for Core queries; never
# created from here.
events_table = sa.Table(
    "events", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

# Keyed hashes (HMAC-SHA256 with PRIVACY_KEY) of the identifiers a conversation held: "nric:S1234567D",
# "person:<id>", "phone:91234567". Nothing here can be read back; an officer who knows the NRIC can find the rows.
index_table = sa.Table(
    "privacy_index", metadata,
    sa.Column("id", sa.Integer, sa.Sequence("privacy_index_seq"), primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("digest", sa.String(64), nullable=False, index=True),
    sa.Column("timestamp", sa.Float),
)


# A forgotten conversation's keyed hash and when it was forgotten: a turn Rasa was still handling at that moment
# saves its tracker afterwards, and SQLTrackerStore would store every event of it again (it stores the events beyond
# the number of rows it finds, now 0). The store drops events older than the tombstone. `purge` removes tombstones
# after the retention period.
forgotten_table = sa.Table(
    "privacy_forgotten", metadata,
    sa.Column("id", sa.Integer, sa.Sequence("privacy_forgotten_seq"), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, index=True),
    sa.Column("timestamp", sa.Float, nullable=False),
)


def delete_conversations(conn: sa.engine.Connection, sender_ids: Iterable[str], vault=None,
                         tombstone: bool = True) -> int:
    """Deletes every event and index row of these conversations (and, with a vault, leaves a tombstone so an
    in-flight turn cannot store them again); returns how many events were deleted."""
    ids: List[str] = list(sender_ids)
    if not ids:
        return 0
    removed = 0
    inspector = sa.inspect(conn)
    has_index, has_forgotten = inspector.has_table("privacy_index"), inspector.has_table("privacy_forgotten")
    if tombstone and vault is not None and not has_forgotten:
        metadata.create_all(conn, tables=[forgotten_table])
        has_forgotten = True
    now = time.time()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        removed += conn.execute(events_table.delete().where(events_table.c.sender_id.in_(chunk))).rowcount or 0
        if has_index:
            conn.execute(index_table.delete().where(index_table.c.sender_id.in_(chunk)))
        if tombstone and vault is not None:
            conn.execute(forgotten_table.insert(), [{"digest": vault.digest("conversation", i), "timestamp": now}
                                                    for i in chunk])
    return removed


def forgotten_at(conn: sa.engine.Connection, sender_id: str, vault) -> Optional[float]:
    """When this conversation was last forgotten (None: never, or the tombstone has been purged)."""
    return conn.execute(sa.select(sa.func.max(forgotten_table.c.timestamp)).where(
        forgotten_table.c.digest.in_(vault.digests("conversation", sender_id)))).scalar()
