"""The contract suite's observations, collected once per session.

Step 5 of the deployment document ("Contract or schema migrations") checks the split
read contracts of a known table by eye; this suite checks every known table. All
(known tables x 3 endpoints) are fetched concurrently, one request each, here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from icepack_verify.api import describe
from icepack_verify.contract import ENDPOINTS, SOURCE as STEP5, endpoint_path
from icepack_verify.diagnosis import fail
from icepack_verify.errors import Unreachable
from icepack_verify.plugin import ENV_KEY

BASELINE = Path(__file__).with_name("openapi-baseline.json")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`table` runs over the environment's known tables, `endpoint` over the three read contracts."""
    if "table" in metafunc.fixturenames:
        metafunc.parametrize("table", metafunc.config.stash[ENV_KEY].known_tables)
    if "endpoint" in metafunc.fixturenames:
        metafunc.parametrize("endpoint", ENDPOINTS)


@pytest.fixture(scope="session")
def contract_responses(api, environment) -> dict:
    """(table, endpoint) -> the response (or Unreachable) of GET /tables/<db>/<table>/<endpoint>."""
    wanted = {(t, e): endpoint_path(t, e) for t in environment.known_tables for e in ENDPOINTS}
    got = api.get_many(list(wanted.values()))
    return {key: got[path] for key, path in wanted.items()}


@pytest.fixture(scope="session")
def contract_body(contract_responses, environment):
    """body(table, endpoint) -> the JSON object served, or a failure saying what came instead."""
    def body(table: str, endpoint: str) -> dict:
        response = contract_responses[(table, endpoint)]
        where = f"[{environment.name}] GET {endpoint_path(table, endpoint)}"
        if isinstance(response, Unreachable):
            fail(f"{where}: {response}")
        try:
            data = response.json() if response.status_code == 200 else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            fail(f"{where}: expected 200 with a JSON object, actual {describe(response)}  [from {STEP5}]")
        return data
    return body


# --- the OpenAPI document ---------------------------------------------------------------

@pytest.fixture(scope="session")
def openapi_document(api, environment) -> dict:
    """The served /openapi.json; an empty or unparseable one fails, an absent one skips."""
    where = f"[{environment.name}] GET /openapi.json"
    try:
        response = api.get("/openapi.json")
    except Unreachable as exc:
        fail(str(exc))
    if response.status_code == 404:
        pytest.skip(f"{where}: 404, the API serves no OpenAPI document (spec-driven checks do not apply)")
    try:
        doc = response.json() if response.status_code == 200 else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3") or not doc.get("paths"):
        fail(f"{where}: expected an OpenAPI 3 document with paths, actual {describe(response)}")
    return doc


@pytest.fixture(scope="session")
def openapi_schema(openapi_document, environment):
    """The served spec as a Schemathesis schema: positive cases only, bounded, seeded, against --env's API."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    config = SchemathesisConfig.from_dict({
        "seed": 20240101,  # deterministic: the same cases on every run
        "base-url": environment.api_url,
        "request-timeout": environment.checks.http_timeout.total_seconds(),
        "generation": {"mode": "positive", "max-examples": environment.checks.schemathesis_max_examples,
                       "database": "none"},  # no example database: no files written, nothing replayed
        "phases": {"stateful": {"enabled": False}},
    })
    return schemathesis.openapi.from_dict(openapi_document, config=config)


@pytest.fixture(scope="session")
def openapi_baseline() -> dict:
    return json.loads(BASELINE.read_text())
