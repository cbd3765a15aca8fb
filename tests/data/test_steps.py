"""Each table's recent status snapshots (the data.cadence_intervals intervals before its newest) against the run before
each (icepack_verify.row_steps): no amount grows by more than data.step_ratio times in one run (a fall is
maintenance's)."""
from icepack_verify import Said, recent_steps, times_ahead

SHOWN = 20


def test_status_rows_follow_the_run_before(environment, database, thresholds, diagnose):
    s = environment.data
    window = thresholds.interval * s.cadence_intervals
    d = diagnose(f"table {s.status_table}: each table's rows of the last {window} before its newest, against the run "
                 "before each")
    steps = recent_steps(database, window, s.step_ratio, s.run_own_fields, s.step_opaque)
    for step in steps[:SHOWN]:
        field = f"{step.table} at {step.at.isoformat()} {s.status_payload_column}.{step.field}"
        expected = Said(f"within {s.step_ratio:g}x of {step.previous!r} (the run of {step.before.isoformat()})")
        source = f"data.step_ratio [{environment.source('data.step_ratio')}]"
        d.mismatch(field, expected, step.newest, source)
    if len(steps) > SHOWN:
        d.hint(f"{len(steps) - SHOWN} more numbers break the rules")
    if steps:
        d.hint("health-sync wrote numbers its own previous run of the same table contradicts: a collector reading "
               "the wrong table or metadata file, or a unit changed (bytes vs KiB)? Compare with the catalog")
    d.conclude()


def test_status_rows_hold_no_time_after_their_collection(environment, database, thresholds, diagnose):
    s, skew = environment.data, environment.checks.clock_skew
    window = thresholds.interval * s.cadence_intervals
    d = diagnose(f"table {s.status_table}: the times each row of the last {window} holds, against its {s.status_time_column}")
    ahead = times_ahead(database, window, skew, s.run_own_fields)
    for a in ahead[:SHOWN]:
        d.mismatch(f"{a.table} at {a.at.isoformat()} {s.status_payload_column}.{a.field}",
                   Said(f"not after {a.at.isoformat()} + {skew} (what a collection reads had happened by then)"), a.value,
                   f"deployment document: health-sync collects each table's state; checks.clock_skew "
                   f"[{environment.source('checks.clock_skew')}]")
    if len(ahead) > SHOWN:
        d.hint(f"{len(ahead) - SHOWN} more times lie ahead of their rows")
    if ahead:
        d.hint("a status row holding a time after its own collection: a collector clock ahead, or values written "
               "into the row after it was stamped? Compare with the table's metadata in the catalog")
    d.conclude()
