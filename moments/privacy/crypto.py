"""PRIVACY_KEY: Fernet encryption of what a form needs again on a later turn, and keyed hashes for look-ups.

PRIVACY_KEY is a comma-separated list of Fernet keys, newest first (`python -m moments.secrets rotate PRIVACY_KEY`
prepends a new one and keeps the older ones): values are encrypted with the newest and decrypted with any
(MultiFernet). The look-up index (`forget --nric`) stores HMAC-SHA256 digests made with the newest key; a look-up
tries every key, so rotation does not lose what was indexed before it. Drop an old key only after `purge` has
removed everything older than it (the retention period).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from functools import lru_cache
from typing import Any, List, Optional

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "enc:v1:"  # what an encrypted value looks like at rest: "enc:v1:gAAAAA…"


class PrivacyKeyMissing(RuntimeError):
    pass


def _keys_from(value: Optional[str]) -> List[str]:
    return [k.strip() for k in (value or "").split(",") if k.strip()]


@lru_cache(maxsize=8)
def _cipher(value: str) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in _keys_from(value)])


class Vault:
    """Encrypts with the newest key; decrypts with any. `Vault.from_env()` reads PRIVACY_KEY."""

    def __init__(self, keys: str):
        if not _keys_from(keys):
            raise PrivacyKeyMissing("PRIVACY_KEY is empty: run `python -m moments.secrets ensure` "
                                    "(scripts/run.sh exports it to every service)")
        self._value = keys
        self._fernet = _cipher(keys)
        self._raw = [base64.urlsafe_b64decode(k.encode()) for k in _keys_from(keys)]

    @classmethod
    def from_env(cls, env=None) -> "Vault":
        env = os.environ if env is None else env
        value = env.get("PRIVACY_KEY")
        if not value:
            try:  # tools run by an operator outside `make run`: the installation's secrets file
                from moments import secrets
                value = secrets.read(secrets.secrets_file()).get("PRIVACY_KEY")
            except (OSError, ValueError):
                value = None
        return cls(value or "")

    def encrypt(self, value: Any) -> str:
        return PREFIX + self._fernet.encrypt(json.dumps(value, ensure_ascii=False).encode()).decode()

    def decrypt(self, stored: Any) -> Any:
        """The value behind "enc:v1:…" (anything else is returned as it is). InvalidToken if no key opens it."""
        if not is_encrypted(stored):
            return stored
        return json.loads(self._fernet.decrypt(stored[len(PREFIX):].encode()))

    def digest(self, kind: str, value: str) -> str:
        """Keyed hash with the newest key (what the index stores)."""
        return self.digests(kind, value)[0]

    def digests(self, kind: str, value: str) -> List[str]:
        """Keyed hashes with every key, newest first (what a look-up searches for)."""
        msg = f"{kind}:{value}".encode()
        return [hmac.new(k, msg, hashlib.sha256).hexdigest() for k in self._raw]


def is_encrypted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


__all__ = ["Vault", "InvalidToken", "PrivacyKeyMissing", "PREFIX", "is_encrypted"]
