"""The run's reports, all written from the session: the verdict and exit code, the JSON report,
the JUnit suite properties, the metrics, and the terminal's summary.

Every report is written whatever happened before: a step that fails is one sentence in the
others, and the run is then inconclusive (never a crash, never exit 3). The exit code of
the process is always the one the JSON report carries.
"""
from __future__ import annotations

import re
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
    """The answer first: the verdict, what to roll back with its evidence, one line per failure
    (resource, field, expected vs actual), then each cause of "not run" and of a skip once with
    how many tests it took, the warnings and the metrics."""
    data = vs.summary
    if not data or data["exit_code"] == pytest.ExitCode.USAGE_ERROR:  # bad input: its one sentence says it all
        return
    tr.section("icepack-verify")
    for line in closing_block(data):
        tr.write_line(line)


MAX_FAILURE_LINES = 10  # the rest are in the JSON report, JUnit and pytest's own output (--pytest-output)


def closing_block(data: dict) -> list[str]:
    counts = ", ".join(f"{n} {k}" for k, n in sorted(data["counts"].items()))
    judged = "" if data.get("judged", "the live environment") == "the live environment" else f", judged {data['judged']}"
    out = [f"{data['environment']} (phase {data['phase']}{judged}): {data['verdict']} ({counts}), exit {data['exit_code']}"]
    before_apply = bool(data["causes"]) and data.get("rollback_tier") is None  # a render: see report.summary
    if before_apply:
        out.append(f"action: {data['action']}")
    for i, c in enumerate(data["causes"]):
        label = ("  had it been applied: " if i == 0 else "  and: ") if before_apply else ("rollback: " if i == 0 else "  also: ")
        out.append(f"{label}{c['action']}")
        out += [f"    evidence: {line}" for line in c["evidence"][:3]]
        if follows := c.get("follows"):
            out.append(f"    and {_tests(len(follows))} on the same objects (tier {follows[0]['tier']} by suite "
                       "alone), which follow from it")
    tiers = [c["tier"] for c in data["causes"]]  # the headline's failures first
    failures = sorted(data["failures"], key=lambda f: tiers.index(f.get("rollback_tier"))
                      if f.get("rollback_tier") in tiers else len(tiers))
    if failures:
        out.append(f"failures ({len(failures)}):")
        out += [f"  {failure_line(f)}" for f in failures[:MAX_FAILURE_LINES]]
        if len(failures) > MAX_FAILURE_LINES:
            out.append(f"  ... and {len(failures) - MAX_FAILURE_LINES} more (--report-json, or --pytest-output for "
                       "pytest's own)")
    out += [f"inconclusive: {line}" for line in data["trouble"]]
    if data["verdict"] == "inconclusive" and not data["not_run_causes"] and not data["trouble"]:
        out.append("not run: nothing ran to a verdict")
    for group in data["not_run_causes"]:
        out.append(f"{NOT_RUN}{group['cause'].removeprefix(NOT_RUN)}; {_tests(len(group['tests']))}")
    for reason, n in skip_causes(data["results"]).items():
        out.append(f"skipped: {reason}; {_tests(n)}")
    out += [f"warning: {w['test']}: {w['message']}" for w in data["warnings"]]
    for what, m in data.get("metrics", {}).items():
        out.append(f"metrics {what} {m['target']}: " + ("done" if m["ok"] else
                   f"FAILED ({m['error']}); the verdict stands, the alert on stale metrics will fire"))
    return out


def failure_line(failure: dict) -> str:
    """'<resource>: <field>: expected X, actual Y  [from S]  (+N more)  <test id>' from a diagnosis;
    a failure that is not one: its last line (the assertion)."""
    lines = [ln for ln in failure.get("message", "").splitlines() if ln.strip()]
    head = lines[0] if lines else failure["outcome"]
    if m := re.match(r"^\[[^\]]+\] (.+?): (?:(\d+) fields? differs?|(.+))$", head):
        resource, fields, sentence = m.groups()
        fields_at = [ln.strip() for ln in lines[1:] if ln.startswith("  ") and not ln.startswith("    ")
                     and ": expected " in ln]
        if fields and fields_at:
            more = f"  (+{int(fields) - 1} more)" if int(fields) > 1 else ""
            what = f"{resource}: {fields_at[0]}{more}"
        else:
            what = f"{resource}: {sentence or head}"
    else:
        what = next((ln.strip() for ln in reversed(lines) if ln.startswith("E ")), head.strip())
    return f"{what[:400]}  ({failure['test']})"


def skip_causes(results: list[dict]) -> dict[str, int]:
    """Each reason a test was skipped (deliberately: not a dependency down), with how many tests."""
    counted: dict[str, int] = {}
    for r in results:
        if r["outcome"] == "skipped":
            counted[r.get("message", "")] = counted.get(r.get("message", ""), 0) + 1
    return counted


def _tests(n: int) -> str:
    return f"{n} test{'s' if n != 1 else ''}"
