"""The run's reports, all written from the session: the verdict and exit code, the JSON report,
the JUnit suite properties, the metrics, and the terminal's summary.

Every report is written whatever happened before: a step that fails is one sentence in the
others, and the run is then inconclusive (never a crash, never exit 3). The exit code of
the process is always the one the JSON report carries.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from icepack_verify import report
from icepack_verify.evidence import cause_of
from icepack_verify.session import NOT_RUN, VerifySession, guarded

# pytest's own endings the verdict replaces; a usage error (4) stays what it is.
JUDGED = (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED,
          pytest.ExitCode.NO_TESTS_COLLECTED, pytest.ExitCode.INTERNAL_ERROR)


def finish(vs: VerifySession, session: pytest.Session) -> None:
    """The verdict, the process's exit code and every report file (before junitxml writes its own)."""
    if session.exitstatus == pytest.ExitCode.INTERNAL_ERROR:
        vs.trouble.append("pytest stopped on an internal error (above)")
    interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED or bool(session.shouldstop)
    if interrupted:
        with guarded(vs.config, "listing the tests the run did not reach"):
            vs.results.extend(vs.never_ran(getattr(session, "items", [])))
    data = _judge(vs, interrupted)
    if vs.option.metrics_push or vs.option.metrics_textfile:
        data["metrics"] = _metrics(vs, data)
    if vs.option.report_json:
        try:
            report.write(vs.option.report_json, data)
        except Exception as exc:  # noqa: BLE001 - a gate without its report cannot be told "safe"
            vs.trouble.append(vs.redact(f"the JSON report could not be written to {vs.option.report_json}: "
                                        f"{cause_of(exc)}"))
            data = _judge(vs, interrupted) | {"metrics": data.get("metrics", {})}
    if session.exitstatus == pytest.ExitCode.USAGE_ERROR:
        data["exit_code"] = int(pytest.ExitCode.USAGE_ERROR)
    elif session.exitstatus in JUDGED:
        session.exitstatus = data["exit_code"]  # the verdict decides: 0 safe, 1 unsafe, 75 inconclusive
    vs.summary = data
    with guarded(vs.config, "adding the verdict to the JUnit report"):
        _junit_verdict(vs.config, data)


def _judge(vs: VerifySession, interrupted: bool) -> dict:
    """The summary of the run, every string in it redacted; inconclusive if even judging fails."""
    env, phase = vs.env.name, vs.option.phase
    try:
        data = report.summary(env, phase, vs.results, vs.warnings, interrupted, vs.trouble, vs.judged)
    except Exception as exc:  # noqa: BLE001
        vs.failed("judging the run", exc)
        data = report.summary(env, phase, [], [], interrupted, vs.trouble, vs.judged)
    return vs.redact.scrub(data)


def _metrics(vs: VerifySession, data: dict) -> dict:
    """Push and/or write the metrics; what happened, for the report (a failure never changes the verdict)."""
    import time

    from icepack_verify import metrics

    done: dict = {}
    opt = vs.option
    for what, target, action in (("push", opt.metrics_push, metrics.push),
                                 ("textfile", opt.metrics_textfile, metrics.write_textfile)):
        if not target:
            continue
        try:
            action(Path(target) if what == "textfile" else target, data, time.monotonic() - vs.started)
            done[what] = {"target": vs.redact(str(target)), "ok": True}
        except Exception as exc:  # noqa: BLE001 - any failure to report metrics is reported, never fatal
            done[what] = {"target": vs.redact(str(target)), "ok": False, "error": vs.redact(cause_of(exc))[:300]}
    return done


def _junit_verdict(config: pytest.Config, data: dict) -> None:
    """The verdict as JUnit suite properties, even when the run was interrupted before any fixture ran.

    pytest's public `record_testsuite_property` is a fixture; at session finish the junitxml
    plugin object itself takes the property (`add_global_property`, pytest 9.2), found by
    duck type among the registered plugins rather than through its private stash key.
    """
    xml = next((p for p in config.pluginmanager.get_plugins() if hasattr(p, "add_global_property")), None)
    if xml is None:
        return
    for name, value in (("icepack_verdict", data["verdict"]), ("icepack_exit_code", data["exit_code"]),
                        ("icepack_rollback_tier", "" if data["rollback_tier"] is None else data["rollback_tier"]),
                        ("icepack_warnings", len(data["warnings"]))):
        xml.add_global_property(name, str(value))


def terminal(vs: VerifySession, tr) -> None:
    """The verdict, what to roll back (from evidence only), and why anything was not run: each
    cause once, with how many tests it took."""
    data = vs.summary
    if not data:
        return
    tr.section("icepack-verify")
    counts = ", ".join(f"{n} {k}" for k, n in sorted(data["counts"].items()))
    judged = "" if vs.judged is None else f", judged {data['judged']}"
    tr.write_line(f"{data['environment']} (phase {data['phase']}{judged}): {data['verdict']} ({counts}), "
                  f"exit {data['exit_code']}")
    for i, c in enumerate(data["causes"]):
        tr.write_line(f"{'rollback: ' if i == 0 else '  also: '}{c['action']}")
        for line in c["evidence"][:3]:
            tr.write_line(f"    evidence: {line}")
    for line in data["trouble"]:
        tr.write_line(f"inconclusive: {line}")
    if data["verdict"] == "inconclusive" and not data["not_run_causes"] and not data["trouble"]:
        tr.write_line("not run: nothing ran to a verdict")
    for group in data["not_run_causes"]:
        n = len(group["tests"])
        tr.write_line(f"{NOT_RUN}{group['cause'].removeprefix(NOT_RUN)}; {n} test{'s' if n > 1 else ''}")
    for w in data["warnings"]:
        tr.write_line(f"warning: {w['test']}: {w['message']}")
    for what, m in data.get("metrics", {}).items():
        tr.write_line(f"metrics {what} {m['target']}: " + ("done" if m["ok"] else
                      f"FAILED ({m['error']}); the verdict stands, the alert on stale metrics will fire"))
