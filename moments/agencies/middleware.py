"""The outermost layer of every request: request id, injected faults, a masked access log line, and a problem+json
answer instead of a stack trace when something unexpected breaks.

A lost reply (`lost_replies`) runs the request to the end — its work is committed — and then either closes the
connection after the status line (the client sees the connection drop with no answer) or holds the whole answer
back for `lost_reply_delay_ms` (past the client's read timeout)."""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid

from sqlalchemy.exc import OperationalError

from .errors import PROBLEM_JSON, Problem
from .faults import FaultInjector, agency_for

access_log = logging.getLogger("moments.agencies.access")
error_log = logging.getLogger("moments.agencies")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ServiceMiddleware:
    def __init__(self, app, faults: FaultInjector):
        self.app = app
        self.faults = faults

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        given = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        path = scope.get("path", "")
        status = {"code": 500, "sent": False}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", request_id.encode())]
            await send(message)

        try:
            agency = agency_for(path)
            spec = self.faults.get(agency) if agency else None
            if spec is not None and spec.active:
                if spec.latency_ms:
                    await asyncio.sleep(spec.latency_ms / 1000)
                if spec.outage:
                    return await self._problem(send_with_id, path, request_id, Problem(
                        "agency_unavailable", f"The {agency} service is down (injected outage).",
                        headers={"Retry-After": "30"}, agency=agency))
                if self.faults.roll_error(spec):
                    return await self._problem(send_with_id, path, request_id, Problem(
                        "agency_error", f"The {agency} service failed (injected error).",
                        status=spec.error_status, agency=agency))
            lost = self.faults.take_lost_reply(agency, scope.get("method", "")) if spec is not None and spec.active else None
            if lost is None:
                await self.app(scope, receive, send_with_id)
            else:
                await self._lose_reply(scope, receive, send_with_id, lost.lost_reply_delay_ms, agency)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if isinstance(exc, OperationalError):
                problem = Problem("storage_busy", "The database is busy; retry shortly.", headers={"Retry-After": "1"})
                error_log.warning("storage error on %s %s: %s", scope.get("method"), path, exc.__class__.__name__)
            else:
                problem = Problem("internal_error", "Something went wrong on our side; the error was logged.")
                error_log.exception("unhandled error on %s %s (request %s)", scope.get("method"), path, request_id)
            if not status["sent"]:
                await self._problem(send_with_id, path, request_id, problem)
        finally:
            query = scope.get("query_string", b"").decode("latin-1")
            access_log.info('%s %s%s %s %.1fms rid=%s', scope.get("method"), path, "?" + query if query else "",
                            status["code"], (time.perf_counter() - started) * 1000, request_id)

    async def _lose_reply(self, scope, receive, send, delay_ms: int, agency: str) -> None:
        held: list = []

        async def hold(message):
            held.append(message)

        await self.app(scope, receive, hold)  # the work is done and committed here
        error_log.warning("injected fault: the answer to %s %s (%s) is lost in transit", scope.get("method"),
                          scope.get("path"), agency)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
            for message in held:
                await send(message)
            return
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        if start is not None:
            # The status line and headers, then nothing: returning with the response incomplete makes the server
            # close the connection, so the client sees it drop mid-answer.
            await send(start)

    @staticmethod
    async def _problem(send, path: str, request_id: str, problem: Problem) -> None:
        body = json.dumps(problem.body(path, request_id)).encode()
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
        await send({"type": "http.response.start", "status": problem.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
