"""Recovery check, second half: a test dry-run job is accepted, finishes, and changes nothing.

The suite's only write, so it is marked mutating and opt-in (see the plugin's gate). Its
routes, body and fields are the environment's API conventions (environments.toml [api]).
"Changes nothing" is what the job itself reports (api.job_changes_field); the document
defines no /status fields for a job, so those are compared only where
api.job_unchanged_status_fields names them.
"""
from datetime import timedelta

import pytest
from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from icepack_verify import Said, describe, endpoint_path, is_drain_answer, route, submission, submit_exactly_once

DOCUMENT = "deployment document, rollback tiers: 'submitting a test dry-run job'"


def _field(body: object, dotted: str):
    for key in dotted.split("."):
        body = body.get(key) if isinstance(body, dict) else None
    return body


def _json(response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _table_state(api, table: str, fields: list[str]) -> dict | None:
    """What a real expiry or rewrite would lower: the /status fields api.job_unchanged_status_fields
    names (none by default: the document defines none for a job, so no request either)."""
    if not fields:
        return None
    response = api.get(endpoint_path(table, "status"))
    body = _json(response) if response.status_code == 200 else None
    if body is None:
        return None
    return {field: _field(body, field) for field in fields}


def _poll(api, path: str, conventions, timeout: timedelta):
    """The job until it reaches a terminal state or the timeout passes (the last answer either way)."""
    terminal = {*conventions.job_success_states, *conventions.job_failure_states}
    wait = min(timedelta(seconds=1), timeout / 20).total_seconds()
    running = lambda r: r.status_code == 200 and _field(_json(r), conventions.job_state_field) not in terminal  # noqa: E731
    retrying = Retrying(stop=stop_after_delay(timeout.total_seconds()), wait=wait_fixed(wait), retry=retry_if_result(running))
    try:
        return retrying(api.get, path)
    except RetryError as exc:
        return exc.last_attempt.result()


@pytest.mark.mutating
def test_dry_run_job_completes_and_changes_nothing(environment, phase, api, conventions, drain_on, diagnose):
    c = conventions
    table = environment.known_tables[0]
    jobs, request = submission(c, table)
    source = f"{DOCUMENT}; route, body and fields [{environment.source('api.job_submit_route')}]"
    before = _table_state(api, table, c.job_unchanged_status_fields)
    # Sent once; a lost answer is followed by a look-up of the job by its idempotency key, not a blind re-send.
    submitted = submit_exactly_once(api, c, jobs, request, attempts=environment.checks.http_attempts)
    job_id = submitted.job_id
    if submitted.response is not None:
        answer = submitted.response
        if is_drain_answer(answer) and phase.drain_allowed and drain_on:
            return  # the maintenance window's guard answered as it should: that is the expected result here
        accepted = _json(answer) or {}
        if answer.status_code not in (200, 201, 202) or not accepted.get(c.job_id_field):
            diagnose(f"{c.job_submit_method} {environment.api_url}{jobs} {request}").fail(
                "response", Said(f"202 with a {c.job_id_field}"), Said(describe(answer)), source,
                note="; ".join(submitted.story) or None,
                hint=f"Drain mode is on, which phase {phase.name} does not allow" if is_drain_answer(answer) else None)
        job_id = str(accepted[c.job_id_field])
    status_path = route(c.job_status_route, job_id=job_id)
    timeout = environment.checks.dry_run_timeout
    job = _poll(api, status_path, c, timeout)
    d = diagnose(f"dry-run job {job_id} (GET {status_path})")
    body = _json(job)
    if job.status_code != 200 or body is None:
        d.fail("response", Said("200 with a JSON job"), Said(describe(job)), "the job the API just accepted")
    state = _field(body, c.job_state_field)
    if state not in {*c.job_success_states, *c.job_failure_states}:
        d.fail(f"{c.job_state_field} within {timeout}", c.job_success_states[0], state,
               environment.source("checks.dry_run_timeout"),
               hint=f"Is the {environment.names.worker} ScaledJob picking up jobs?")
    d.expect(c.job_state_field, Said(" or ".join(c.job_success_states)), state, source,
             same=lambda *_: state in c.job_success_states)
    d.expect(c.job_dry_run_field, True, _field(body, c.job_dry_run_field), "the request")
    d.expect(c.job_changes_field, Said("nothing (empty)"), _field(body, c.job_changes_field), "a dry run changes nothing",
             same=lambda _e, a: not a)
    after = _table_state(api, table, c.job_unchanged_status_fields)
    for field, value in (before or {}).items():
        now = (after or {}).get(field)
        # A real expiry or rewrite lowers these; other writers only raise them.
        d.expect(f"{endpoint_path(table, 'status')} {field}", Said(f">= {value} (before the job)"), now,
                 f"a dry run changes nothing [{environment.source('api.job_unchanged_status_fields')}]",
                 same=lambda _e, a, v=value: isinstance(a, int) and a >= v)
    if error := _field(body, c.job_error_field):
        d.attach("job error", [str(error)])
    d.conclude()
