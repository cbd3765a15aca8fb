"""Orchestrator and health-sync CronJobs: schedule, concurrency, suspension, a recent success."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from icepack_verify import Said, next_fires, previous_fire, same_schedule, valid_schedule, zone

JOBS = pytest.mark.parametrize("job", ["orchestrator", "health_sync"], ids=["orchestrator", "health-sync"])


def _suspension_expected(phase, job: str) -> bool | None:
    return phase.orchestrator_suspended if job == "orchestrator" else phase.health_sync_suspended


@JOBS
def test_cronjob_spec(objects, environment, expect, diagnose, job):
    cj = objects.get(job)
    want = getattr(expect, job)
    d = diagnose(objects.resource(job))
    given = cj["spec"].get("timeZone")
    tz = environment.checks.controller_time_zone if given is None else given  # none: the controller's zone
    if zone(tz) is None:
        d.mismatch("spec.timeZone", Said("absent (the controller's zone) or a tz database name"), given,
                   "Kubernetes CronJob validation (batch/v1): spec.timeZone is nil or a time zone name; "
                   "the API server refuses anything else")
    else:
        d.expect(f"spec.schedule (spec.timeZone {given})" if given else
                 f"spec.schedule (no spec.timeZone: the controller's zone {tz}, "
                 f"{environment.source('checks.controller_time_zone')})",
                 want.schedule, cj["spec"].get("schedule"),
                 environment.source(f"expect.{job}.schedule") + ", read in UTC: the instants it fires must be the same",
                 same=lambda e, a: same_schedule(e, a, time_zone=tz),
                 note=f"fires {next_fires(cj['spec'].get('schedule'), tz)}; expected {next_fires(want.schedule)}")
    d.expect("spec.concurrencyPolicy", want.concurrency_policy, cj["spec"].get("concurrencyPolicy", "Allow"),
             environment.source(f"expect.{job}.concurrency_policy"))
    d.conclude()


@JOBS
@pytest.mark.rollback(tier=0)  # left suspended after a window: resume it, nothing to roll back
def test_cronjob_suspension_matches_phase(objects, phase, diagnose, job):
    cj = objects.get(job)
    want = _suspension_expected(phase, job)
    if want is None:
        pytest.skip(f"phase {phase.name} ({phase.doc}): {objects.resource(job)} may be suspended or running")
    d = diagnose(objects.resource(job))
    d.expect("spec.suspend", want, bool(cj["spec"].get("suspend", False)), f"runbook phase {phase.name}: {phase.doc}")
    d.conclude()


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@JOBS
@pytest.mark.rollback(tier=0)  # the spec is test_cronjob_spec's: a failing run is repaired, not rolled back
def test_cronjob_recent_success(objects, environment, phase, expect, diagnose, job):
    cj = objects.get(job)
    suspended = bool(cj["spec"].get("suspend", False))
    if suspended and _suspension_expected(phase, job) is not False:
        pytest.skip(f"{objects.resource(job)} is suspended, as phase {phase.name} allows ({phase.doc}): "
                    "no recent run required")
    schedule = cj["spec"].get("schedule")
    given = cj["spec"].get("timeZone")
    tz = zone(environment.checks.controller_time_zone if given is None else given) or timezone.utc
    if not valid_schedule(schedule) or previous_fire(schedule, datetime.now(timezone.utc), tz) is None:
        schedule = getattr(expect, job).schedule  # judge by the expected one; test_cronjob_spec reports the bad one
    # The newest fire whose run must have finished by now: the controller may start it up to
    # startingDeadlineSeconds late, and the run itself takes up to the tolerance.
    deadline = timedelta(seconds=cj["spec"].get("startingDeadlineSeconds") or 0)
    tolerance = environment.checks.cronjob_tolerance
    now = datetime.now(timezone.utc)
    due = previous_fire(schedule, now - deadline - tolerance, tz)
    expected = Said(f"at or after {due:%Y-%m-%dT%H:%M:%SZ}")
    source = (f"its own schedule {schedule!r}: the run due at {due:%Y-%m-%dT%H:%M:%SZ} "
              f"+ startingDeadlineSeconds {deadline} + checks.cronjob_tolerance {tolerance} "
              f"({environment.source('checks.cronjob_tolerance')})")
    last = (cj.get("status") or {}).get("lastSuccessfulTime")
    d = diagnose(objects.resource(job))
    if not last:
        d.fail("status.lastSuccessfulTime", expected, Said("none (never succeeded)"), source)
    stale = due - _parse(last)
    d.expect("status.lastSuccessfulTime", expected, Said(f"{last} (stale by {_human(stale)})"), source,
             same=lambda *_: stale <= timedelta(0))
    d.conclude()


def _human(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{int(delta.total_seconds()) % 60:02d}s"
