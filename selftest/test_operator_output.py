"""What the on-call engineer reads: the closing block (verdict, tier, a line per failure), a tier
that only follows from another folded under it, Schemathesis' dumps only under -v, and a job
summary that says its tier once."""
from __future__ import annotations

from icepack_verify import github, report
from icepack_verify.reporting import closing_block, failure_line

GET_OPERATIONS = "tests/contracts/test_openapi.py::test_get_operations_conform"


def failure(test: str, tier: int, evidence: str, message: str) -> dict:
    return {"test": test, "outcome": "failed", "rollback_tier": tier, "evidence": evidence, "message": message}


CRASH = failure("tests/infra/test_api_deployment.py::test_api_pods_healthy", 3, "database error: psycopg.errors.X",
                "[stage] Deployment icepack/icepack-api pods: 1 field differs\n"
                "  pod icepack-api-7d9f8c6b5-x7k2p condition Ready: expected 'True', actual 'False'  [from a]")
ROLLOUT = failure("tests/infra/test_api_deployment.py::test_api_rollout_complete", 2, "a failing infra check",
                  "[stage] Deployment icepack/icepack-api (rollout): 1 field differs\n"
                  "  status.readyReplicas: expected 2, actual 1  [from b]")
EVENTS = failure("tests/infra/test_live_state.py::test_no_recent_warning", 2, "a failing infra check",
                 "[stage] events of Helm release icepack/icepack's objects: 1 field differs\n"
                 "  Pod icepack/icepack-api-7d9f8c6b5-x7k2p event BackOff: expected 'none', actual 'BackOff'  [from c]")
SPEC = failure("tests/infra/test_api_deployment.py::test_api_deployment_spec", 2, "a failing infra check",
               "[stage] Deployment icepack/icepack-api: 1 field differs\n  spec.replicas: expected 2, actual 1  [from d]")
WORKER = failure("tests/infra/test_worker.py::test_worker_status", 2, "a failing infra check",
                 "[stage] ScaledJob icepack/icepack-worker: 1 field differs\n"
                 "  status.conditions[Ready]: expected 'True', actual 'False'  [from e]")


def test_a_tier_guessed_from_its_folder_about_the_state_of_the_same_objects_follows_from_the_first():
    causes = report.causes([CRASH, ROLLOUT, EVENTS])
    assert [c["tier"] for c in causes] == [3]
    assert causes[0]["follows"] == [{"tier": 2, "test": ROLLOUT["test"]}, {"tier": 2, "test": EVENTS["test"]}]
    block = closing_block(report.summary("stage", "live", [CRASH, ROLLOUT, EVENTS]))
    assert "    and 2 tests on the same objects (tier 2 by suite alone), which follow from it" in block
    assert not any(line.startswith("  also:") for line in block)


def test_a_spec_that_differs_or_another_object_is_a_cause_of_its_own():
    assert [c["tier"] for c in report.causes([CRASH, ROLLOUT, SPEC])] == [3, 2]  # someone set spec.replicas
    assert [c["tier"] for c in report.causes([CRASH, WORKER])] == [3, 2]  # not an object the first names
    stronger = {**ROLLOUT, "evidence": "what a failure of this check means (its rollback marker)"}
    assert [c["tier"] for c in report.causes([CRASH, stronger])] == [3, 2]  # evidence of its own, not a guess


def test_the_closing_block_leads_with_the_verdict_and_the_headlines_failures():
    data = report.summary("stage", "live", [SPEC, CRASH, {"test": "t", "outcome": "passed"}])
    block = closing_block(data)
    assert block[0] == "stage (phase live): unsafe (2 failed, 1 passed), exit 1"
    assert block[1] == f"rollback: {report.TIERS[3]}"
    start = block.index("failures (2):")
    assert block[start + 1] == ("  Deployment icepack/icepack-api pods: pod icepack-api-7d9f8c6b5-x7k2p condition Ready: "
                                f"expected 'True', actual 'False'  [from a]  ({CRASH['test']})")  # the headline's first
    assert block[start + 2].startswith("  Deployment icepack/icepack-api: spec.replicas: expected 2, actual 1")


def test_a_failure_that_is_not_a_diagnosis_shows_its_assertion():
    message = "def t(status):\n>  assert status == 'healthy'\nE  AssertionError: assert 'degraded' == 'healthy'"
    line = failure_line({"test": "tests/x.py::t", "outcome": "failed", "message": message})
    assert line == "E  AssertionError: assert 'degraded' == 'healthy'  (tests/x.py::t)"  # the E line, not the source
    no_e_line = failure_line({"test": "tests/x.py::t", "outcome": "failed", "message": "Failed: the API answered 503"})
    assert no_e_line == "Failed: the API answered 503  (tests/x.py::t)"  # without one: its first line


def test_the_job_summary_names_the_tier_once():
    data = report.summary("stage", "live", [CRASH, SPEC, {"test": "t", "outcome": "passed"}])
    text = github.summary(data)
    assert f"**Rollback:** {report.TIERS[3]}" in text and "Tier 3: Tier 3" not in text and "tier 3:** Tier" not in text
    assert f"- also implicated: {report.TIERS[2]}" in text


def test_a_crash_looping_api_on_a_database_error_is_tier_3_alone(twin):
    twin.configure("local", drifts=("pod-crash-looping",))
    run = twin.run_suite("local", paths=("tests/infra",))
    assert run.summary["verdict"] == "unsafe" and [c["tier"] for c in run.summary["causes"]] == [3], run.summary["causes"]
    assert run.summary["causes"][0]["follows"], run.explain()
    assert "which follow from it" in run.output and "also:" not in run.output
    twin.configure("local", drifts=("pod-crash-looping", "api-replicas-1"))
    both = twin.run_suite("local", paths=("tests/infra",))
    assert [c["tier"] for c in both.summary["causes"]] == [3, 2], both.summary["causes"]


def test_schemathesis_shows_the_rule_it_broke_and_its_dumps_only_under_v(twin):
    twin.configure("local", drifts=("status-missing-key",))
    run = twin.run_suite("local", paths=("tests/contracts/test_openapi.py",))
    message = run.messages(GET_OPERATIONS)
    assert '"stale" is a required property' in message and "Reproduce with" in message, message
    assert "Schema at" not in message and "Value:" not in message and "run with -v" in message
    verbose = twin.run_suite("local", "-vv", paths=("tests/contracts/test_openapi.py",))  # -q (the harness) + -vv: -v
    assert "Schema at /components/schemas/TableStatus" in verbose.messages(GET_OPERATIONS)
    print(f"Schemathesis finding: {len(message.splitlines())} lines, "
          f"{len(verbose.messages(GET_OPERATIONS).splitlines())} with -v")  # measured, not asserted
