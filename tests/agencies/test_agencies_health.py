"""Polyclinics, immunisation and appointments against the real server, including the booking race."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pytest

from agencies_testkit import AISYAH, HO, KOH, problem
from moments.agencies import clock


def _slots(server, clinic="jurong", service="vaccination", **params) -> list[dict]:
    if "date_from" in params:
        params["from"] = params.pop("date_from")
    r = server.get(f"/health/v1/clinics/{clinic}/slots", params={"service": service, **params})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def parent_with_child(family):
    fam = family(older=[date(2025, 6, 1)])
    return fam, fam.mother_login(), fam.children[0]


def test_schedule_and_a_childs_due_and_overdue_vaccines(server):
    schedule = server.get("/health/v1/immunisation-schedule").json()
    assert [d["code"] for d in schedule][:3] == ["BCG", "HEPB-1", "6IN1-1"]
    aisyah = server.login(AISYAH)
    irfan = aisyah.profile()["children"][0]
    imm = aisyah.get(f"/health/v1/children/{irfan['id']}/immunisations").json()
    status = {d["code"]: d for d in imm["doses"]}
    assert status["MMR-1"]["status"] == "overdue" and status["MMR-1"]["compulsory"]
    assert status["6IN1-3"]["status"] == "completed" and status["MMRV-1"]["status"] == "upcoming"
    assert status["MMR-1"]["due_on"] == clock.add_months(date.fromisoformat(irfan["date_of_birth"]), 12).isoformat()
    assert imm["summary"]["overdue"] >= 3 and imm["next_due_on"] <= clock.today().isoformat()
    problem(server.login(HO).get(f"/health/v1/children/{irfan['id']}/immunisations"), 404, "child_not_found")


def test_clinics_have_four_language_names_and_can_be_searched(server):
    clinics = server.get("/health/v1/clinics").json()
    assert len(clinics) >= 6
    assert all(set(c["name"]) == {"en", "zh", "ms", "ta"} and len(c["postal_code"]) == 6 for c in clinics)
    assert [c["id"] for c in server.get("/health/v1/clinics", params={"name": "bukit batok"}).json()] == ["bukit-batok"]
    assert [c["id"] for c in server.get("/health/v1/clinics", params={"name": "宏茂桥"}).json()] == ["ang-mo-kio"]
    assert [c["id"] for c in server.get("/health/v1/clinics", params={"name": "Poliklinik Tampines"}).json()] == ["tampines"]
    near = server.get("/health/v1/clinics", params={"postal_code": "560123", "limit": 3}).json()
    assert near[0]["id"] == "ang-mo-kio" and near[0]["distance_km"] <= near[1]["distance_km"]
    assert server.get("/health/v1/clinics", params={"postal_code": "640123"}).json()[0]["id"] == "jurong"
    problem(server.get("/health/v1/clinics", params={"postal_code": "999999"}), 422, "postal_code_invalid")
    assert server.get("/health/v1/clinics/queenstown").json()["address"].startswith("580 Stirling Road")
    problem(server.get("/health/v1/clinics/nowhere"), 404, "clinic_not_found")
    problem(server.get("/health/v1/clinics", api_key=None), 401, "api_key_missing")


def test_slots_are_monday_to_saturday_for_eight_weeks(server):
    today = clock.today()
    starts = [datetime.fromisoformat(s["starts_at"]) for s in
              _slots(server, "tampines", date_from=today.isoformat(), to=(today + timedelta(days=30)).isoformat(),
                     limit=1000)]
    assert starts and all(s.weekday() != 6 for s in starts) and {s.weekday() for s in starts} == set(range(6))
    assert all(s.utcoffset() == timedelta(hours=8) and s.replace(tzinfo=None) > clock.now() for s in starts)
    last_week = _slots(server, "tampines", date_from=(today + timedelta(days=50)).isoformat(),
                       to=(today + timedelta(days=55)).isoformat())
    assert last_week and not _slots(server, "tampines", date_from=(today + timedelta(days=56)).isoformat())
    screening = _slots(server, "tampines", service="developmental_screening")
    assert screening and all(s["service"] == "developmental_screening" for s in screening)
    problem(server.get("/health/v1/clinics/tampines/slots", params={"from": "2026-01-10", "to": "2026-01-01"}), 422,
            "date_range_invalid")
    problem(server.get("/health/v1/clinics/tampines/slots", params={"service": "surgery"}), 422, "validation_failed")


def test_book_reschedule_cancel(server, parent_with_child):
    fam, mother, child = parent_with_child
    first, second = _slots(server, "bukit-batok")[:2]
    r = mother.post("/health/v1/appointments", {"child_id": child, "slot_id": first["id"]})
    assert r.status_code == 201, r.text
    appt = r.json()
    assert appt["reference"].startswith("AP-") and appt["status"] == "booked" and appt["starts_at"] == first["starts_at"]
    assert appt["clinic"]["name"]["en"] == "Bukit Batok Polyclinic"
    assert first["id"] not in [s["id"] for s in _slots(server, "bukit-batok")]
    problem(mother.post("/health/v1/appointments", {"child_id": child, "slot_id": second["id"]}), 409,
            "appointment_exists")

    moved = mother.post(f"/health/v1/appointments/{appt['reference']}/reschedule", {"slot_id": second["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["slot_id"] == second["id"] and moved.json()["reschedule_count"] == 1
    free = [s["id"] for s in _slots(server, "bukit-batok")]
    assert first["id"] in free and second["id"] not in free

    father = fam.father_login()  # the other parent sees and manages it too
    assert father.get(f"/health/v1/appointments/{appt['reference']}").json()["slot_id"] == second["id"]
    cancelled = father.post(f"/health/v1/appointments/{appt['reference']}/cancel", {"reason": "child is unwell"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "child is unwell"
    assert second["id"] in [s["id"] for s in _slots(server, "bukit-batok")]
    problem(mother.post(f"/health/v1/appointments/{appt['reference']}/cancel"), 409, "appointment_cancelled")
    problem(mother.post(f"/health/v1/appointments/{appt['reference']}/reschedule", {"slot_id": first["id"]}), 409,
            "appointment_cancelled")
    listed = mother.get("/health/v1/appointments", params={"status": "cancelled"}).json()
    assert [a["reference"] for a in listed] == [appt["reference"]]
    assert mother.get("/health/v1/appointments", params={"status": "booked"}).json() == []
    again = mother.post("/health/v1/appointments", {"child_id": child, "slot_id": first["id"]})
    assert again.status_code == 201


def test_reschedule_rules(server, parent_with_child):
    _, mother, child = parent_with_child
    vacc = _slots(server, "punggol")
    appt = mother.post("/health/v1/appointments", {"child_id": child, "slot_id": vacc[0]["id"]}).json()
    ref = appt["reference"]
    problem(mother.post(f"/health/v1/appointments/{ref}/reschedule", {"slot_id": vacc[0]["id"]}), 422, "slot_unchanged")
    screening = _slots(server, "punggol", service="developmental_screening")[0]
    problem(mother.post(f"/health/v1/appointments/{ref}/reschedule", {"slot_id": screening["id"]}), 422,
            "service_mismatch")
    problem(mother.post(f"/health/v1/appointments/{ref}/reschedule", {"slot_id": 2_000_000_000}), 404, "slot_not_found")


def test_only_your_own_childrens_appointments(server, parent_with_child):
    _, mother, child = parent_with_child
    stranger = server.login(HO)
    slot = _slots(server, "toa-payoh")[0]
    problem(stranger.post("/health/v1/appointments", {"child_id": child, "slot_id": slot["id"]}), 404, "child_not_found")
    problem(stranger.get("/health/v1/appointments/AP-SEED0001"), 404, "appointment_not_found")
    problem(stranger.post("/health/v1/appointments/AP-SEED0001/cancel"), 404, "appointment_not_found")
    assert stranger.get("/health/v1/appointments").json() == []
    koh = server.login(KOH)
    assert koh.get("/health/v1/appointments/ap-seed0001").json()["service"] == "developmental_screening"


def test_fifty_concurrent_bookings_for_one_slot_exactly_one_wins(server, parent_with_child):
    _, mother, child = parent_with_child
    slot = _slots(server, "queenstown")[5]

    def attempt(_):
        return mother.post("/health/v1/appointments", {"child_id": child, "slot_id": slot["id"]},
                           key=str(uuid.uuid4()))

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, range(50)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 1, [(r.status_code, r.text[:200]) for r in results if r.status_code not in (201, 409)]
    losers = [r for r in results if r.status_code != 201]
    assert len(losers) == 49 and all(problem(r, 409, "slot_taken") for r in losers)
    booked = mother.get("/health/v1/appointments", params={"status": "booked"}).json()
    assert [a["slot_id"] for a in booked] == [slot["id"]]


def test_concurrent_bookings_of_one_child_in_different_slots_one_wins_the_others_409(server, parent_with_child):
    """One upcoming appointment per child and service, also when the requests race past the check (the database's
    unique index decides): the losers get 409 appointment_exists, never a 500."""
    _, mother, child = parent_with_child
    slots = _slots(server, "queenstown")[10:22]

    def attempt(slot):
        return mother.post("/health/v1/appointments", {"child_id": child, "slot_id": slot["id"]},
                           key=str(uuid.uuid4()))

    with ThreadPoolExecutor(max_workers=len(slots)) as pool:
        results = list(pool.map(attempt, slots))
    assert [r.status_code for r in results].count(201) == 1, [(r.status_code, r.text[:200]) for r in results]
    assert all(problem(r, 409, "appointment_exists") for r in results if r.status_code != 201)
    assert len(mother.get("/health/v1/appointments", params={"status": "booked"}).json()) == 1
