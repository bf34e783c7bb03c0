"""Schema-driven fuzzing of the OpenAPI document: no generated request may get a 5xx.

Schemathesis cannot be installed next to Rasa (its releases need jsonschema>=4.18, anyio<4 or pytest<8, all of
which conflict with Rasa's pins), so this does the same with Hypothesis and hypothesis-jsonschema directly: for
every operation, requests are generated from the documented parameters and body schema (mixed with real ids,
wrong types and junk), sent to the real server with valid, missing or wrong credentials, and the answer must be
below 500; errors must be problem+json with a known code, and successful JSON answers must match the documented
response schema. Generation is derandomised, so a run is reproducible; AGENCIES_FUZZ_EXAMPLES raises the count.
"""
from __future__ import annotations

import copy
import os
from datetime import date
from urllib.parse import quote

import jsonschema
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from agencies_testkit import ADMIN_KEY, API_KEY, HO, make_family
from moments.agencies.app import create_app
from moments.agencies.config import Settings
from moments.agencies.errors import CATALOGUE

EXAMPLES = int(os.environ.get("AGENCIES_FUZZ_EXAMPLES", "20"))
# These switch faults on or off by design (a 503 is their point), so they are tested in test_agencies_faults.py.
NOT_FUZZED = {("put", "/admin/v1/faults/{agency}"), ("delete", "/admin/v1/faults")}

SPEC = create_app(Settings.from_env({"DATABASE_URL": "sqlite://"})).openapi()
OPERATIONS = [(method, path, op) for path, ops in SPEC["paths"].items() for method, op in ops.items()
              if (method, path) not in NOT_FUZZED]


def _inline(schema, components, depth=0):
    """The schema with every #/components/schemas/X reference replaced by its definition."""
    if depth > 20:
        return {}
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = components[schema["$ref"].rsplit("/", 1)[-1]]
            return _inline({**copy.deepcopy(target), **{k: v for k, v in schema.items() if k != "$ref"}},
                           components, depth + 1)
        return {k: _inline(v, components, depth + 1) for k, v in schema.items() if k not in ("example", "examples")}
    if isinstance(schema, list):
        return [_inline(v, components, depth + 1) for v in schema]
    return schema


COMPONENTS = SPEC["components"]["schemas"]
JUNK = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=6)
HEADER_TEXT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=300) | st.just("a b")


def _strip_nulls(value):
    """pydantic v1 documents Optional fields as not required rather than nullable: drop nulls before validating."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


@pytest.fixture(scope="session")
def fuzz_world(server):
    """A caller with real records, so that generated requests also reach the code behind the lookups."""
    fam = make_family(server, older=[date(2024, 4, 1)], baby_days_ago=3)
    mother = fam.mother_login()
    slots = server.get("/health/v1/clinics/jurong/slots").json()
    start = f"{date.today().year + 1}-01"
    interest = mother.post("/ecda/v1/interests", {"child_id": fam.children[0], "centre_id": "little-sprouts-ang-mo-kio-345",
                                                  "start_month": start}).json()
    known = {
        "child_id": fam.children + [server.login(HO).person_id],
        "centre_id": ["little-sprouts-ang-mo-kio-345", "moe-kindergarten-punggol-820"],
        "start_month": [start, "2020-01"],
        "postal_code": ["560406", "018956"],
        "nric": [fam.mother, HO, "S1234567D"],
        "reference": ["AP-SEED0001", "BB-SEED0001", "BR-00000000", interest.get("reference", "PS-00000000")],
        "clinic_id": ["jurong", "tampines"],
        "slot_id": [s["id"] for s in slots[:5]],
        "agency": ["ica", "health"],
        "code": list(CATALOGUE)[:5],
        "enlb_number": [fam.enlb],
        "mother_nric": [fam.mother],
        "father_nric": [fam.father],
        "cda_trustee_nric": [fam.mother],
    }
    problems = set(CATALOGUE)
    return server, mother.token, known, problems


def _value(name: str, schema: dict, known: dict):
    generated = from_schema(schema) if schema else st.text(max_size=30)
    if name in known:
        return st.one_of(st.sampled_from(known[name]), generated)
    return generated


def _body(schema: dict, known: dict):
    props = schema.get("properties", {})
    if schema.get("type") == "object" and props:
        # a valid-shaped body with some real values swapped in, or anything the schema allows, or junk
        fields = {k: _value(k, v, known) for k, v in props.items()}
        required = set(schema.get("required", []))
        shaped = st.fixed_dictionaries({k: v for k, v in fields.items() if k in required},
                                       optional={k: v for k, v in fields.items() if k not in required})
        return st.one_of(shaped, from_schema(schema), JUNK)
    return st.one_of(from_schema(schema), JUNK)


def _request(method: str, path: str, op: dict, known: dict):
    params = [_inline(p, COMPONENTS) for p in op.get("parameters", [])]
    path_params = {p["name"]: _value(p["name"], p.get("schema", {}), known) for p in params if p["in"] == "path"}
    query = {p["name"]: _value(p["name"], p.get("schema", {}), known) for p in params if p["in"] == "query"}
    body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    body = _body(_inline(body_schema, COMPONENTS), known) if body_schema else st.none()
    return st.fixed_dictionaries({
        "path": st.fixed_dictionaries(path_params),
        "query": st.fixed_dictionaries({}, optional=query),
        "body": body,
        "auth": st.sampled_from(["valid", "valid", "valid", "none", "wrong"]),
        "idempotency_key": st.none() | HEADER_TEXT if method == "post" else st.none(),
    })


def _documented(op: dict, status: int):
    content = op.get("responses", {}).get(str(status), {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return _inline(schema, COMPONENTS) if schema else None


@pytest.mark.parametrize("method,path,op", OPERATIONS, ids=[f"{m.upper()} {p}" for m, p, _ in OPERATIONS])
def test_no_generated_request_gets_a_5xx(fuzz_world, method, path, op):
    server, token, known, problems = fuzz_world

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(_request(method, path, op, known))
    def check(req):
        url = server.url(path.format(**{k: quote(str(v), safe="") or "_" for k, v in req["path"].items()}))
        headers = {}
        if req["auth"] == "valid":
            headers = {"X-API-Key": API_KEY, "Authorization": f"Bearer {token}", "X-Admin-Key": ADMIN_KEY}
        elif req["auth"] == "wrong":
            headers = {"X-API-Key": "wrong", "Authorization": "Bearer not.a.token", "X-Admin-Key": "wrong"}
        if req["idempotency_key"] is not None:
            headers["Idempotency-Key"] = req["idempotency_key"]
        query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in req["query"].items()}
        r = requests.request(method, url, params=query, headers=headers, timeout=30,
                             json=req["body"] if "requestBody" in op else None)
        assert r.status_code < 500, f"{method.upper()} {url} -> {r.status_code}: {r.text[:300]}"
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json"), r.text[:200]
            assert r.json()["code"] in problems
        elif r.headers.get("content-type", "").startswith("application/json"):
            schema = _documented(op, r.status_code)
            if schema:
                jsonschema.validate(_strip_nulls(r.json()), schema, cls=jsonschema.Draft202012Validator)

    check()
