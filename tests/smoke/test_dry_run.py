"""Recovery check, second half: a test dry-run job is accepted, finishes, and changes nothing.

The suite's only write, so it is marked mutating and opt-in (see the plugin's gate).
"""
from datetime import timedelta

import pytest
from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from icepack_verify import Said, describe, endpoint_path

TERMINAL = {"succeeded", "failed"}
REQUEST = {"action": "expire_snapshots", "dry_run": True}
DOCUMENT = "deployment document, rollback tiers: 'submitting a test dry-run job'"


def _table_state(api, table: str) -> dict | None:
    """What a real expiry or rewrite would lower: the table's snapshot and file counts."""
    response = api.get(endpoint_path(table, "status"))
    if response.status_code != 200:
        return None
    body = response.json()
    return {"snapshot.snapshot_count": body.get("snapshot", {}).get("snapshot_count"),
            "files.data_file_count": body.get("files", {}).get("data_file_count")}


def _poll(api, job_id: str, timeout: timedelta):
    """The job until it reaches a terminal state or the timeout passes (the last answer either way)."""
    wait = min(timedelta(seconds=1), timeout / 20).total_seconds()
    retrying = Retrying(stop=stop_after_delay(timeout.total_seconds()), wait=wait_fixed(wait),
                        retry=retry_if_result(lambda r: r.status_code == 200 and r.json().get("state") not in TERMINAL))
    try:
        return retrying(api.get, f"/maintenance/jobs/{job_id}")
    except RetryError as exc:
        return exc.last_attempt.result()


@pytest.mark.mutating
def test_dry_run_job_completes_and_changes_nothing(environment, phase, api, drain_on, diagnose):
    table = environment.known_tables[0]
    jobs = endpoint_path(table, "maintenance/jobs")
    before = _table_state(api, table)
    submitted = api.post(jobs, json=REQUEST)
    drained = submitted.status_code == 503 and "drain" in submitted.text.lower()
    if drained and phase.drain_allowed and drain_on:
        return  # the maintenance window's guard answered as it should: that is the expected result here
    accepted = submitted.status_code == 202 and "json" in submitted.headers.get("content-type", "") \
        and "job_id" in submitted.json()
    if not accepted:
        diagnose(f"POST {environment.api_url}{jobs} {REQUEST}").fail(
            "response", Said("202 with a job_id"), Said(describe(submitted)), DOCUMENT,
            hint=f"Drain mode is on, which phase {phase.name} does not allow" if drained else None)
    job_id = submitted.json()["job_id"]
    timeout = environment.checks.dry_run_timeout
    job = _poll(api, job_id, timeout)
    d = diagnose(f"dry-run job {job_id} (GET /maintenance/jobs/{job_id})")
    if job.status_code != 200:
        d.fail("response", 200, Said(describe(job)), "the job the API just accepted")
    body = job.json()
    if body.get("state") not in TERMINAL:
        d.fail(f"state within {timeout}", "succeeded", body.get("state"), environment.source("checks.dry_run_timeout"),
               hint=f"Is the {environment.names.worker} ScaledJob picking up jobs?")
    d.expect("state", "succeeded", body.get("state"), DOCUMENT)
    d.expect("dry_run", True, body.get("dry_run"), "the request")
    result = body.get("result") or {}
    d.expect("result.changed", Said("nothing (empty)"), result.get("changed"), "a dry run changes nothing",
             same=lambda _e, a: not a)
    after = _table_state(api, table)
    for field, value in (before or {}).items():
        now = (after or {}).get(field)
        # A real expiry or rewrite lowers these; other writers only raise them.
        d.expect(f"{endpoint_path(table, 'status')} {field}", Said(f">= {value} (before the job)"), now,
                 "a dry run changes nothing", same=lambda _e, a, v=value: isinstance(a, int) and a >= v)
    if body.get("error"):
        d.attach("job error", [str(body["error"])])
    d.conclude()
