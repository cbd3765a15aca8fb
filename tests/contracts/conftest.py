"""The contract suite's observations, collected once per session.

Step 5 of the deployment document ("Contract or schema migrations") checks the split
read contracts of a known table by eye; this suite checks every known table. All
(known tables x endpoints) are fetched concurrently, one request each, here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from icepack_verify import CONTRACT_SOURCE, ENDPOINTS, Said, Unreachable, describe, endpoint_path, openapi_schema_for

@pytest.fixture(scope="session")
def contract_responses(api, environment) -> dict:
    """(table, endpoint) -> the response (or Unreachable) of GET /tables/<db>/<table>/<endpoint>."""
    wanted = {(t, e): endpoint_path(t, e) for t in environment.known_tables for e in ENDPOINTS}
    got = api.get_many(list(wanted.values()))
    return {key: got[path] for key, path in wanted.items()}


@pytest.fixture(scope="session")
def contract_body(contract_responses, diagnose):
    """body(table, endpoint) -> the JSON object served, or a failure saying what came instead."""
    def body(table: str, endpoint: str) -> dict:
        response = contract_responses[(table, endpoint)]
        d = diagnose(f"GET {endpoint_path(table, endpoint)}")
        if isinstance(response, Unreachable):
            d.cannot(str(response))
        try:
            data = response.json() if response.status_code == 200 else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            d.fail("response", Said("200 with a JSON object"), Said(describe(response)), CONTRACT_SOURCE)
        return data
    return body


# --- the OpenAPI document ---------------------------------------------------------------

@pytest.fixture(scope="session")
def openapi_document(api, diagnose) -> dict:
    """The served /openapi.json; an empty or unparseable one fails, an absent one skips."""
    d = diagnose("GET /openapi.json")
    try:
        response = api.get("/openapi.json")
    except Unreachable as exc:
        d.cannot(str(exc))
    if response.status_code == 404:
        pytest.skip("GET /openapi.json: 404, the API serves no OpenAPI document (spec-driven checks do not apply)")
    try:
        doc = response.json() if response.status_code == 200 else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3") or not doc.get("paths"):
        d.fail("response", Said("an OpenAPI 3 document with paths"), Said(describe(response)),
               "the API's published spec")
    return doc


@pytest.fixture(scope="session")
def openapi_schema(openapi_document, environment):
    """The served spec as a Schemathesis schema: positive cases only, bounded, seeded, against --env's API."""
    return openapi_schema_for(openapi_document, environment)


@pytest.fixture(scope="session")
def openapi_baseline_path() -> Path:
    return Path(__file__).with_name("openapi-baseline.json")


@pytest.fixture(scope="session")
def openapi_baseline(openapi_baseline_path) -> dict:
    return json.loads(openapi_baseline_path.read_text())
