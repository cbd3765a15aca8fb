"""A verdict that holds under any failure, through the twin's fault proxies: a dependency that
fails mid-run, a list the Kubernetes API will not serve, a malformed answer during the
preflight or the cluster snapshot. Each ends inconclusive (exit 75, the same in the JSON
report and the JUnit file), names no rollback, says each cause once with the tests it
took, and never ends in pytest's INTERNALERROR or a traceback."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from harness import EXPECTATIONS, edited_environments

DEPLOYMENTS = "/apis/apps/v1/namespaces/icepack/deployments"


def run(proxied_twin, tmp_path, *args, paths=("tests",)):
    junit = tmp_path / "junit.xml"
    result = proxied_twin.run_suite("local", *EXPECTATIONS, f"--junitxml={junit}", *args, paths=paths)
    assert result.summary, f"no JSON report written:\n{result.output[-2000:]}"
    result.junit = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    return result


def inconclusive(result) -> None:
    """Exit 75 everywhere (process, JSON, JUnit), no rollback, no failure, no crash."""
    assert result.returncode == result.summary["exit_code"] == 75, result.output[-3000:]
    assert result.summary["verdict"] == "inconclusive" and result.junit["icepack_verdict"] == "inconclusive"
    assert result.summary["rollback_tier"] is None and "Tier" not in result.output and "rollback:" not in result.output
    assert not result.failed, result.explain()
    assert "INTERNALERROR" not in result.output and "Traceback" not in result.output, result.output[-3000:]


def said_once(result, start: str) -> str:
    """The one terminal line for a cause; it ends with how many tests it took."""
    lines = [line for line in result.output.splitlines() if line.startswith(start)]
    assert len(lines) == 1, result.output[-3000:]
    return lines[0]


def test_a_database_that_stops_answering_mid_run_is_one_cause_not_a_rollback(proxied_twin, faults, tmp_path):
    """Was: unsafe, "Tier 1: flip image_tag back" for a database that went silent after the login."""
    faults(postgres={"stall_after_bytes": 3000})
    env_file = edited_environments(tmp_path, ('db_statement_timeout = "15s"', 'db_statement_timeout = "2s"'))
    result = run(proxied_twin, tmp_path, f"--environments={env_file}", paths=("tests/data", "tests/contracts"))
    inconclusive(result)
    taken = [r["test"] for r in result.results if r.get("dependency") == "database"]
    line = said_once(result, "not run: database failed mid-run: ")
    assert "stopped answering" in line and line.endswith(f"; {len(taken)} tests") and len(taken) > 1, line
    assert any(r["outcome"] == "passed" and r["test"].startswith("tests/contracts/") for r in result.results)


def test_a_kubernetes_list_that_keeps_failing_is_not_run_not_a_rollback(proxied_twin, faults, tmp_path):
    """Was: unsafe with a rollback tier for Deployments the suite never saw."""
    faults(kube={"unavailable": DEPLOYMENTS})  # every list of Deployments: 503, retried, then given up
    result = run(proxied_twin, tmp_path, paths=("tests/infra",))
    inconclusive(result)
    line = said_once(result, "not run: Kubernetes failed mid-run: Deployments in namespace icepack: could not list")
    taken = [r["test"] for r in result.results if r.get("dependency") == "Kubernetes"]
    assert "tests/infra/test_api_deployment.py::test_api_deployment_spec" in taken and line.endswith(f"; {len(taken)} tests")
    assert "tests/infra/test_cronjobs.py::test_cronjob_spec[orchestrator]" in {
        r["test"] for r in result.results if r["outcome"] == "passed"}  # what could be listed was judged


@pytest.mark.parametrize("target, fault, path", [
    ("api", "huge", "/readyz"),                            # was INTERNALERROR: Unreadable escaped the preflight
    ("kube", "malformed", DEPLOYMENTS),                    # was INTERNALERROR: a list that is not JSON
    ("kube", "truncate", "/api/v1/namespaces/icepack/pods"),  # ... or is cut short
])
def test_a_malformed_answer_in_the_preflight_or_the_snapshot_is_not_a_crash(proxied_twin, faults, tmp_path, target, fault, path):
    faults(**{target: {fault: path}})
    result = run(proxied_twin, tmp_path, paths=("tests/infra", "tests/smoke/test_readiness.py"))
    inconclusive(result)
    dependency = {"api": "Icepack API", "kube": "Kubernetes"}[target]
    line = said_once(result, f"not run: {dependency} ")  # down at the start, or failed mid-run: one cause either way
    if fault == "huge":
        assert "over the 10,485,760-byte cap" in line, line
