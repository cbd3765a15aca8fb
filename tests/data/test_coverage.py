"""Health-sync covers every table: each fresh status has a fresh health assessment, and
the number of tracked tables did not collapse since yesterday."""
import pytest

from icepack_verify import Said, table_counts


def test_every_fresh_status_has_a_fresh_health_snapshot(environment, per_table, thresholds, diagnose):
    s = environment.data
    status, now = per_table["status"]
    health, _ = per_table["health"]
    fresh = sorted(t for t, ts in status.items() if now - ts <= thresholds.fail)
    if not fresh:
        pytest.skip(f"no table has a status snapshot fresher than {thresholds.fail}: nothing to compare "
                    "(the freshness test says why)")
    d = diagnose(f"table {s.health_table}")
    for table in fresh:
        newest = health.get(table)
        actual = "no row" if newest is None else f"newest {newest.isoformat()}, {now - newest} old"
        d.expect(f"{table} {s.health_time_column}", Said(f"at most {thresholds.fail} old "
                 f"(its status was collected {now - status[table]} ago)"), Said(actual), thresholds.source,
                 same=lambda _e, _a, n=newest: n is not None and now - n <= thresholds.fail)
    d.conclude()


def test_tracked_tables_did_not_collapse(environment, database, thresholds, diagnose):
    s = environment.data
    counts = table_counts(database, thresholds.interval)
    if counts.newest is None:
        pytest.skip(f"{s.status_table} is empty: no tables to count (the freshness test reports it)")
    if not counts.history or counts.day_before == 0:
        pytest.skip(f"{s.status_table} holds no rows from a day before its newest run: nothing to compare with")
    floor = counts.day_before * (1 - s.max_table_drop)
    d = diagnose(f"table {s.status_table}")
    d.expect(f"distinct tables in the {thresholds.interval} up to the newest run ({counts.newest.isoformat()})",
             Said(f"at least {floor:g} ({counts.day_before} a day before, less data.max_table_drop "
                  f"{s.max_table_drop:g})"), counts.current, environment.source("data.max_table_drop"),
             same=lambda _e, actual: actual >= floor)
    d.conclude()
