"""NRICs (and mobile numbers) never reach the service's log in clear."""
from __future__ import annotations

import re
import time

import requests

from agencies_testkit import API_KEY, LIM, TAN


def test_nrics_are_masked_in_access_lines_messages_and_errors(server, family):
    fam = family(baby_days_ago=5)
    mother = fam.mother_login()  # "singpass login <nric>" is logged
    mother.post("/ica/v1/registrations", fam.registration_form())  # "registered birth ... child T..., mother S..."
    mother.get(f"/myinfo/v1/person/{TAN}")  # NRIC in the path of the access line, refused
    mother.get(f"/myinfo/v1/person/{fam.mother.lower()}")
    requests.post(server.url("/singpass/v1/login"), json={"mobile": "+6591234567"}, headers={"X-API-Key": API_KEY})
    requests.post(server.url("/singpass/v1/login"), json={"nric": "S1234567D"})  # unknown person: logged
    time.sleep(0.3)  # let the server flush its log
    log = server.log_text()
    child = mother.profile()["children"][0]["birth_certificate_number"]
    for nric in (fam.mother, TAN, LIM, child, "S1234567D"):
        assert nric not in log and nric.lower() not in log, nric
    assert f"{fam.mother[0]}****{fam.mother[5:]}" in log and f"S****{TAN[5:]}" in log
    assert "+6591234567" not in log and "91234567" not in log
    assert re.search(r"GET /myinfo/v1/person/S\*\*\*\*\d{3}[A-Z] 403", log)
