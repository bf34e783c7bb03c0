"""Who is calling, and for whom.

Two credentials travel on every citizen request:

- `X-API-Key`: the calling system (the action server, the SMS channel). Proves the request comes from Moments.
- `Authorization: Bearer <token>`: the citizen, as the mock Singpass login issued it (HS256 JWT, 30 minutes by
  default). Its `sub` is the person's opaque id (never the NRIC), its `scope` the data uses they consented to.

A route asks for `Depends(citizen("ica.births"))` and then only ever reads or changes rows of that person and
their children, so a caller sees and changes only their own records.
"""
from __future__ import annotations

import hmac
import time
import uuid
from dataclasses import dataclass

import jwt
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .config import Settings
from .errors import Problem

ISSUER = "mock-singpass"
AUDIENCE = "moments-agencies"
SCOPES = {
    "myinfo.person": "Read my MyInfo profile (name, sex, date of birth, nationality, marital status, spouse, mobile, address, children)",
    "ica.births": "Register my child's birth with ICA and see my registrations",
    "msf.babybonus": "Check and apply for my child's Baby Bonus with MSF",
    "health.appointments": "See my child's immunisations and book polyclinic appointments",
    "ecda.preschools": "Search preschools for my child and register interest with ECDA",
    "feedback": "Send feedback about a preschool or a Moments service",
}

api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="ApiKey",
    description="Key of the calling system (the action server). `AGENCIES_API_KEY` (this installation's, var/secrets.env).",
)
bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="SingpassToken", bearerFormat="JWT",
    description="The citizen's token from POST /singpass/v1/login.",
)
admin_key_scheme = APIKeyHeader(
    name="X-Admin-Key", auto_error=False, scheme_name="AdminKey",
    description="Operator key for /admin (fault injection, hospital feed). `AGENCIES_ADMIN_KEY`.",
)


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def issue_token(settings: Settings, person_id: str, scopes: list[str], method: str) -> tuple[str, int]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": person_id,
        "scope": " ".join(scopes),
        "amr": [method],
        "iat": now,
        "exp": now + settings.token_ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.token_secret, algorithm="HS256"), settings.token_ttl_seconds


def _bearer_problem(code: str, detail: str) -> Problem:
    error = "invalid_request" if code == "token_missing" else "invalid_token"
    return Problem(code, detail, headers={"WWW-Authenticate": f'Bearer realm="moments-agencies", error="{error}"'})


def decode_token(settings: Settings, token: str) -> dict:
    try:
        return jwt.decode(
            token, settings.token_secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, leeway=5,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise _bearer_problem("token_expired", "The Singpass session has expired; log in again.") from None
    except jwt.PyJWTError:
        raise _bearer_problem("token_invalid", "The Singpass token is not valid.") from None


def check_api_key(settings: Settings, key: str | None) -> str:
    """The client's label ('client-1', ...) for a valid key, else a 401 problem."""
    if not key:
        raise Problem("api_key_missing", "Send the calling system's key in the X-API-Key header.")
    for i, valid in enumerate(settings.api_keys, start=1):
        if hmac.compare_digest(key.encode(), valid.encode()):
            return f"client-{i}"
    raise Problem("api_key_invalid", "The X-API-Key is not valid.")


async def require_api_key(request: Request, key: str | None = Security(api_key_scheme)) -> str:
    return check_api_key(settings_of(request), key)


@dataclass(frozen=True)
class Citizen:
    person_id: str
    scopes: frozenset[str]
    client: str

    @property
    def idempotency_scope(self) -> str:
        return f"{self.client}:{self.person_id}"


def citizen(scope: str):
    """Dependency: a valid API key and a valid citizen token that carries `scope`. (The dependencies are `async`
    because they only compute: FastAPI would otherwise hop to a worker thread for each of them.)"""
    if scope not in SCOPES:
        raise ValueError(scope)

    async def dependency(
        request: Request,
        client: str = Depends(require_api_key),
        credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
    ) -> Citizen:
        if credentials is None:
            raise _bearer_problem("token_missing", "Send the citizen's Singpass token as 'Authorization: Bearer <token>'.")
        claims = decode_token(settings_of(request), credentials.credentials)
        scopes = frozenset(str(claims.get("scope", "")).split())
        if scope not in scopes:
            raise Problem("consent_missing", f"The citizen did not consent to '{scope}'; log in again with that scope.",
                          required_scope=scope)
        request.state.person_id = claims["sub"]
        return Citizen(person_id=str(claims["sub"]), scopes=scopes, client=client)

    return dependency


async def require_admin(request: Request, key: str | None = Security(admin_key_scheme)) -> str:
    if not key or not hmac.compare_digest(key.encode(), settings_of(request).admin_key.encode()):
        raise Problem("admin_key_invalid", "Send the operator key in the X-Admin-Key header.")
    return "admin"


# -- login rate limits and lock-out -------------------------------------------------------------------------------

class LoginGuard:
    """Brute-force protection of the mock Singpass login (and any other login/verify route: use `check`, then
    `failed` on a wrong answer).

    - Lock-out: RATE_LIMIT_LOGIN_FAILURES (default 5 in 15 min) failed attempts for one NRIC, one mobile number or
      from one client address lock that key for RATE_LIMIT_LOGIN_LOCKOUT (default 15 min); while locked every
      attempt is refused, the right one too.
    - Attempts: RATE_LIMIT_LOGIN_ATTEMPTS (default 20 a minute) per client address, right or wrong.

    Callers with a valid X-API-Key are Moments' own servers (the web page, the action server for SMS texters): they
    act for many citizens from one address, and limit their users themselves (the channels' rate limits), so they
    are counted per NRIC / mobile only — a stranger failing from the same machine cannot lock the web page out.
    Limits come from the environment (moments.ratelimit); a refusal is 429 `login_rate_limited` with Retry-After.
    """

    def __init__(self, env=None):
        from moments import ratelimit

        self.attempts = ratelimit.limiter("login_attempts", env)
        self.lockout = ratelimit.login_lockout(env)
        self.proxies = ratelimit.trusted_proxies(env)

    @classmethod
    def of(cls, request: Request) -> "LoginGuard":
        guard = getattr(request.app.state, "login_guard", None)
        if guard is None:
            guard = request.app.state.login_guard = cls()
        return guard

    def keys(self, request: Request, identity: str, trusted: bool) -> list[str]:
        from moments.ratelimit import client_address

        keys = [identity]
        if not trusted:
            peer = request.client.host if request.client else None
            keys.append("address:" + client_address(peer, request.headers.get("x-forwarded-for"), self.proxies))
        return keys

    @staticmethod
    def _refuse(decision, why: str) -> Problem:
        return Problem("login_rate_limited", f"{why} Try again in {decision.retry_after_header} seconds.",
                       headers={"Retry-After": decision.retry_after_header},
                       retry_after=int(decision.retry_after_header))

    def check(self, keys: list[str]) -> None:
        """Raises 429 while a key is locked, or when this address tries too often."""
        locked = self.lockout.check(*keys)
        if not locked.allowed:
            raise self._refuse(locked, "Too many failed login attempts.")
        if len(keys) > 1:  # an untrusted caller: its address's attempts are counted too
            attempt = self.attempts.check(keys[-1])
            if not attempt.allowed:
                raise self._refuse(attempt, "Too many login attempts from this address.")

    def failed(self, keys: list[str]) -> bool:
        """Records a failure for each key; True when that locked one of them."""
        return not self.lockout.fail(*keys).allowed
