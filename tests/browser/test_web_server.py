"""The web page's server over HTTP: the page and its headers, the demo people, the mock Singpass login."""
from __future__ import annotations

import re
import threading
import time

import requests
import uvicorn

from testkit import free_port
from moments.web.app import WebSettings, create_app
from moments.web.channel import verify_citizen_token

FULL_NRIC = re.compile(r"[STFGM]\d{7}[A-Z]")


def test_the_page_is_served_with_a_strict_content_security_policy(web):
    r = requests.get(web.url + "/", timeout=10)
    assert r.status_code == 200 and "<html lang=\"en\">" in r.text
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    rasa = web.servers.rasa_url
    assert rasa in csp and rasa.replace("http://", "ws://") in csp, "the browser may reach Rasa's socket.io only"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.head(web.url + "/", timeout=10).status_code == 200


def test_the_page_loads_nothing_from_outside(web):
    html = requests.get(web.url + "/", timeout=10).text
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "no CDN: every script and style is served here"
    js = requests.get(web.url + "/vendor/socket.io.min.js", timeout=10)
    assert js.status_code == 200 and "javascript" in js.headers["content-type"] and "Socket.IO v4" in js.text[:200]


def test_config_tells_the_browser_where_rasa_is(web):
    config = requests.get(web.url + "/api/config", timeout=10).json()
    assert config == {"rasa_url": web.servers.rasa_url, "socketio_path": "/socket.io", "max_message_chars": 1000}


def test_demo_people_are_the_seeded_adults_with_masked_nrics(web):
    people = web.people()
    names = [p["name"] for p in people]
    assert "Tan Wei Ming" in names and "Priya d/o Suresh" in names
    assert "Arjun s/o Rajesh" not in names, "children are not offered as logins"
    assert all(re.fullmatch(r"[STFGM]\*{4}\d{3}[A-Z]", p["nric"]) for p in people)
    assert not FULL_NRIC.search(requests.get(web.url + "/api/people", timeout=10).text)


def test_login_returns_a_token_that_rasa_accepts(web):
    tan = web.person("Tan Wei Ming")
    r = requests.post(web.url + "/api/login", json={"person": tan["id"]}, timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["person"] == {"id": tan["id"], "name": "Tan Wei Ming"} and body["expires_in"] > 60
    assert verify_citizen_token(body["token"], web.servers.secrets["AGENCIES_TOKEN_SECRET"])["sub"] == tan["id"]
    assert not FULL_NRIC.search(r.text)


def test_login_refuses_unknown_people_and_bad_bodies(web):
    assert requests.post(web.url + "/api/login", json={"person": "nobody"}, timeout=10).json() == \
        {"error": "person_not_found"}
    assert requests.post(web.url + "/api/login", json={}, timeout=10).status_code == 422
    assert requests.post(web.url + "/api/login", data=b"\xff\xfe", timeout=10).status_code == 422


def test_login_says_when_singpass_is_down():
    # The app in this process (a thread), pointed at a port where no agency service listens.
    port = free_port()
    app = create_app(WebSettings(agencies_url=f"http://127.0.0.1:{free_port()}"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        someone = requests.get(url + "/api/people", timeout=10).json()["people"][0]
        r = requests.post(url + "/api/login", json={"person": someone["id"]}, timeout=30)
        assert (r.status_code, r.json()) == (503, {"error": "agency_unavailable"})
    finally:
        server.should_exit = True
        thread.join(10)
