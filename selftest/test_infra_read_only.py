"""The infra suite only reads (GETs, one list per kind), and an unreachable or unknown
Kubernetes API is one clear sentence that blocks no other suite."""
from __future__ import annotations

import socket
from collections import Counter

import pytest

from harness import EXPECTATIONS, kubeconfig

INFRA = "tests/infra"


def _closed_port() -> int:
    with socket.socket() as s:  # bound then released: nothing listens there afterwards
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _requests_of(twin, env: str, *drifts: str) -> list[dict]:
    twin.configure(env, drifts=drifts)
    twin.clear_kube_requests()
    run = twin.run_suite(env, *EXPECTATIONS, paths=(INFRA,))
    assert run.results, run.output[-3000:]
    return twin.kube_requests()


@pytest.mark.parametrize("env", ["local", "stage"])
def test_suite_only_gets_and_lists_each_kind_once(twin, env):
    requests = _requests_of(twin, env)
    assert requests, "the suite made no Kubernetes request"
    assert {r["method"] for r in requests} == {"GET"}, requests
    repeated = {p: n for p, n in Counter(r["path"] for r in requests).items() if n > 1}
    assert not repeated, f"listed more than once: {repeated}"


def test_a_failing_pod_adds_only_a_log_get(twin):
    requests = _requests_of(twin, "local", "pod-crash-looping")
    assert {r["method"] for r in requests} == {"GET"}, requests
    lists = [r["path"] for r in requests if not r["path"].endswith("/log")]
    assert len(lists) == len(set(lists)), lists
    logs = [r["path"] for r in requests if r["path"].endswith("/log")]
    assert logs and all("/pods/icepack-api-" in p for p in logs), requests


@pytest.mark.parametrize("case", ["unreachable-api", "missing-context"])
def test_kubernetes_trouble_is_one_sentence_and_blocks_no_other_suite(twin, tmp_path, case):
    twin.configure("local")
    if case == "unreachable-api":
        environ = twin.environ(**kubeconfig(tmp_path, f"http://127.0.0.1:{_closed_port()}"))
        sentence = "unreachable"
    else:
        environ = twin.environ(ICEPACK_KUBE_CONTEXT="no-such-context")
        sentence = "kube context 'no-such-context' is not in"
    run = twin.run_suite("local", *EXPECTATIONS, paths=("tests",), environ=environ)
    infra = [r for r in run.results if r["test"].startswith(INFRA)]
    assert infra and all(r["outcome"] == "not run" for r in infra), run.explain()  # nothing observed: not run
    assert run.summary["verdict"] == "inconclusive" and run.returncode == 75
    for r in infra:
        message = r.get("message", "").strip()
        assert message.startswith("not run: Kubernetes is down") and sentence in message, message
        assert "Traceback" not in message and len(message.splitlines()) == 1, message  # one sentence, each time
    # the other suites still ran and passed somewhere: Kubernetes trouble is not theirs
    others = [r for r in run.results if not r["test"].startswith(INFRA)]
    assert any(r["outcome"] == "passed" for r in others), run.explain()
    assert not any(sentence in (r.get("message") or "") for r in others), run.explain()
