"""ECDA preschools against the real server (SQLite and PostgreSQL): search near home, fees after subsidy, the level
by age, registrations of interest with their rules, authorisation, idempotency and an outage."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest

from agencies_testkit import AISYAH, HO, LIM, problem
from moments.agencies import clock

LIM_HOME = "560406"
NEAREST_TO_LIM = "little-sprouts-ang-mo-kio-345"


def _next_month() -> str:
    return f"{clock.add_months(clock.today().replace(day=1), 1):%Y-%m}"


def _centres(server, **params) -> list[dict]:
    r = server.get("/ecda/v1/centres", params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def baby(family):
    """A fresh family whose child (8 months old) joins infant care next month."""
    fam = family(older=[clock.today() - timedelta(days=240)])
    return fam, fam.mother_login(), fam.children[0]


def test_lim_hui_min_finds_infant_care_with_chinese_near_home(server):
    lim = server.login(LIM)
    assert lim.profile()["address"] == {"line": "406 Ang Mo Kio Avenue 10, #08-1234", "postal_code": LIM_HOME}
    found = _centres(server, postal_code=LIM_HOME, level="infant", second_language="chinese")
    assert found[0]["id"] == NEAREST_TO_LIM and found[0]["distance_km"] <= 1.0 and found[0]["vacancies"] > 0
    assert [c["distance_km"] for c in found] == sorted(c["distance_km"] for c in found) and len(found) == 5
    for c in found:
        assert "chinese" in c["second_languages"] and "infant_care" in c["services"] and c["level"] == "infant"
        fee = c["fee"]
        assert fee["service"] == "infant_care" and fee["programme"] == "full_day"
        assert fee["subsidy"] == 600 and fee["after_subsidy"] == fee["monthly"] - 600
        if c["operator_kind"] in ("anchor", "partner"):
            assert fee["monthly"] <= fee["fee_cap"]


def test_filters_fee_after_subsidy_vacancy_programme_and_operator(server):
    cheap = _centres(server, postal_code="520345", level="n1", max_fee_after_subsidy=350, limit=60)
    assert cheap and all(c["fee"]["after_subsidy"] <= 350 for c in cheap)
    assert {c["operator_kind"] for c in cheap} <= {"anchor", "partner", "private"}  # childcare: $640 - $300
    free = _centres(server, level="k2", vacancy_only="true", limit=60)
    assert free and all(c["vacancies"] > 0 for c in free)
    assert len(free) < len(_centres(server, level="k2", limit=60))
    half = _centres(server, postal_code="640512", level="playgroup", programme="half_day", limit=60)
    assert half and all(c["fee"]["programme"] == "half_day" and c["fee"]["subsidy"] == 150 for c in half)
    moe = _centres(server, operator_kind="moe", limit=60)
    assert moe and all(c["fee"]["monthly"] == 160 and c["fee"]["subsidy"] == 0 for c in moe)
    assert all(set(c["second_languages"]) == {"chinese", "malay", "tamil"} for c in moe)
    assert _centres(server, operator_kind="moe", level="n1") == []  # MOE kindergartens take K1 and K2
    not_working = _centres(server, postal_code=LIM_HOME, level="playgroup", working_mother="false", limit=1)[0]
    assert not_working["fee"]["subsidy"] == 150
    office = _centres(server, postal_code="018956", level="infant", limit=1)[0]  # "near my office"
    assert office["postal_code"].startswith("01")
    problem(server.get("/ecda/v1/centres", params={"postal_code": "999999"}), 422, "postal_code_invalid")
    problem(server.get("/ecda/v1/centres", params={"level": "k9"}), 422, "validation_failed")
    problem(server.get("/ecda/v1/centres", api_key=None), 401, "api_key_missing")


def test_centre_details(server):
    r = server.get(f"/ecda/v1/centres/{NEAREST_TO_LIM}")
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["operator_kind"] == "anchor" and c["address"].endswith("Singapore 560345")
    assert {(f["service"], f["programme"]) for f in c["fees"]} >= {("infant_care", "full_day"),
                                                                   ("childcare", "half_day")}
    assert [lv["level"] for lv in c["levels"]] == ["infant", "playgroup", "n1", "n2", "k1", "k2"]
    assert c["opening_hours"] and c["accessibility"] and set(c["rating"]) == {"average", "count"}
    problem(server.get("/ecda/v1/centres/nowhere"), 404, "centre_not_found")


def test_a_childs_search_takes_the_level_from_age_and_home_from_myinfo(server):
    aisyah = server.login(AISYAH)
    irfan = aisyah.profile()["children"][0]  # 13 months: infant care
    r = aisyah.get(f"/ecda/v1/children/{irfan['id']}/centres", params={"second_language": "malay"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["level"] == "infant" and body["start_month"] == _next_month()
    assert body["origin"] == {"postal_code": "730678", "source": "home"}
    assert body["centres"] and all("malay" in c["second_languages"] for c in body["centres"])
    assert body["centres"][0]["postal_code"][:2] in ("72", "73")  # Woodlands first
    later = clock.add_months(date.fromisoformat(irfan["date_of_birth"]).replace(day=1), 20)
    older = aisyah.get(f"/ecda/v1/children/{irfan['id']}/centres",
                       params={"start_month": f"{later:%Y-%m}", "postal_code": "018956"}).json()
    assert older["level"] == "playgroup" and older["origin"]["source"] == "given"
    without_consent = server.login(AISYAH, scope=["ecda.preschools"])
    problem(without_consent.get(f"/ecda/v1/children/{irfan['id']}/centres"), 422, "postal_code_required")
    assert without_consent.get(f"/ecda/v1/children/{irfan['id']}/centres", params={"postal_code": "730678"}).ok
    problem(aisyah.get(f"/ecda/v1/children/{irfan['id']}/centres", params={"start_month": "2020-01"}), 422,
            "start_month_invalid")
    problem(aisyah.get(f"/ecda/v1/children/{irfan['id']}/centres", params={"start_month": "March"}), 422,
            "start_month_invalid")
    problem(server.login(HO).get(f"/ecda/v1/children/{irfan['id']}/centres"), 404, "child_not_found")
    problem(server.login(AISYAH, scope=["myinfo.person"]).get(f"/ecda/v1/children/{irfan['id']}/centres"), 403,
            "consent_missing")


def test_too_young_or_too_old(server, family):
    fam = family(older=[clock.today() - timedelta(days=10), date(2018, 5, 20)])
    mother = fam.mother_login()
    eldest, newborn = fam.children  # oldest first
    young = problem(mother.get(f"/ecda/v1/children/{newborn}/centres", params={"postal_code": LIM_HOME}),
                    422, "child_age_out_of_range")
    assert 0 <= young["age_months"] < 2
    problem(mother.get(f"/ecda/v1/children/{eldest}/centres", params={"postal_code": LIM_HOME}), 422,
            "child_age_out_of_range")


def test_register_interest_one_per_child_and_centre_then_cancel(server, baby):
    fam, mother, child = baby
    centre = _centres(server, level="infant", vacancy_only="true", postal_code=LIM_HOME)[0]
    body = {"child_id": child, "centre_id": centre["id"], "start_month": _next_month()}
    r = mother.post("/ecda/v1/interests", body)
    assert r.status_code == 201, r.text
    interest = r.json()
    assert interest["reference"].startswith("PS-") and len(interest["reference"]) == 11
    assert interest["status"] == "submitted" and interest["level"] == "infant"
    assert interest["programme"] == "full_day" and interest["fee"]["after_subsidy"] == interest["fee"]["monthly"] - 600
    exists = problem(mother.post("/ecda/v1/interests", {**body, "programme": "half_day"}), 409, "interest_exists")
    assert exists["interest_reference"] == interest["reference"]
    father = fam.father_login()  # the other parent sees it, and cannot register the child again either
    assert father.get(f"/ecda/v1/interests/{interest['reference'].lower()}").json()["centre"]["id"] == centre["id"]
    problem(father.post("/ecda/v1/interests", body), 409, "interest_exists")

    stranger = server.login(HO)
    problem(stranger.get(f"/ecda/v1/interests/{interest['reference']}"), 404, "interest_not_found")
    problem(stranger.post(f"/ecda/v1/interests/{interest['reference']}/cancel"), 404, "interest_not_found")
    problem(stranger.post("/ecda/v1/interests", body), 404, "child_not_found")
    assert stranger.get("/ecda/v1/interests").json() == []

    cancelled = father.post(f"/ecda/v1/interests/{interest['reference']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    problem(mother.post(f"/ecda/v1/interests/{interest['reference']}/cancel"), 409, "interest_closed")
    again = mother.post("/ecda/v1/interests", body)
    assert again.status_code == 201 and again.json()["reference"] != interest["reference"]
    listed = mother.get("/ecda/v1/interests").json()
    assert [(i["reference"], i["status"]) for i in listed] == [(interest["reference"], "cancelled"),
                                                               (again.json()["reference"], "submitted")]


def test_a_full_level_waitlists_and_the_centre_replies(server, baby):
    _, mother, child = baby
    full = next(c for c in _centres(server, level="infant", limit=60) if c["vacancies"] == 0)
    before = full["waitlist"]
    r = mother.post("/ecda/v1/interests", {"child_id": child, "centre_id": full["id"], "start_month": _next_month()})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "waitlisted" and r.json()["waitlist_position"] == before + 1
    ref = r.json()["reference"]
    offered = server.admin("POST", f"/admin/v1/ecda/interests/{ref}/reply", json={"status": "offered"})
    assert offered.status_code == 200, offered.text
    assert mother.get("/ecda/v1/interests", params={"status": "offered"}).json()[0]["reference"] == ref
    assert mother.get(f"/ecda/v1/interests/{ref}").json()["waitlist_position"] is None
    assert mother.post(f"/ecda/v1/interests/{ref}/cancel").json()["status"] == "cancelled"
    problem(server.admin("POST", f"/admin/v1/ecda/interests/{ref}/reply", json={"status": "offered"}), 409,
            "interest_closed")


def test_cancelling_a_waitlisted_registration_leaves_the_waitlist(server, baby):
    _, mother, child = baby
    full = next(c for c in _centres(server, level="infant", limit=60) if c["vacancies"] == 0)
    ref = mother.post("/ecda/v1/interests", {"child_id": child, "centre_id": full["id"],
                                             "start_month": _next_month()}).json()["reference"]
    level = lambda: next(lv for lv in server.get(f"/ecda/v1/centres/{full['id']}").json()["levels"]  # noqa: E731
                         if lv["level"] == "infant")
    waiting = level()["waitlist"]
    assert mother.post(f"/ecda/v1/interests/{ref}/cancel").ok
    assert level()["waitlist"] == waiting - 1


def test_level_or_programme_not_offered(server, baby):
    _, mother, child = baby
    moe = _centres(server, operator_kind="moe", limit=1)[0]
    problem(mother.post("/ecda/v1/interests", {"child_id": child, "centre_id": moe["id"], "start_month": _next_month()}),
            422, "level_not_offered")
    full_day_only = next(c for c in _centres(server, level="infant", limit=60) if c["programmes"] == ["full_day"])
    problem(mother.post("/ecda/v1/interests", {"child_id": child, "centre_id": full_day_only["id"],
                                               "start_month": _next_month(), "programme": "half_day"}),
            422, "level_not_offered")
    problem(mother.post("/ecda/v1/interests", {"child_id": child, "centre_id": "nowhere", "start_month": _next_month()}),
            404, "centre_not_found")
    problem(mother.post("/ecda/v1/interests", {"child_id": child, "centre_id": moe["id"], "start_month": "2027-13"}),
            422, "start_month_invalid")


def test_retries_and_races_register_once(server, baby):
    _, mother, child = baby
    centre = _centres(server, level="infant", vacancy_only="true", postal_code="640512")[0]
    body = {"child_id": child, "centre_id": centre["id"], "start_month": _next_month()}
    first = mother.post("/ecda/v1/interests", body, key="ps-tap-1")
    retry = mother.post("/ecda/v1/interests", body, key="ps-tap-1")
    assert first.status_code == retry.status_code == 201 and retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    problem(mother.post("/ecda/v1/interests", {**body, "programme": "half_day"}, key="ps-tap-1"), 422,
            "idempotency_key_reused")
    assert mother.post(f"/ecda/v1/interests/{first.json()['reference']}/cancel").ok

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda _: mother.post("/ecda/v1/interests", body, key=str(uuid.uuid4())), range(12)))
    assert sorted(r.status_code for r in results).count(201) == 1, [r.text[:200] for r in results]
    assert all(problem(r, 409, "interest_exists") for r in results if r.status_code != 201)
    active = mother.get("/ecda/v1/interests", params={"status": "submitted"}).json()
    assert len(active) == 1
    assert "unhandled error on POST /ecda/v1/interests" not in server.log_text()  # a lost race is a 409, never a 500


def test_interests_need_the_citizen_and_consent(server):
    problem(server.get("/ecda/v1/interests"), 401, "token_missing")
    problem(server.login(LIM, scope=["myinfo.person"]).get("/ecda/v1/interests"), 403, "consent_missing")


def test_an_ecda_outage_is_a_problem_and_leaves_the_others_up(no_faults):
    server = no_faults
    assert server.admin("PUT", "/admin/v1/faults/ecda", json={"outage": True}).status_code == 200
    body = problem(server.get("/ecda/v1/centres"), 503, "agency_unavailable")
    assert body["agency"] == "ecda"
    assert server.get("/health/v1/clinics").status_code == 200


def test_racing_registrations_at_a_full_level_get_distinct_waitlist_positions(server, family):
    full = next(c for c in _centres(server, level="infant", limit=60) if c["vacancies"] == 0)
    parents = []
    for _ in range(6):
        fam = family(older=[clock.today() - timedelta(days=150)])
        parents.append((fam.mother_login(), fam.children[0]))

    def register(parent):
        mother, child = parent
        return mother.post("/ecda/v1/interests", {"child_id": child, "centre_id": full["id"],
                                                  "start_month": _next_month()})

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(register, parents))
    assert all(r.status_code == 201 for r in results), [r.text[:200] for r in results]
    positions = sorted(r.json()["waitlist_position"] for r in results)
    assert len(set(positions)) == 6 and positions[-1] - positions[0] == 5
    for (mother, _), r in zip(parents, results):
        assert mother.post(f"/ecda/v1/interests/{r.json()['reference']}/cancel").ok


def test_openapi_documents_the_preschool_and_feedback_routes(server):
    spec = server.get("/openapi.json", api_key=None).json()
    paths = spec["paths"]
    for p in ("/ecda/v1/centres", "/ecda/v1/centres/{centre_id}", "/ecda/v1/children/{child_id}/centres",
              "/ecda/v1/interests", "/ecda/v1/interests/{reference}/cancel", "/feedback/v1/feedback",
              "/admin/v1/ecda/interests/{reference}/reply"):
        assert p in paths
    conflict = paths["/ecda/v1/interests"]["post"]["responses"]["409"]["content"]
    assert list(conflict) == ["application/problem+json"]
    for path, ops in paths.items():
        if path.startswith(("/ecda/", "/feedback/")):
            for op in ops.values():
                assert {"ApiKey"} <= {k for req in op.get("security", []) for k in req}, path
    codes = {p["code"] for p in server.get("/problems", api_key=None).json()}
    assert {"interest_exists", "centre_not_found", "child_age_out_of_range", "feedback_not_found"} <= codes
