"""ruff (configured in pyproject.toml) is clean on the bot's actions, the shared packages and the agency services,
so `make test` fails on an undefined name or an unused import there."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINTED = ["actions", "moments/text", "moments/rules", "moments/agency_client", "moments/agencies",
          "moments/dates.py", "moments/handoff.py", "moments/nlu/scripts.py", "tests/unit", "tests/agencies",
          "moments/scale.py", "moments/resilience.py", "moments/serve.py", "moments/locks.py", "moments/rasa_speedups.py", "moments/rasa_history.py",
          "moments/evaluation/bench_scaled.py", "tests/deploy", "tests/e2e/test_load_balancer.py",
          "tests/e2e/test_action_server_failures.py", "moments/trainer/fleet.py", "tests/trainer/test_rolling_deploy.py",
          "moments/notifier", "tests/notifier", "tests/e2e/test_reminders.py"]
NOT_OURS = ["tests/unit/test_nlu_*.py"]  # another owner's; linted when they opt in


def test_ruff_is_clean_on_the_linted_tree():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
                           *(f"--extend-exclude={p}" for p in NOT_OURS), *LINTED],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
