"""mypy (configured in pyproject.toml) is clean on the bot's actions and the shared packages, so `make test` fails on
a None passed where a value is needed, a wrong key type or a sync/async mix-up there."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ["actions", "moments/text", "moments/rules", "moments/agency_client"]


def test_mypy_is_clean_on_the_checked_tree():
    # --cache-dir=/dev/null: no cache written into the checkout (like ruff's --no-cache in test_lint.py)
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir=/dev/null", "--no-color-output",
                           "--no-error-summary", *CHECKED],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
