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
"""
from __future__ import annotations

import os
import uuid
from typing import Any, Iterable

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT = (2.0, 5.0)  # (connect, read) seconds
UNAVAILABLE = "agency_unavailable"


class AgencyError(Exception):
    """The agency refused or could not answer. `code` is safe to map to a localised message; `problem` is the
    full problem+json body when there was one."""

    def __init__(self, code: str, status: int | None, detail: str = "", problem: dict | None = None):
        super().__init__(f"{code} ({status}): {detail}" if detail else f"{code} ({status})")
        self.code = code
        self.status = status
        self.detail = detail
        self.problem = problem or {}

    @property
    def unavailable(self) -> bool:
        """True when trying again later may work (timeouts, outages, 5xx)."""
        return self.code == UNAVAILABLE


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


class AgencyClient:
    """What every agency's client shares: base URL, API key, session, timeouts, error mapping."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None,
                 session: requests.Session | None = None, timeout: tuple[float, float] = TIMEOUT):
        self.base_url = (base_url or os.environ.get("AGENCIES_URL") or DEFAULT_URL).rstrip("/")
        self.api_key: str = api_key or os.environ.get("AGENCIES_API_KEY") or ""
        self.session = session or retrying_session()
        self.timeout = timeout

    def _call(self, method: str, path: str, *, token: str | None = None, json: Any = None,
              params: dict | None = None, idempotency_key: str | None = None, raw: bool = False) -> Any:
        headers = {"X-API-Key": self.api_key, "Accept": "application/json, application/problem+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or uuid.uuid4().hex
        try:
            resp = self.session.request(method, self.base_url + path, headers=headers, json=json,
                                        params={k: v for k, v in (params or {}).items() if v is not None},
                                        timeout=self.timeout)
        except requests.Timeout as exc:
            raise AgencyError(UNAVAILABLE, None, f"timed out: {exc.__class__.__name__}") from exc
        except requests.RequestException as exc:
            raise AgencyError(UNAVAILABLE, None, f"could not reach {self.base_url}: {exc.__class__.__name__}") from exc
        if resp.status_code >= 400:
            problem = _problem(resp)
            code = UNAVAILABLE if resp.status_code >= 500 else problem.get("code") or f"http_{resp.status_code}"
            raise AgencyError(code, resp.status_code, str(problem.get("detail") or resp.reason), problem)
        if raw:
            return resp.content
        return resp.json() if resp.content else None


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
        return self._call("POST", "/ica/v1/registrations", token=token, json=form, idempotency_key=idempotency_key)

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
        return self._call("POST", "/msf/v1/baby-bonus/applications", token=token, idempotency_key=idempotency_key,
                          json={"child_id": child_id, "bank": bank, "bank_account_number": bank_account_number,
                                "cda_trustee_nric": cda_trustee_nric})

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
        return self._call("POST", "/health/v1/appointments", token=token, idempotency_key=idempotency_key,
                          json={"child_id": child_id, "slot_id": slot_id})

    def reschedule(self, token: str, reference: str, slot_id: int, idempotency_key: str | None = None) -> dict:
        return self._call("POST", f"/health/v1/appointments/{reference}/reschedule", token=token,
                          json={"slot_id": slot_id}, idempotency_key=idempotency_key)

    def cancel(self, token: str, reference: str, reason: str | None = None, idempotency_key: str | None = None) -> dict:
        return self._call("POST", f"/health/v1/appointments/{reference}/cancel", token=token,
                          json={"reason": reason}, idempotency_key=idempotency_key)

    def appointment(self, token: str, reference: str) -> dict:
        return self._call("GET", f"/health/v1/appointments/{reference}", token=token)

    def appointments(self, token: str, status: str | None = None) -> list[dict]:
        return self._call("GET", "/health/v1/appointments", token=token, params={"status": status})


class Agencies:
    """All agency clients over one connection pool: `Agencies.from_env().ica.register_birth(...)`."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None,
                 session: requests.Session | None = None, timeout: tuple[float, float] = TIMEOUT):
        session = session or retrying_session()
        kw: dict[str, Any] = dict(base_url=base_url, api_key=api_key, session=session, timeout=timeout)
        self.singpass = SingpassClient(**kw)
        self.myinfo = MyInfoClient(**kw)
        self.ica = IcaClient(**kw)
        self.msf = MsfClient(**kw)
        self.health = HealthClient(**kw)

    @classmethod
    def from_env(cls) -> "Agencies":
        return cls()
