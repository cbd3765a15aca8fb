"""The suite's one write, exactly once: the dry-run submission and the look-up that makes it safe.

The submission carries an idempotency key (a header the API may honour). When its answer
is lost (no answer, or a gateway's 502/503/504), the suite does not simply send it again:
it asks the API for the job with that key. Found: that is the job. Not found after a 503
(the load balancer had no backend; nothing reached the API): sent again, same key. Not
found otherwise, or no look-up route configured: the outcome is unknown, and said so
(OutcomeUnknown, an Unreachable: nothing was observed about the job, so never a finding).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import httpx

from icepack_verify.api import RETRY_STATUSES, ApiClient, describe
from icepack_verify.contract import route
from icepack_verify.environments import ApiConventions
from icepack_verify.errors import Unreachable


def submission(c: ApiConventions, table: str) -> tuple[str, dict]:
    """The submission's route and body for one table ('<database>.<table>'): {database} and
    {table} filled in wherever they stand, the route's percent-encoded as path segments, the
    body's string values (at any depth) as they are."""
    database, name = table.split(".", 1)

    def fill(value):
        if isinstance(value, str):
            return value.replace("{database}", database).replace("{table}", name)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value
    return route(c.job_submit_route, database=database, table=name), fill(c.job_submit_body)


def is_drain_answer(response: httpx.Response) -> bool:
    """The API's own 503 for drain mode (a guard, not a lost answer)."""
    return response.status_code == 503 and "drain" in response.text.lower()


@dataclass
class Submitted:
    response: httpx.Response | None  # the answer to judge; None when it was lost and the job found by its key
    job_id: str | None = None        # the job found by its key
    story: list[str] = field(default_factory=list)  # what happened on the way, for the failure message


class OutcomeUnknown(Unreachable):
    """A submission that may have created a job which the suite could not find."""


def submit_exactly_once(api: ApiClient, c: ApiConventions, path: str, body: dict, *, attempts: int) -> Submitted:
    key = str(uuid.uuid4())
    headers = {c.job_idempotency_header: key} if c.job_idempotency_header else {}
    subject = f"{c.job_submit_method} {api.base_url}{path}"
    story: list[str] = []
    for attempt in range(1, attempts + 1):
        try:
            answer = api.write_once(c.job_submit_method, path, json=body, headers=headers)
        except Unreachable as exc:
            answer, what = None, exc.reason
        else:
            if answer.status_code not in RETRY_STATUSES or is_drain_answer(answer):
                return Submitted(answer, story=story)
            what = describe(answer)
        story.append(f"submission {attempt}: {what}")
        found = _find(api, c, key, subject, story)
        if found:
            story.append(f"found job {found} by its idempotency key: not submitted again")
            return Submitted(None, found, story)
        if answer is None or answer.status_code != 503:
            raise OutcomeUnknown(subject, "; ".join(story) + ". It may have reached the API, so it was not sent "
                                 "again: look for a dry-run job on this table before submitting another")
    return Submitted(answer, story=story)  # every attempt a 503 that created nothing: judged as observed


def _find(api: ApiClient, c: ApiConventions, key: str, subject: str, story: list[str]) -> str | None:
    """The id of the job submitted with `key`; None when the API confirms there is none."""
    if not c.job_lookup_route:
        raise OutcomeUnknown(subject, "; ".join(story) + ". No api.job_lookup_route is set to look for the job it "
                             "may have created, so it was not sent again: look for a dry-run job on this table")
    lookup = route(c.job_lookup_route, key=key)
    answer = api.get(lookup)
    try:
        body = answer.json() if answer.status_code == 200 else None
    except ValueError:
        body = None
    items = body if not c.job_lookup_items_field else (body or {}).get(c.job_lookup_items_field) \
        if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) > 1 or any(not isinstance(i, dict) for i in items):
        seen = f"{len(items)} jobs for one key" if isinstance(items, list) else describe(answer)
        raise OutcomeUnknown(subject, "; ".join(story) + f". The look-up GET {lookup} answered {seen}, not the list "
                             "of jobs with that key: not sent again; look for a dry-run job on this table")
    return str(items[0].get(c.job_id_field)) if items else None
