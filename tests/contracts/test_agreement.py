"""The three read contracts of one table tell one story.

/health and /maintenance/recommendation are assessments of a /status snapshot: their
`status_collected_at` may not be newer than /status `collected_at`, nor older than it by
more than one health-sync interval (an assessment of a superseded snapshot). No timestamp
lies in the future beyond the allowed clock skew.
"""
from datetime import datetime, timezone

import pytest

from icepack_verify.contract import endpoint_path
from icepack_verify.diagnosis import Diagnosis
from icepack_verify.models import aware_timestamp, table_id
from icepack_verify.semantics import interval

from icepack_verify.contract import ENDPOINTS, SOURCE as STEP5

ASSESSMENTS = ("health", "maintenance/recommendation")
TIMESTAMPS = {"status": ("collected_at",), "health": ("assessed_at", "status_collected_at"),
              "maintenance/recommendation": ("evaluated_at", "status_collected_at")}


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


def test_endpoints_agree(contract_body, api, environment, expect, table):
    bodies = {e: contract_body(table, e) for e in ENDPOINTS}
    diag = Diagnosis(environment.name, f"read contracts of {table}")

    for endpoint, body in bodies.items():
        diag.expect(f"{endpoint}: table", table, table_id(body.get("table")) or body.get("table"),
                    f"{STEP5}: every contract names the requested table")

    times = {(e, k): _when(bodies[e], k) for e, keys in TIMESTAMPS.items() for k in keys}
    if None in times.values():
        unreadable = ", ".join(f"{e} {k}" for (e, k), t in times.items() if t is None)
        diag.conclude()
        pytest.skip(f"timestamps not comparable ({unreadable} not ISO-8601 with a zone; see test_field_types)")

    sync = interval(expect.health_sync.schedule)
    sync_source = f"{environment.source('expect.health_sync.schedule')}: health-sync every {sync}"
    collected = times[("status", "collected_at")]
    if any(times[(e, "status_collected_at")] > collected for e in ASSESSMENTS):
        # A health-sync ran between the concurrent reads: read /status once more, after the assessments.
        collected = _reread_collected_at(api, table) or collected
    for endpoint in ASSESSMENTS:
        based_on = times[(endpoint, "status_collected_at")]
        diag.expect(f"{endpoint}: status_collected_at", f"not newer than /status collected_at {collected.isoformat()}",
                    based_on.isoformat(), f"{STEP5}: assessments are made of a status snapshot",
                    same=lambda _e, _a, b=based_on: b <= collected)
        diag.expect(f"{endpoint}: status_collected_at",
                    f"within {sync} of /status collected_at {collected.isoformat()}",
                    f"{based_on.isoformat()} ({collected - based_on} older: an assessment of an older status)",
                    sync_source, same=lambda _e, _a, b=based_on: collected - b <= sync)

    latest = datetime.now(timezone.utc) + environment.checks.clock_skew
    for (endpoint, key), when in times.items():
        diag.expect(f"{endpoint}: {key}", f"not after {latest.isoformat()} (now + clock skew)", when.isoformat(),
                    environment.source("checks.clock_skew"), same=lambda _e, _a, w=when: w <= latest)
    diag.conclude()
