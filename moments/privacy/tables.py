"""The tracker store's tables as the privacy tools see them: Rasa's `events` and our `privacy_index`.

Plain SQLAlchemy Core, so `python -m moments.privacy` works on the database without loading Rasa's domain.
"""
from __future__ import annotations

from typing import Iterable, List

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


def delete_conversations(conn: sa.engine.Connection, sender_ids: Iterable[str]) -> int:
    """Deletes every event and index row of these conversations; returns how many events were deleted."""
    ids: List[str] = list(sender_ids)
    if not ids:
        return 0
    removed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        removed += conn.execute(events_table.delete().where(events_table.c.sender_id.in_(chunk))).rowcount or 0
        if sa.inspect(conn).has_table("privacy_index"):
            conn.execute(index_table.delete().where(index_table.c.sender_id.in_(chunk)))
    return removed
