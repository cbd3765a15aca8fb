"""The read contracts of one table tell one story.

/health and /maintenance/recommendation are assessments of a /status snapshot: their
`status_collected_at` may not be newer than /status `collected_at`, nor older than it by
more than one health-sync interval (an assessment of a superseded snapshot). No timestamp
lies in the future beyond the allowed clock skew.
"""
from datetime import datetime, timezone

import pytest

from icepack_verify import (CONTRACT_SOURCE, ENDPOINTS, aware_timestamp, endpoint_path, interval, table_id,
                            timestamp_fields)

BASED_ON = "status_collected_at"  # an assessment names the /status snapshot it was made of


def _when(body: dict, key: str) -> datetime | None:
    try:
        return aware_timestamp(body.get(key))
    except ValueError:
        return None  # not an aware ISO-8601 timestamp: test_field_types reports it


def _reread_collected_at(api, table: str) -> datetime | None:
    try:
        body = api.get(endpoint_path(table, "status")).json()
    except ValueError:
        return None
    return _when(body, "collected_at") if isinstance(body, dict) else None


def test_endpoints_agree(contract_body, api, environment, expect, diagnose, table):
    bodies = {e: contract_body(table, e) for e in ENDPOINTS}
    d = diagnose(f"read contracts of {table}")

    for endpoint, body in bodies.items():
        d.expect(f"{endpoint}: table", table, table_id(body.get("table")) or body.get("table"),
                 f"{CONTRACT_SOURCE}: every contract names the requested table")

    times = {(e, k): _when(bodies[e], k) for e in ENDPOINTS for k in timestamp_fields(e)}
    if None in times.values():
        unreadable = ", ".join(f"{e} {k}" for (e, k), t in times.items() if t is None)
        d.conclude()
        pytest.skip(f"timestamps not comparable ({unreadable} not ISO-8601 with a zone; see test_field_types)")

    sync = interval(expect.health_sync.schedule)
    sync_source = f"{environment.source('expect.health_sync.schedule')}: health-sync every {sync}"
    collected = times[("status", "collected_at")]
    assessments = [e for e in ENDPOINTS if (e, BASED_ON) in times]
    if any(times[(e, BASED_ON)] > collected for e in assessments):
        # A health-sync ran between the concurrent reads: read /status once more, after the assessments.
        collected = _reread_collected_at(api, table) or collected
    tolerance = environment.checks.assessment_tolerance
    for endpoint in assessments:
        based_on = times[(endpoint, BASED_ON)]
        own_key = next(k for k in timestamp_fields(endpoint) if k != BASED_ON)  # assessed_at, evaluated_at
        own = times[(endpoint, own_key)]
        # Made after the newer /status existed, yet of an older one: stale input (a health-sync run
        # caught between writing /status and /health shows an assessment older than /status: fine).
        d.expect(f"{endpoint}: {BASED_ON}", f"within {tolerance} of /status collected_at {collected.isoformat()} "
                 f"(it was {own_key} {own.isoformat()}, after that status existed)",
                 f"{based_on.isoformat()} ({collected - based_on} older: assessed from stale input)",
                 environment.source("checks.assessment_tolerance"),
                 same=lambda _e, _a, b=based_on, o=own: not (o >= collected and collected - b > tolerance))
        d.expect(f"{endpoint}: {BASED_ON}", f"not newer than /status collected_at {collected.isoformat()}",
                 based_on.isoformat(), f"{CONTRACT_SOURCE}: assessments are made of a status snapshot",
                 same=lambda _e, _a, b=based_on: b <= collected)
        d.expect(f"{endpoint}: {BASED_ON}", f"within {sync} of /status collected_at {collected.isoformat()}",
                 f"{based_on.isoformat()} ({collected - based_on} older: an assessment of an older status)",
                 sync_source, same=lambda _e, _a, b=based_on: collected - b <= sync)

    latest = datetime.now(timezone.utc) + environment.checks.clock_skew
    for (endpoint, key), when in times.items():
        d.expect(f"{endpoint}: {key}", f"not after {latest.isoformat()} (now + clock skew)", when.isoformat(),
                 environment.source("checks.clock_skew"), same=lambda _e, _a, w=when: w <= latest)
    d.conclude()
