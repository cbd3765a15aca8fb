"""The API against its own OpenAPI document, read-only.

Schemathesis calls every GET operation of the served spec (writes are out of scope: the
suite is read-only) with a bounded, seeded set of positive cases: the spec's examples
(tracked tables), its coverage cases and fuzzed ones. Checked: no 5xx, only documented
status codes, bodies that match the documented schemas. The spec forbids extra top-level
keys, so a contract key drift on a tracked table is a finding here as well as in test_keys.

A committed baseline of the spec catches a breaking change: a path, operation or
response property that clients relied on and that is gone.

Note: schemathesis.pytest.from_fixture (4.32.5) sets `Node._nodeid`, which pytest 9.2 no
longer has; so the per-operation Hypothesis tests are built here with Schemathesis' own
builder, one operation at a time, and their failures reported together.
"""
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from icepack_verify.diagnosis import fail
from icepack_verify.openapi_surface import removals, surface

BASELINE_NAME = "openapi-baseline.json"

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _check(case) -> None:
    case.call_and_validate(checks=CHECKS)


def test_get_operations_conform(openapi_schema, environment):
    load_all_checks()
    operations = [r.ok() for r in openapi_schema.get_all_operations()
                  if isinstance(r, Ok) and r.ok().method.upper() == "GET"]
    if not operations:
        fail(f"[{environment.name}] GET /openapi.json: the spec documents no GET operation to exercise")
    found = []
    for operation in operations:
        run = build_operation_test(config=openapi_schema.config, operation=operation, test_func=_check,
                                   given_kwargs={}, feedback=FeedbackSources())
        try:
            run()
        except (FailureGroup, AssertionError) as exc:
            found.append(f"--- {operation.label}\n{str(exc).strip()}")
    if found:
        fail(f"[{environment.name}] {len(found)} of {len(operations)} GET operations break the served OpenAPI spec "
             f"(checks: not_a_server_error, status_code_conformance, response_schema_conformance)\n"
             + "\n".join(found))


def test_no_breaking_change_against_baseline(openapi_document, openapi_baseline, environment):
    if gone := removals(openapi_baseline, surface(openapi_document)):
        fail(f"[{environment.name}] GET /openapi.json: {len(gone)} breaking change(s) against the committed "
             f"baseline  [from tests/contracts/{BASELINE_NAME}]\n" + "\n".join(f"  {g}" for g in gone))
