"""A suite runner that imports the suite's third-party libraries once and forks a fresh pytest per run.

A suite run is a new process either way: the child of a fork starts a pytest session of its own,
collects, imports the suite (conftest, plugin, tests: never preloaded, so pytest rewrites their
asserts as usual) and exits. What the fork saves is importing kubernetes, httpx, psycopg,
schemathesis and pydantic again per run. The server is started with the environment the suite
runs in (one twin's URLs, kubeconfig and DSN), so a library that reads a variable at import
reads the same value a fresh process would.

Protocol (JSON lines): stdin {"args": [...], "cwd": ..., "log": path, "timeout": s}; stdout {"exit": n}
({"exit": null} when the run was killed at its timeout).

Also a pytest plugin (`-p icepack_twin.mutate.suite_server --mutation-reads=cluster`): the run keeps only
the tests that use one of those fixtures, directly or through others (the engine's READS per layer).
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time

import pytest

PRELOAD = ("pytest", "httpx", "psycopg", "kubernetes.client", "kubernetes.config", "pydantic", "schemathesis",
           "hypothesis", "yaml", "tenacity", "croniter", "prometheus_client",
           "pdb", "xml.etree.ElementTree", "concurrent.futures")  # what pytest's own plugins import


def _child(request: dict) -> None:
    fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.chdir(request["cwd"])
    code = 3
    try:
        sys.argv = ["pytest", *request["args"]]
        code = int(pytest.main(request["args"]))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the engine decides when to stop, by closing stdin
    from _pytest.config import default_plugins

    for name in (*PRELOAD, *(f"_pytest.{plugin}" for plugin in default_plugins)):
        importlib.import_module(name)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _child(request)
        print(json.dumps({"exit": _wait(pid, request.get("timeout", 400))}), flush=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--mutation-reads", default="", metavar="FIXTURE,...",
                     help="run only the tests that use one of these fixtures (the mutation engine's selection)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reads = {name for name in config.getoption("mutation_reads").split(",") if name}
    if not reads:
        return
    keep = [item for item in items if reads & set(getattr(item, "fixturenames", ()))]
    if not keep:  # a fixture renamed in the suite: never a run that tests nothing
        raise pytest.UsageError(f"--mutation-reads {','.join(sorted(reads))}: no test uses these fixtures")
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep


if __name__ == "__main__":
    main()
