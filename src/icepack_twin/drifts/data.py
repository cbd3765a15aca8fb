"""Data drifts: the snapshot tables health-sync populates gone wrong, caught by tests/data."""
from __future__ import annotations

from datetime import timedelta

from icepack_twin.drifts import drift


def _stopped(b) -> None:
    b.health_sync_running = False
    b.last_refresh_age = timedelta(hours=2)


drift("health-sync-stopped", "data", "health-sync has not run for 2h: both snapshot tables stale",
      behaviour=_stopped)
drift("health-sync-late", "data", "health-sync last ran 25 minutes ago: late (a warning), not yet stale",
      behaviour=lambda b: (setattr(b, "health_sync_running", False),
                           setattr(b, "last_refresh_age", timedelta(minutes=25))))
# Not the environments' known tables: their API contracts still hold, only the data shows the gap.
drift("health-snapshots-missing", "data", "health-sync writes no health rows for analytics.sessions and ops.job_runs",
      behaviour=lambda b: b.health_missing_tables.update({"analytics.sessions", "ops.job_runs"}))
drift("empty-snapshot-tables", "data", "both snapshot tables empty (a fresh database health-sync never filled)",
      behaviour=lambda b: setattr(b, "empty_tables", True))
drift("snapshot-clock-skew", "data", "the newest snapshot rows are stamped 10 minutes in the database's future",
      behaviour=lambda b: setattr(b, "last_refresh_age", timedelta(minutes=-10)))
drift("api-serving-cached-collected-at", "data", "/status serves a collected_at 30 minutes older than the newest row",
      behaviour=lambda b: setattr(b, "api_cached_collected_at", timedelta(minutes=30)))
# Not the known tables either: only the day-over-day count of tracked tables shows it.
drift("tracked-tables-collapsed", "data",
      "health-sync stopped collecting 3 of 6 tables 2h ago (a catalog listing that lost a namespace)",
      behaviour=lambda b: b.dropped_tables.update({"analytics.sessions", "sales.refunds", "ops.job_runs"}))


def _never_refreshed(b) -> None:
    b.health_sync_running = False
    b.last_refresh_age = timedelta(hours=3)
    b.history_runs = 1


drift("snapshots-never-refreshed", "data",
      "the snapshot tables hold one run from 3h ago and nothing since (restored database, health-sync never resumed)",
      behaviour=_never_refreshed)
