"""Requests to talk to a person, recorded so an officer can follow up.

The action server writes one row per request (SQLite under var/ by default, any SQLAlchemy URL via
HANDOFF_DATABASE_URL, e.g. postgresql://…). Officers list open requests with
`python -m moments.handoff` (see README).
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

from sqlalchemy import Column, DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base

from moments.privacy import mask_personal

Base = declarative_base()

AGENCIES = ("ica", "msf", "polyclinic", "general")


class HandoffRequest(Base):
    __tablename__ = "handoff_requests"

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), unique=True, nullable=False)
    conversation_id = Column(String(255), nullable=False, index=True)
    agency = Column(String(16), nullable=False)
    language = Column(String(2), nullable=False)
    channel = Column(String(32), nullable=True)
    last_message = Column(Text, nullable=True)  # masked: no NRIC or phone number is stored
    status = Column(String(16), nullable=False, default="open")
    created_at = Column(DateTime(timezone=True), nullable=False)


def default_url() -> str:
    url = os.environ.get("HANDOFF_DATABASE_URL")
    if url:
        return url
    var = Path(os.environ.get("MOMENTS_VAR_DIR", "var"))
    var.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var / 'handoff.db'}"


@dataclass(frozen=True)
class Recorded:
    reference: str
    agency: str


class HandoffStore:
    def __init__(self, url: Optional[str] = None, engine: Optional[Engine] = None):
        self.engine = engine or create_engine(url or default_url(), future=True)
        Base.metadata.create_all(self.engine)

    def record(
        self,
        conversation_id: str,
        agency: str,
        language: str,
        last_message: Optional[str],
        channel: Optional[str] = None,
    ) -> Recorded:
        if agency not in AGENCIES:
            raise ValueError(f"unknown agency {agency!r}")
        reference = "HO-" + secrets.token_hex(4).upper()
        with Session(self.engine) as session, session.begin():
            session.add(
                HandoffRequest(
                    reference=reference,
                    conversation_id=conversation_id,
                    agency=agency,
                    language=language,
                    channel=channel,
                    last_message=mask_personal(last_message)[:1000] if last_message else None,
                    status="open",
                    created_at=datetime.now(timezone.utc),
                )
            )
        return Recorded(reference, agency)

    def open_requests(self) -> List[HandoffRequest]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(HandoffRequest).where(HandoffRequest.status == "open").order_by(HandoffRequest.id)
            ).all()
            session.expunge_all()
            return list(rows)


def main() -> None:
    rows = HandoffStore().open_requests()
    if not rows:
        print("No open handoff requests.")
    for r in rows:
        print(f"{r.reference}  {r.created_at:%Y-%m-%d %H:%M}  {r.agency:<10} {r.language}  "
              f"conversation={r.conversation_id}  last message: {r.last_message or ''}")


if __name__ == "__main__":
    main()
