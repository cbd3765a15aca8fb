"""Each contract drift fails exactly its intended tests in the whole suite, with a message naming the field.

Intended overlaps, decided on purpose:
* the served spec forbids extra top-level keys and types every field, so Schemathesis'
  response_schema_conformance (it reaches tracked tables through the spec's examples)
  also reports key and type drifts; not_a_server_error / status_code_conformance also
  report the unknown-table drifts (fuzzed table names are unknown tables);
* test_field_types checks `table` against the request, test_endpoints_agree checks it
  across the three endpoints: a wrong `table` on /health is both.
test_field_types ignores missing/unexpected keys: those are test_top_level_keys' alone.
"""
from __future__ import annotations

import pytest

C = "tests/contracts/"
KEYS = C + "test_keys.py::test_top_level_keys"
TYPES = C + "test_models.py::test_field_types"
AGREE = C + "test_agreement.py::test_endpoints_agree"
ERRORS = C + "test_errors.py::test_unknown_table_is_json_404"
SPEC = C + "test_openapi.py::test_get_operations_conform"
BASELINE = C + "test_openapi.py::test_no_breaking_change_against_baseline"

# drift -> {failing test function: words its message must contain}
EXPECTED: dict[str, dict[str, tuple[str, ...]]] = {
    "status-missing-key": {KEYS: ("/status", "missing: stale", "step 5"), SPEC: ("stale", "required")},
    "status-extra-key": {KEYS: ("/status", "unexpected: cache_hit"), SPEC: ("cache_hit",)},
    "status-renamed-key": {KEYS: ("missing: stale; unexpected: staleness",), SPEC: ("staleness",)},
    "stale-as-string": {TYPES: ("stale: expected a JSON boolean", "actual 'false'"), SPEC: ('"false" is not of type "boolean"',)},
    "naive-timestamps": {TYPES: ("collected_at: expected an ISO-8601 timestamp with a time zone",
                                 "assessed_at", "evaluated_at"), SPEC: ("date-time",)},
    "table-mismatch": {TYPES: ("/health", "table: expected the requested table", "orders_v0"),
                       AGREE: ("health: table", "sales.orders_v0")},
    "health-based-on-older-status": {AGREE: ("health: status_collected_at",
                                             "maintenance/recommendation: status_collected_at",
                                             "0:45:00 older", "health-sync every 0:15:00")},
    "recommendation-from-the-future": {AGREE: ("maintenance/recommendation: evaluated_at", "now + clock skew",
                                               "[defaults.checks]")},
    "unknown-table-500": {ERRORS: ("expected 404 with a JSON body", "actual 500"), SPEC: ("500",)},
    "unknown-table-html": {ERRORS: ("expected 404 with a JSON body", "actual 502 text/html"), SPEC: ("502",)},
    "openapi-endpoint-removed": {BASELINE: ("path /tables/{database}/{table}/health removed",
                                            "openapi-baseline.json")},
}


@pytest.mark.parametrize("env", ["local", "stage"])
def test_healthy_twin_passes(twin, env):
    twin.configure(env)
    run = twin.run_suite(env, paths=(C,))
    assert run.returncode == 0 and not run.failed, run.explain()
    assert run.summary["counts"].get("passed", 0) > 0, run.output[-2000:]


@pytest.mark.parametrize("drift", EXPECTED)
def test_drift_fails_exactly_its_tests(twin, drift):
    twin.configure("local", drifts=(drift,))
    run = twin.run_suite("local")  # the whole tree: "and by nothing else"
    assert run.failed == set(EXPECTED[drift]), run.explain()
    for test, words in EXPECTED[drift].items():
        message = run.messages(test)
        missing = [w for w in words if w not in message]
        assert not missing, f"{test} message lacks {missing}:\n{message}"
