"""Each table's recent status snapshots (the data.cadence_intervals intervals before its newest) against the run before
each (icepack_verify.row_steps): no amount grows by more than data.step_ratio times in one run (a fall is
maintenance's)."""
from icepack_verify import Said, recent_steps

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
