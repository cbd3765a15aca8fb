"""Faults between the suite and a healthy twin (icepack_twin.faults): transient ones stay green;
persistent ones leave the tests that needed the failing dependency "not run" in one sentence
(inconclusive, never a rollback: no answer is no evidence), within a bounded time; an answer
that arrives wrong is a failure; the other suites still run and both reports are written;
the one write stays exactly-once."""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest

from harness import EXPECTATIONS, edited_environments

STATUS = "/tables/analytics/events/status"  # local's first known table
SUBMIT = "/tables/analytics/events/maintenance/jobs"
DRY_RUN = "tests/smoke/test_dry_run.py::test_dry_run_job_completes_and_changes_nothing"
TRACEBACK_SIGNS = ("Traceback", "raise ", "Error: ", "site-packages")


TIMEOUTS = {"http_timeout": '"10s"', "db_statement_timeout": '"15s"'}  # [defaults.checks] as the file has them


def settings(tmp_path, *edits: tuple[str, str], **checks: str) -> str:
    """--environments=<the repo's file with these [defaults.checks] timeouts, and any other edits>."""
    timeouts = [(f"{key} = {TIMEOUTS[key]}", f'{key} = "{value}"') for key, value in checks.items()]
    return f"--environments={edited_environments(tmp_path, *timeouts, *edits)}"


def run(proxied_twin, tmp_path, *args):
    junit = tmp_path / "junit.xml"
    started = time.monotonic()
    result = proxied_twin.run_suite("local", *EXPECTATIONS, "--allow-dry-run", f"--junitxml={junit}", *args)
    result.elapsed = time.monotonic() - started
    assert result.summary, f"no JSON report written:\n{result.output[-2000:]}"
    assert ET.parse(junit).getroot().iter("testcase"), "no JUnit report written"
    return result


def one_sentence_each(result) -> None:
    for r in result.results:
        if r["outcome"] in ("failed", "error"):
            assert not any(sign in r["message"] for sign in TRACEBACK_SIGNS), r["message"]


def not_run(result, test_function: str) -> str:
    """The messages of a test function's results that were not run ('' if none)."""
    return "\n".join(r["message"] for r in result.results
                     if r["outcome"] == "not run" and r["test"].split("[")[0] == test_function)


def inconclusive(result) -> None:
    """Exit 75, no rollback named, and nothing counted as a failure."""
    assert result.returncode == 75 and result.summary["verdict"] == "inconclusive", result.explain()
    assert result.summary["rollback_tier"] is None and "rollback:" not in result.output
    assert not result.failed, result.explain()


def others_ran(result, *suites: str) -> None:
    for suite in suites:
        assert any(r["test"].startswith(f"tests/{suite}/") and r["outcome"] == "passed" for r in result.results), suite


def test_transient_503s_and_jitter_stay_green(proxied_twin, faults, tmp_path):
    faults(api={"error_rate": 0.1, "jitter_ms": 300})
    result = run(proxied_twin, tmp_path)
    assert result.returncode == 0 and result.summary["verdict"] == "safe", result.explain()


def test_a_hung_endpoint_leaves_its_tests_not_run_within_its_timeout(proxied_twin, faults, tmp_path):
    faults(api={"hang": STATUS})
    result = run(proxied_twin, tmp_path, settings(tmp_path, http_timeout="2s"))
    inconclusive(result)
    assert "no answer within checks.http_timeout" in not_run(result, "tests/contracts/test_keys.py::test_top_level_keys")
    assert [g["dependency"] for g in result.summary["not_run_causes"]] == ["Icepack API"]  # one cause, said once
    others_ran(result, "infra", "data", "smoke")
    assert result.elapsed < 60, f"a hung endpoint cost {result.elapsed:.0f} s"


def test_a_body_over_the_cap_is_not_read_and_its_tests_not_run(proxied_twin, faults, tmp_path):
    faults(api={"huge": STATUS})
    result = run(proxied_twin, tmp_path)
    inconclusive(result)
    assert "over the 10,485,760-byte cap (checks.max_body_bytes)" in not_run(
        result, "tests/contracts/test_keys.py::test_top_level_keys"), result.explain()
    others_ran(result, "infra", "data")


@pytest.mark.parametrize("fault, words", [
    ("truncate", "(it ends early: truncated?)"),
    ("malformed", "not valid JSON"),
])
def test_a_bad_body_fails_in_one_sentence(proxied_twin, faults, tmp_path, fault, words):
    """An answer that arrived, framing intact, and is not the contract's JSON: observed, a failure."""
    faults(api={fault: STATUS})
    result = run(proxied_twin, tmp_path)
    assert result.returncode == 1, result.explain()
    assert words in result.messages("tests/contracts/test_keys.py::test_top_level_keys"), result.explain()
    one_sentence_each(result)
    others_ran(result, "infra", "data")


def test_a_database_that_goes_silent_is_cut_after_its_statement_timeout(proxied_twin, faults, tmp_path):
    faults(postgres={"stall_after_bytes": 3000})  # the login and a few statements, then nothing
    result = run(proxied_twin, tmp_path, settings(tmp_path, db_statement_timeout="2s"))
    inconclusive(result)
    data = [r for r in result.results if r["test"].startswith("tests/data/") and r["outcome"] == "not run"]
    assert data and all(r["message"].startswith("not run: database failed mid-run: ") for r in data), \
        result.explain()
    assert "stopped answering" in data[0]["message"]
    others_ran(result, "infra", "contracts", "smoke")
    assert result.elapsed < 60, f"a silent database cost {result.elapsed:.0f} s"


def test_a_slow_submission_is_looked_up_not_sent_again(proxied_twin, faults, tmp_path):
    faults(api={"slow": SUBMIT, "slow_ms": 3500})  # the job is created; its answer comes after the timeout
    before = proxied_twin.job_count()
    result = run(proxied_twin, tmp_path, settings(tmp_path, http_timeout="2s"), "tests/smoke")
    assert DRY_RUN not in result.failed, result.explain()
    assert proxied_twin.job_count() == before + 1


def test_a_slow_submission_without_a_lookup_is_an_unknown_outcome(proxied_twin, faults, tmp_path):
    faults(api={"slow": SUBMIT, "slow_ms": 3500})
    env_file = settings(tmp_path, ('job_lookup_route = "/maintenance/jobs?idempotency_key={key}"',
                                   'job_lookup_route = ""'), http_timeout="2s")
    before = proxied_twin.job_count()
    result = run(proxied_twin, tmp_path, env_file, "tests/smoke")
    inconclusive(result)  # the job's outcome is unknown: nothing observed wrong
    assert "not sent again: look for a dry-run job on this table" in not_run(result, DRY_RUN)
    assert proxied_twin.job_count() == before + 1


def test_a_submission_the_load_balancer_refuses_creates_no_job(proxied_twin, faults, tmp_path):
    faults(api={"unavailable": SUBMIT})  # 503 from "the load balancer": the API never sees it
    before = proxied_twin.job_count()
    result = run(proxied_twin, tmp_path, "tests/smoke")
    assert DRY_RUN in result.failed and "503 Service Temporarily Unavailable" in result.messages(DRY_RUN)
    assert proxied_twin.job_count() == before


def test_a_flaky_kubernetes_api_stays_green(proxied_twin, faults, tmp_path):
    faults(kube={"error_rate": 0.2, "jitter_ms": 200})  # without retries, 9 runs in 10 would fail
    result = run(proxied_twin, tmp_path, "tests/infra")
    assert result.returncode == 0, result.explain()


def test_a_hung_kubernetes_list_leaves_its_checks_not_run(proxied_twin, faults, tmp_path):
    faults(kube={"hang": "/apis/keda.sh/"})  # the ScaledJob list never answers
    result = run(proxied_twin, tmp_path, settings(tmp_path, http_timeout="2s"), "tests/infra")
    inconclusive(result)
    worker = "tests/infra/test_worker.py::test_worker_scaled_job_spec"
    assert "could not list: unreachable" in not_run(result, worker), result.explain()
    assert "tests/infra/test_api_deployment.py::test_api_deployment_spec" in result.outcome("passed")
    assert result.elapsed < 30, f"a hung list cost {result.elapsed:.0f} s"
