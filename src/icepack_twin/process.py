"""Start, drive and stop a twin in its own process: used by `python -m icepack_twin`, the
self-tests and the benchmark alike.

A twin writes ``state.json`` (URLs, kubeconfig, DSN, pid) into its state folder once it
answers; `start` waits for that file, `stop` signals the pid and waits for the file to go.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


def exports(state: dict) -> dict[str, str]:
    """The environment variables that point the suite at the twin."""
    return {
        "ICEPACK_API_URL": state["api_url"],
        "ICEPACK_UI_URL": state["ui_url"],
        "ICEPACK_DATABASE_URL": state["database_url"],
        "KUBECONFIG": state["kubeconfig"],
        "ICEPACK_KUBE_CONTEXT": state["kube_context"],
    }


def start(state_dir: Path, env: str = "local", drift_names: tuple[str, ...] = (), phase: str = "live",
          timeout: float = 90, extra: tuple[str, ...] = ()) -> tuple[subprocess.Popen, dict]:
    """Start `serve` in the background; return once the twin is answering."""
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file = state_dir / "state.json"
    state_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "icepack_twin", "serve", "--state-dir", str(state_dir), "--env", env,
           "--phase", phase, *extra]
    for name in drift_names:
        cmd += ["--drift", name]
    with open(state_dir / "twin.log", "ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state_file.exists():
            return proc, json.loads(state_file.read_text())
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    tail = (state_dir / "twin.log").read_text(errors="replace").strip().splitlines()[-5:]
    raise SystemExit(f"the twin did not start (see {state_dir / 'twin.log'}): " + " | ".join(tail))


def stop(state_dir: Path) -> bool:
    state_file = state_dir / "state.json"
    if not state_file.exists():
        return False
    pid = json.loads(state_file.read_text())["pid"]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        state_file.unlink(missing_ok=True)
        return False
    for _ in range(100):
        if not state_file.exists():
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True


class TwinProcess:
    """A running twin, re-driven over its control routes (no restart per drift)."""

    def __init__(self, state_dir: Path, env: str = "local", extra: tuple[str, ...] = ()):
        self.state_dir = state_dir
        self.proc, self.state = start(state_dir, env, extra=extra)
        self.http = httpx.Client(base_url=self.state["control_url"], timeout=30)
        self.current: tuple | None = (env, (), "live", ())

    def configure(self, env: str = "local", drifts: tuple[str, ...] = (), phase: str = "live",
                  mutations: tuple[dict, ...] = (), fresh: bool = False) -> None:
        """Deploy another environment's values, these drifts, this phase, these mutations (each a
        `Mutation.as_json()`), a no-op when already so unless `fresh` (tables reseeded, jobs gone)."""
        wanted = (env, tuple(drifts), phase, tuple(m.get("id", "") for m in mutations))
        if fresh or wanted != self.current:
            self.http.post("/_twin/configure", json={"env": env, "drifts": list(drifts), "phase": phase,
                                                     "mutations": list(mutations)}).raise_for_status()
            self.current = wanted

    def world(self, layer: str) -> dict:
        """The healthy world of one mutation layer (configure a healthy twin first)."""
        return self.http.get(f"/_twin/world/{layer}").raise_for_status().json()

    def set_faults(self, **targets: dict) -> None:
        """Replace the proxies' faults, e.g. set_faults(api={"error_rate": 0.1}); needs a twin started with --proxy."""
        self.http.put("/_twin/faults", json=targets).raise_for_status()

    def job_count(self) -> int:
        """Maintenance jobs the twin holds (every dry run the suite submitted)."""
        return self.http.get("/_twin/job-count").json()["jobs"]

    def kube_requests(self) -> list[dict]:
        return self.http.get("/_twin/kube-requests").json()

    def clear_kube_requests(self) -> None:
        self.http.delete("/_twin/kube-requests").raise_for_status()

    def api_requests(self) -> dict[str, int]:
        """{"GET /tables/a/b/status": n}: the API requests served since the last clear."""
        return self.http.get("/_twin/api-requests").raise_for_status().json()

    def clear_api_requests(self) -> None:
        self.http.delete("/_twin/api-requests").raise_for_status()

    def environ(self, **extra: str) -> dict[str, str]:
        """This process's environment without ICEPACK_* settings, pointed at the twin."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ICEPACK_")}
        return {**env, **exports(self.state), **extra}

    def close(self) -> None:
        self.http.close()
        stop(self.state_dir)
        self.proc.wait(timeout=30)
