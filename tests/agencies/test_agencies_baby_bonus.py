"""MSF Baby Bonus against the real server: amounts by birth order and date, eligibility, applications."""
from __future__ import annotations

from datetime import date

import pytest

from agencies_testkit import HO, KOH, TAY, problem


def _youngest(citizen) -> dict:
    kids = citizen.profile()["children"]
    return max(kids, key=lambda c: (c["date_of_birth"], c["time_of_birth"] or ""))


@pytest.mark.parametrize("older,cash,first_instalment,cap", [
    ([], 11000, 3000, 4000),
    ([date(2021, 5, 1)], 11000, 3000, 7000),
    ([date(2019, 1, 1), date(2021, 5, 1)], 13000, 4000, 9000),
    ([date(2014, 1, 1), date(2016, 1, 1), date(2018, 1, 1), date(2020, 1, 1)], 13000, 4000, 15000),
])
def test_registered_newborn_gets_current_scheme_by_birth_order(server, family, older, cash, first_instalment, cap):
    fam = family(older=older, baby_days_ago=7)
    mother = fam.mother_login()
    assert mother.post("/ica/v1/registrations", fam.registration_form()).status_code == 201
    bb = mother.get(f"/msf/v1/children/{_youngest(mother)['id']}/baby-bonus").json()
    assert bb["birth_order"] == len(older) + 1 and bb["scheme"]["id"] == "2023-02-14"
    assert bb["eligible"] and bb["reasons"] == [] and bb["cash_gift"]["eligible"]
    assert bb["cash_gift"]["total"] == cash and bb["cash_gift"]["schedule"][0]["amount"] == first_instalment
    assert bb["cash_gift"]["schedule"][0]["status"] == "due"  # paid once they join
    assert bb["cda"] == {"eligible": True, "first_step_grant": 5000, "co_matching_cap": cap,
                         "max_government_contribution": 5000 + cap}
    assert bb["apply_by"] == f"{int(fam.born_at.year) + 12}-12-31" and bb["application"] is None


@pytest.mark.parametrize("dates,cash,cap", [
    ([date(2022, 6, 1)], 8000, 3000),
    ([date(2019, 6, 1), date(2022, 6, 1)], 8000, 6000),
    ([date(2017, 6, 1), date(2019, 6, 1), date(2022, 6, 1)], 10000, 9000),
])
def test_children_born_before_14_feb_2023_get_the_previous_scheme(server, family, dates, cash, cap):
    mother = family(older=dates).mother_login()
    bb = mother.get(f"/msf/v1/children/{_youngest(mother)['id']}/baby-bonus").json()
    assert bb["scheme"]["id"] == "previous" and bb["cash_gift"]["total"] == cash
    assert bb["cda"]["first_step_grant"] == 3000 and bb["cda"]["co_matching_cap"] == cap
    assert len(bb["cash_gift"]["schedule"]) == 5


def test_seeded_children_either_side_of_14_feb_2023(server):
    tay = server.login(TAY)
    yu_xuan = tay.get(f"/msf/v1/children/{tay.profile()['children'][0]['id']}/baby-bonus").json()
    assert yu_xuan["child"]["date_of_birth"] == "2023-02-13" and yu_xuan["cash_gift"]["total"] == 8000
    koh = server.login(KOH)
    rui_en = koh.get(f"/msf/v1/children/{koh.profile()['children'][0]['id']}/baby-bonus").json()
    assert rui_en["child"]["date_of_birth"] == "2023-02-14" and rui_en["cash_gift"]["total"] == 11000


def test_unmarried_parents_get_cda_but_no_cash_gift(server, family):
    fam = family(baby_days_ago=3, married=False, with_father=False)
    mother = fam.mother_login()
    mother.post("/ica/v1/registrations", fam.registration_form())
    bb = mother.get(f"/msf/v1/children/{_youngest(mother)['id']}/baby-bonus").json()
    assert bb["eligible"] and not bb["cash_gift"]["eligible"] and bb["cash_gift"]["total"] == 0
    assert bb["reasons"] == ["parents_not_married"] and bb["cda"]["first_step_grant"] == 5000


def test_apply_once_per_child_and_check_status(server, family):
    fam = family(baby_days_ago=9)
    mother = fam.mother_login()
    mother.post("/ica/v1/registrations", fam.registration_form())
    child = _youngest(mother)
    form = {"child_id": child["id"], "bank": "DBS", "bank_account_number": "012-345678-9",
            "cda_trustee_nric": fam.mother}
    r = mother.post("/msf/v1/baby-bonus/applications", form)
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["reference"].startswith("BB-") and app["status"] == "approved" and app["bank"] == "DBS/POSB"
    assert app["account_number_masked"] == "******6789" and app["cda_trustee"]["nric"] == fam.mother
    assert app["benefits"]["cash_gift"]["schedule"][0]["status"] == "paid"

    father = fam.father_login()
    assert father.get(f"/msf/v1/baby-bonus/applications/{app['reference']}").json()["status"] == "approved"
    assert [a["reference"] for a in father.get("/msf/v1/baby-bonus/applications").json()] == [app["reference"]]
    assert father.get(f"/msf/v1/children/{child['id']}/baby-bonus").json()["application"]["reference"] == app["reference"]
    dup = problem(father.post("/msf/v1/baby-bonus/applications", dict(form, cda_trustee_nric=fam.father)), 409,
                  "application_exists")
    assert dup["application_reference"] == app["reference"]

    stranger = server.login(HO)
    problem(stranger.get(f"/msf/v1/baby-bonus/applications/{app['reference']}"), 404, "application_not_found")
    problem(stranger.get(f"/msf/v1/children/{child['id']}/baby-bonus"), 404, "child_not_found")
    problem(stranger.post("/msf/v1/baby-bonus/applications", form), 404, "child_not_found")


def test_application_checks_bank_account_trustee_and_eligibility(server, family):
    fam = family(older=[date(2024, 3, 1)])
    mother = fam.mother_login()
    child = _youngest(mother)["id"]
    base = {"child_id": child, "bank": "UOB", "bank_account_number": "1234567890", "cda_trustee_nric": fam.mother}
    problem(mother.post("/msf/v1/baby-bonus/applications", dict(base, bank_account_number="12345")), 422,
            "bank_account_invalid")
    problem(mother.post("/msf/v1/baby-bonus/applications", dict(base, bank="HSBC")), 422, "validation_failed")
    problem(mother.post("/msf/v1/baby-bonus/applications", dict(base, cda_trustee_nric=HO)), 422, "cda_trustee_invalid")
    assert mother.post("/msf/v1/baby-bonus/applications", dict(base, bank="OCBC", bank_account_number="123456789012")
                       ).status_code == 201

    pr = family(baby_days_ago=2, mother_status="permanent_resident", father_status="permanent_resident")
    pr_mother = pr.mother_login()
    pr_mother.post("/ica/v1/registrations", pr.registration_form())
    pr_child = _youngest(pr_mother)["id"]
    assert pr_mother.get(f"/msf/v1/children/{pr_child}/baby-bonus").json()["reasons"] == ["child_not_citizen"]
    body = problem(pr_mother.post("/msf/v1/baby-bonus/applications",
                                  dict(base, child_id=pr_child, cda_trustee_nric=pr.mother)), 422, "not_eligible")
    assert body["reasons"] == ["child_not_citizen"]


def test_calculator_needs_only_the_api_key(server):
    r = server.get("/msf/v1/baby-bonus/calculator", params={"date_of_birth": "2026-12-01", "birth_order": 3})
    assert r.status_code == 200 and r.json()["cash_gift"]["total"] == 13000 and r.json()["child"] is None
    problem(server.get("/msf/v1/baby-bonus/calculator", params={"date_of_birth": "2026-12-01", "birth_order": 0}),
            422, "validation_failed")
    problem(server.get("/msf/v1/baby-bonus/calculator", api_key=None,
                       params={"date_of_birth": "2026-12-01", "birth_order": 1}), 401, "api_key_missing")
