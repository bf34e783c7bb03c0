"""/notify/v1: what is coming up for parents, as the notifier asks for it (real server, SQLite and PostgreSQL)."""
from __future__ import annotations

import secrets
from datetime import date, timedelta

import requests

from agencies_testkit import API_KEY, NOTIFIER_KEY, problem
from moments.agencies import clock
from moments.agencies.models import ImmunisationRecord, Person

HEADERS = {"X-API-Key": API_KEY, "X-Notifier-Key": NOTIFIER_KEY}


def due(server, person_id: str, on: date) -> list[dict]:
    r = requests.get(server.url(f"/notify/v1/people/{person_id}/due"), params={"on": on.isoformat()},
                     headers=HEADERS, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_the_due_list_wants_both_keys(server):
    path = "/notify/v1/due"
    problem(server.get(path, api_key=None), 401, "api_key_missing")
    problem(server.get(path), 401, "api_key_missing")  # the action server's key alone is not enough
    problem(server.get(path, headers={"X-Notifier-Key": "guess-" + secrets.token_hex(8)}), 401, "api_key_invalid")
    problem(requests.get(server.url(path), headers=HEADERS, params={"on": "1900-01-01"}, timeout=10), 422,
            "date_range_invalid")
    assert requests.get(server.url(path), headers=HEADERS, params={"on": "soon"}, timeout=10).status_code == 422


def test_an_unregistered_birth_is_due_at_day_28_and_38_then_not_after_the_deadline(server, family):
    fam = family(baby_days_ago=0)
    born = fam.born_at.date()
    assert due(server, fam.mother_id, born + timedelta(days=27)) == []
    [item] = due(server, fam.mother_id, born + timedelta(days=28))
    assert (item["kind"], item["window"], item["key"]) == ("birth_registration", "day-28", f"birth:{fam.enlb}")
    assert item["due_on"] == (born + timedelta(days=42)).isoformat()
    assert due(server, fam.father_id, born + timedelta(days=30))[0]["window"] == "day-28"  # both parents
    assert due(server, fam.mother_id, born + timedelta(days=40))[0]["window"] == "day-38"
    assert due(server, fam.mother_id, born + timedelta(days=43)) == []


def test_vaccinations_due_in_a_week_and_overdue_by_two_weeks(server, family):
    today = clock.today()
    born = clock.add_months(today, -2) + timedelta(days=5)  # the 2-month dose is due in 5 days
    fam = family(older=[born])
    child = fam.children[0]
    with server.sessions.begin() as s:  # the birth doses were given
        for code in ("BCG", "HEPB-1"):
            s.add(ImmunisationRecord(child_id=child, dose_code=code, given_on=born, place="KKH"))
    [item] = due(server, fam.mother_id, today)
    assert (item["kind"], item["window"], item["doses"]) == ("vaccination_due", "due-7", ["6IN1-1"])
    assert item["child"]["id"] == child and item["child"]["name"] == "Older Child 1"
    assert due(server, fam.mother_id, today - timedelta(days=3)) == []  # 8 days ahead: not yet
    [late] = due(server, fam.mother_id, today + timedelta(days=5 + 14))
    assert (late["kind"], late["window"], late["doses"]) == ("vaccination_overdue", "overdue-14", ["6IN1-1"])


def test_a_booked_vaccination_drops_the_reminder_and_the_appointment_is_due_the_day_before(server, family):
    today = clock.today()
    fam = family(older=[clock.add_months(today, -2) + timedelta(days=5)])
    child = fam.children[0]
    mum = fam.mother_login()
    slots = requests.get(server.url("/health/v1/clinics/jurong/slots"), headers={"X-API-Key": API_KEY},
                         params={"from": (today + timedelta(days=3)).isoformat()}, timeout=10).json()
    r = mum.post("/health/v1/appointments", json={"child_id": child, "slot_id": slots[0]["id"]})
    assert r.status_code == 201, r.text
    day = date.fromisoformat(slots[0]["starts_at"][:10])
    assert all(i["kind"] != "vaccination_due" for i in due(server, fam.mother_id, today))
    [item] = due(server, fam.mother_id, day - timedelta(days=1))
    assert item["kind"] == "appointment_tomorrow" and item["reference"] == r.json()["reference"]
    assert item["clinic"]["en"] == "Jurong Polyclinic" and item["clinic"]["address"].startswith("190 Jurong")
    assert item["starts_at"] == slots[0]["starts_at"]


def test_the_bulk_list_pages_through_parents_with_a_mobile(server, family):
    fams = [family(baby_days_ago=30) for _ in range(3)]
    with server.sessions.begin() as s:
        for f in fams:
            s.get(Person, f.mother_id).mobile = f"+659{secrets.randbelow(10**7):07d}"
    seen, after = {}, None
    for _ in range(1000):
        params = {"limit": 50, **({"after": after} if after else {})}
        page = requests.get(server.url("/notify/v1/due"), headers=HEADERS, params=params, timeout=10).json()
        seen.update({c["person_id"]: c for c in page["citizens"]})
        after = page["next_after"]
        if after is None:
            break
    for f in fams:
        assert seen[f.mother_id]["items"][0]["key"] == f"birth:{f.enlb}"
        assert seen[f.mother_id]["mobile"].startswith("+659")
        assert f.father_id not in seen  # no mobile: nobody to text


def test_a_baby_bonus_instalment_paid_this_week_and_the_next_one(server, family):
    today = clock.today()
    born = clock.add_months(today + timedelta(days=3), -6)  # the 6-month instalment is paid in 3 days
    fam = family(older=[born])
    r = fam.mother_login().post("/msf/v1/baby-bonus/applications", json={
        "child_id": fam.children[0], "bank": "DBS/POSB", "bank_account_number": "1234567890", "cda_trustee_nric": fam.mother})
    if r.status_code != 201:  # the application shape is the MSF tests' business; this test is about the due list
        import pytest
        pytest.skip(f"could not apply: {r.text[:200]}")
    paid = lambda on: [i for i in due(server, fam.mother_id, on) if i["kind"] == "baby_bonus_paid"]  # noqa: E731
    assert paid(today) == []  # the birth instalment was paid with the application, not a reminder
    [item] = paid(today + timedelta(days=4))
    assert item["amount"] == 1500 and item["next_amount"] == 1500 and item["window"] == "paid"
    assert item["due_on"] == (today + timedelta(days=3)).isoformat()
    assert item["next_on"] == clock.add_months(born, 12).isoformat()
    assert paid(today + timedelta(days=11)) == []
