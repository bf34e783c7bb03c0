"""PrivateSQLTrackerStore: Rasa's SQL tracker store (SQLite, PostgreSQL) with the privacy rules applied once.

    tracker_store:
      type: moments.privacy.store.PrivateSQLTrackerStore   # same options as `type: SQL`
      dialect: "sqlite"
      db: "var/tracker.db"

Why a subclass of SQLTrackerStore (not an event broker or an action-side rule): every event reaches the database
through `save` and comes back through `_retrieve`, whatever channel or action produced it, so the rule is in one
place and no action can forget it. Rasa 3.6's processor fetches the tracker, appends the turn's events in memory,
runs the actions on that in-memory tracker and saves it once at the end of the turn (processor.handle_message →
save_tracker); so the actions of a turn still see the current message's token, and what is stored never has it.
A later turn reads its token from its own message again (the web widget and REST clients send it every time;
SMS identifies the sender's number on each message).

- save: each new event is stored as `moments.privacy.events.at_rest` makes it (tokens dropped, text masked, slot
  values encrypted); the SQL columns outside `data` hold only the event type, the intent or action/slot name, the
  timestamp and the conversation id. Identifiers seen (NRICs, person ids, phone numbers) go to `privacy_index`
  as keyed hashes, so an officer can find the conversation for `python -m moments.privacy forget --nric`.
- retrieve: slot values decrypted, so a form has on turn 6 the bank account typed on turn 3.
- replace: a tracker that does not continue the stored events (`PUT …/tracker/events`) replaces them, as Rasa's API
  promises (SQLTrackerStore only ever appended).
- "forget me": when a turn sets the `privacy_forget` slot (action_forget_me), the conversation's rows (events and
  index) are deleted instead of storing the turn; the next message starts a new conversation.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from moments.privacy import audit
from moments.privacy.crypto import Vault
from moments.privacy.events import at_rest, digests, forget_requested, from_rest_json
from moments.privacy.marker import FORGET_SLOT
from moments.privacy.tables import delete_conversations, forgotten_at, index_table, metadata

logger = logging.getLogger(__name__)


class PrivateSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, dialect: Text = "sqlite", host: Optional[Text] = None,
                 port: Optional[int] = None, db: Text = "rasa.db", username: Text = None, password: Text = None,
                 event_broker=None, login_db: Optional[Text] = None, query: Optional[Dict] = None,
                 **kwargs: Any) -> None:
        self.vault = Vault.from_env()  # before connecting: no key, no start
        if event_broker is not None:
            logger.warning("an event broker receives events before the tracker store masks them; "
                           "moments does not configure one")
        super().__init__(domain=domain, dialect=dialect, host=host, port=port, db=db, username=username,
                         password=password, event_broker=event_broker, login_db=login_db, query=query, **kwargs)
        metadata.create_all(self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            events = self._new_events(session, tracker)
            serialised = [e.as_dict() for e in events]
            if forget_requested(serialised, FORGET_SLOT):
                # no tombstone: this very save is the end of the conversation, nothing else is in flight for it
                removed = delete_conversations(session.connection(), [tracker.sender_id], tombstone=False)
                session.commit()
                audit.record("forget", by="citizen", conversations=1, events=removed)
                logger.info("conversation forgotten at the citizen's request (%d events deleted)", removed)
                return
            if events and len(events) == len(tracker.events):  # nothing stored: new, or forgotten meanwhile
                since = forgotten_at(session.connection(), tracker.sender_id, self.vault)
                if since is not None:  # an officer forgot it while this turn was running: keep only what is newer
                    kept = [(e, d) for e, d in zip(events, serialised) if (d.get("timestamp") or 0) > since]
                    events, serialised = [e for e, _ in kept], [d for _, d in kept]
            known = None
            for event, data in zip(events, serialised):
                stored, found = at_rest(data, self.vault)
                intent = (stored.get("parse_data") or {}).get("intent", {}).get("name")
                session.add(self.SQLEvent(sender_id=tracker.sender_id, type_name=event.type_name,
                                          timestamp=data.get("timestamp"), intent_name=intent,
                                          action_name=stored.get("name"), data=json.dumps(stored)))
                if found:
                    if known is None:
                        known = {d for (d,) in session.execute(
                            index_table.select().with_only_columns(index_table.c.digest)
                            .where(index_table.c.sender_id == tracker.sender_id))}
                    for digest in digests(found, self.vault):
                        if digest not in known:
                            known.add(digest)
                            session.execute(index_table.insert().values(
                                sender_id=tracker.sender_id, digest=digest, timestamp=data.get("timestamp")))
            session.commit()

    def _new_events(self, session, tracker: DialogueStateTracker) -> list:
        """The tracker's events not stored yet. SQLTrackerStore stores the events beyond the number of rows it finds,
        so a tracker that does not continue the stored one (Rasa's `PUT /conversations/<id>/tracker/events`, which
        promises to replace the conversation, `[]` included) would leave the old rows in place: here it replaces
        them."""
        stored = [ts for (ts,) in self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False)
                  .with_entities(self.SQLEvent.timestamp)]
        mine = [e.timestamp for e in tracker.events]
        if mine[:len(stored)] == stored:
            return list(tracker.events)[len(stored):]
        removed = delete_conversations(session.connection(), [tracker.sender_id], tombstone=False)
        logger.info("conversation replaced through Rasa's API (%d stored events deleted)", removed)
        return list(tracker.events)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            # the `data` column only (the same rows in the same order): no ORM object per event, which cost more
            # than the rest of loading a long conversation (docs/profile-2026-12-04.md)
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
                                     ).with_entities(self.SQLEvent.data).all()
            events = [from_rest_json(data, self.vault) for (data,) in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None
