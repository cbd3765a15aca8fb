"""Each smoke and data drift is caught by exactly the intended tests of the whole suite, and
the failure says what differs; the healthy twin passes."""
import re

import pytest

from harness import ROOT

FRESH = "tests/data/test_freshness.py::test_snapshot_table_is_fresh"
COVERAGE = "tests/data/test_coverage.py::test_every_fresh_status_has_a_fresh_health_snapshot"
AGREES = "tests/data/test_api_agrees.py::test_status_collected_at_matches_the_newest_row"
READYZ = "tests/smoke/test_readiness.py::test_readyz_returns_200"
DRY_RUN = "tests/smoke/test_dry_run.py::test_dry_run_job_completes_and_changes_nothing"
DRAIN = "tests/smoke/test_drain.py::test_drain_mode_matches_the_phase"
UI = "tests/smoke/test_readiness.py::test_ui_answers_with_html"
COLLAPSE = "tests/data/test_coverage.py::test_tracked_tables_did_not_collapse"
# The contracts suite's cross-endpoint check sees a cached /status too: /health was assessed
# from a status newer than the collected_at /status serves. Both findings are true.
CONTRACT_AGREEMENT = "tests/contracts/test_agreement.py::test_endpoints_agree"
# Empty snapshot tables leave the runbook's step 5 with nothing to show: the read
# contracts of every known table answer 404, and the contracts suite says so.
NO_SNAPSHOT = ["expected 200 with a JSON object", "404", "no status snapshot yet"]
CONTRACTS_ON_404 = {"tests/contracts/test_keys.py::test_top_level_keys": NO_SNAPSHOT,
                    "tests/contracts/test_models.py::test_field_types": NO_SNAPSHOT,
                    CONTRACT_AGREEMENT: NO_SNAPSHOT}
# A 503 from /readyz is also a server error to the spec-driven check of every GET operation.
CONTRACT_OPENAPI = "tests/contracts/test_openapi.py::test_get_operations_conform"

# drift -> {failing test function: words its message must hold (field, expected, actual)}
INTENDED = {
    "health-sync-stopped": {FRESH: ["table_status_snapshots", "table_health_snapshots", "stale: newest row", "old; expected newest row at most 0:35:00"]},
    "health-snapshots-missing": {COVERAGE: ["analytics.sessions assessed_at", "ops.job_runs assessed_at",
                                            "at most 0:35:00 old", "no row"]},
    "snapshots-never-refreshed": {FRESH: ["table_status_snapshots", "table_health_snapshots", "never refreshed",
                                          "rows from a single run", "at most 0:35:00"]},
    "tracked-tables-collapsed": {COLLAPSE: ["distinct tables", "expected at least 4.8", "6 a day before", "actual 3"]},
    "empty-snapshot-tables": {FRESH: ["table_status_snapshots", "empty", "no rows", "0:35:00"], **CONTRACTS_ON_404},
    # Future timestamps are also wrong on the wire: the contracts suite bounds them by now + clock skew.
    "snapshot-clock-skew": {FRESH: ["clock skew", "in the database's future", "at most 0:02:00"],
                            CONTRACT_AGREEMENT: ["collected_at", "(now + clock skew)"]},
    "api-serving-cached-collected-at": {AGREES: ["analytics.events collected_at", "newest table_status_snapshots",
                                                 "actual"],
                                        CONTRACT_AGREEMENT: ["status_collected_at", "not newer than /status collected_at"]},
    "readyz-503": {READYZ: ["/readyz", "expected 200", "503"], CONTRACT_OPENAPI: ["GET /readyz", "503"]},
    "dry-run-rejected": {DRY_RUN: ["expected 202 with a job_id", "actual 422", "dry-run jobs are not supported"]},
    "dry-run-never-completes": {DRY_RUN: ["state expected 'succeeded' within 0:00:03", "actual 'pending'"]},
    # The spec documents /ui/ as 200 HTML, so the spec-driven check sees the 404 too.
    "ui-not-served": {UI: ["UI GET", "expected 200 text/html", "actual 404 application/json"],
                      CONTRACT_OPENAPI: ["/ui/", "Received: 404"]},
    "drain-left-on": {DRAIN: ["drain_mode expected False in phase live", "actual True"],
                      DRY_RUN: ["expected 202", "503", "Drain mode is on"]},
}


@pytest.fixture(scope="module")
def short_timeouts(tmp_path_factory):
    """environments.toml with a dry-run timeout short enough to wait out in a self-test."""
    text = (ROOT / "environments.toml").read_text()
    short, n = re.subn(r'(?m)^dry_run_timeout = ".*"', 'dry_run_timeout = "3s"', text)
    assert n == 1, "environments.toml no longer sets checks.dry_run_timeout in one place"
    path = tmp_path_factory.mktemp("envs") / "environments.toml"
    path.write_text(short)
    return path


def test_healthy_twin_passes(twin):
    twin.configure("local")
    run = twin.run_suite("local", paths=("tests",))
    assert run.failed == set(), run.explain()
    assert run.summary["counts"].get("passed", 0) > 0
    smoke_data = [r for r in run.results if r["test"].startswith(("tests/smoke/", "tests/data/"))]
    assert {r["outcome"] for r in smoke_data} == {"passed"}, smoke_data


@pytest.mark.parametrize("drift", sorted(INTENDED))
def test_drift_is_caught_by_exactly_the_intended_tests(twin, drift, short_timeouts):
    twin.configure("local", drifts=(drift,))
    run = twin.run_suite("local", "--environments", str(short_timeouts), paths=("tests",))
    assert run.failed == set(INTENDED[drift]), run.explain()
    for test, words in INTENDED[drift].items():
        message = run.messages(test)
        missing = [w for w in words if w not in message]
        assert not missing, f"{test} message lacks {missing}:\n{message}"
        assert message.startswith("[local] ") and "Traceback" not in message, message


def test_late_health_sync_warns_without_failing(twin):
    twin.configure("local", drifts=("health-sync-late",))
    run = twin.run_suite("local", paths=("tests/data",))
    assert run.failed == set(), run.explain()
    assert "SnapshotsLate" in run.output and "past the warn threshold 0:20:00" in run.output, run.output[-3000:]
