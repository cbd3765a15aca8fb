"""The contract suite's observations, collected once per session.

Step 5 of the deployment document ("Contract or schema migrations") checks the split
read contracts of a known table by eye; this suite checks every known table. All
(known tables x endpoints) are fetched concurrently, one request each, here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from icepack_verify import (CONTRACT_SOURCE, ENDPOINTS, BodySchemas, Problem, Said, contract_template, describe,
                            endpoint_path, enum_paths, learn, openapi_schema_for, pooled, read_baseline,
                            record_baseline, record_baseline_command, removals)

UNKNOWN_TABLE = "icepack_verify_probe.no_such_table_7f3a"  # a database nobody creates: the error contract's probe


@pytest.fixture(scope="session")
def contract_reads(api, environment, request) -> dict:
    """path -> answer (or the Problem that kept it from answering) for every independent GET the
    selected contract tests need: the known tables' read contracts, the unknown-table probe and
    /openapi.json, fetched once, concurrently."""
    used = {name for item in request.session.items for name in item.fixturenames}
    if request.config.option.record_baseline:  # the baseline learns the values of the answers too
        used |= {"contract_responses", "service_answers"}
    paths = []
    if "contract_responses" in used:
        paths += [endpoint_path(t, e) for t in environment.known_tables for e in ENDPOINTS]
    if "unknown_table_responses" in used:
        paths += [endpoint_path(UNKNOWN_TABLE, e) for e in ENDPOINTS]
    if "openapi_document" in used:
        paths.append("/openapi.json")
    if "service_answers" in used:
        paths += [environment.api.readiness_route, environment.api.drain_route]
    return api.get_many(list(dict.fromkeys(paths)))


@pytest.fixture(scope="session")
def contract_responses(contract_reads, environment) -> dict:
    """(table, endpoint) -> the answer to GET /tables/<db>/<table>/<endpoint>, or the Problem that
    kept it from answering."""
    return {(t, e): contract_reads[endpoint_path(t, e)] for t in environment.known_tables for e in ENDPOINTS}


@pytest.fixture(scope="session")
def unknown_table() -> str:
    return UNKNOWN_TABLE


@pytest.fixture(scope="session")
def unknown_table_responses(contract_reads) -> dict:
    return {path: contract_reads[path] for path in (endpoint_path(UNKNOWN_TABLE, e) for e in ENDPOINTS)}


@pytest.fixture(scope="session")
def contract_body(contract_responses, diagnose):
    """body(table, endpoint) -> the JSON object served, or a failure saying what came instead."""
    def body(table: str, endpoint: str) -> dict:
        response = contract_responses[(table, endpoint)]
        d = diagnose(f"GET {endpoint_path(table, endpoint)}")
        if isinstance(response, Problem):
            raise response  # no answer to judge: the tests that read it are not run
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
def openapi_document(contract_reads, diagnose) -> dict:
    """The served /openapi.json; an empty or unparseable one fails, an absent one skips."""
    d = diagnose("GET /openapi.json")
    response = contract_reads["/openapi.json"]
    if isinstance(response, Problem):
        raise response
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
def openapi_baseline_path(environment, pytestconfig) -> Path:
    """Each environment's own baseline: what its clients rely on (the real API, not the twin)."""
    folder = pytestconfig.option.baseline_dir or Path(__file__).parent / "baselines"
    return folder / f"{environment.name}.json"


def _json_object(answer) -> dict | None:
    try:
        body = answer.json() if not isinstance(answer, Problem) and answer.status_code == 200 else None
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def learned_values(doc: dict, contract_responses: dict, service_answers: dict, tables) -> dict:
    """The value rules of the answers read now (icepack_verify.value_profile): the known tables' three read
    contracts pooled per table, and each service route's answer; a path the schema enumerates is the schema's."""
    schemas = read_baseline(record_baseline(doc))
    enums = {f"{e}.{p}" if p else e for e in ENDPOINTS
             for p in enum_paths(schemas.schema(contract_template(e), "get", 200) or {})}
    tables_seen = [pooled({e: _json_object(contract_responses[(t, e)]) for e in ENDPOINTS}) for t in tables]
    values = {"tables": learn([o for o in tables_seen if o], enums)}
    for route, answer in service_answers.values():
        if (body := _json_object(answer)) is not None:
            values[route] = learn([body], enum_paths(schemas.schema(route, "get", 200) or {}))
    for profile, roots in ((values["tables"], ("", *ENDPOINTS)), *((v, ("",)) for k, v in values.items() if k != "tables")):
        for root in roots:  # an answer's own keys are the contract's (test_keys) and its schema's, an absent answer its own
            profile.get(root, {}).pop("keys", None)
            if profile.get(root) == {}:
                del profile[root]
    return values


@pytest.fixture(scope="session")
def openapi_baseline(openapi_baseline_path, openapi_document, environment, pytestconfig, request) -> dict:
    """The committed baseline; with --record-baseline, the served spec recorded as the new one, with the
    value rules of the answers read now."""
    path, name = openapi_baseline_path, environment.name
    if pytestconfig.option.record_baseline:
        values = learned_values(openapi_document, request.getfixturevalue("contract_responses"),
                                request.getfixturevalue("service_answers"), environment.known_tables)
        recorded = record_baseline(openapi_document, values)
        current = read_baseline(recorded).surface
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(json.dumps(recorded, indent=2) + "\n")
            pytest.skip(f"recorded the first OpenAPI baseline of {name} at {path} (commit it): {len(current)} "
                        "operation(s) and their response schemas; later runs compare against it")
        previous = read_baseline(json.loads(path.read_text())).surface
        gone, new = removals(previous, current), removals(current, previous)
        path.write_text(json.dumps(recorded, indent=2) + "\n")
        pytest.skip(f"recorded the OpenAPI baseline of {name} at {path} (commit it): against the previous one, "
                    f"{len(gone)} breaking change(s){': ' + '; '.join(gone) if gone else ''}, "
                    f"{len(new)} addition(s){': ' + '; '.join(x.replace(' removed', '') for x in new) if new else ''}")
    return _baseline(path, name, pytestconfig)


def _baseline(path: Path, name: str, pytestconfig):
    if not path.exists():
        pytest.skip(f"no OpenAPI baseline for {name} at {path}: record one from its served spec with "
                    f"`{_record(name, pytestconfig)}`, then commit it")
    return read_baseline(json.loads(path.read_text()))


def _record(name: str, pytestconfig) -> str:
    return record_baseline_command(name, pytestconfig.rootpath, pytestconfig.option.baseline_dir)


@pytest.fixture(scope="session")
def body_schemas(openapi_baseline_path, environment, pytestconfig) -> BodySchemas:
    """The committed baseline's response schemas, each compiled once: what every body read is judged by
    (not the served document, which may have changed together with its answers)."""
    path, name = openapi_baseline_path, environment.name
    baseline = _baseline(path, name, pytestconfig)
    if baseline.schemas is None:
        pytest.skip(f"the OpenAPI baseline of {name} at {path} records property names and types only, not the "
                    f"response schemas: record it anew with `{_record(name, pytestconfig)}`, then commit it")
    shown = path.relative_to(pytestconfig.rootpath) if path.is_relative_to(pytestconfig.rootpath) else path
    return BodySchemas(baseline, str(shown), tuple(environment.api.shared_vocabulary_fields))


@pytest.fixture(scope="session")
def service_answers(contract_reads, environment) -> dict:
    """"readiness"/"drain" -> (route, the answer to GET on it, or the Problem that kept it from answering)."""
    api = environment.api
    return {name: (route, contract_reads[route]) for name, route in
            (("readiness", api.readiness_route), ("drain", api.drain_route))}


@pytest.fixture(scope="session")
def reread(api):
    """reread(path) -> the JSON object served there now (None if none): for a read that raced a
    health-sync run."""
    def again(path: str) -> dict | None:
        try:
            body = api.get(path).json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None
    return again


# --- --all-tables: every table the snapshot tables track ----------------------------------

@pytest.fixture(scope="session")
def tracked_contracts(database, api, environment):
    """Every tracked table's read contracts (from the database's snapshot tables), fetched once."""
    from icepack_verify import Contracts, tracked_tables  # with --all-tables only: it needs the database client

    tables = tracked_tables(database)
    if not tables:
        pytest.skip(f"no table has a snapshot in the last day ({environment.data.status_table}, "
                    f"{environment.data.health_table}): nothing to check (the data suite says why)")
    return Contracts(environment.name, tables, api)


@pytest.fixture(scope="session")
def findings(tracked_contracts, environment):
    """findings("top-level keys") -> a Findings for the tracked tables, grouped by how they break."""
    from icepack_verify import Findings

    n = len(tracked_contracts.tables)
    return lambda what: Findings(environment.name, f"read contracts of {n} tracked table{'s' if n > 1 else ''} "
                                                   f"(--all-tables): {what}")
