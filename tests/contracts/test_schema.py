"""Every body the suite reads, against the full response schema recorded in the OpenAPI baseline.

The baseline is the contract: enums, formats (date-time), minimum/maximum, required and
additional properties, nested objects and array items, as recorded, not as the API serves
its document today (a document changed together with its answers is still judged by the
baseline). One finding per violated rule, at its JSON path.
"""
import pytest

from icepack_verify import Problem, Said, contract_template, describe, endpoint_path


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
