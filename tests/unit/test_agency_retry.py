"""A write whose answer was lost in transit: the client finds out (replay with the same Idempotency-Key, look-up)
before the bot says anything, within a budget that fits Rasa's action timeout; the forms tell the citizen the
outcome. The agency is a scripted fake session here; tests/agencies/test_agencies_lost_replies.py and
tests/e2e/test_lost_in_transit.py do the same against the real services."""
from __future__ import annotations

import asyncio
import time
from typing import Any, List

import pytest
import requests
from rasa_sdk.executor import CollectingDispatcher
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from moments.agency_client import client as agency_client
from moments.agency_client.client import (IN_PROGRESS, OUTCOME_UNKNOWN, TIMEOUT, UNAVAILABLE, WRITE_BUDGET,
                                          AgencyError, timeout_from_env, write_budget_from_env)
from moments.resilience import DEFAULT_TIMEOUT_S

BOOKED = {"reference": "AP-LOST0001", "status": "booked", "slot_id": 7, "child": {"id": "c1", "name": "Baby"}}


class Answer:
    def __init__(self, status: int, body: Any):
        self.status_code, self._body, self.reason = status, body, "scripted"
        self.content = b"x" if body is not None else b""

    def json(self):
        return self._body


def problem(status: int, code: str) -> Answer:
    return Answer(status, {"code": code, "status": status, "detail": code})


READ_TIMEOUT = requests.ReadTimeout("read timed out")
DROPPED = requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")
REFUSED = requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(None, "refused")))
RESET = requests.ConnectionError(MaxRetryError(None, "/", ProtocolError("Connection aborted.")))


class Script:
    """A fake session: answers (or raises) what the script says, in order, for POSTs and GETs separately."""

    def __init__(self, posts: List[Any], gets: List[Any] = ()):
        self.posts, self.gets = list(posts), list(gets)
        self.calls: List[dict] = []

    def request(self, method, url, headers=None, json=None, params=None, timeout=None):
        self.calls.append({"method": method, "url": url, "key": (headers or {}).get("Idempotency-Key"),
                           "timeout": timeout, "params": params})
        queue = self.posts if method == "POST" else self.gets
        step = queue.pop(0) if queue else READ_TIMEOUT
        if isinstance(step, BaseException):
            raise step
        return step

    def posted(self) -> List[dict]:
        return [c for c in self.calls if c["method"] == "POST"]


def health(script: Script, budget: float = 3.0):
    return agency_client.HealthClient(base_url="http://agency.test", api_key="k", session=script, single_try=script,
                                      timeout=(0.5, 1.0), write_budget=budget)


# -- the client's decision ---------------------------------------------------------------------------------------------

def test_a_lost_answer_is_replayed_with_the_same_key_and_the_stored_result_returned():
    script = Script([READ_TIMEOUT, Answer(201, BOOKED)])
    assert health(script).book("tok", "c1", 7, idempotency_key="k-1") == BOOKED
    first, replay = script.posted()
    assert first["key"] == replay["key"] == "k-1"
    assert replay["timeout"][1] <= agency_client.REPLAY_READ_TIMEOUT


@pytest.mark.parametrize("lost", [DROPPED, RESET, problem(504, "gateway_timeout"), problem(502, "bad_gateway")],
                         ids=["dropped mid-answer", "connection reset", "proxy 504", "proxy 502"])
def test_every_way_an_answer_gets_lost_is_found_out(lost):
    script = Script([lost, Answer(201, BOOKED)])
    assert health(script).book("tok", "c1", 7, idempotency_key="k-2") == BOOKED
    assert len(script.posted()) == 2


def test_a_request_that_never_left_is_unavailable_at_once():
    script = Script([REFUSED])
    with pytest.raises(AgencyError) as e:
        health(script).book("tok", "c1", 7, idempotency_key="k-3")
    assert e.value.code == UNAVAILABLE and not e.value.in_transit and len(script.calls) == 1


def test_an_outage_answer_is_unavailable_without_finding_out():
    script = Script([problem(503, "agency_unavailable")])
    with pytest.raises(AgencyError) as e:
        health(script).book("tok", "c1", 7, idempotency_key="k-4")
    assert e.value.unavailable and len(script.calls) == 1


def test_in_progress_means_wait_briefly_and_replay():
    script = Script([READ_TIMEOUT, problem(409, IN_PROGRESS), Answer(201, BOOKED)])
    started = time.monotonic()
    assert health(script).book("tok", "c1", 7, idempotency_key="k-5") == BOOKED
    assert time.monotonic() - started >= agency_client.IN_PROGRESS_PAUSE * 0.9
    assert [c["key"] for c in script.posted()] == ["k-5"] * 3
    assert not [c for c in script.calls if c["method"] == "GET"]  # no look-up while the first is still running


def test_a_double_tap_waits_for_the_first_request_and_shows_its_result():
    script = Script([problem(409, IN_PROGRESS), problem(409, IN_PROGRESS), Answer(201, BOOKED)])
    assert health(script).book("tok", "c1", 7, idempotency_key="k-tap") == BOOKED
    assert len(script.posted()) == 3


def test_when_replays_are_lost_too_the_look_up_finds_the_record():
    script = Script([READ_TIMEOUT, READ_TIMEOUT], gets=[Answer(200, [BOOKED])])
    assert health(script).book("tok", "c1", 7, idempotency_key="k-6") == BOOKED
    [get] = [c for c in script.calls if c["method"] == "GET"]
    assert get["url"].endswith("/health/v1/appointments") and get["params"] == {"status": "booked", "child_id": "c1"}


def test_a_look_up_that_holds_no_record_means_not_done_unavailable():
    other_slot = {**BOOKED, "slot_id": 8}
    script = Script([READ_TIMEOUT] + [problem(503, "agency_unavailable")] * 10, gets=[Answer(200, [other_slot])] * 10)
    with pytest.raises(AgencyError) as e:
        health(script, budget=0.3).book("tok", "c1", 7, idempotency_key="k-7")
    assert e.value.code == UNAVAILABLE and not e.value.outcome_unknown


def test_nothing_answering_is_outcome_unknown_within_the_budget():
    script = Script([READ_TIMEOUT] * 20, gets=[READ_TIMEOUT] * 20)
    started = time.monotonic()
    with pytest.raises(AgencyError) as e:
        health(script, budget=0.5).book("tok", "c1", 7, idempotency_key="k-8")
    assert e.value.code == OUTCOME_UNKNOWN and e.value.outcome_unknown and not e.value.unavailable
    assert time.monotonic() - started < 0.5 + 0.1
    assert len(script.posted()) <= 1 + agency_client.MAX_REPLAYS
    assert {c["key"] for c in script.posted()} == {"k-8"}


def test_still_in_progress_at_the_end_is_outcome_unknown_not_unavailable():
    script = Script([READ_TIMEOUT] + [problem(409, IN_PROGRESS)] * 10, gets=[Answer(200, [])] * 10)
    with pytest.raises(AgencyError) as e:
        health(script, budget=1.0).book("tok", "c1", 7, idempotency_key="k-9")
    assert e.value.outcome_unknown


def test_a_replay_refused_by_the_agency_is_its_real_answer():
    script = Script([READ_TIMEOUT, problem(409, "slot_taken")])
    with pytest.raises(AgencyError) as e:
        health(script).book("tok", "c1", 7, idempotency_key="k-10")
    assert e.value.code == "slot_taken"


def test_reads_are_not_replayed_as_writes():
    script = Script([], gets=[READ_TIMEOUT])
    with pytest.raises(AgencyError) as e:
        health(script).appointments("tok")
    assert e.value.unavailable and len(script.calls) == 1


def test_move_and_cancel_are_looked_up_by_reference():
    moved = {**BOOKED, "slot_id": 9}
    script = Script([DROPPED, DROPPED], gets=[Answer(200, moved)])
    assert health(script).reschedule("tok", "AP-LOST0001", 9, idempotency_key="m") == moved
    cancelled = {**BOOKED, "status": "cancelled"}
    script = Script([DROPPED, DROPPED], gets=[Answer(200, cancelled)])
    assert health(script).cancel("tok", "AP-LOST0001", idempotency_key="c") == cancelled
    still_booked = Script([DROPPED] + [problem(503, "agency_unavailable")] * 10, gets=[Answer(200, BOOKED)] * 10)
    with pytest.raises(AgencyError) as e:
        health(still_booked, budget=0.3).cancel("tok", "AP-LOST0001", idempotency_key="c")
    assert e.value.code == UNAVAILABLE


def test_registration_and_application_look_ups_match_the_submission():
    reg = {"reference": "BR-LOST0001", "enlb_number": "NLB1", "child": {"name": "Tan Kai Xuan"}}
    form = {"enlb_number": "NLB1", "child_name": "Tan Kai Xuan"}
    script = Script([READ_TIMEOUT, READ_TIMEOUT], gets=[Answer(200, [{**reg, "enlb_number": "NLB2"}, reg])])
    ica = agency_client.IcaClient(base_url="http://a", session=script, single_try=script, timeout=(0.5, 1.0),
                                  write_budget=3)
    assert ica.register_birth("tok", form, "key")["reference"] == "BR-LOST0001"
    app = {"reference": "BB-LOST0001", "child": {"id": "c1"}}
    script = Script([READ_TIMEOUT, READ_TIMEOUT], gets=[Answer(200, [{**app, "child": {"id": "c2"}}, app])])
    msf = agency_client.MsfClient(base_url="http://a", session=script, single_try=script, timeout=(0.5, 1.0),
                                  write_budget=3)
    assert msf.apply("tok", "c1", "OCBC", "1234567890", "S1", idempotency_key="key")["reference"] == "BB-LOST0001"


def test_the_defaults_fit_inside_rasas_action_timeout_and_tests_can_shorten_them():
    assert TIMEOUT[1] < WRITE_BUDGET < DEFAULT_TIMEOUT_S  # the first try, then finding out, then the reply
    assert timeout_from_env({}) == TIMEOUT and write_budget_from_env({}) == WRITE_BUDGET
    env = {"AGENCIES_READ_TIMEOUT": "0.8", "AGENCIES_CONNECT_TIMEOUT": "0.5", "AGENCIES_WRITE_BUDGET": "2.5"}
    assert timeout_from_env(env) == (0.5, 0.8) and write_budget_from_env(env) == 2.5
    assert timeout_from_env({"AGENCIES_READ_TIMEOUT": "soon"}) == TIMEOUT


# -- what the citizen is told ----------------------------------------------------------------------------------------

def test_an_unknown_outcome_keeps_the_answers_and_yes_replays_the_same_key(use_agencies):
    from tests.unit.test_baby_bonus import FakeAgencies, NEWBORN, tracker
    from actions.baby_bonus import form as bb
    from actions.baby_bonus.form import ValidateBabyBonusForm

    fake = use_agencies(FakeAgencies([(NEWBORN, 1)]))
    family = asyncio.run(bb.load_family("tok"))
    filled = {"bb_family": family, "bb_child": "c-newborn", "bb_bank": "DBS/POSB", "bb_account": "123456789",
              "bb_trustee": "applicant", "myinfo_consent": True}
    fake.fail["apply"] = AgencyError(OUTCOME_UNKNOWN, None, "lost")
    fake.fail["apply"].once = True
    dispatcher = CollectingDispatcher()
    out = asyncio.run(ValidateBabyBonusForm().validate_confirm_submission(
        "yes", dispatcher, tracker(filled, "yes", "affirm"), {}))
    assert out == {"confirm_submission": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_agency_outcome_unknown"]
    out = asyncio.run(ValidateBabyBonusForm().validate_confirm_submission(
        "yes", CollectingDispatcher(), tracker(filled, "yes", "affirm"), {}))
    assert out["bb_reference"] == "BB-TEST0001"
    first, second = fake.apply_calls
    assert first["key"] == second["key"]


def test_the_unknown_outcome_message_is_in_four_languages_with_an_sms_variation():
    import yaml

    from tests.unit.test_domain_languages import ROOT  # noqa: F401  (the domain directory's place)

    responses = yaml.safe_load((ROOT / "domain" / "journeys.yml").read_text(encoding="utf-8"))["responses"]
    variations = responses["utter_agency_outcome_unknown"]
    web = {((v.get("condition") or [{}])[0].get("value") or "en") for v in variations if "channel" not in v}
    sms = {v["condition"][0]["value"] for v in variations if v.get("channel") == "sms"}
    assert web == sms == {"en", "zh", "ms", "ta"}
    en = next(v["text"] for v in variations if "condition" not in v)
    assert "twice" in en and "status" in en
