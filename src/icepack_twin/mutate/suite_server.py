"""A suite runner that imports the suite's third-party libraries once and forks a fresh pytest per run.

A suite run is a new process either way: the child of a fork starts a pytest session of its own,
collects, imports the suite (conftest, plugin, tests: never preloaded, so pytest rewrites their
asserts as usual) and exits. What the fork saves is importing kubernetes, httpx, psycopg,
schemathesis and pydantic again per run. The server is started with the environment the suite
runs in (one twin's URLs, kubeconfig and DSN), so a library that reads a variable at import
reads the same value a fresh process would.

Protocol (JSON lines): stdin {"args": [...], "cwd": ..., "log": path, "timeout": s}; stdout {"exit": n}
({"exit": null} when the run was killed at its timeout).
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time

PRELOAD = ("pytest", "httpx", "psycopg", "kubernetes.client", "kubernetes.config", "pydantic", "schemathesis",
           "hypothesis", "yaml", "tenacity", "croniter", "prometheus_client")


def _child(request: dict) -> None:
    fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.chdir(request["cwd"])
    code = 3
    try:
        import pytest

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
    for name in PRELOAD:
        importlib.import_module(name)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _child(request)
        print(json.dumps({"exit": _wait(pid, request.get("timeout", 400))}), flush=True)


if __name__ == "__main__":
    main()
