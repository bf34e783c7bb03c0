"""The web page (python -m moments.web) on a free port against the session's real Rasa + actions + agencies,
driven by Playwright on Debian's Chromium (headless; never a browser Playwright downloads).

Screenshots go to test-artifacts/browser/ (git-ignored): named ones from the tests, plus one per failing test.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
import requests

from testkit import AXE_JS, BIN, QUIET_ENV, ROOT, Servers, chromium_browser, free_port, wait_http

ARTIFACTS = ROOT / "test-artifacts" / "browser"
SOCKET_IO_JS = ROOT / "moments" / "web" / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


class WebServer:
    def __init__(self, url: str, servers: Servers, agencies_url: str):
        self.url = url
        self.servers = servers
        self.agencies_url = agencies_url

    def people(self) -> List[dict]:
        return requests.get(f"{self.url}/api/people", timeout=10).json()["people"]

    def person(self, name: str) -> dict:
        return next(p for p in self.people() if p["name"] == name)

    def tracker(self, session_id: str) -> dict:
        r = self.servers.api("GET", f"/conversations/{session_id}/tracker", timeout=30)
        r.raise_for_status()
        return r.json()

    def user_events(self, session_id: str) -> List[dict]:
        return [e for e in self.tracker(session_id)["events"] if e["event"] == "user"]

    def bot_texts(self, session_id: str) -> List[str]:
        return [e.get("text") for e in self.tracker(session_id)["events"] if e["event"] == "bot" and e.get("text")]


def start_web(servers: Servers, agencies_url: str, name: str = "web") -> tuple:
    port = free_port()
    log = servers.workdir / f"{name}.log"
    env = {**servers.env, **QUIET_ENV, "WEB_PORT": str(port), "AGENCIES_URL": agencies_url,
           "WEB_RASA_URL": servers.rasa_url}
    proc = subprocess.Popen([str(BIN / "python"), "-m", "moments.web"], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/healthz", proc, log, timeout=60)
    return f"http://127.0.0.1:{port}", proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="package")
def web(servers) -> Iterator[WebServer]:
    if not SOCKET_IO_JS.exists():
        pytest.fail(f"{SOCKET_IO_JS} is missing: run `make web-assets` (make test does it for you)")
    procs = []
    agencies_url = getattr(servers, "agencies_url", "")
    if not agencies_url:  # older `servers` fixtures did not start the agency services
        port = free_port()
        servers.start("agencies-web", [str(BIN / "python"), "-m", "moments.agencies", "--port", str(port)],
                      f"http://127.0.0.1:{port}/openapi.json",
                      env={"DATABASE_URL": f"sqlite:///{servers.workdir / 'agencies-web.db'}"})
        agencies_url = f"http://127.0.0.1:{port}"
    url, proc = start_web(servers, agencies_url)
    procs.append(proc)
    try:
        yield WebServer(url, servers, agencies_url)
    finally:
        for p in procs:
            stop(p)


# Package scope: Playwright's sync API keeps an event loop running while it is open, and later suites call
# asyncio.run(); closing it when tests/browser is done keeps the rest of the session unaffected.
@pytest.fixture(scope="package")
def browser():
    yield from chromium_browser()


def artifact(name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png")


class Page:
    """One browser tab on the web page, with the waits the tests need."""

    def __init__(self, page, web: WebServer):
        self.pw = page
        self.web = web
        self.errors: List[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)

    def open(self, query: str = "") -> "Page":
        self.pw.goto(f"{self.web.url}/{query}")
        self.wait_connected()
        return self

    def wait_connected(self) -> None:
        self.pw.wait_for_function("() => window.momentsChat && window.momentsChat.sessionReady", timeout=30000)

    def wait_idle(self, timeout: float = 60000) -> None:
        """Every message sent and acknowledged (the server acknowledges after the bot's turn)."""
        self.pw.wait_for_function(
            "() => window.momentsChat && window.momentsChat.sessionReady && !window.momentsChat.inflight"
            " && window.momentsChat.state.outbox.length === 0", timeout=timeout)

    def wait_greeted(self) -> None:
        self.wait_connected()
        self.wait_idle()
        self.pw.wait_for_selector("#transcript .quick-reply", timeout=30000)

    @property
    def session_id(self) -> str:
        return self.pw.evaluate("window.momentsChat.state.session_id")

    def bot_texts(self) -> List[str]:
        return self.pw.eval_on_selector_all("#transcript .msg-bot .bubble", "els => els.map(e => e.innerText)")

    def user_texts(self) -> List[str]:
        return self.pw.eval_on_selector_all("#transcript .msg-user .bubble", "els => els.map(e => e.innerText)")

    def transcript(self) -> List[str]:
        return self.pw.eval_on_selector_all("#transcript .bubble", "els => els.map(e => e.innerText)")

    def say(self, text: str) -> None:
        self.pw.fill("#chat-input", text)
        self.pw.press("#chat-input", "Enter")
        self.wait_idle()

    def login(self, name: str) -> None:
        self.pw.select_option("#person-select", value=self.web.person(name)["id"])
        self.pw.click("#login-button")
        self.pw.wait_for_selector("#logged-in-area:not([hidden])")

    def identity(self) -> Optional[dict]:
        raw = self.pw.evaluate("window.sessionStorage.getItem('moments.identity.v1')")
        return json.loads(raw) if raw else None

    def focused(self) -> dict:
        return self.pw.evaluate(
            """() => { const e = document.activeElement; const cs = getComputedStyle(e);
                       return {tag: e.tagName, id: e.id, text: (e.innerText || '').trim(), lang: e.dataset.lang || null,
                               cls: e.className, ring: cs.boxShadow, outline: cs.outlineStyle}; }""")

    def screenshot(self, name: str, full_page: bool = True) -> None:
        self.pw.screenshot(path=artifact(name), full_page=full_page)

    def axe(self, tags=("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")) -> List[dict]:
        if not self.pw.evaluate("typeof window.axe !== 'undefined'"):
            self.pw.add_script_tag(path=str(AXE_JS))
        result = self.pw.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", list(tags))
        return result["violations"]


@pytest.fixture
def new_page(browser, web, request):
    """Opens tabs in fresh browser contexts (new profile: empty storage). Screenshot of each on failure."""
    opened = []

    def make(viewport=None, device_scale_factor: float = 1, context=None, **context_args) -> Page:
        ctx = context or browser.new_context(
            viewport=viewport or {"width": 1280, "height": 900}, device_scale_factor=device_scale_factor,
            locale="en-SG", **context_args)
        page = Page(ctx.new_page(), web)
        page.pw.set_default_timeout(30000)
        opened.append((ctx, page))
        return page

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, (ctx, page) in enumerate(opened):
        if failed:
            try:
                page.screenshot(f"FAILED-{request.node.name}-{i}")
            except Exception:
                pass
    for ctx in {id(c): c for c, _ in opened}.values():
        ctx.close()
    errors = [e for _, p in opened for e in p.errors]
    assert not errors, "the page reported errors:\n" + "\n".join(errors)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
