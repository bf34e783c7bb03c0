"""The web page's process masks its log lines and output like every other service (moments.privacy.logs)."""
import os
import secrets
import subprocess
import sys

PROGRAM = """
import logging, uvicorn
import moments.web.__main__ as web

def fake_run(app, **kw):  # the edge of this test: no server, just what the process would write
    logging.getLogger("uvicorn.error").warning("login failed for S1234567D, mobile 91234567")
    print("callback for S7654321B")

uvicorn.run = fake_run
web.main(["--port", "0"])
"""


def test_the_web_pages_log_lines_and_prints_are_masked():
    env = {**os.environ, "AGENCIES_API_KEY": secrets.token_urlsafe(32), "MOMENTS_DEV": ""}
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    written = out.stdout + out.stderr
    assert "login failed for" in written and "callback for" in written, written
    assert "S1234567D" not in written and "S7654321B" not in written and "91234567" not in written, written
