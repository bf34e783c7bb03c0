"""Helpers of the console tests (fixtures in conftest.py): the console (python -m moments.console) on a free port, as
`make run` starts it, against a tracker store the test fills itself through the real tracker store class
(moments.privacy.store.PrivateSQLTrackerStore); logging in with requests or in Chromium; axe-core."""
from __future__ import annotations

import asyncio
import os
import re
import secrets as _random
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import requests

from testkit import AXE_JS, BIN, QUIET_ENV, ROOT, free_port, wait_http

ARTIFACTS = ROOT / "test-artifacts" / "console"


def console_secrets() -> Dict[str, str]:
    from cryptography.fernet import Fernet

    return {"CONSOLE_SESSION_KEY": _random.token_urlsafe(32), "CONSOLE_TRAINER_PASSWORD": _random.token_urlsafe(16),
            "CONSOLE_OPERATOR_PASSWORD": _random.token_urlsafe(16), "PRIVACY_KEY": Fernet.generate_key().decode()}


_DOMAIN = []


def bot_domain():
    """The bot's own domain (its slots), loaded once."""
    if not _DOMAIN:
        from rasa.shared.core.domain import Domain

        _DOMAIN.append(Domain.load(str(ROOT / "domain")))
    return _DOMAIN[0]


def run_async(coroutine) -> None:
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event loop running in this one."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


class Store:
    """A SQLite tracker store written through PrivateSQLTrackerStore, as Rasa writes it."""

    def __init__(self, path: Path, privacy_key: str):
        self.path = path
        self.url = f"sqlite:///{path}"
        self.privacy_key = privacy_key

    def save(self, sender: str, events: list) -> None:
        from rasa.shared.core.trackers import DialogueStateTracker

        from moments.privacy.store import PrivateSQLTrackerStore

        os.environ["PRIVACY_KEY"] = self.privacy_key
        domain = bot_domain()
        store = PrivateSQLTrackerStore(domain=domain, dialect="sqlite", db=str(self.path))
        try:
            run_async(store.save(DialogueStateTracker.from_events(sender, events, slots=domain.slots)))
        finally:
            store.engine.dispose()


@dataclass
class Console:
    url: str
    env: Dict[str, str]
    proc: subprocess.Popen
    log: Path

    def session(self, role: Optional[str]) -> requests.Session:
        s = requests.Session()
        if role:
            login(s, self.url, role, self.env[f"CONSOLE_{role.upper()}_PASSWORD"])
        return s


def login(s: requests.Session, url: str, user: str, password: str) -> requests.Response:
    page = s.get(f"{url}/login", timeout=10)
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    return s.post(f"{url}/login", data={"login_token": token, "user": user, "password": password}, timeout=30)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def start_console(workdir: Path, tracker_url: str, project_root: Optional[Path] = None,
                  extra: Optional[Dict[str, str]] = None) -> Console:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    values = console_secrets()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSOLE_")}
    env.update({**QUIET_ENV, **values, "CONSOLE_PORT": str(port), "CONSOLE_TRACKER_URL": tracker_url,
                "MOMENTS_VAR_DIR": str(workdir / "var"), "MOMENTS_SECRETS_FILE": str(workdir / "secrets.env"),
                **({"CONSOLE_PROJECT": str(project_root)} if project_root else {}), **(extra or {})})
    log = workdir / "console.log"
    proc = subprocess.Popen([str(BIN / "python"), "-m", "moments.console"], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/healthz", proc, log, timeout=90)
    return Console(f"http://127.0.0.1:{port}", env, proc, log)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def browser_login(browser, console: Console, role: str, axe: bool = False):
    """A new tab logged in as `role`. axe=True: the page's CSP is bypassed so that axe can be injected."""
    context = browser.new_context(bypass_csp=axe)
    page = context.new_page()
    errors: List[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{console.url}/login")
    page.get_by_label("User name").fill(role)
    page.get_by_label("Password").fill(console.env[f"CONSOLE_{role.upper()}_PASSWORD"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.console_errors = errors
    return page


def axe_violations(page) -> List[dict]:
    """axe-core's WCAG 2.1 A/AA violations of the page (axe injected through the page, as tests/browser does)."""
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def conversation(lang: str, *turns, channel: str = "web", start: Optional[float] = None) -> list:
    """A conversation of user messages only (no journey): turns are (text, intent, confidence)."""
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet

    from moments.console.synthetic import _user

    start = time.time() - 3600 if start is None else start  # an hour ago
    events = [ActionExecuted("action_session_start", timestamp=start), SessionStarted(timestamp=start),
              SlotSet("language", lang, timestamp=start), ActionExecuted("action_listen", timestamp=start)]
    for i, (text, intent, conf) in enumerate(turns):
        t = start + 10 * (i + 1)
        events += [_user(text, intent, lang, channel, t, confidence=conf),
                   ActionExecuted("action_listen", timestamp=t + 1)]
    return events
