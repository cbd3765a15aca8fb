"""Data drifts: the snapshot tables health-sync populates gone wrong, caught by tests/data."""
from __future__ import annotations

from datetime import timedelta

from icepack_twin.drifts.base import DriftList

DRIFTS = DriftList("data")


def _stopped(b) -> None:
    b.health_sync_running = False
    b.last_refresh_age = timedelta(hours=2)


DRIFTS.add("health-sync-stopped", "health-sync has not run for 2h: both snapshot tables stale",
      behaviour=_stopped)
DRIFTS.add("health-sync-late", "health-sync last ran 25 minutes ago: late (a warning), not yet stale",
      behaviour=lambda b: (setattr(b, "health_sync_running", False),
                           setattr(b, "last_refresh_age", timedelta(minutes=25))))
# Not the environments' known tables: their API contracts still hold, only the data shows the gap.
DRIFTS.add("health-snapshots-missing", "health-sync writes no health rows for analytics.sessions and ops.job_runs",
      behaviour=lambda b: b.health_missing_tables.update({"analytics.sessions", "ops.job_runs"}))
DRIFTS.add("empty-snapshot-tables", "both snapshot tables empty (a fresh database health-sync never filled)",
      behaviour=lambda b: setattr(b, "empty_tables", True))
DRIFTS.add("snapshot-clock-skew", "the newest snapshot rows are stamped 10 minutes in the database's future",
      behaviour=lambda b: setattr(b, "last_refresh_age", timedelta(minutes=-10)))
DRIFTS.add("api-serving-cached-collected-at", "/status serves a collected_at 30 minutes older than the newest row",
      behaviour=lambda b: setattr(b, "api_cached_collected_at", timedelta(minutes=30)))
# Not the known tables either: only the day-over-day count of tracked tables shows it.
DRIFTS.add("tracked-tables-collapsed", "health-sync stopped collecting 3 of 6 tables 2h ago (a catalog listing that lost a namespace)",
      behaviour=lambda b: b.dropped_tables.update({"analytics.sessions", "sales.refunds", "ops.job_runs"}))


def _never_refreshed(b) -> None:
    b.health_sync_running = False
    b.last_refresh_age = timedelta(hours=3)
    b.history_runs = 1


DRIFTS.add("snapshots-never-refreshed", "the snapshot tables hold one run from 3h ago and nothing since (restored database, health-sync never resumed)",
      behaviour=_never_refreshed)
# Not a known table, and not enough to collapse the count: only a per-table look shows it.
DRIFTS.add("one-tracked-table-stale", "health-sync stopped collecting sales.refunds 2h ago; the other tables are fresh",
           behaviour=lambda b: b.dropped_tables.update({"sales.refunds"}))
