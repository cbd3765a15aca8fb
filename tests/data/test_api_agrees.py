"""The API serves what the database holds: a cache in front of /status must not serve
yesterday's collected_at while every spec looks right."""
from datetime import datetime, timezone

import pytest

from icepack_verify import Problem, Said, describe, endpoint_path, newest_status


def _parse(value) -> datetime | None:
    try:
        ts = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    # A zone-less timestamp is the contracts suite's finding; here it is read as the UTC it renders.
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def _observe(api, database, tables):
    """The database's newest row per table just before and just after the API's answers."""
    before = newest_status(database, tables)
    answers = api.get_many([endpoint_path(t, "status") for t in tables])
    after = newest_status(database, tables)
    return before, dict(zip(tables, answers.values())), after


def _collected_at(answer) -> object:
    """The collected_at an answer serves; None for an answer that is not a JSON object."""
    try:
        body = answer.json()
    except (ValueError, AttributeError):
        return None
    return body.get("collected_at") if isinstance(body, dict) else None


def _agrees(before, answer, after) -> bool:
    # Health-sync may write a row between the reads: either side of the API call is the truth.
    return getattr(answer, "status_code", None) == 200 and _parse(_collected_at(answer)) in {before, after} - {None}


@pytest.mark.rollback(tier=1)  # a caching bug in the API image, not the database
def test_status_collected_at_matches_the_newest_row(environment, api, database, diagnose):
    tables = environment.known_tables
    before, answers, after = _observe(api, database, tables)
    if not all(_agrees(before[t], answers[t], after[t]) for t in tables):
        before, answers, after = _observe(api, database, tables)  # one re-read for a refresh race
    s = environment.data
    # No row and a 404 agree; an empty table is the freshness test's finding.
    tables = [t for t in tables if after[t] or getattr(answers[t], "status_code", None) != 404]
    if not tables:
        pytest.skip(f"no known table has a row in {s.status_table}: nothing to compare (the freshness test says why)")
    d = diagnose("/status of each known table versus the database")
    for t in tables:
        answer = answers[t]
        if isinstance(answer, Problem):
            raise answer  # no answer to judge: not run
        if answer.status_code != 200:
            actual = Said(describe(answer))
        else:
            actual = _collected_at(answer) or Said(describe(answer))
        truth = after[t].isoformat() if after[t] else f"no row in {s.status_table}"
        d.expect(f"{t} collected_at", Said(f"{truth} (newest {s.status_table}.{s.status_time_column})"), actual,
                 "the database, read-only session", same=lambda _e, _a, t=t: _agrees(before[t], answers[t], after[t]))
    d.conclude()
