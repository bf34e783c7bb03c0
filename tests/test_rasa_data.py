"""Rasa's own checks: data validates (no unexplained warnings); test stories in every language pass."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

from testkit import MODEL, QUIET_ENV, ROOT

RASA = str(Path(sys.executable).parent / "rasa")


def run(args, tmp_path):
    import os
    return subprocess.run([RASA, *args], cwd=ROOT, env={**os.environ, **QUIET_ENV},
                          capture_output=True, text=True, timeout=900)


NOT_USED = re.compile(r"The utterance '(\w+)' is not used in any story or rule")


def responses_sent_by_code() -> set:
    """Responses code sends by name (actions/ and its sub-packages, the Rasa server's own code in moments/) and the
    questions forms ask (utter_ask_<slot>): the trainer's validate applies the same rule."""
    from moments.trainer.project import Project
    from moments.trainer.validate import responses_sent_by_code as sent_by_code

    return sent_by_code(Project(ROOT), Domain.load(str(ROOT / "domain")).as_dict())


def test_rasa_data_validate_has_no_warnings(tmp_path):
    """`rasa data validate` passes, and its only warnings are "utterance not used in any story" for responses
    that custom actions send by name (Rasa cannot see those); a response used nowhere at all still fails."""
    result = run(["data", "validate", "--domain", "domain"], tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = [line for line in output.splitlines() if "UserWarning" in line or "MissingArgumentWarning" in line]
    sent_by_code = responses_sent_by_code()
    unexplained = [w for w in warnings if not (NOT_USED.search(w) and NOT_USED.search(w).group(1) in sent_by_code)]
    assert not unexplained, "\n".join(unexplained)


@pytest.mark.slow
def test_story_tests_pass_in_every_language(tmp_path):
    stories = sorted((ROOT / "tests" / "stories").glob("test_*.yml"))
    assert {p.stem[-2:] for p in stories} == {"en", "zh", "ms", "ta"}
    out = tmp_path / "results"
    result = run(["test", "core", "--stories", str(ROOT / "tests" / "stories"), "--model", str(MODEL),
                  "--fail-on-prediction-errors", "--out", str(out), "--no-plot"], tmp_path)
    failed = out / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, detail[-4000:] or (result.stdout[-3000:] + result.stderr[-3000:])
