"""Idempotency-Key handling for every POST.

A key is claimed in its own short transaction (a unique row per caller and key); the work then runs in a second
transaction that also marks the claim done and stores the answer, so the effect and the stored answer commit
together or not at all. A retry with the same key and the same body gets the stored answer (with
`Idempotent-Replayed: true`) and creates nothing; the same key with a different body is `idempotency_key_reused`;
a retry while the first is still running is `idempotency_in_progress` (409, Retry-After: 1). Business refusals
(4xx problems) are stored too, so a retry cannot turn a refusal into a success. Unexpected failures release the
key. Keys are kept for at least 24 hours (purged now and then).
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from datetime import timedelta
from typing import Any, Callable

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from . import clock
from .common import to_json
from .errors import PROBLEM_JSON, Problem
from .models import IdempotencyRecord

log = logging.getLogger("moments.agencies.idempotency")

HEADER = "Idempotency-Key"
KEY_SHAPE = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
KEEP_FOR = timedelta(hours=24)

Handler = Callable[[Session], "tuple[int, Any]"]


def fingerprint(request: Request, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.url.path}\n{canonical}".encode()).hexdigest()


def _answer(status: int, body: bytes, **headers: str) -> Response:
    return Response(body, status_code=status, headers=headers or None,
                    media_type=PROBLEM_JSON if status >= 400 else "application/json")


def run(request: Request, sessions: sessionmaker, scope: str, body: Any, handler: Handler) -> Response:
    """Run `handler(session)` -> (status, payload) once per (scope, Idempotency-Key)."""
    key = request.headers.get(HEADER)
    if key is None:
        with sessions.begin() as s:
            status, payload = handler(s)
            out = to_json(payload)  # inside the transaction: the payload may read lazy attributes
        return _answer(status, out)
    if not KEY_SHAPE.match(key):
        raise Problem("idempotency_key_invalid", "Idempotency-Key must be 1-255 printable ASCII characters without spaces.")
    fp = fingerprint(request, body)
    record_id = _claim(sessions, scope, key, fp)
    if isinstance(record_id, Response):
        return record_id
    try:
        with sessions.begin() as s:
            status, payload = handler(s)
            out = to_json(payload)
            _complete(s, record_id, status, out)
        return _answer(status, out)
    except Problem as problem:
        if problem.status >= 500:
            _release(sessions, record_id)
            raise
        out = to_json(problem.body(request.url.path, getattr(request.state, "request_id", "")))
        with sessions.begin() as s:
            _complete(s, record_id, problem.status, out)
        return _answer(problem.status, out, **problem.headers)
    except BaseException:
        _release(sessions, record_id)
        raise


def _claim(sessions: sessionmaker, scope: str, key: str, fp: str) -> int | Response:
    if random.random() < 0.01:
        _purge(sessions)
    try:
        with sessions.begin() as s:
            rec = IdempotencyRecord(scope=scope, key=key, fingerprint=fp, state="processing", created_at=clock.now())
            s.add(rec)
            s.flush()
            return rec.id
    except IntegrityError:
        pass
    with sessions() as s:
        rec = s.execute(
            select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        ).scalar_one_or_none()
    if rec is None:  # released or purged between our insert and our read
        raise Problem("idempotency_in_progress", "Retry the request.", headers={"Retry-After": "1"})
    if rec.fingerprint != fp:
        raise Problem("idempotency_key_reused",
                      "This Idempotency-Key was used for a different request; use a new key for a new request.")
    if rec.state != "done":
        raise Problem("idempotency_in_progress", "The first request with this key is still being processed.",
                      headers={"Retry-After": "1"})
    return _answer(rec.status_code, rec.response_body.encode(), **{"Idempotent-Replayed": "true"})


def _complete(s: Session, record_id: int, status: int, body: bytes) -> None:
    s.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(state="done", status_code=status, response_body=body.decode())
    )


def _release(sessions: sessionmaker, record_id: int) -> None:
    try:
        with sessions.begin() as s:
            s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    except Exception:  # the original error matters more
        log.exception("could not release idempotency key %s", record_id)


def _purge(sessions: sessionmaker) -> None:
    with sessions.begin() as s:
        s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < clock.now() - KEEP_FOR))
