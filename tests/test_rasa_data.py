"""Rasa's own checks: data validates with no warnings; test stories in every language pass."""
import subprocess
import sys
from pathlib import Path

import pytest

from testkit import MODEL, QUIET_ENV, ROOT

RASA = str(Path(sys.executable).parent / "rasa")


def run(args, tmp_path):
    import os
    return subprocess.run([RASA, *args], cwd=ROOT, env={**os.environ, **QUIET_ENV},
                          capture_output=True, text=True, timeout=900)


def test_rasa_data_validate_has_no_warnings(tmp_path):
    result = run(["data", "validate", "--domain", "domain", "--fail-on-warnings"], tmp_path)
    warnings = [l for l in (result.stdout + result.stderr).splitlines()
                if "UserWarning" in l or "WARNING" in l.upper() and "rasa" in l]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert not [w for w in warnings if "is not used" in w or "conflict" in w.lower()], warnings


@pytest.mark.slow
def test_story_tests_pass_in_every_language(tmp_path):
    stories = sorted((ROOT / "tests" / "stories").glob("test_*.yml"))
    assert {p.stem[-2:] for p in stories} == {"en", "zh", "ms", "ta"}
    out = tmp_path / "results"
    result = run(["test", "core", "--stories", str(ROOT / "tests" / "stories"), "--model", str(MODEL),
                  "--fail-on-prediction-errors", "--domain", "domain", "--out", str(out), "--no-plot"], tmp_path)
    failed = out / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, detail[-4000:] or (result.stdout[-3000:] + result.stderr[-3000:])
