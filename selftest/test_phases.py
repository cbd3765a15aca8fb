"""The runbook phases: a healthy twin started in a phase passes the whole suite run with
the same --phase; a phase changes which expectations apply, not which tests exist."""
import pytest

FRESH = "tests/data/test_freshness.py::test_snapshot_table_is_fresh"
DRAIN = "tests/smoke/test_drain.py::test_drain_mode_matches_the_phase"


def _tests(run) -> set[str]:
    return {r["test"] for r in run.results}


@pytest.mark.parametrize("phase", ["paused", "resumed"])
def test_healthy_twin_passes_in_its_phase(twin, phase):
    twin.configure("local", phase=phase)
    run = twin.run_suite("local", "--phase", phase, paths=("tests",))
    assert run.failed == set(), run.explain()
    assert run.summary["phase"] == phase and run.summary["counts"].get("passed", 0) > 0
    skipped = {r["test"]: r.get("message", "") for r in run.results if r["outcome"] == "skipped"}
    freshness_skips = {t for t in skipped if t.startswith(FRESH)}
    if phase == "paused":  # health-sync is suspended: freshness says why it does not apply
        assert len(freshness_skips) == 2 and all("phase paused" in skipped[t] for t in freshness_skips), skipped
    else:  # resumed: health-sync must be populating again
        assert not freshness_skips, skipped


def test_phases_change_expectations_not_tests(twin):
    twin.configure("local", phase="paused")
    paused = twin.run_suite("local", "--phase", "paused", paths=("tests/smoke", "tests/data"))
    live = twin.run_suite("local", "--phase", "live", paths=("tests/smoke", "tests/data"))
    assert _tests(paused) == _tests(live)
    # A paused environment judged as live: drain must be off, so the smoke suite says so.
    assert DRAIN in live.failed, live.explain()
    assert "drain_mode: expected False, actual True  [from the runbook phase live" in live.messages(DRAIN)
