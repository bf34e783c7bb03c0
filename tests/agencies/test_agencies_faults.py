"""Fault injection: off by default, per agency, from the admin endpoint or the environment."""
from __future__ import annotations

import time

import requests

from agencies_testkit import ADMIN_KEY, LIM, problem, start_server, stop_server


def test_admin_endpoints_need_the_admin_key(server):
    problem(requests.get(server.url("/admin/v1/faults")), 401, "admin_key_invalid")
    problem(requests.get(server.url("/admin/v1/faults"), headers={"X-Admin-Key": "guess"}), 401, "admin_key_invalid")
    faults = server.admin("GET", "/admin/v1/faults").json()
    assert set(faults) == {"singpass", "myinfo", "ica", "msf", "health", "ecda", "feedback"}
    assert not any(f["active"] for f in faults.values())


def test_outage_takes_one_agency_down_and_no_other(server, no_faults):
    lim = server.login(LIM)
    assert server.admin("PUT", "/admin/v1/faults/ica", json={"outage": True}).json()["ica"]["active"]
    r = lim.get("/ica/v1/notifications")
    body = problem(r, 503, "agency_unavailable")
    assert body["agency"] == "ica" and r.headers["retry-after"] == "30"
    assert lim.get("/myinfo/v1/person").status_code == 200
    assert server.get("/health/v1/clinics").status_code == 200
    server.admin("DELETE", "/admin/v1/faults")
    assert lim.get("/ica/v1/notifications").status_code == 200


def test_error_rate_and_status(server, no_faults):
    server.admin("PUT", "/admin/v1/faults/health", json={"error_rate": 1.0, "error_status": 502})
    problem(server.get("/health/v1/clinics"), 502, "agency_error")
    server.admin("PUT", "/admin/v1/faults/health", json={"error_rate": 0.5})
    statuses = [server.get("/health/v1/clinics").status_code for _ in range(60)]
    assert 10 < statuses.count(503) < 50 and statuses.count(200) + statuses.count(503) == 60


def test_latency(server, no_faults):
    server.admin("PUT", "/admin/v1/faults/msf", json={"latency_ms": 400})
    started = time.perf_counter()
    assert server.get("/msf/v1/baby-bonus/calculator", params={"date_of_birth": "2026-01-01", "birth_order": 1}).ok
    assert time.perf_counter() - started >= 0.4
    started = time.perf_counter()
    assert server.get("/health/v1/clinics").ok and time.perf_counter() - started < 0.4


def test_invalid_fault_settings_are_refused(server, no_faults):
    problem(server.admin("PUT", "/admin/v1/faults/ica", json={"error_rate": 2}), 422, "validation_failed")
    problem(server.admin("PUT", "/admin/v1/faults/ica", json={"error_status": 200}), 422, "validation_failed")
    problem(server.admin("PUT", "/admin/v1/faults/tax", json={}), 422, "validation_failed")


def test_faults_from_the_environment(tmp_path):
    srv = start_server(f"sqlite:///{tmp_path / 'env.db'}", tmp_path, "env-faults",
                       {"AGENCIES_FAULT_MSF_OUTAGE": "1", "AGENCIES_FAULT_SINGPASS_LATENCY_MS": "300"})
    try:
        problem(srv.get("/msf/v1/baby-bonus/calculator", params={"date_of_birth": "2026-01-01", "birth_order": 1}),
                503, "agency_unavailable")
        started = time.perf_counter()
        srv.login(LIM)
        assert time.perf_counter() - started >= 0.3
        assert srv.get("/health/v1/clinics").ok
        assert "fault injection from environment" in srv.log_text()
        assert requests.delete(srv.url("/admin/v1/faults"), headers={"X-Admin-Key": ADMIN_KEY}).ok
        assert srv.get("/msf/v1/baby-bonus/calculator", params={"date_of_birth": "2026-01-01", "birth_order": 1}).ok
    finally:
        stop_server(srv)
