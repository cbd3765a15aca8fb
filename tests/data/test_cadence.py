"""Runbook step 4, "being populated": health-sync's runs arrive on its schedule. In the last
data.cadence_intervals intervals before each table's newest run (status and health), no gap between its runs is
longer than an interval + data.warn_grace, unless every table paused together once (a maintenance
window: freshness judges that while it lasts). A table skipped while the others ran, or collected
every other run, is a gap; a table's first run has none before it (newly tracked, or a restored database)."""
import pytest

from icepack_verify import Said, run_gaps


@pytest.mark.parametrize("kind", ["status", "health"])
def test_runs_arrive_on_the_health_sync_schedule(kind, environment, phase, database, thresholds, diagnose):
    if not phase.freshness_required:
        pytest.skip(f"phase {phase.name}: health-sync is suspended for the window, so its cadence is not judged")
    s = environment.data
    window, longest = thresholds.interval * s.cadence_intervals, thresholds.interval + s.warn_grace
    table, column = (s.status_table, s.status_time_column) if kind == "status" else (s.health_table,
                                                                                      s.health_time_column)
    d = diagnose(f"table {table}, column {column}: the runs of the last {window} before each table's newest")
    source = f"{thresholds.source}; data.cadence_intervals [{environment.source('data.cadence_intervals')}]"
    for gap in run_gaps(database, table, column, window, longest):
        why = (f"{gap.others_ran} runs of other tables in between: this table was skipped" if gap.others_ran
               else f"{gap.gaps} such gaps: runs less often than every {thresholds.interval}")
        d.mismatch(f"{gap.table} runs", Said(f"one at least every {longest}"),
                   Said(f"none between {gap.after.isoformat()} and {gap.before.isoformat()} "
                        f"({gap.before - gap.after})"), source, note=why)
    if d.mismatches:
        d.hint(f"health-sync ({environment.names.health_sync}) runs but does not collect every table every run: "
               "a run outlasting its interval (concurrencyPolicy Forbid skips the next), or a collector failing "
               "on these tables? Check its job logs")
    d.conclude()
