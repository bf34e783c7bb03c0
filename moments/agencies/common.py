"""Helpers every agency's routes share: sessions, references, and the ownership checks that make "a caller sees and
changes only their own records and their own children's" hold."""
from __future__ import annotations

import json
import secrets
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Iterator, Tuple

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from .errors import Problem
from .models import Person

# Crockford's base32 without I, L, O, U: easy to read out and to type on a phone keypad
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def sessions(request: Request) -> sessionmaker:
    return request.app.state.sessions


def new_reference(prefix: str) -> str:
    """'BR-7K3M9Q2X': prefix, dash, 8 random characters (40 bits)."""
    return f"{prefix}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def caller(s: Session, person_id: str) -> Person:
    person = s.get(Person, person_id)
    if person is None:  # the token names someone the database no longer has (e.g. after a reset)
        raise Problem("token_invalid", "The Singpass token names an unknown person; log in again.")
    return person


@contextmanager
def as_caller(request: Request, who: Any) -> Iterator[Tuple[Session, Person]]:
    """A database session and the calling citizen (`who`: security.Citizen) for a read-only route:
    `with as_caller(request, who) as (s, me): …`."""
    with sessions(request)() as s:
        yield s, caller(s, who.person_id)


def children_of(s: Session, person_id: str) -> list[Person]:
    return list(
        s.execute(
            select(Person)
            .where(or_(Person.mother_id == person_id, Person.father_id == person_id))
            .order_by(Person.date_of_birth, Person.born_at, Person.id)
        ).scalars()
    )


def own_child(s: Session, person_id: str, child_id: str) -> Person:
    """The child if `person_id` is its mother or father; otherwise 404, whether or not the child exists."""
    child = s.get(Person, child_id)
    if child is None or person_id not in (child.mother_id, child.father_id):
        raise Problem("child_not_found", "None of your children has that id.", child_id=child_id)
    return child


def _encode(value):
    if isinstance(value, BaseModel):
        return value.dict()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(payload) -> bytes:
    """Compact UTF-8 JSON of models, dicts, lists, dates: what every answer and every stored replay is made of."""
    return json.dumps(payload, default=_encode, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(payload, status: int = 200, media_type: str = "application/json", **headers: str) -> Response:
    """A finished response. Routes return this instead of letting FastAPI re-validate and re-encode the models
    they just built (FastAPI's encoder is most of a read's cost); `response_model` still documents the shape, and
    the fuzz tests check answers against it."""
    return Response(to_json(payload), status_code=status, media_type=media_type, headers=headers or None)
