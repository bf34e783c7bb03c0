"""The action server loads the bot side only: its agency client, the shared rules and the text helpers, never the
agency service's web framework or database layer (they are another process's, and slow to import)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICE_ONLY = ("fastapi", "starlette", "sqlalchemy")

IMPORT_ALL = """
import importlib, pkgutil, sys
import actions
for mod in pkgutil.walk_packages(actions.__path__, "actions."):
    importlib.import_module(mod.name)
import moments.agency_client, moments.rules.nric, moments.rules.birth, moments.rules.baby_bonus, moments.text
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:]))))
"""


def test_importing_every_action_module_loads_no_fastapi_or_sqlalchemy():
    done = subprocess.run([sys.executable, "-c", IMPORT_ALL, *SERVICE_ONLY], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [], f"the action server imports {done.stdout.strip()}"
