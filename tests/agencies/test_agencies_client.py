"""The action server's client: error codes, idempotency keys, timeouts and retries."""
from __future__ import annotations

import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agencies_testkit import API_KEY, LIM, free_port
from moments.agency_client.client import TIMEOUT, UNAVAILABLE, Agencies, AgencyError


@pytest.fixture
def agencies(server):
    return Agencies(base_url=server.base_url, api_key=API_KEY)


def test_a_whole_journey_through_the_client(server, family, agencies):
    fam = family(baby_days_ago=4)
    token = agencies.singpass.login(nric=fam.mother)["access_token"]
    assert agencies.myinfo.person(token)["nric"] == fam.mother
    [notification] = agencies.ica.notifications(token)
    reg = agencies.ica.register_birth(token, fam.registration_form(), idempotency_key="conv-1:birth")
    assert agencies.ica.register_birth(token, fam.registration_form(), idempotency_key="conv-1:birth") == reg
    assert agencies.ica.registration(token, reg["reference"])["enlb_number"] == notification["enlb_number"]
    assert agencies.ica.certificate(reg["certificate"]["url"])[:5] == b"%PDF-"
    child = reg["child"]["id"]
    assert agencies.msf.baby_bonus(token, child)["cash_gift"]["total"] == 11000
    app = agencies.msf.apply(token, child, "OCBC", "1234567890", fam.mother, idempotency_key="conv-1:bb")
    assert agencies.msf.application(token, app["reference"])["status"] == "approved"
    slots = agencies.health.slots(agencies.health.clinics(postal_code="820123")[0]["id"])
    appt = agencies.health.book(token, child, slots[0]["id"], idempotency_key="conv-1:book")
    appt = agencies.health.reschedule(token, appt["reference"], slots[1]["id"])
    assert agencies.health.cancel(token, appt["reference"], reason="travelling")["status"] == "cancelled"
    assert agencies.health.immunisations(token, child)["doses"][0]["status"] == "completed"


def test_problems_become_agency_errors_with_their_code(server, agencies):
    with pytest.raises(AgencyError) as e:
        agencies.singpass.login(nric="S1234567A")
    assert (e.value.code, e.value.status) == ("nric_invalid", 422) and not e.value.unavailable
    token = agencies.singpass.login(mobile="+6591234567")["access_token"]
    with pytest.raises(AgencyError) as e:
        agencies.ica.registration(token, "BR-NOTMINE0")
    assert e.value.code == "registration_not_found" and e.value.problem["request_id"]
    with pytest.raises(AgencyError) as e:
        Agencies(base_url=server.base_url, api_key="wrong").myinfo.person(token)
    assert e.value.code == "api_key_invalid" and e.value.status == 401


def test_an_outage_is_agency_unavailable(server, no_faults, agencies):
    token = agencies.singpass.login(nric=LIM)["access_token"]
    server.admin("PUT", "/admin/v1/faults/health", json={"outage": True})
    with pytest.raises(AgencyError) as e:
        agencies.health.appointments(token)
    assert e.value.code == UNAVAILABLE and e.value.status == 503 and e.value.unavailable
    assert e.value.problem["code"] == "agency_unavailable"


def test_a_slow_agency_times_out_as_unavailable(server, no_faults):
    server.admin("PUT", "/admin/v1/faults/health", json={"latency_ms": 1500})
    impatient = Agencies(base_url=server.base_url, api_key=API_KEY, timeout=(2.0, 0.3))
    started = time.perf_counter()
    with pytest.raises(AgencyError) as e:
        impatient.health.clinics()
    assert e.value.code == UNAVAILABLE and e.value.status is None
    assert time.perf_counter() - started < 1.2  # a read timeout is not retried


def test_nobody_listening_is_agency_unavailable():
    with pytest.raises(AgencyError) as e:
        Agencies(base_url=f"http://127.0.0.1:{free_port()}").health.clinics()
    assert e.value.code == UNAVAILABLE and e.value.status is None
    assert TIMEOUT == (2.0, 5.0)


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 `failures` times, then 200; records what it was sent."""

    calls: list = []
    failures = 0

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).calls.append((self.command, dict(self.headers)))
        ok = type(self).failures <= 0
        type(self).failures -= 1
        body = b'{"ok": true}' if ok else b'{"code": "agency_unavailable", "status": 503}'
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "application/json" if ok else "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky():
    _Flaky.calls, _Flaky.failures = [], 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Flaky.calls
    httpd.shutdown()


def test_503s_are_retried_and_posts_keep_their_idempotency_key(flaky):
    url, calls = flaky
    client = Agencies(base_url=url, api_key="k")
    _Flaky.failures = 2
    assert client.health.clinics() == {"ok": True} and len(calls) == 3
    _Flaky.failures = 2
    assert client.health.book("token", "child", 1, idempotency_key="book-1") == {"ok": True}
    posts = calls[3:]
    assert len(posts) == 3 and {h["Idempotency-Key"] for _, h in posts} == {"book-1"}
    assert posts[0][1]["Authorization"] == "Bearer token" and posts[0][1]["X-API-Key"] == "k"
    calls.clear()
    _Flaky.failures = 3  # one try and two retries, all 503: retries run out
    with pytest.raises(AgencyError) as e:
        client.msf.calculator(date(2026, 1, 1).isoformat(), 1)
    assert e.value.code == UNAVAILABLE and e.value.status == 503 and len(calls) == 3
