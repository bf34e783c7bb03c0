"""Settings from the environment (documented in docs/agencies.md). The keys and the token secret have no default:
`make run` / `make agencies` export this installation's generated secrets (moments/secrets.py, var/secrets.env), and
`python -m moments.agencies` refuses to start without them unless MOMENTS_DEV=1 (then it warns on the terminal)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = REPO_ROOT / "var" / "agencies.db"

# The values the first versions used as defaults: published, so never accepted outside MOMENTS_DEV=1.
DEV_API_KEY = "dev-agencies-key"
DEV_ADMIN_KEY = "dev-agencies-admin-key"
DEV_TOKEN_SECRET = "dev-agencies-token-secret-not-for-production"
SECRET_NAMES = ("AGENCIES_API_KEY", "AGENCIES_ADMIN_KEY", "AGENCIES_TOKEN_SECRET")

AGENCIES = ("singpass", "myinfo", "ica", "msf", "health", "ecda", "feedback")


@dataclass(frozen=True)
class FaultSpec:
    """Injected trouble for one agency: `latency_ms` before answering, then an `error_status` answer for a share
    `error_rate` of requests, or 503 for all of them while `outage` is on.

    A reply lost in transit: the next `lost_replies` writes (POST; every request with `lost_replies_include_reads`)
    are processed and committed as usual, then their answer is lost — the connection is closed with the answer
    unsent (`lost_reply_delay_ms` 0), or the answer is held back that long (past the client's read timeout). Each
    lost answer counts down `lost_replies`."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    outage: bool = False
    lost_replies: int = 0
    lost_reply_delay_ms: int = 0
    lost_replies_include_reads: bool = False

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.error_rate or self.outage or self.lost_replies)

    def loses_reply(self, method: str) -> bool:
        return self.lost_replies > 0 and (method == "POST" or self.lost_replies_include_reads)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def faults_from_env(env) -> dict[str, FaultSpec]:
    """AGENCIES_FAULT_<AGENCY>_LATENCY_MS / _ERROR_RATE / _ERROR_STATUS / _OUTAGE / _LOST_REPLIES /
    _LOST_REPLY_DELAY_MS / _LOST_REPLIES_INCLUDE_READS, e.g. AGENCIES_FAULT_ICA_OUTAGE=1,
    AGENCIES_FAULT_HEALTH_LATENCY_MS=3000 or AGENCIES_FAULT_MSF_LOST_REPLIES=1."""
    faults = {}
    for agency in AGENCIES:
        prefix = f"AGENCIES_FAULT_{agency.upper()}_"
        spec = FaultSpec(
            latency_ms=int(env.get(prefix + "LATENCY_MS", "0") or 0),
            error_rate=float(env.get(prefix + "ERROR_RATE", "0") or 0),
            error_status=int(env.get(prefix + "ERROR_STATUS", "503") or 503),
            outage=_truthy(env.get(prefix + "OUTAGE")),
            lost_replies=int(env.get(prefix + "LOST_REPLIES", "0") or 0),
            lost_reply_delay_ms=int(env.get(prefix + "LOST_REPLY_DELAY_MS", "0") or 0),
            lost_replies_include_reads=_truthy(env.get(prefix + "LOST_REPLIES_INCLUDE_READS")),
        )
        if not (0 <= spec.latency_ms <= 60_000 and 0 <= spec.error_rate <= 1 and 500 <= spec.error_status <= 599
                and 0 <= spec.lost_replies <= 10_000 and 0 <= spec.lost_reply_delay_ms <= 60_000):
            raise ValueError(f"{prefix}*: latency_ms 0-60000, error_rate 0-1, error_status 500-599, "
                             "lost_replies 0-10000, lost_reply_delay_ms 0-60000")
        faults[agency] = spec
    return faults


@dataclass(frozen=True)
class Settings:
    database_url: str
    api_keys: tuple[str, ...]
    admin_key: str
    token_secret: str
    notifier_key: str = ""  # AGENCIES_NOTIFIER_KEY: X-Notifier-Key of /notify/v1 (empty: refused)
    token_ttl_seconds: int = 1800
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None  # base of certificate links; defaults to the URL the request came in on
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    seed: bool = True
    faults: dict[str, FaultSpec] = field(default_factory=dict)

    @property
    def uses_dev_secrets(self) -> bool:
        from moments.secrets import weak

        return any(weak(k) for k in self.api_keys) or weak(self.admin_key) or weak(self.token_secret)

    @classmethod
    def from_env(cls, env=None) -> "Settings":
        env = os.environ if env is None else env
        url = env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DB_PATH}"
        keys = tuple(k.strip() for k in env.get("AGENCIES_API_KEY", "").split(",") if k.strip())
        return cls(
            database_url=url,
            api_keys=keys,
            admin_key=env.get("AGENCIES_ADMIN_KEY", ""),
            token_secret=env.get("AGENCIES_TOKEN_SECRET", ""),
            notifier_key=env.get("AGENCIES_NOTIFIER_KEY", ""),
            token_ttl_seconds=int(env.get("AGENCIES_TOKEN_TTL", "1800")),
            host=env.get("AGENCIES_HOST", "127.0.0.1"),
            port=int(env.get("AGENCIES_PORT", "8000")),
            public_url=(env.get("AGENCIES_PUBLIC_URL") or "").rstrip("/") or None,
            cors_origins=tuple(
                o.strip()
                for o in env.get("AGENCIES_CORS_ORIGINS", "http://127.0.0.1:8080,http://localhost:8080").split(",")
                if o.strip()
            ),
            log_level=env.get("AGENCIES_LOG_LEVEL", "INFO").upper(),
            seed=not _truthy(env.get("AGENCIES_NO_SEED")),
            faults=faults_from_env(env),
        )
