"""Runbook step 4: "verify table_status_snapshots and table_health_snapshots are being populated".

The newest row of each snapshot table must be younger than the health-sync interval plus
a grace: older than interval + warn_grace warns, older than interval + fail_grace fails.
"""
import warnings

import pytest

from icepack_verify.diagnosis import fail
from icepack_verify.freshness import Outcome


class SnapshotsLate(UserWarning):
    """Health-sync is behind, not yet stale enough to fail."""


@pytest.mark.parametrize("kind", ["status", "health"])
def test_snapshot_table_is_fresh(kind, environment, phase, snapshot_tables, thresholds):
    if not phase.freshness_required:
        pytest.skip(f"phase {phase.name}: health-sync is suspended for the window, so freshness is not required "
                    "(runbook step 1; checked again in phase resumed)")
    newest = snapshot_tables[kind]
    outcome = newest.outcome(thresholds)
    where = f"[{environment.name}] table {newest.table}, column {newest.column}"
    expected = f"newest row at most {thresholds.fail} old by the database's now() [from {thresholds.source}]"
    if outcome is Outcome.EMPTY:
        fail(f"{where}: empty: the table has no rows; expected {expected}. "
             "Health-sync has never written here (a fresh or restored database?)")
    if outcome is Outcome.CLOCK_SKEW:
        fail(f"{where}: clock skew: newest row {newest.newest.isoformat()} lies {-newest.age} in the database's "
             f"future (now() {newest.now.isoformat()}); expected at most {thresholds.skew} "
             f"[from {environment.source('checks.clock_skew')}]. Check the health-sync nodes' clocks")
    if outcome is Outcome.NEVER_REFRESHED:
        fail(f"{where}: never refreshed: {newest.rows} rows from a single run, newest "
             f"{newest.newest.isoformat() if newest.newest else 'without a timestamp'}, {newest.age} old; "
             f"expected {expected}")
    if outcome is Outcome.STALE:
        fail(f"{where}: stale: newest row {newest.newest.isoformat()} is {newest.age} old; expected {expected}. "
             f"Is the {environment.names.health_sync} CronJob suspended or failing?")
    if outcome is Outcome.LATE:
        warnings.warn(SnapshotsLate(f"{where}: late: newest row is {newest.age} old, past the warn threshold "
                                    f"{thresholds.warn} (fails after {thresholds.fail}) [from {thresholds.source}]"))
    assert outcome in (Outcome.FRESH, Outcome.LATE)
