"""Every body the suite reads, against the full response schema recorded in the OpenAPI baseline.

The baseline is the contract: enums, formats (date-time), minimum/maximum, required and
additional properties, nested objects and array items, as recorded, not as the API serves
its document today (a document changed together with its answers is still judged by the
baseline). One finding per violated rule, at its JSON path.
"""
import pytest

from icepack_verify import ENDPOINTS, Problem, Said, contract_template, describe, endpoint_path, pooled, violations


def test_body_matches_the_baseline_schema(contract_body, body_schemas, diagnose, table, endpoint):
    d = diagnose(f"GET {endpoint_path(table, endpoint)} ({table})")
    if not body_schemas.check(d, contract_template(endpoint), "get", 200, contract_body(table, endpoint)):
        pytest.skip(f"the OpenAPI baseline {body_schemas.where} records no 200 schema of GET "
                    f"{contract_template(endpoint)}")
    d.conclude()


@pytest.mark.parametrize("service", ["readiness", "drain"])
def test_service_body_matches_the_baseline_schema(service_answers, body_schemas, diagnose, environment, service):
    route, answer = service_answers[service]
    d = diagnose(f"GET {route}")
    if isinstance(answer, Problem):
        raise answer
    try:
        body = answer.json()
    except ValueError:
        d.fail("response", Said("a JSON body"), Said(describe(answer)), f"OpenAPI baseline {body_schemas.where}")
    if not body_schemas.check(d, route, "get", answer.status_code, body):
        pytest.skip(f"the OpenAPI baseline {body_schemas.where} records no {answer.status_code} schema of GET "
                    f"{route} ({environment.source(f'api.{service}_route')})")
    d.conclude()


@pytest.mark.all_tables
def test_every_tracked_tables_bodies_match_the_baseline_schema(tracked_contracts, findings, body_schemas):
    found = findings("bodies against the OpenAPI baseline's schemas")
    for table, endpoint, body, d in tracked_contracts.each():
        if body is not None:
            body_schemas.check(d, contract_template(endpoint), "get", 200, body, grouped=True)
        found.add(table, d, endpoint)
    found.conclude()


def _values(body_schemas, key: str, environment):
    if body_schemas.baseline.values is None:
        pytest.skip(f"the OpenAPI baseline {body_schemas.where} records no value rules: record it anew with "
                    f"`pytest --env {environment.name} --record-baseline tests/contracts/test_openapi.py`")
    values = body_schemas.baseline.values.get(key)
    if not values:
        pytest.skip(f"the OpenAPI baseline {body_schemas.where} learned no value rule for {key} (nothing its schema "
                    "does not already say)")
    return values


def _json_object(answer):
    if isinstance(answer, Problem):
        raise answer  # no answer to judge: not run
    try:
        body = answer.json() if answer.status_code == 200 else None
    except ValueError:
        return None  # the schema test's finding
    return body if isinstance(body, dict) else None


def test_values_match_the_baseline(contract_responses, body_schemas, diagnose, environment, table):
    """Words, signs, keys and the lists a word decides, as every answer the baseline learned from held them,
    across the table's three read contracts at once (its /health's health_status and its recommendation's
    actions, say)."""
    profile = _values(body_schemas, "tables", environment)
    seen = pooled({e: _json_object(contract_responses[(table, e)]) for e in ENDPOINTS})
    d = diagnose(f"read contracts of {table} (values)")
    for path, expected, actual in violations(profile, seen)[:20]:
        endpoint = next((e for e in sorted(ENDPOINTS, key=len, reverse=True) if path.startswith(e + ".")), "")
        d.mismatch(f"GET {endpoint_path(table, endpoint)} {path[len(endpoint) + 1:]}" if endpoint else path,
                   Said(expected), actual, f"value rules of the OpenAPI baseline {body_schemas.where}")
    d.conclude()


@pytest.mark.parametrize("service", ["readiness", "drain"])
def test_service_values_match_the_baseline(service_answers, body_schemas, diagnose, environment, service):
    route, answer = service_answers[service]
    body = _json_object(answer)
    profile = _values(body_schemas, route, environment)
    d = diagnose(f"GET {route} (values)")
    for path, expected, actual in violations(profile, body)[:20] if body is not None else []:
        d.mismatch(path, Said(expected), actual, f"value rules of the OpenAPI baseline {body_schemas.where}")
    d.conclude()


def test_media_types_match_the_baseline(contract_responses, service_answers, body_schemas, diagnose, environment):
    """Each answer is announced as the media type the baseline documents for its route and status: an error
    document's type (application/problem+json) on a 200 is JSON, but not the answer a client was promised."""
    if body_schemas.baseline.media_types is None:
        pytest.skip(f"the OpenAPI baseline {body_schemas.where} records no media types: record it anew with "
                    f"`pytest --env {environment.name} --record-baseline tests/contracts/test_openapi.py`")
    answers = [(contract_template(e), endpoint_path(t, e), a) for (t, e), a in contract_responses.items()]
    answers += [(route, route, a) for route, a in service_answers.values()]
    d = diagnose(f"media types of {len(answers)} answers")
    for template, path, answer in answers:
        if isinstance(answer, Problem):
            continue  # not heard: the tests that read it say so
        documented = body_schemas.baseline.media_types_of(template, "get", answer.status_code)
        announced = answer.headers.get("content-type", "").split(";")[0].strip().lower()
        if documented:
            d.expect(f"GET {path} {answer.status_code} Content-Type", Said(" or ".join(documented)), announced or "absent",
                     f"OpenAPI baseline {body_schemas.where}, GET {template} {answer.status_code}",
                     same=lambda _e, a, doc=documented: a in doc)
    d.conclude()
