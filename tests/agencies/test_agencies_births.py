"""ICA birth registration against the real server: the rules of issue 3, one by one."""
from __future__ import annotations

from datetime import datetime, timedelta

import requests
from sqlalchemy import text

from agencies_testkit import HO, LIM, TOKEN_SECRET, WONG, problem
from moments.agencies import certificate, clock


def test_parent_registers_a_recent_birth_and_gets_reference_fee_and_certificate(server, family):
    fam = family(baby_days_ago=5)
    mother = fam.mother_login()
    assert [n["enlb_number"] for n in mother.get("/ica/v1/notifications").json()] == [fam.enlb]
    r = mother.post("/ica/v1/registrations", fam.registration_form(child_name="Tan  Kai Xuan",
                                                                   child_ethnic_name="陈凯轩",
                                                                   mother_dialect="hokkien"))
    assert r.status_code == 201, r.text
    reg = r.json()
    assert reg["reference"].startswith("BR-") and reg["status"] == "registered"
    assert reg["child"]["name"] == "Tan Kai Xuan" and reg["child"]["ethnic_script"] == "han"
    assert reg["child"]["citizenship"] == "citizen" and reg["dialects"]["mother"] == "Hokkien"
    assert reg["fee"] == {"amount_cents": 1800, "amount": "18.00", "currency": "SGD", "status": "paid"}
    expires = datetime.fromisoformat(reg["certificate"]["expires_at"])
    assert timedelta(days=89) < expires - datetime.fromisoformat(reg["registered_at"]) <= timedelta(days=90)
    pdf = requests.get(reg["certificate"]["url"], timeout=10)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert b"Tan Kai Xuan" in pdf.content

    # the child now exists for MyInfo, and both parents see the registration
    assert mother.profile()["children"][0]["birth_certificate_number"] == reg["child"]["birth_certificate_number"]
    father = fam.father_login()
    assert father.get(f"/ica/v1/registrations/{reg['reference']}").json()["reference"] == reg["reference"]
    assert [x["reference"] for x in father.get("/ica/v1/registrations").json()] == [reg["reference"]]
    assert mother.get("/ica/v1/notifications").json() == []
    listed = mother.get("/ica/v1/notifications", params={"include_registered": "true"}).json()
    assert listed[0]["status"] == "registered" and listed[0]["registration_reference"] == reg["reference"]


def test_someone_else_cannot_see_or_register_it(server, family):
    fam = family(baby_days_ago=3)
    reg = fam.mother_login().post("/ica/v1/registrations", fam.registration_form()).json()
    stranger = server.login(HO)
    problem(stranger.get(f"/ica/v1/registrations/{reg['reference']}"), 404, "registration_not_found")
    assert stranger.get("/ica/v1/registrations").json() == []
    other = family(baby_days_ago=3)
    problem(stranger.post("/ica/v1/registrations", other.registration_form()), 403, "not_a_parent")


def test_day_42_is_accepted_and_day_43_is_late(server, family):
    on_time = family(baby_days_ago=42)
    r = on_time.father_login().post("/ica/v1/registrations", on_time.registration_form())
    assert r.status_code == 201, r.text
    late = family(baby_days_ago=43)
    body = problem(late.mother_login().post("/ica/v1/registrations", late.registration_form()), 422, "registration_late")
    assert body["deadline"] == (late.born_at.date() + timedelta(days=42)).isoformat()
    assert body["days_since_birth"] == 43 and "ICA" in body["detail"]


def test_seeded_notifications_show_open_and_late_babies(server):
    lim = server.login(LIM).get("/ica/v1/notifications", params={"include_registered": "true"}).json()
    assert lim[0]["enlb_number"] == "NLB" + lim[0]["date_of_birth"][:4] + "000101" and lim[0]["hospital"]["code"] == "KKH"
    late = server.login(WONG).get("/ica/v1/notifications").json()
    assert late[0]["status"] == "late" and late[0]["days_left"] < 0


def test_details_must_match_the_notification(server, family):
    fam = family(baby_days_ago=10)
    mother = fam.mother_login()
    body = problem(mother.post("/ica/v1/registrations", fam.registration_form(sex="M", time_of_birth="23:59")),
                   422, "notification_mismatch")
    assert body["mismatches"] == ["time_of_birth", "sex"]
    wrong_day = (fam.born_at - timedelta(days=1)).date().isoformat()
    assert problem(mother.post("/ica/v1/registrations", fam.registration_form(date_of_birth=wrong_day, hospital="NUH")),
                   422, "notification_mismatch")["mismatches"] == ["date_of_birth", "hospital"]
    full_name = fam.registration_form(hospital="kk women's and children's hospital")
    assert mother.post("/ica/v1/registrations", full_name).status_code == 201


def test_unknown_notification_and_double_registration(server, family):
    fam = family(baby_days_ago=2)
    mother = fam.mother_login()
    problem(mother.post("/ica/v1/registrations", fam.registration_form(enlb_number="NLB2026999999")), 404,
            "notification_not_found")
    first = mother.post("/ica/v1/registrations", fam.registration_form()).json()
    body = problem(fam.father_login().post("/ica/v1/registrations", fam.registration_form()), 409, "already_registered")
    assert body["registration_reference"] == first["reference"]


def test_marital_status_must_match_records(server, family):
    married = family(baby_days_ago=4)
    m = married.mother_login()
    problem(m.post("/ica/v1/registrations", married.registration_form(parents_marital_status="not_married")), 422,
            "marital_status_mismatch")
    problem(m.post("/ica/v1/registrations", married.registration_form(father_nric=None)), 422, "father_required")
    unmarried = family(baby_days_ago=4, married=False)
    problem(unmarried.mother_login().post("/ica/v1/registrations",
                                          unmarried.registration_form(parents_marital_status="married")),
            422, "marital_status_mismatch")


def test_single_mother_registers_without_father_and_child_is_citizen(server, family):
    fam = family(baby_days_ago=6, married=False, with_father=False)
    reg = fam.mother_login().post("/ica/v1/registrations", fam.registration_form()).json()
    assert reg["father"] is None and reg["parents_marital_status"] == "not_married"
    assert reg["child"]["citizenship"] == "citizen"


def test_child_of_two_permanent_residents_is_not_a_citizen(server, family):
    fam = family(baby_days_ago=6, mother_status="permanent_resident", father_status="permanent_resident")
    reg = fam.mother_login().post("/ica/v1/registrations", fam.registration_form()).json()
    assert reg["child"]["citizenship"] == "not_citizen"


def test_naming_rules(server, family):
    fam = family(baby_days_ago=1)
    m = fam.mother_login()
    body = problem(m.post("/ica/v1/registrations", fam.registration_form(child_name="Baby 2")), 422, "name_invalid")
    assert body["errors"][0]["field"] == "child_name"
    problem(m.post("/ica/v1/registrations", fam.registration_form(child_ethnic_name="陈 Kai")), 422, "ethnic_name_invalid")
    problem(m.post("/ica/v1/registrations", fam.registration_form(mother_nric="S1234567A")), 422, "nric_invalid")
    problem(m.post("/ica/v1/registrations", fam.registration_form(father_dialect="H0kkien")), 422, "dialect_invalid")
    problem(m.post("/ica/v1/registrations", fam.registration_form(time_of_birth="25:00")), 422, "validation_failed")
    ok = m.post("/ica/v1/registrations", fam.registration_form(child_name="Kavin s/o Raj", child_ethnic_name="கவின்"))
    assert ok.status_code == 201 and ok.json()["child"]["ethnic_script"] == "tamil"


def test_certificate_links_cannot_be_forged_and_expire(server, family):
    fam = family(baby_days_ago=1)
    reg = fam.mother_login().post("/ica/v1/registrations", fam.registration_form()).json()
    url = reg["certificate"]["url"]
    problem(requests.get(url[:-4] + "0000", timeout=10), 404, "certificate_not_found")
    expired = certificate.sign(TOKEN_SECRET, reg["reference"], clock.now() - timedelta(days=1))
    problem(requests.get(server.url(f"/ica/v1/certificates/{expired}"), timeout=10), 410, "certificate_expired")


def test_the_short_certificate_link_for_sms_redirects_while_valid_and_cannot_be_forged(server, family):
    fam = family(baby_days_ago=1)
    reg = fam.mother_login().post("/ica/v1/registrations", fam.registration_form()).json()
    short = reg["certificate"]["short_url"]
    code = short.rsplit("/c/", 1)[1]
    assert len(code) == 24 and short.isascii() and len(short) < len(reg["certificate"]["url"]) - 40
    moved = requests.get(short, allow_redirects=False, timeout=10)
    assert moved.status_code == 302 and moved.headers["location"] == reg["certificate"]["url"]
    pdf = requests.get(short, timeout=10)  # a phone follows the redirect: the PDF, no login
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert requests.get(short.lower(), allow_redirects=False, timeout=10).status_code == 302  # retyped in lower case
    forged = code[:8] + ("A" if code[8] != "A" else "B") + code[9:]
    problem(requests.get(server.url(f"/c/{forged}"), timeout=10), 404, "certificate_not_found")
    problem(requests.get(server.url("/c/" + "7" * 8 + certificate.short_code(TOKEN_SECRET, "BR-OTHER001")[8:]),
                         timeout=10), 404, "certificate_not_found")
    with server.sessions() as s:  # 90 days later
        s.execute(text("UPDATE birth_registrations SET certificate_expires_at = :t WHERE reference = :r"),
                  {"t": clock.now() - timedelta(days=1), "r": reg["reference"]})
        s.commit()
    problem(requests.get(short, timeout=10), 410, "certificate_expired")
