"""The console's own login: roles, sessions, CSRF — an operator cannot review, train or deploy; nobody unknown
gets anything; personal data stays masked for the trainer."""
from __future__ import annotations

import re

import requests

from console_testkit import csrf_of, login


def test_nothing_without_logging_in(store, console_for):
    console = console_for(store)
    for path in ("/analytics", "/analytics.csv", "/review", "/train", "/data"):
        r = requests.get(f"{console.url}{path}", allow_redirects=False, timeout=10)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    r = requests.post(f"{console.url}/train/deploy", data={"csrf": "x"}, allow_redirects=False, timeout=10)
    assert r.status_code == 401


def test_a_wrong_password_or_a_forged_cookie_gets_nothing(store, console_for):
    console = console_for(store)
    s = requests.Session()
    r = login(s, console.url, "trainer", "not-the-password")
    assert r.status_code == 401 and "Wrong user name or password" in r.text
    s.cookies.set("moments_console", "eyJ1IjoidHJhaW5lciIsInIiOiJ0cmFpbmVyIiwiZSI6OTk5OTk5OTk5OSwicyI6IngifQ.forged")
    assert s.get(f"{console.url}/review", allow_redirects=False, timeout=10).status_code == 303


def test_the_session_cookie_is_httponly_and_samesite(store, console_for):
    console = console_for(store)
    s = requests.Session()
    r = login(s, console.url, "operator", console.env["CONSOLE_OPERATOR_PASSWORD"])
    cookie = next(h for h in r.history[0].raw.headers.getlist("set-cookie") if h.startswith("moments_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    page = s.get(f"{console.url}/analytics", timeout=30)
    assert "script-src 'none'" in page.headers["content-security-policy"]


def test_an_operator_cannot_review_train_or_deploy(store, console_for):
    console = console_for(store)
    s = console.session("operator")
    page = s.get(f"{console.url}/analytics", timeout=30)
    csrf = csrf_of(page.text)
    assert 'href="/train"' not in page.text and 'href="/review"' not in page.text
    for path in ("/review", "/train", "/data"):
        assert s.get(f"{console.url}{path}", timeout=10).status_code == 403, path
    for path in ("/train/deploy", "/train/rollback", "/train/start", "/review"):
        r = s.post(f"{console.url}{path}", data={"csrf": csrf, "model": "x"}, timeout=10)
        assert r.status_code == 403 and "may not do this" in r.text, path


def test_every_post_needs_the_sessions_csrf_token(store, console_for):
    console = console_for(store)
    s = console.session("trainer")
    for path in ("/review", "/train/start", "/train/deploy", "/logout"):
        r = s.post(f"{console.url}{path}", data={"csrf": "made-up"}, timeout=10)
        assert r.status_code == 403 and "did not come from this console" in r.text, path
    # a token of another session does not do either
    other = console.session("trainer")
    token = csrf_of(other.get(f"{console.url}/analytics", timeout=30).text)
    r = s.post(f"{console.url}/train/start", data={"csrf": token}, timeout=10)
    assert r.status_code == 403


def test_login_redirects_only_inside_the_console(store, console_for):
    console = console_for(store)
    s = requests.Session()
    page = s.get(f"{console.url}/login?next=//evil.example/x", timeout=10)
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    r = s.post(f"{console.url}/login", data={"login_token": token, "user": "operator", "next": "//evil.example/x",
                                             "password": console.env["CONSOLE_OPERATOR_PASSWORD"]},
               allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_after_logging_out_the_old_cookie_opens_nothing(store, console_for):
    console = console_for(store)
    s = console.session("operator")
    page = s.get(f"{console.url}/analytics", timeout=30)
    kept = s.cookies.get("moments_console")
    r = s.post(f"{console.url}/logout", data={"csrf": csrf_of(page.text)}, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    again = requests.get(f"{console.url}/analytics", cookies={"moments_console": kept}, allow_redirects=False,
                         timeout=10)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_five_wrong_passwords_lock_the_login_for_a_while(store, console_for):
    console = console_for(store)
    s = requests.Session()
    for _ in range(5):
        assert login(s, console.url, "trainer", "guess-guess-guess").status_code == 401
    r = login(s, console.url, "trainer", console.env["CONSOLE_TRAINER_PASSWORD"])
    assert r.status_code == 429 and "Too many wrong passwords" in r.text
