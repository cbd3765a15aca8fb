"""Hostile answers between the suite and a healthy twin (icepack_twin.faults): decoded-size bombs,
deep nesting, non-finite numbers, broken encodings, truncated and refused answers, from the API,
the Kubernetes API and the database. None may crash the run (no traceback, no INTERNALERROR, the
process's exit code is the report's), cost unbounded memory, or hide what happened: the tests
that needed the answer say so in one sentence naming the dependency, the others still run.

What is evidence and what is not (icepack_verify.api): an answer read and decoded in full that is
not valid JSON (its syntax, its UTF-8, NaN or 1e400) is what the API serves, a contract failure;
an answer whose Content-Encoding its body does not have (read in full: the framing lies) is a
finding too; an answer that could not be read (over the cap once decoded, nested too deep to
parse, broken mid-answer) observed nothing: the tests that needed it are not run. Kubernetes is only the window onto the deployment: a list it answers badly is never
evidence against the deployment.
"""
from __future__ import annotations

import json
import sys

import pytest

from harness import EXPECTATIONS, ROOT, SuiteRun, function_id
from measured import run_measured

STATUS = "/tables/analytics/events/status"  # local's first known table
KEYS = "tests/contracts/test_keys.py::test_top_level_keys"
READYZ = "tests/smoke/test_readiness.py::test_readyz_returns_200"
WORKER = "tests/infra/test_worker.py::test_worker_scaled_job_spec"
API_DEPLOYMENT = "tests/infra/test_api_deployment.py::test_api_deployment_spec"
KEDA = "/apis/keda.sh/"  # the ScaledJob list (only the worker's checks need it)
CRASH_SIGNS = ("Traceback", "INTERNALERROR", "RecursionError", "site-packages")
PEAK_MIB = 300


def run(proxied_twin, *paths: str, **environ: str) -> SuiteRun:
    """The suite (these paths, or all of it) against the twin, as Twin.run_suite, its peak memory
    measured; asserts it did not crash."""
    report = proxied_twin.state_dir / "hostile-report.json"
    report.unlink(missing_ok=True)
    measured = run_measured([sys.executable, "-m", "pytest", "--env", "local", "-p", "no:cacheprovider", "-q",
                             "--report-json", str(report), *EXPECTATIONS, *(paths or ("tests",))],
                            cwd=ROOT, env=proxied_twin.environ(**environ), timeout=240)
    assert report.exists(), f"no JSON report written:\n{measured.output[-3000:]}"
    summary = json.loads(report.read_text())
    result = SuiteRun(measured.returncode, summary.get("results", []), measured.output, summary)
    result.peak_mib = measured.peak_mib
    assert not any(sign in measured.output for sign in CRASH_SIGNS), measured.output[-3000:]
    assert measured.returncode == summary["exit_code"], (measured.returncode, summary["exit_code"])
    for r in result.results:
        if r["outcome"] in ("failed", "error", "not run"):
            assert not any(sign in r.get("message", "") for sign in CRASH_SIGNS), r["message"]
    return result


def said(result: SuiteRun, test_function: str) -> str:
    """What the test's results said (failed, error, or not run: a Problem's sentence)."""
    return "\n".join(r.get("message", "") for r in result.results
                     if function_id(r["test"]) == test_function and r["outcome"] != "passed")


def not_evidence(result: SuiteRun, test_function: str) -> None:
    """What could not be read is not an observation: that test is not run, the run is inconclusive
    (exit 75, the process's and the report's alike), and no rollback is prescribed."""
    outcomes = {r["outcome"] for r in result.results if function_id(r["test"]) == test_function} - {"passed"}
    assert outcomes == {"not run"}, (outcomes, result.explain())  # its other parameters may pass
    assert result.returncode == 75 == result.summary["exit_code"], result.explain()
    assert result.summary["verdict"] == "inconclusive" and result.summary["rollback_tier"] is None, result.summary


def passed(result: SuiteRun, test_function: str) -> bool:
    return any(function_id(r["test"]) == test_function and r["outcome"] == "passed" for r in result.results)


def others_ran(result: SuiteRun, *suites: str) -> None:
    for suite in suites:
        assert any(r["test"].startswith(f"tests/{suite}/") and r["outcome"] == "passed" for r in result.results), \
            (suite, result.explain())


# --- the Icepack API ------------------------------------------------------------------------------

@pytest.mark.parametrize("fault, words", [
    ("gzip_bomb", "answered a body of more than 10,485,760 bytes once decoded, over the 10,485,760-byte cap"),
    ("deep", "answered JSON nested deeper than 64 levels (over 10,000): not parsed"),
    ("cut", "(RemoteProtocolError: the connection broke mid-answer)"),
])
def test_an_unreadable_contract_answer_is_one_sentence_and_not_judged(proxied_twin, faults, fault, words):
    faults(api={fault: STATUS})
    result = run(proxied_twin, "tests/contracts", "tests/infra")
    message = said(result, KEYS)
    assert f"API {proxied_twin.state['api_url']}" in message and words in message, result.explain()
    assert "not valid JSON" not in message  # never judged as what the API serves
    assert passed(result, "tests/contracts/test_keys.py::test_top_level_keys"), "the other tables' contracts ran"
    others_ran(result, "infra")
    assert result.peak_mib < PEAK_MIB, f"peak {result.peak_mib:.0f} MiB"
    print(f"API {fault} on {STATUS}: suite peak {result.peak_mib:.0f} MiB")  # measured, not asserted
    not_evidence(result, KEYS)


@pytest.mark.parametrize("fault, words", [
    ("not_finite", "not valid JSON: the number 1e400 is not finite (JSON numbers are finite)"),
    ("bad_utf8", "not valid JSON: not UTF-8: byte 0xff cannot start or continue a character"),
])
def test_an_invalid_value_the_api_serves_is_a_contract_finding(proxied_twin, faults, fault, words):
    faults(api={fault: STATUS})
    result = run(proxied_twin, "tests/contracts")
    assert result.returncode == 1 and result.summary["verdict"] == "unsafe", result.explain()
    assert words in result.messages(KEYS), result.explain()
    assert result.summary["rollback_tier"] == 1, result.summary  # the contract is what broke


def test_a_content_encoding_the_body_does_not_have_is_a_finding_naming_route_header_and_body(proxied_twin, faults):
    """gzip declared over plain JSON: the answer arrived whole (a connection broken mid-answer is a transport
    error, "not run" above), so the server said what its body is not."""
    faults(api={"bad_gzip": STATUS})
    result = run(proxied_twin, "tests/contracts")
    message = said(result, KEYS)
    assert f"GET {STATUS} answered Content-Encoding: gzip over a body that does not decode so" in message, \
        result.explain()
    assert "the body is uncompressed JSON: it begins '{\"not\": \"gzip\"}" in message, message
    assert {r["outcome"] for r in result.results if function_id(r["test"]) == KEYS} - {"passed"} == {"failed"}
    assert result.returncode == 1 and result.summary["verdict"] == "unsafe", result.explain()
    assert passed(result, KEYS), "the other tables' contracts ran"


def test_a_gzip_bomb_on_the_readiness_route_is_said_there_and_the_run_goes_on(proxied_twin, faults):
    faults(api={"gzip_bomb": "/readyz"})
    result = run(proxied_twin)
    assert "once decoded, over the 10,485,760-byte cap" in said(result, READYZ), result.explain()
    assert "preflight: Icepack API: reachable" in result.output  # something answered: the probe does not judge bodies
    others_ran(result, "contracts", "infra", "data")
    assert result.peak_mib < PEAK_MIB, f"peak {result.peak_mib:.0f} MiB"
    print(f"gzip bomb on /readyz: suite peak {result.peak_mib:.0f} MiB")  # measured, not asserted
    not_evidence(result, READYZ)


def test_deep_nesting_where_schemathesis_reads_is_one_sentence_not_a_recursion_error(proxied_twin, faults):
    """/readyz is judged by its status alone (the document asks 200 of it), so its body is read only
    by the spec-driven checks: Schemathesis parses answers itself, after the client's bounds."""
    faults(api={"deep": "/readyz"})
    result = run(proxied_twin, "tests/contracts/test_openapi.py", "tests/smoke/test_readiness.py")
    operations = "tests/contracts/test_openapi.py::test_get_operations_conform"
    assert "GET /readyz answered JSON nested deeper than 64 levels" in said(result, operations), result.explain()
    assert passed(result, READYZ)  # a 200 is what the document asks of it


# --- the Kubernetes API ---------------------------------------------------------------------------

@pytest.mark.parametrize("fault, words", [
    ("forbidden", "could not list: 403 Forbidden"),
    ("failing", "could not list: 500 Internal Server Error"),
    ("truncate", "could not list: answered a body that is not JSON"),
    ("malformed", "could not list: answered a body that is not JSON"),
    ("not_finite", "could not list: answered a body that is not JSON (the number 1e400 is not finite"),
    ("bad_utf8", "could not list: answered a body that is not JSON (not UTF-8"),
    ("deep", "could not list: answered JSON nested deeper than 64 levels"),
    ("huge", "could not list: answered more than 10,485,760 bytes once decoded"),
    ("gzip_bomb", "could not list: answered more than 10,485,760 bytes once decoded"),
    ("bad_gzip", "could not list: answered a body whose content-encoding does not decode"),
    ("cut", "could not list: unreachable (ProtocolError)"),
])
def test_one_kind_answered_badly_is_that_kind_only(proxied_twin, faults, fault, words):
    faults(kube={fault: KEDA})
    result = run(proxied_twin, "tests/infra", "tests/smoke/test_readiness.py")
    assert words in said(result, WORKER), result.explain()
    assert "ScaledJobs in namespace icepack" in said(result, WORKER)  # names what could not be read
    assert passed(result, API_DEPLOYMENT), "the snapshot was still taken for the other kinds"
    assert result.peak_mib < PEAK_MIB, f"peak {result.peak_mib:.0f} MiB"
    print(f"Kubernetes {fault} on {KEDA}: suite peak {result.peak_mib:.0f} MiB")  # measured, not asserted
    not_evidence(result, WORKER)


def test_every_list_deep_is_kubernetes_down_in_one_sentence(proxied_twin, faults):
    faults(kube={"deep": "/ap"})  # /api/v1/... and /apis/...: every list
    result = run(proxied_twin, "tests/infra", "tests/smoke/test_readiness.py")
    assert result.returncode == 75 and result.summary["verdict"] == "inconclusive", result.explain()
    assert "preflight: Kubernetes: DOWN" in result.output and "could not read any list" in result.output
    assert passed(result, READYZ)


@pytest.mark.parametrize("kubeconfig", ["- a list\n- not a kubeconfig\n",
                                        "users: 5\ncontexts: [3, {context: 1}]\nclusters: {}\n"])
def test_a_hostile_kubeconfig_is_one_sentence(proxied_twin, tmp_path, kubeconfig):
    path = tmp_path / "kubeconfig"
    path.write_text(kubeconfig)
    result = run(proxied_twin, "tests/infra/test_worker.py", "tests/smoke/test_readiness.py", KUBECONFIG=str(path))
    assert f"preflight: Kubernetes: DOWN, Kubernetes: kubeconfig {path} is unusable: " in result.output, result.output
    assert passed(result, READYZ)


# --- the database ---------------------------------------------------------------------------------

def test_a_database_session_closed_mid_run_says_so_from_every_query(proxied_twin):
    """A real session, closed by the server (pg_terminate_backend, as a failover or an operator
    does): the query that meets it and every later one raise Unreachable at once."""
    import psycopg
    from psycopg import sql

    from icepack_verify import environments
    from icepack_verify.database import Database
    from icepack_verify.errors import Unreachable

    dsn = proxied_twin.state["database_url"]
    db = Database.connect(environments.load(ROOT / "environments.toml", "local", {}), dsn)
    try:
        pid = db.one(sql.SQL("SELECT pg_backend_pid() AS pid"))["pid"]
        with psycopg.connect(dsn, autocommit=True) as other:
            assert other.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,)).fetchone()[0]  # waits until gone
        messages = []
        for _ in range(3):
            with pytest.raises(Unreachable) as info:
                db.rows(sql.SQL("SELECT 1 AS one"))
            messages.append(str(info.value))
    finally:
        db.close()
    assert messages[0].endswith("stopped answering mid-run: terminating connection due to administrator command")
    assert all(m == messages[0] + " (on an earlier query; this one was not sent)" for m in messages[1:]), messages


# --- the Helm release record ----------------------------------------------------------------------

def _release_secret(record: bytes) -> dict:
    import base64

    return {"metadata": {"name": "sh.helm.release.v1.icepack.v9"},
            "data": {"release": base64.b64encode(base64.b64encode(record)).decode()}}


@pytest.mark.parametrize("record, words", [
    (b" " * (80 * 1024 * 1024), "inflates to more than 33,554,432 bytes: not read further"),
    (b"[" * 100_000 + b"]" * 100_000, "is JSON nested deeper than 64 levels"),
    (b'{"info": {"status": 1e400}}', "is not a Helm 3 release record (the number 1e400 is not finite"),
])
def test_a_hostile_release_record_is_one_sentence(record, words):
    import gzip

    from icepack_verify.helm import BadRelease, decode_release

    with pytest.raises(BadRelease) as info:
        decode_release(_release_secret(gzip.compress(record)))
    assert str(info.value).startswith("Secret sh.helm.release.v1.icepack.v9: data.release ") and words in str(info.value)
