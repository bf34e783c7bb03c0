"""The action server's client for preschools and feedback: a whole journey, refusals as codes, a lost answer found
out, an outage as `agency_unavailable`."""
from __future__ import annotations

from datetime import timedelta

import pytest

from agencies_testkit import API_KEY, LIM
from moments.agencies import clock
from moments.agency_client.client import UNAVAILABLE, Agencies, AgencyError
from moments.agency_client.codes import Code


@pytest.fixture
def agencies(server):
    return Agencies(base_url=server.base_url, api_key=API_KEY)


def _next_month() -> str:
    return f"{clock.add_months(clock.today().replace(day=1), 1):%Y-%m}"


def test_find_register_cancel_and_give_feedback_through_the_client(server, family, agencies):
    fam = family(older=[clock.today() - timedelta(days=300)])
    token = agencies.singpass.login(nric=fam.mother)["access_token"]
    child = fam.children[0]
    found = agencies.ecda.centres_for_child(token, child, postal_code="560406", second_language="chinese",
                                            vacancy_only=True, limit=3)
    assert found["level"] == "infant" and 1 <= len(found["centres"]) <= 3
    centre = found["centres"][0]
    assert agencies.ecda.centre(centre["id"])["name"] == centre["name"]
    interest = agencies.ecda.register_interest(token, child, centre["id"], _next_month(), idempotency_key="conv-9:ps")
    assert agencies.ecda.register_interest(token, child, centre["id"], _next_month(),
                                           idempotency_key="conv-9:ps") == interest
    with pytest.raises(AgencyError) as refused:
        agencies.ecda.register_interest(token, child, centre["id"], _next_month())
    assert refused.value.code == Code.INTEREST_EXISTS
    assert refused.value.problem["interest_reference"] == interest["reference"]
    assert agencies.ecda.interests(token)[0]["reference"] == interest["reference"]
    assert agencies.ecda.cancel_interest(token, interest["reference"])["status"] == "cancelled"
    fb = agencies.feedback.give(token, 5, centre_id=centre["id"], text="Bagus, cikgu mesra", language="ms")
    assert fb["reference"].startswith("FB-") and agencies.feedback.get(token, fb["reference"])["rating"] == 5
    assert agencies.feedback.give(token, 4, service="preschools")["about"] == "service"
    assert agencies.ecda.centres("560406", level="infant", limit=1)[0]["id"] == "little-sprouts-ang-mo-kio-345"


def test_a_lost_answer_to_a_registration_is_found_out(server, no_faults, family):
    fam = family(older=[clock.today() - timedelta(days=200)])
    agencies = Agencies(base_url=server.base_url, api_key=API_KEY, timeout=(1.0, 0.5), write_budget=2.5)
    token = agencies.singpass.login(nric=fam.mother)["access_token"]
    centre = agencies.ecda.centres("640512", level="infant", vacancy_only=True, limit=1)[0]
    assert server.admin("PUT", "/admin/v1/faults/ecda", json={"lost_replies": 1}).status_code == 200
    interest = agencies.ecda.register_interest(token, fam.children[0], centre["id"], _next_month())
    assert interest["reference"].startswith("PS-")
    assert [i["reference"] for i in agencies.ecda.interests(token)] == [interest["reference"]]


def test_an_outage_is_agency_unavailable(server, no_faults, agencies):
    token = agencies.singpass.login(nric=LIM)["access_token"]
    assert server.admin("PUT", "/admin/v1/faults/feedback", json={"outage": True}).status_code == 200
    with pytest.raises(AgencyError) as down:
        agencies.feedback.give(token, 5, service="moments")
    assert down.value.code == UNAVAILABLE and down.value.unavailable
    assert agencies.ecda.centres(limit=1)  # ECDA itself is up
