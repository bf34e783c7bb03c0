"""Synchronous clients for the agency services, one per agency, for the action server.

They block, so call them off the event loop: `await asyncio.to_thread(agencies.ica.register_birth, token, form,
idempotency_key=key)`.

- Base URL and API key from `AGENCIES_URL` (default http://127.0.0.1:8000) and `AGENCIES_API_KEY`.
- Timeouts: connect 2 s, read 5 s.
- Retries (urllib3): up to 2 more tries on connection failures and on 502/503/504, with 0.2 s backoff. POSTs are
  retried too, because every POST carries an `Idempotency-Key` and the service then applies it at most once. A
  read timeout is not retried (the agency is slow; do not make the citizen wait 3 x 5 s).
- Every failure is an `AgencyError(code, status, detail)`: `code` is the service's problem code (`slot_taken`,
  `registration_late`, ...) or `agency_unavailable` for timeouts, connection errors and 5xx answers, so the bot
  can map it to a message in the user's language.
- A write whose answer was lost in transit (read timeout, connection dropped after the request went out, 502/504
  from a proxy) may have been done. `AgencyClient._write` finds out before anyone is told anything: it replays the
  same request with the same Idempotency-Key (the agency answers a replay with the stored result; 409
  `idempotency_in_progress` means the first is still running: wait briefly, replay) and looks the record up where the
  agency has a GET for it, all within `write_budget` seconds from the first try (default 7 s, inside Rasa's 8 s
  action timeout). A first answer of 409 `idempotency_in_progress` (the same request from a double tap, still
  running) is waited for the same way. Found → the normal result. Proven not done → `agency_unavailable`. Neither →
  `AgencyError(OUTCOME_UNKNOWN)`, `outcome_unknown` true: the bot says it may have gone through and will not be
  submitted twice, and the same key is used the next time.
- Environment (for the action server; tests shorten them): `AGENCIES_CONNECT_TIMEOUT` (2), `AGENCIES_READ_TIMEOUT`
  (5), `AGENCIES_WRITE_BUDGET` (7) seconds.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any, Callable, Iterable, Optional

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT = (2.0, 5.0)  # (connect, read) seconds
WRITE_BUDGET = 7.0  # seconds a write may take, finding out what happened included (Rasa waits 8 s for the action)
UNAVAILABLE = "agency_unavailable"
IN_PROGRESS = "idempotency_in_progress"
# Not an agency code (no agency answers it; the catalogue in codes.py is what agencies answer): the bot's own
# conclusion that a write may or may not have been done.
OUTCOME_UNKNOWN = "agency_outcome_unknown"
REPLAY_READ_TIMEOUT = 1.5  # seconds per replay or look-up while finding out
IN_PROGRESS_PAUSE = 0.4  # seconds to wait before replaying after 409 idempotency_in_progress
ROUND_PAUSE = 0.25  # seconds between rounds that found nothing (a dropped connection fails in milliseconds)
MAX_REPLAYS = 4
AMBIGUOUS_STATUSES = (502, 504)  # a proxy's "no answer from upstream": the agency may have done the work


def _seconds(env, name: str, default: float, low: float, high: float) -> float:
    raw = (env.get(name) or "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        logger.warning("%s=%r is not a number; using %s s", name, raw, default)
        return default
    return min(max(value, low), high)


def timeout_from_env(env=os.environ) -> tuple[float, float]:
    return (_seconds(env, "AGENCIES_CONNECT_TIMEOUT", TIMEOUT[0], 0.1, 30.0),
            _seconds(env, "AGENCIES_READ_TIMEOUT", TIMEOUT[1], 0.1, 60.0))


def write_budget_from_env(env=os.environ) -> float:
    return _seconds(env, "AGENCIES_WRITE_BUDGET", WRITE_BUDGET, 0.5, 60.0)


class AgencyError(Exception):
    """The agency refused or could not answer. `code` is safe to map to a localised message; `problem` is the
    full problem+json body when there was one."""

    def __init__(self, code: str, status: int | None, detail: str = "", problem: dict | None = None,
                 sent: bool = False):
        super().__init__(f"{code} ({status}): {detail}" if detail else f"{code} ({status})")
        self.code = code
        self.status = status
        self.detail = detail
        self.problem = problem or {}
        self.sent = sent  # the request went out and its answer did not come back: the agency may have done it

    @property
    def unavailable(self) -> bool:
        """True when trying again later may work (timeouts, outages, 5xx)."""
        return self.code == UNAVAILABLE

    @property
    def in_transit(self) -> bool:
        """The request may have been done: it was sent and no answer arrived (read timeout, connection dropped),
        or a proxy answered 502/504 for an agency that did not answer it."""
        return self.code == UNAVAILABLE and (self.sent or self.status in AMBIGUOUS_STATUSES)

    @property
    def outcome_unknown(self) -> bool:
        """A write whose outcome could not be found out in time (it may have been done; same key next time)."""
        return self.code == OUTCOME_UNKNOWN


def _was_sent(exc: requests.RequestException) -> bool:
    """False only when the request certainly never reached the agency (connection refused, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, (requests.ReadTimeout, requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return True
    if isinstance(exc, requests.ConnectionError):
        from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)  # MaxRetryError(reason=...)
        return not isinstance(reason, (NewConnectionError, ConnectTimeoutError))
    return True  # unsure: find out rather than guess


def retrying_session(total: int = 2, backoff: float = 0.2, pool: int = 20) -> requests.Session:
    retry = Retry(
        total=total, connect=total, read=0, status=total, other=0, backoff_factor=backoff,
        status_forcelist=(502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST"}),  # POSTs carry Idempotency-Key
        respect_retry_after_header=False,  # an outage says "Retry-After: 30"; the bot cannot wait that long
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool, pool_maxsize=pool)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def single_try_session(pool: int = 20) -> requests.Session:
    """No retries of its own: used while finding out, where every try must fit the remaining budget."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=0, pool_connections=pool, pool_maxsize=pool)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class AgencyClient:
    """What every agency's client shares: base URL, API key, session, timeouts, error mapping."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None,
                 session: requests.Session | None = None, timeout: tuple[float, float] | None = None,
                 write_budget: float | None = None, single_try: requests.Session | None = None):
        self.base_url = (base_url or os.environ.get("AGENCIES_URL") or DEFAULT_URL).rstrip("/")
        self.api_key: str = api_key or os.environ.get("AGENCIES_API_KEY") or ""
        self.session = session or retrying_session()
        self.single_try = single_try or single_try_session()
        self.timeout = timeout or timeout_from_env()
        self.write_budget = write_budget or write_budget_from_env()

    def _call(self, method: str, path: str, *, token: str | None = None, json: Any = None,
              params: dict | None = None, idempotency_key: str | None = None, raw: bool = False,
              timeout: tuple[float, float] | None = None, once: bool = False) -> Any:
        headers = {"X-API-Key": self.api_key, "Accept": "application/json, application/problem+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or uuid.uuid4().hex
        try:
            resp = (self.single_try if once else self.session).request(method, self.base_url + path, headers=headers, json=json,
                                        params={k: v for k, v in (params or {}).items() if v is not None},
                                        timeout=timeout or self.timeout)
        except requests.Timeout as exc:
            raise AgencyError(UNAVAILABLE, None, f"timed out: {exc.__class__.__name__}",
                              sent=_was_sent(exc)) from exc
        except requests.RequestException as exc:
            sent = _was_sent(exc)
            what = "no answer from" if sent else "could not reach"
            raise AgencyError(UNAVAILABLE, None, f"{what} {self.base_url}: {exc.__class__.__name__}",
                              sent=sent) from exc
        if resp.status_code >= 400:
            problem = _problem(resp)
            code = UNAVAILABLE if resp.status_code >= 500 else problem.get("code") or f"http_{resp.status_code}"
            raise AgencyError(code, resp.status_code, str(problem.get("detail") or resp.reason), problem)
        if raw:
            return resp.content
        return resp.json() if resp.content else None

    def _write(self, path: str, *, token: str | None, json: Any, idempotency_key: str | None,
               lookup: Optional[Callable[[tuple[float, float]], Optional[dict]]] = None) -> Any:
        """POST `json` to `path`; if its answer is lost in transit, find out what happened (module docstring).

        `lookup(timeout)` returns the record the write would have made if it exists, None if it certainly does not.
        """
        key = idempotency_key or uuid.uuid4().hex
        started = time.monotonic()
        try:
            return self._call("POST", path, token=token, json=json, idempotency_key=key)
        except AgencyError as err:
            if err.code == IN_PROGRESS:  # the same request (a double tap, another replica) is still running
                logger.info("POST %s: the same request is still being processed; waiting for its answer", path)
                time.sleep(IN_PROGRESS_PAUSE)
            elif not err.in_transit:
                raise
            else:
                logger.warning("the answer to POST %s was lost (%s); finding out what happened", path, err.detail)
        return self._find_out(path, token=token, json=json, key=key, lookup=lookup,
                              deadline=started + self.write_budget)

    def _find_out(self, path: str, *, token: str | None, json: Any, key: str,
                  lookup: Optional[Callable[[tuple[float, float]], Optional[dict]]], deadline: float) -> Any:
        def short_timeout() -> Optional[tuple[float, float]]:
            left = deadline - time.monotonic()
            if left < 0.15:
                return None
            return (min(self.timeout[0], left), min(REPLAY_READ_TIMEOUT, self.timeout[1], left))

        absent = False  # the latest look-up answered, and there is no such record
        in_progress = False  # the agency says the first request is still running
        for _ in range(MAX_REPLAYS):
            timeout = short_timeout()
            if timeout is None:
                break
            try:
                result = self._call("POST", path, token=token, json=json, idempotency_key=key, timeout=timeout,
                                    once=True)
                logger.info("POST %s: the replay with the same Idempotency-Key answered", path)
                return result
            except AgencyError as err:
                if err.code == IN_PROGRESS:
                    in_progress = True
                    time.sleep(max(0.0, min(IN_PROGRESS_PAUSE, deadline - time.monotonic() - 0.2)))
                    continue
                if not err.unavailable:
                    raise  # the agency's own answer to this request (a refusal is stored with the key too)
                in_progress = False
            if lookup is not None and (timeout := short_timeout()) is not None:
                try:
                    found = lookup(timeout)
                except AgencyError as err:
                    logger.info("POST %s: the look-up failed too (%s)", path, err.code)
                    absent = False
                else:
                    if found is not None:
                        logger.info("POST %s: the look-up found the record the lost answer was about", path)
                        return found
                    absent = True
            time.sleep(max(0.0, min(ROUND_PAUSE, deadline - time.monotonic() - 0.2)))
        if absent and not in_progress:
            raise AgencyError(UNAVAILABLE, None, "the answer was lost and the agency holds no such record")
        raise AgencyError(OUTCOME_UNKNOWN, None, "the answer was lost and the outcome could not be found out in time")


def _problem(resp: requests.Response) -> dict:
    try:
        body = resp.json()
        return body if isinstance(body, dict) else {}
    except ValueError:
        return {}


class SingpassClient(AgencyClient):
    def login(self, *, nric: str | None = None, mobile: str | None = None,
              scope: Iterable[str] | None = None) -> dict:
        """{'access_token', 'expires_in', 'scope', 'person': {'id', 'name'}}; by NRIC or by registered mobile."""
        body: dict[str, Any] = {"nric": nric} if nric else {"mobile": mobile}
        if scope is not None:
            body["scope"] = list(scope)
        return self._call("POST", "/singpass/v1/login", json=body)


class MyInfoClient(AgencyClient):
    def person(self, token: str) -> dict:
        return self._call("GET", "/myinfo/v1/person", token=token)

    def person_by_nric(self, token: str, nric: str) -> dict:
        return self._call("GET", f"/myinfo/v1/person/{nric}", token=token)


class IcaClient(AgencyClient):
    def notifications(self, token: str, include_registered: bool = False) -> list[dict]:
        return self._call("GET", "/ica/v1/notifications", token=token,
                          params={"include_registered": str(include_registered).lower()})

    def register_birth(self, token: str, form: dict, idempotency_key: str | None = None) -> dict:
        def lookup(timeout):  # this baby's registration, with the name this form gave it
            return next((r for r in self._call("GET", "/ica/v1/registrations", token=token, timeout=timeout, once=True)
                         if r.get("enlb_number") == form.get("enlb_number")
                         and (r.get("child") or {}).get("name") == form.get("child_name")), None)

        return self._write("/ica/v1/registrations", token=token, json=form, idempotency_key=idempotency_key,
                           lookup=lookup)

    def registration(self, token: str, reference: str) -> dict:
        return self._call("GET", f"/ica/v1/registrations/{reference}", token=token)

    def registrations(self, token: str) -> list[dict]:
        return self._call("GET", "/ica/v1/registrations", token=token)

    def certificate(self, url: str) -> bytes:
        """The PDF behind a registration's certificate link."""
        return self._call("GET", url.removeprefix(self.base_url), raw=True)


class MsfClient(AgencyClient):
    def baby_bonus(self, token: str, child_id: str) -> dict:
        return self._call("GET", f"/msf/v1/children/{child_id}/baby-bonus", token=token)

    def calculator(self, date_of_birth: str, birth_order: int, parents_married: bool = True) -> dict:
        return self._call("GET", "/msf/v1/baby-bonus/calculator", params={
            "date_of_birth": date_of_birth, "birth_order": birth_order, "parents_married": str(parents_married).lower()})

    def apply(self, token: str, child_id: str, bank: str, bank_account_number: str, cda_trustee_nric: str,
              idempotency_key: str | None = None) -> dict:
        def lookup(timeout):  # this child's application (MSF keeps at most one per child)
            return next((a for a in self._call("GET", "/msf/v1/baby-bonus/applications", token=token, timeout=timeout,
                                               once=True)
                         if (a.get("child") or {}).get("id") == child_id), None)

        return self._write("/msf/v1/baby-bonus/applications", token=token, idempotency_key=idempotency_key,
                           json={"child_id": child_id, "bank": bank, "bank_account_number": bank_account_number,
                                 "cda_trustee_nric": cda_trustee_nric}, lookup=lookup)

    def application(self, token: str, reference: str) -> dict:
        return self._call("GET", f"/msf/v1/baby-bonus/applications/{reference}", token=token)

    def applications(self, token: str) -> list[dict]:
        return self._call("GET", "/msf/v1/baby-bonus/applications", token=token)


class HealthClient(AgencyClient):
    def immunisations(self, token: str, child_id: str) -> dict:
        return self._call("GET", f"/health/v1/children/{child_id}/immunisations", token=token)

    def clinics(self, name: str | None = None, postal_code: str | None = None, limit: int | None = None) -> list[dict]:
        return self._call("GET", "/health/v1/clinics", params={"name": name, "postal_code": postal_code, "limit": limit})

    def slots(self, clinic_id: str, service: str = "vaccination", date_from: str | None = None,
              date_to: str | None = None, limit: int | None = None) -> list[dict]:
        return self._call("GET", f"/health/v1/clinics/{clinic_id}/slots",
                          params={"service": service, "from": date_from, "to": date_to, "limit": limit})

    def book(self, token: str, child_id: str, slot_id: int, idempotency_key: str | None = None) -> dict:
        def lookup(timeout):  # this child's booked appointment in this slot
            return next((a for a in self._call("GET", "/health/v1/appointments", token=token, timeout=timeout,
                                               params={"status": "booked", "child_id": child_id}, once=True)
                         if a.get("slot_id") == slot_id), None)

        return self._write("/health/v1/appointments", token=token, idempotency_key=idempotency_key,
                           json={"child_id": child_id, "slot_id": slot_id}, lookup=lookup)

    def reschedule(self, token: str, reference: str, slot_id: int, idempotency_key: str | None = None) -> dict:
        def lookup(timeout):  # the appointment, if it is now in the new slot
            appt = self._call("GET", f"/health/v1/appointments/{reference}", token=token, timeout=timeout, once=True)
            return appt if appt.get("slot_id") == slot_id and appt.get("status") == "booked" else None

        return self._write(f"/health/v1/appointments/{reference}/reschedule", token=token,
                           json={"slot_id": slot_id}, idempotency_key=idempotency_key, lookup=lookup)

    def cancel(self, token: str, reference: str, reason: str | None = None, idempotency_key: str | None = None) -> dict:
        def lookup(timeout):  # the appointment, if it is now cancelled
            appt = self._call("GET", f"/health/v1/appointments/{reference}", token=token, timeout=timeout, once=True)
            return appt if appt.get("status") == "cancelled" else None

        return self._write(f"/health/v1/appointments/{reference}/cancel", token=token,
                           json={"reason": reason}, idempotency_key=idempotency_key, lookup=lookup)

    def appointment(self, token: str, reference: str) -> dict:
        return self._call("GET", f"/health/v1/appointments/{reference}", token=token)

    def appointments(self, token: str, status: str | None = None) -> list[dict]:
        return self._call("GET", "/health/v1/appointments", token=token, params={"status": status})


class EcdaClient(AgencyClient):
    """Preschools: search (reference data), a child's search near home, registrations of interest (`PS-…`)."""

    def centres(self, postal_code: str | None = None, *, level: str | None = None, service: str | None = None,
                programme: str | None = None, second_language: str | None = None, operator_kind: str | None = None,
                max_fee_after_subsidy: int | None = None, vacancy_only: bool = False, limit: int | None = None) -> list[dict]:
        return self._call("GET", "/ecda/v1/centres", params={
            "postal_code": postal_code, "level": level, "service": service, "programme": programme,
            "second_language": second_language, "operator_kind": operator_kind,
            "max_fee_after_subsidy": max_fee_after_subsidy, "vacancy_only": str(vacancy_only).lower(), "limit": limit})

    def centre(self, centre_id: str) -> dict:
        return self._call("GET", f"/ecda/v1/centres/{centre_id}")

    def centres_for_child(self, token: str, child_id: str, *, start_month: str | None = None,
                          postal_code: str | None = None, programme: str | None = None,
                          second_language: str | None = None, max_fee_after_subsidy: int | None = None,
                          vacancy_only: bool = False, limit: int | None = None) -> dict:
        """{'child', 'start_month', 'age_months', 'level', 'origin': {'postal_code', 'source'}, 'centres': [...]};
        without `postal_code` the MyInfo home address is used (the token needs `myinfo.person` too)."""
        return self._call("GET", f"/ecda/v1/children/{child_id}/centres", token=token, params={
            "start_month": start_month, "postal_code": postal_code, "programme": programme,
            "second_language": second_language, "max_fee_after_subsidy": max_fee_after_subsidy,
            "vacancy_only": str(vacancy_only).lower(), "limit": limit})

    def register_interest(self, token: str, child_id: str, centre_id: str, start_month: str,
                          programme: str | None = None, idempotency_key: str | None = None) -> dict:
        def lookup(timeout):  # this child's active registration at this centre (at most one)
            return next((i for i in self._call("GET", "/ecda/v1/interests", token=token, timeout=timeout, once=True,
                                               params={"child_id": child_id})
                         if (i.get("centre") or {}).get("id") == centre_id
                         and i.get("status") in ("submitted", "waitlisted", "offered")), None)

        body = {"child_id": child_id, "centre_id": centre_id, "start_month": start_month}
        if programme:
            body["programme"] = programme
        return self._write("/ecda/v1/interests", token=token, json=body, idempotency_key=idempotency_key,
                           lookup=lookup)

    def interests(self, token: str, status: str | None = None, child_id: str | None = None) -> list[dict]:
        return self._call("GET", "/ecda/v1/interests", token=token, params={"status": status, "child_id": child_id})

    def interest(self, token: str, reference: str) -> dict:
        return self._call("GET", f"/ecda/v1/interests/{reference}", token=token)

    def cancel_interest(self, token: str, reference: str, idempotency_key: str | None = None) -> dict:
        def lookup(timeout):  # the registration, if it is now cancelled
            found = self._call("GET", f"/ecda/v1/interests/{reference}", token=token, timeout=timeout, once=True)
            return found if found.get("status") == "cancelled" else None

        return self._write(f"/ecda/v1/interests/{reference}/cancel", token=token, json=None,
                           idempotency_key=idempotency_key, lookup=lookup)


class FeedbackClient(AgencyClient):
    def give(self, token: str, rating: int, *, centre_id: str | None = None, service: str | None = None,
             text: str | None = None, language: str | None = None, idempotency_key: str | None = None) -> dict:
        """Feedback about a centre (`centre_id`) or a service (`service`); returns it with its `FB-…` reference.
        A lost answer is found out by replaying the same key (there is nothing else to match it by)."""
        body: dict[str, Any] = {"about": "centre" if centre_id else "service", "rating": rating}
        body.update({k: v for k, v in (("centre_id", centre_id), ("service", service), ("text", text),
                                       ("language", language)) if v is not None})
        return self._write("/feedback/v1/feedback", token=token, json=body, idempotency_key=idempotency_key)

    def mine(self, token: str) -> list[dict]:
        return self._call("GET", "/feedback/v1/feedback", token=token)

    def get(self, token: str, reference: str) -> dict:
        return self._call("GET", f"/feedback/v1/feedback/{reference}", token=token)


class Agencies:
    """All agency clients over one connection pool: `Agencies.from_env().ica.register_birth(...)`."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None,
                 session: requests.Session | None = None, timeout: tuple[float, float] | None = None,
                 write_budget: float | None = None):
        session = session or retrying_session()
        kw: dict[str, Any] = dict(base_url=base_url, api_key=api_key, session=session, timeout=timeout,
                                  write_budget=write_budget, single_try=single_try_session())
        self.singpass = SingpassClient(**kw)
        self.myinfo = MyInfoClient(**kw)
        self.ica = IcaClient(**kw)
        self.msf = MsfClient(**kw)
        self.health = HealthClient(**kw)
        self.ecda = EcdaClient(**kw)
        self.feedback = FeedbackClient(**kw)

    @classmethod
    def from_env(cls) -> "Agencies":
        return cls()
