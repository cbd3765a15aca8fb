"""The assessments name a status that was collected: the `status_collected_at` of /health and of the
recommendation of each known table is the collected_at of a row of the status snapshot table, of that
table (not a time the assessment made up, nor another table's)."""
import pytest

from icepack_verify import (TRACKED_WITHIN, Said, aware_timestamp, collected_near, dangling_assessments, describe,
                            endpoint_path, resolves)

ASSESSMENTS = ("health", "maintenance/recommendation")
BASED_ON = "status_collected_at"


def _based_on(answer):
    """The instant an assessment names, or what came instead (a Said)."""
    try:
        body = answer.json() if answer.status_code == 200 else None
        return aware_timestamp(body.get(BASED_ON))
    except (ValueError, AttributeError):
        return Said(describe(answer) if hasattr(answer, "status_code") else str(answer))


@pytest.mark.rollback(tier=1)  # the image's assessments name a status nobody collected: not the database's fault
def test_assessments_name_a_collected_status(environment, api, database, diagnose):
    tables = environment.known_tables
    answers = api.get_many([endpoint_path(t, e) for t in tables for e in ASSESSMENTS])
    named = {(t, e): _based_on(answers[endpoint_path(t, e)]) for t in tables for e in ASSESSMENTS}
    if all(isinstance(v, Said) for v in named.values()):
        pytest.skip("no known table's assessment names a status (the contracts suite says why)")
    s = environment.data
    d = diagnose(f"assessments of the known tables versus {s.status_table}")
    for table in tables:
        instants = [v for (t, _), v in named.items() if t == table and not isinstance(v, Said)]
        if not instants:
            continue
        collected = collected_near(database, table, instants)
        if not all(resolves(i, collected) for i in instants):  # a run may commit its status after the API read
            collected = collected_near(database, table, instants)
        for endpoint in ASSESSMENTS:
            instant = named[(table, endpoint)]
            if isinstance(instant, Said):
                continue  # unreadable: the contracts suite's finding
            d.expect(f"{table} {endpoint} {BASED_ON}",
                     Said(f"the {s.status_time_column} of a {s.status_table} row of {table}"), instant.isoformat(),
                     f"{environment.source('data.status_table')}: an assessment is made of a collected status",
                     same=lambda _e, _a, i=instant, c=collected: resolves(i, c),
                     note=f"no row of {table} collected at that instant")
    d.conclude()


@pytest.mark.rollback(tier=1)  # health-sync (Icepack's image) assessed a status it never collected
def test_every_assessment_row_names_a_collected_status(environment, database, diagnose):
    """Every table's newest health row, not only the known tables': a health row for a table nobody
    collects, or one naming an instant no status row of its table has, is an assessment of nothing."""
    s = environment.data
    dangling = dangling_assessments(database, TRACKED_WITHIN)
    if dangling:  # health-sync may commit a run's health rows before its status rows: read once more
        dangling = dangling_assessments(database, TRACKED_WITHIN)
    d = diagnose(f"table {s.health_table} versus {s.status_table}")
    for row in dangling:
        d.mismatch(f"{row['table']} newest {s.health_based_on_column} (assessed {row['assessed_at'].isoformat()})",
                   Said(f"the {s.status_time_column} of a {s.status_table} row of {row['table']}"),
                   row["based_on"].isoformat(), f"{environment.source('data.health_based_on_column')}: "
                   "an assessment is made of a collected status", note=f"no row of {row['table']} collected then")
    d.conclude()
