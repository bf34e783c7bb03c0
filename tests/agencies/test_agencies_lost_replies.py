"""An answer lost in transit, for real: the agency does the work and commits it, then its answer never arrives (the
`lost_replies` fault) — and the client finds out what happened with the same Idempotency-Key and the agency's
look-ups instead of saying "unavailable"."""
from __future__ import annotations

import time

import pytest
import requests

from agencies_testkit import API_KEY, LIM
from moments.agency_client.client import OUTCOME_UNKNOWN, UNAVAILABLE, Agencies, AgencyError

# What requests raises when the connection closes after the status line (the answer never arrives).
DROPPED = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


def quick(server, read: float = 0.5, budget: float = 2.5) -> Agencies:
    """A client with short timeouts, so a held-back answer is lost in well under a second."""
    return Agencies(base_url=server.base_url, api_key=API_KEY, timeout=(1.0, read), write_budget=budget)


def lose(server, agency: str, n: int, delay_ms: int = 0, reads: bool = False) -> None:
    body = {"lost_replies": n, "lost_reply_delay_ms": delay_ms, "lost_replies_include_reads": reads}
    assert server.admin("PUT", f"/admin/v1/faults/{agency}", json=body).json()[agency]["active"]


def registrations(server, family) -> list:
    token = requests.post(server.url("/singpass/v1/login"), json={"nric": family.mother},
                          headers={"X-API-Key": API_KEY}, timeout=5).json()["access_token"]
    return Agencies(base_url=server.base_url, api_key=API_KEY).ica.registrations(token)


# -- the fault itself ------------------------------------------------------------------------------------------------

def test_a_dropped_answer_is_a_broken_connection_but_the_work_is_done(server, no_faults, family):
    fam = family(baby_days_ago=3)
    lose(server, "ica", 1)
    token = server.login(fam.mother).token
    headers = {"X-API-Key": API_KEY, "Authorization": f"Bearer {token}", "Idempotency-Key": "lost-1"}
    with pytest.raises(DROPPED):
        requests.post(server.url("/ica/v1/registrations"), json=fam.registration_form(), headers=headers, timeout=5)
    assert server.admin("GET", "/admin/v1/faults").json()["ica"]["lost_replies"] == 0  # counted down, now off
    [reg] = registrations(server, fam)
    replay = requests.post(server.url("/ica/v1/registrations"), json=fam.registration_form(), headers=headers, timeout=5)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["reference"] == reg["reference"]


def test_a_held_back_answer_arrives_after_the_delay_and_reads_are_not_lost_by_default(server, no_faults):
    lose(server, "health", 1, delay_ms=600)
    started = time.perf_counter()
    assert server.get("/health/v1/clinics").ok and time.perf_counter() - started < 0.5  # a GET is not a write
    lim = server.login(LIM)
    r = lim.post("/health/v1/appointments", json={"child_id": "nobody", "slot_id": 1}, key="lost-2")
    assert r.status_code in (403, 404, 422) and time.perf_counter() - started >= 0.6
    lose(server, "health", 1, reads=True)
    with pytest.raises(DROPPED):
        requests.get(server.url("/health/v1/clinics"), headers={"X-API-Key": API_KEY}, timeout=5)


def test_lost_replies_settings_are_checked(server, no_faults):
    assert server.admin("PUT", "/admin/v1/faults/ica", json={"lost_replies": -1}).status_code == 422
    assert server.admin("PUT", "/admin/v1/faults/ica", json={"lost_reply_delay_ms": 70_000}).status_code == 422


# -- the client finds out --------------------------------------------------------------------------------------------

def test_a_registration_whose_answer_was_dropped_is_found_by_the_replay(server, no_faults, family):
    fam = family(baby_days_ago=3)
    client = quick(server)
    token = client.singpass.login(nric=fam.mother)["access_token"]
    lose(server, "ica", 1)
    reg = client.ica.register_birth(token, fam.registration_form(), idempotency_key="found-by-replay")
    assert reg["reference"].startswith("BR-") and reg["fee"]["amount"] == "18.00"
    assert [r["reference"] for r in registrations(server, fam)] == [reg["reference"]]


def test_an_application_whose_answers_are_all_held_back_is_found_by_the_look_up(server, no_faults, family):
    fam = family(baby_days_ago=3)
    client = quick(server)
    token = client.singpass.login(nric=fam.mother)["access_token"]
    reg = client.ica.register_birth(token, fam.registration_form(), idempotency_key="bb-setup")
    lose(server, "msf", 50, delay_ms=1500)  # every write answer of MSF comes too late; reads are fine
    started = time.perf_counter()
    app = client.msf.apply(token, reg["child"]["id"], "OCBC", "1234567890", fam.mother, idempotency_key="bb-lost")
    assert app["reference"].startswith("BB-") and time.perf_counter() - started < 2.5
    server.admin("DELETE", "/admin/v1/faults")
    assert [a["reference"] for a in client.msf.applications(token)
            if a["child"]["id"] == reg["child"]["id"]] == [app["reference"]]


def test_a_booking_is_found_and_unknown_when_nothing_answers(server, no_faults, family):
    fam = family(baby_days_ago=3)
    client = quick(server, budget=1.5)
    token = client.singpass.login(nric=fam.mother)["access_token"]
    reg = client.ica.register_birth(token, fam.registration_form(), idempotency_key="book-setup")
    child = reg["child"]["id"]
    slots = client.health.slots(client.health.clinics(postal_code="820123")[0]["id"])
    lose(server, "health", 100, reads=True)  # nothing the health agency says arrives
    started = time.perf_counter()
    with pytest.raises(AgencyError) as e:
        client.health.book(token, child, slots[0]["id"], idempotency_key="book-lost")
    assert e.value.code == OUTCOME_UNKNOWN and e.value.outcome_unknown and not e.value.unavailable
    assert time.perf_counter() - started < 2.0  # within the budget
    server.admin("DELETE", "/admin/v1/faults")
    booked = client.health.book(token, child, slots[0]["id"], idempotency_key="book-lost")  # "yes" again
    assert [a["reference"] for a in client.health.appointments(token, status="booked")
            if a["child"]["id"] == child] == [booked["reference"]]
    moved_key, cancel_key = "move-lost", "cancel-lost"
    lose(server, "health", 100)  # writes lost, look-ups fine
    moved = client.health.reschedule(token, booked["reference"], slots[1]["id"], idempotency_key=moved_key)
    assert moved["slot_id"] == slots[1]["id"] and moved["reference"] == booked["reference"]
    cancelled = client.health.cancel(token, booked["reference"], idempotency_key=cancel_key)
    assert cancelled["status"] == "cancelled"


def test_a_request_that_never_left_is_simply_unavailable(server, no_faults):
    from agencies_testkit import free_port

    client = Agencies(base_url=f"http://127.0.0.1:{free_port()}", timeout=(0.5, 0.5), write_budget=2)
    with pytest.raises(AgencyError) as e:
        client.health.book("token", "child", 1, idempotency_key="never-sent")
    assert e.value.code == UNAVAILABLE and not e.value.sent and not e.value.in_transit
