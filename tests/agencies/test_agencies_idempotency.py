"""Every POST accepts an Idempotency-Key: a retry returns the same answer and creates nothing new."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import requests

from agencies_testkit import API_KEY, problem


def _slots(server, clinic):
    return server.get(f"/health/v1/clinics/{clinic}/slots").json()


def test_retried_registration_returns_the_same_registration(server, family):
    fam = family(baby_days_ago=8)
    mother = fam.mother_login()
    first = mother.post("/ica/v1/registrations", fam.registration_form(), key="register-birth-1")
    retry = mother.post("/ica/v1/registrations", fam.registration_form(), key="register-birth-1")
    assert first.status_code == retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert retry.json() == first.json()
    assert len(mother.get("/ica/v1/registrations").json()) == 1
    assert len(mother.profile()["children"]) == 1


def test_same_key_with_a_different_body_is_refused(server, family):
    fam = family(older=[date(2025, 1, 1)])
    mother = fam.mother_login()
    a, b = _slots(server, "jurong")[:2]
    assert mother.post("/health/v1/appointments", {"child_id": fam.children[0], "slot_id": a["id"]}, key="k1").ok
    problem(mother.post("/health/v1/appointments", {"child_id": fam.children[0], "slot_id": b["id"]}, key="k1"), 422,
            "idempotency_key_reused")


def test_a_refusal_is_replayed_too(server, family):
    fam = family(baby_days_ago=50)
    mother = fam.mother_login()
    first = problem(mother.post("/ica/v1/registrations", fam.registration_form(), key="late-1"), 422, "registration_late")
    again = mother.post("/ica/v1/registrations", fam.registration_form(), key="late-1")
    assert problem(again, 422, "registration_late") == first and again.headers["idempotent-replayed"] == "true"


def test_keys_belong_to_one_caller(server, family):
    one, two = family(older=[date(2025, 2, 1)]), family(older=[date(2025, 2, 1)])
    s1, s2 = _slots(server, "tampines")[:2]
    r1 = one.mother_login().post("/health/v1/appointments", {"child_id": one.children[0], "slot_id": s1["id"]}, key="same")
    r2 = two.mother_login().post("/health/v1/appointments", {"child_id": two.children[0], "slot_id": s2["id"]}, key="same")
    assert r1.status_code == r2.status_code == 201 and r1.json()["reference"] != r2.json()["reference"]


def test_concurrent_retries_with_one_key_book_once(server, family):
    fam = family(older=[date(2025, 3, 1)])
    mother = fam.mother_login()
    slot = _slots(server, "choa-chu-kang")[3]
    body = {"child_id": fam.children[0], "slot_id": slot["id"]}
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: mother.post("/health/v1/appointments", body, key="tap-tap-tap"), range(10)))
    ok = [r for r in results if r.status_code == 201]
    busy = [r for r in results if r.status_code == 409]
    assert ok and len(ok) + len(busy) == 10, [r.text for r in results]
    assert len({r.json()["reference"] for r in ok}) == 1
    assert all(problem(r, 409, "idempotency_in_progress") and r.headers["retry-after"] == "1" for r in busy)
    assert len(mother.get("/health/v1/appointments").json()) == 1


def test_malformed_keys_are_refused_and_login_accepts_one(server, family):
    fam = family(older=[date(2025, 4, 1)])
    mother = fam.mother_login()
    slot = _slots(server, "jurong")[7]
    problem(mother.post("/health/v1/appointments", {"child_id": fam.children[0], "slot_id": slot["id"]},
                        key="has spaces"), 422, "idempotency_key_invalid")
    problem(mother.post("/health/v1/appointments", {"child_id": fam.children[0], "slot_id": slot["id"]}, key="x" * 256),
            422, "idempotency_key_invalid")
    r = requests.post(server.url("/singpass/v1/login"), json={"nric": fam.mother}, headers={"Idempotency-Key": "login-1"})
    assert r.status_code == 200
    problem(requests.post(server.url("/singpass/v1/login"), json={"nric": fam.mother},
                          headers={"Idempotency-Key": "bad key", "X-API-Key": API_KEY}), 422, "idempotency_key_invalid")


def test_cancel_and_reschedule_retries_do_not_fail(server, family):
    fam = family(older=[date(2025, 5, 1)])
    mother = fam.mother_login()
    a, b = _slots(server, "ang-mo-kio")[10:12]
    ref = mother.post("/health/v1/appointments", {"child_id": fam.children[0], "slot_id": a["id"]}).json()["reference"]
    moved = [mother.post(f"/health/v1/appointments/{ref}/reschedule", {"slot_id": b["id"]}, key="move-1") for _ in range(2)]
    assert [m.status_code for m in moved] == [200, 200] and moved[0].json() == moved[1].json()
    cancelled = [mother.post(f"/health/v1/appointments/{ref}/cancel", {}, key="cancel-1") for _ in range(2)]
    assert [c.status_code for c in cancelled] == [200, 200] and cancelled[1].json()["status"] == "cancelled"
    assert mother.get(f"/health/v1/appointments/{ref}").json()["reschedule_count"] == 1
