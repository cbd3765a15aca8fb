"""Runbook step 4: "verify table_status_snapshots and table_health_snapshots are being populated".

The newest row of each snapshot table must be younger than the health-sync interval plus
a grace: older than interval + warn_grace warns, older than interval + fail_grace fails.
"""
import pytest

from icepack_verify import TRACKED_WITHIN, Outcome, Said, Warned, relation_kinds


class SnapshotsLate(Warned):
    """Health-sync is behind, not yet stale enough to fail."""


@pytest.mark.parametrize("kind", ["status", "health"])
def test_snapshot_table_is_fresh(kind, environment, phase, snapshot_tables, thresholds, diagnose):
    if not phase.freshness_required:
        pytest.skip(f"phase {phase.name}: health-sync is suspended for the window, so freshness is not required "
                    "(runbook step 1; checked again in phase resumed)")
    newest = snapshot_tables[kind]
    outcome = newest.outcome(thresholds)
    d = diagnose(f"table {newest.table}, column {newest.column}")
    expected = Said(f"newest row at most {thresholds.fail} old by the database's now()")
    when = newest.newest.isoformat() if newest.newest else "without a timestamp"
    if outcome is Outcome.EMPTY:
        d.fail("newest row", expected, Said("empty: the table has no rows"), thresholds.source,
               hint="Health-sync has never written here (a fresh or restored database?)")
    if outcome is Outcome.CLOCK_SKEW:
        d.fail("newest row", Said(f"at most {thresholds.skew} in the database's future"),
               Said(f"clock skew: {when} lies {-newest.age} in the database's future (now() {newest.now.isoformat()})"),
               environment.source("checks.clock_skew"), hint="Check the health-sync nodes' clocks")
    if outcome is Outcome.NEVER_REFRESHED:
        d.fail("newest row", expected,
               Said(f"never refreshed: {newest.rows} rows from a single run, newest {when}, {newest.age} old"),
               thresholds.source, hint="A restored database whose health-sync never resumed?")
    if outcome is Outcome.STALE:
        d.fail("newest row", expected, Said(f"stale: newest row {when} is {newest.age} old"), thresholds.source,
               hint=f"Is the {environment.names.health_sync} CronJob suspended or failing?")
    if outcome is Outcome.LATE:
        d.warn(SnapshotsLate, f"late: newest row is {newest.age} old, past the warn threshold {thresholds.warn} "
                              f"(fails after {thresholds.fail})  [from {thresholds.source}]")
    assert outcome in (Outcome.FRESH, Outcome.LATE)


def test_every_tracked_table_is_fresh(environment, phase, per_table, thresholds, diagnose):
    """A fresh newest row can hide a table health-sync stopped collecting: judge each tracked table."""
    if not phase.freshness_required:
        pytest.skip(f"phase {phase.name}: health-sync is suspended for the window, so freshness is not required")
    s = environment.data
    newest, now = per_table["status"]
    tracked = {t: ts for t, ts in newest.items() if now - ts <= TRACKED_WITHIN}
    if not tracked:
        pytest.skip(f"no table has a row in {s.status_table} from the last {TRACKED_WITHIN.total_seconds() / 3600:g}h: "
                    "test_snapshot_table_is_fresh says why")
    d = diagnose(f"table {s.status_table}, column {s.status_time_column}, each table with a row in the last "
                 f"{TRACKED_WITHIN.total_seconds() / 3600:g}h")
    for table, ts in sorted(tracked.items()):
        d.expect(f"{table} newest row", Said(f"at most {thresholds.fail} old"), Said(f"{ts.isoformat()}, {now - ts} old"),
                 thresholds.source, same=lambda *_, ts=ts: now - ts <= thresholds.fail)
    if d.mismatches:
        d.hint(f"health-sync ({environment.names.health_sync}) stopped collecting these tables: "
               "a catalog listing that lost a namespace, or a collector failing on them? Check its job logs")
    d.conclude()


@pytest.mark.rollback(tier=3)  # not the schema Icepack's startup DDL creates: a migration gone wrong
def test_snapshot_tables_hold_what_health_sync_writes(environment, database, diagnose):
    """A materialized view in a snapshot table's place holds what it held when last refreshed: fresh
    today, frozen from then on. Icepack creates tables (CREATE TABLE IF NOT EXISTS, deployment document,
    tier 3); a plain view over one shows its rows as they are."""
    d = diagnose("the snapshot tables")
    for name, kind in relation_kinds(database).items():
        d.expect(f"{name} kind", Said("a table (or a plain view over one): what health-sync writes is read"), kind,
                 f"{environment.source('data.status_table')}; deployment document, Rollback tiers, tier 3 "
                 "(Icepack creates its tables on startup)", same=lambda _e, a: a in ("table", "partitioned table", "view"),
                 note=None if kind != "materialized view" else "a materialized view changes only when refreshed")
    d.conclude()
