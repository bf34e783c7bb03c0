"""Mock Singpass login and MyInfo, and who may see what."""
from __future__ import annotations

import time

import jwt
import requests

from agencies_testkit import API_KEY, HO, LIM, TAN, TOKEN_SECRET, problem


def test_login_by_nric_then_profile_shows_spouse_and_mobile(server):
    lim = server.login(LIM)
    me = lim.profile()
    assert me["nric"] == LIM and me["name"] == "Lim Hui Min" and me["marital_status"] == "married"
    assert me["spouse"]["nric"] == TAN and me["mobile"] == "+6591234567"
    assert me["nationality"] == "SG" and me["residential_status"] == "citizen" and me["date_of_birth"] == "1992-07-02"


def test_token_names_an_opaque_id_not_the_nric(server):
    lim = server.login(LIM)
    claims = jwt.decode(lim.token, options={"verify_signature": False})
    assert LIM not in lim.token and claims["sub"] == lim.person_id and claims["exp"] - claims["iat"] <= 3600
    assert set(claims["scope"].split()) == {"myinfo.person", "ica.births", "msf.babybonus", "health.appointments",
                                            "ecda.preschools", "feedback"}


def test_login_by_registered_mobile_needs_the_channel_api_key(server):
    url = server.url("/singpass/v1/login")
    problem(requests.post(url, json={"mobile": "+6591234567"}), 401, "api_key_missing")
    for spelling in ("+6591234567", "+65 9123 4567", "91234567", "6591234567"):
        r = requests.post(url, json={"mobile": spelling}, headers={"X-API-Key": API_KEY})
        assert r.status_code == 200 and r.json()["person"]["name"] == "Lim Hui Min", (spelling, r.text)
    problem(requests.post(url, json={"mobile": "61234567"}, headers={"X-API-Key": API_KEY}), 422, "mobile_invalid")
    problem(requests.post(url, json={"mobile": "+6590000000"}, headers={"X-API-Key": API_KEY}), 404, "person_not_found")


def test_login_refuses_bad_nrics_and_unknown_people(server):
    url = server.url("/singpass/v1/login")
    body = problem(requests.post(url, json={"nric": "S1234567A"}), 422, "nric_invalid")
    assert body["errors"][0]["field"] == "nric"
    problem(requests.post(url, json={"nric": "S1234567D"}), 404, "person_not_found")
    problem(requests.post(url, json={"nric": LIM, "mobile": "+6591234567"}), 422, "validation_failed")
    problem(requests.post(url, json={}), 422, "validation_failed")
    problem(requests.post(url, json={"nric": LIM, "scope": ["everything"]}), 422, "scope_invalid")
    problem(requests.post(url, data="{not json", headers={"Content-Type": "application/json"}), 422, "validation_failed")


def test_citizen_routes_need_api_key_and_token(server):
    lim = server.login(LIM)
    url = server.url("/myinfo/v1/person")
    problem(requests.get(url, headers={"Authorization": f"Bearer {lim.token}"}), 401, "api_key_missing")
    problem(requests.get(url, headers={"Authorization": f"Bearer {lim.token}", "X-API-Key": "nope"}), 401,
            "api_key_invalid")
    r = requests.get(url, headers={"X-API-Key": API_KEY})
    problem(r, 401, "token_missing")
    assert r.headers["www-authenticate"].startswith("Bearer")
    tampered = lim.token[:-3] + ("AAA" if not lim.token.endswith("AAA") else "BBB")
    problem(requests.get(url, headers={"X-API-Key": API_KEY, "Authorization": f"Bearer {tampered}"}), 401,
            "token_invalid")
    forged = jwt.encode({"sub": lim.person_id, "iss": "mock-singpass", "aud": "moments-agencies", "iat": 1,
                         "exp": int(time.time()) + 60, "scope": "myinfo.person"}, "a-different-secret-of-32-bytes-or-more", algorithm="HS256")
    problem(requests.get(url, headers={"X-API-Key": API_KEY, "Authorization": f"Bearer {forged}"}), 401, "token_invalid")


def test_expired_token_is_refused(server):
    lim = server.login(LIM)
    now = int(time.time())
    expired = jwt.encode({"sub": lim.person_id, "iss": "mock-singpass", "aud": "moments-agencies",
                          "iat": now - 4000, "exp": now - 60, "scope": "myinfo.person"}, TOKEN_SECRET, algorithm="HS256")
    r = requests.get(server.url("/myinfo/v1/person"), headers={"X-API-Key": API_KEY, "Authorization": f"Bearer {expired}"})
    problem(r, 401, "token_expired")


def test_consent_scope_limits_what_the_token_can_do(server):
    only_profile = server.login(LIM, scope=["myinfo.person"])
    assert only_profile.get("/myinfo/v1/person").status_code == 200
    body = problem(only_profile.get("/ica/v1/notifications"), 403, "consent_missing")
    assert body["required_scope"] == "ica.births"
    problem(only_profile.get("/health/v1/appointments"), 403, "consent_missing")


def test_a_person_sees_their_own_and_their_childrens_profiles_only(server, family):
    fam = family(older=[__import__("datetime").date(2024, 1, 1)])
    mother = fam.mother_login()
    child_nric = mother.profile()["children"][0]["birth_certificate_number"]
    assert mother.get(f"/myinfo/v1/person/{child_nric}").json()["mother"]["nric"] == fam.mother
    assert mother.get(f"/myinfo/v1/person/{fam.mother.lower()}").json()["nric"] == fam.mother
    problem(mother.get(f"/myinfo/v1/person/{LIM}"), 403, "not_authorised")
    problem(mother.get("/myinfo/v1/person/S1234567D"), 403, "not_authorised")  # valid, unknown: same answer
    problem(mother.get("/myinfo/v1/person/S1234567A"), 422, "nric_invalid")
    problem(server.login(HO).get(f"/myinfo/v1/person/{child_nric}"), 403, "not_authorised")


def test_unknown_routes_and_methods_are_problems_too(server):
    problem(server.get("/myinfo/v2/person"), 404, "not_found")
    problem(requests.delete(server.url("/singpass/v1/login")), 405, "method_not_allowed")


def test_openapi_and_docs_are_served(server):
    spec = server.get("/openapi.json", api_key=None).json()
    assert spec["info"]["title"].startswith("Moments agency services")
    paths = spec["paths"]
    for p in ("/singpass/v1/login", "/myinfo/v1/person", "/ica/v1/registrations", "/msf/v1/baby-bonus/applications",
              "/health/v1/appointments", "/health/v1/clinics/{clinic_id}/slots", "/admin/v1/faults/{agency}"):
        assert p in paths
    bad = paths["/ica/v1/registrations"]["post"]["responses"]["422"]["content"]
    assert list(bad) == ["application/problem+json"]
    assert {"ApiKey", "SingpassToken", "AdminKey"} <= set(spec["components"]["securitySchemes"])
    assert server.get("/docs", api_key=None).status_code == 200
    codes = {p["code"] for p in server.get("/problems", api_key=None).json()}
    assert {"nric_invalid", "registration_late", "slot_taken", "agency_unavailable"} <= codes
