"""The privacy audit log: one JSON line per deletion that records that it happened, never what it held.

    var/logs/privacy-audit.log    {"at": "2026-12-02T18:40:00Z", "what": "forget", "by": "officer", "selector": "nric",
                                   "conversations": 1, "events": 42}

No conversation id, NRIC, phone number or text is written: the line proves a deletion, it cannot undo one.
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def path() -> Path:
    return Path(os.environ.get("MOMENTS_VAR_DIR", "var")) / "logs" / "privacy-audit.log"


def record(what: str, **fields: Any) -> None:
    line = {"at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "what": what, **fields}
    p = path()
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("a", encoding="utf-8") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")
