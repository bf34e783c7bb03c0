"""Fault injection, off by default: per agency, added latency, a random error rate, a full outage, and answers lost
in transit after the work was done (`lost_replies`).

Set at start from AGENCIES_FAULT_<AGENCY>_* (see config.py) and changed at run time with PUT /admin/v1/faults/{agency}
(admin key). State is per process: run one worker when you rely on it (the default).
"""
from __future__ import annotations

import random
import threading
from dataclasses import replace

from .config import AGENCIES, FaultSpec

PREFIXES = (
    ("/singpass/v1/", "singpass"),
    ("/myinfo/v1/", "myinfo"),
    ("/ica/v1/", "ica"),
    ("/msf/v1/", "msf"),
    ("/health/v1/", "health"),
    ("/ecda/v1/", "ecda"),
    ("/feedback/v1/", "feedback"),
)


def agency_for(path: str) -> str | None:
    for prefix, agency in PREFIXES:
        if path.startswith(prefix):
            return agency
    return None


class FaultInjector:
    def __init__(self, initial: dict[str, FaultSpec] | None = None, rng: random.Random | None = None):
        self._initial = {a: (initial or {}).get(a, FaultSpec()) for a in AGENCIES}
        self._faults = dict(self._initial)
        self._lock = threading.Lock()
        self._rng = rng or random.Random()

    def get(self, agency: str) -> FaultSpec:
        return self._faults[agency]

    def all(self) -> dict[str, FaultSpec]:
        return dict(self._faults)

    def set(self, agency: str, spec: FaultSpec) -> None:
        with self._lock:
            self._faults[agency] = spec

    def reset(self) -> None:
        """Back to what the environment configured at start."""
        with self._lock:
            self._faults = dict(self._initial)

    def clear(self) -> None:
        """Everything off, whatever the environment said."""
        with self._lock:
            self._faults = {a: FaultSpec() for a in AGENCIES}

    def take_lost_reply(self, agency: str, method: str) -> FaultSpec | None:
        """If this request's answer is to be lost, counts it down and returns the spec it was lost under."""
        with self._lock:
            spec = self._faults[agency]
            if not spec.loses_reply(method):
                return None
            self._faults[agency] = replace(spec, lost_replies=spec.lost_replies - 1)
            return spec

    def roll_error(self, spec: FaultSpec) -> bool:
        return spec.error_rate > 0 and self._rng.random() < spec.error_rate


__all__ = ["FaultInjector", "FaultSpec", "agency_for", "replace"]
