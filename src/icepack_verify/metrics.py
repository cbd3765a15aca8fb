"""The run as Prometheus metrics, for the scheduled check's alerts.

Pushed to a Pushgateway (`--metrics-push URL`: job `icepack_verify`, grouped by
environment) and/or written in the node-exporter textfile-collector format
(`--metrics-textfile PATH`, atomically). Labels hold only the environment, check ids and
states, never a message, URL or DSN.

    icepack_verify_check_passed{environment,suite,check}     1 passed, 0 anything else
    icepack_verify_check_state{environment,suite,check,state}  1 for the check's state (passed, failed,
                                                             warning, not_run, skipped), 0 for the others
    icepack_verify_verdict{environment,verdict}              1 for the run's verdict (safe, unsafe,
                                                             inconclusive), 0 for the others
    icepack_verify_exit_code{environment}
    icepack_verify_rollback_tier{environment}                0-3; -1 when no rollback is called for
    icepack_verify_failures / _warnings / _not_run {environment}   counts in this run
    icepack_verify_run_duration_seconds{environment}
    icepack_verify_last_run_timestamp_seconds{environment}
    icepack_verify_last_safe_run_timestamp_seconds{environment}    kept from the last safe run

The last-safe timestamp survives a run that is not safe: the push adds to the group
(POST: only the metric names pushed are replaced), and the textfile carries the old value.
"""
from __future__ import annotations

import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, pushadd_to_gateway, write_to_textfile
from prometheus_client.parser import text_string_to_metric_families

JOB = "icepack_verify"
STATES = ["passed", "failed", "warning", "not_run", "skipped"]
VERDICTS = ["safe", "unsafe", "inconclusive"]
LAST_SAFE = "icepack_verify_last_safe_run_timestamp_seconds"


def _check_states(summary: dict) -> dict[str, str]:
    """test id -> state; a test that passed with a warning is a warning."""
    states = {}
    for r in summary["results"]:
        state = {"error": "failed", "not run": "not_run"}.get(r["outcome"], r["outcome"])
        states[r["test"]] = state if state in STATES else "failed"
    for w in summary["warnings"]:
        if states.get(w["test"]) == "passed":
            states[w["test"]] = "warning"
    return states


def registry_for(summary: dict, duration: float, now: float | None = None,
                 last_safe: float | None = None) -> CollectorRegistry:
    now = time.time() if now is None else now
    env = summary["environment"]
    registry = CollectorRegistry()
    labels = ["environment", "suite", "check"]
    passed = Gauge("icepack_verify_check_passed", "1 if the check passed in the last run, else 0", labels,
                   registry=registry)
    state = Gauge("icepack_verify_check_state", "1 for the check's state in the last run, 0 for the others",
                  [*labels, "state"], registry=registry)
    for test, s in _check_states(summary).items():
        path = test.split("::", 1)[0].split("/")
        check = test.split("/", 1)[1] if test.startswith("tests/") else test
        suite = path[1] if len(path) > 2 else path[0]
        passed.labels(env, suite, check).set(1 if s in ("passed", "warning") else 0)
        for one in STATES:
            state.labels(env, suite, check, one).set(1 if one == s else 0)
    verdict = Gauge("icepack_verify_verdict", "1 for the verdict of the last run, 0 for the others",
                    ["environment", "verdict"], registry=registry)
    for one in VERDICTS:
        verdict.labels(env, one).set(1 if one == summary["verdict"] else 0)

    def gauge(name: str, doc: str, value: float) -> None:
        Gauge(name, doc, ["environment"], registry=registry).labels(env).set(value)

    counts = summary["counts"]
    gauge("icepack_verify_exit_code", "The exit code of the last run (0 safe, 1 unsafe, 75 inconclusive)",
          summary["exit_code"])
    gauge("icepack_verify_rollback_tier", "The rollback tier the last run calls for; -1 for none",
          -1 if summary["rollback_tier"] is None else summary["rollback_tier"])
    gauge("icepack_verify_failures", "Checks that failed in the last run", counts.get("failed", 0) + counts.get("error", 0))
    gauge("icepack_verify_warnings", "Warnings in the last run", len(summary["warnings"]))
    gauge("icepack_verify_not_run", "Checks not run in the last run (a dependency down, the deadline)",
          counts.get("not run", 0))
    gauge("icepack_verify_run_duration_seconds", "Wall time of the last run", duration)
    gauge("icepack_verify_last_run_timestamp_seconds", "When the last run finished (Unix time)", now)
    if summary["verdict"] == "safe":
        last_safe = now
    if last_safe is not None:
        gauge(LAST_SAFE, "When the last safe run finished (Unix time)", last_safe)
    return registry


def push(url: str, summary: dict, duration: float, timeout: float = 10) -> None:
    """Add this run to the Pushgateway group {job, environment}; a safe run also moves the
    last-safe timestamp, any other run leaves it as it was."""
    registry = registry_for(summary, duration)
    pushadd_to_gateway(url, job=JOB, grouping_key={"environment": summary["environment"]}, registry=registry,
                       timeout=timeout)


def write_textfile(path: Path, summary: dict, duration: float) -> None:
    """The textfile collector's file, replaced atomically (write_to_textfile renames a temp file)."""
    registry = registry_for(summary, duration, last_safe=_previous_last_safe(path, summary["environment"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)


def _previous_last_safe(path: Path, env: str) -> float | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == LAST_SAFE and sample.labels.get("environment") == env:
                    return sample.value
    except ValueError:
        return None
    return None
