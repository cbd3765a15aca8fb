"""The database against its recorded baseline (icepack_verify.data_baseline): every relation Icepack keeps
has the kind, columns and column types it had, and the newest rows of every table hold values of the kind
a day of its rows held: words health-sync writes, signs, keys, the lists a word decides.

Record (or re-record, after a legitimate change) with
`pytest --env <env> --record-baseline tests/data/test_baseline.py`, then commit the file.
"""
import json
from pathlib import Path

import pytest

from icepack_verify import TRACKED_WITHIN, Said, read_database_baseline, record_database_baseline, relation_shapes, \
    row_observations, shape_differences, violations

SHOWN = 20


@pytest.fixture(scope="session")
def database_baseline(environment, database, pytestconfig) -> dict:
    folder = pytestconfig.option.baseline_dir or Path(__file__).parent / "baselines"
    path = folder / f"{environment.name}.database.json"
    if pytestconfig.option.record_baseline:
        recorded = record_database_baseline(database, TRACKED_WITHIN)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
        pytest.skip(f"recorded the database baseline of {environment.name} at {path} (commit it): "
                    f"{len(recorded['relations'])} relations, rules learned from {recorded['learned_from']} rows")
    if not path.exists():
        pytest.skip(f"no database baseline for {environment.name} at {path}: record one with `pytest --env "
                    f"{environment.name} --record-baseline tests/data/test_baseline.py`, then commit it")
    shown = path.relative_to(pytestconfig.rootpath) if path.is_relative_to(pytestconfig.rootpath) else path
    return read_database_baseline(json.loads(path.read_text()), str(shown))


@pytest.mark.rollback(tier=3)  # a relation Icepack reads changed shape: schema migrations went wrong
def test_relations_keep_their_shape(database_baseline, database, diagnose):
    d = diagnose(f"relations of {database.subject}")
    for field, expected, actual in shape_differences(database_baseline["relations"], relation_shapes(database)):
        d.mismatch(field, Said(expected), Said(actual), f"database baseline {database_baseline['where']}")
    d.conclude()


@pytest.mark.rollback(tier=1)  # health-sync (Icepack's image) writes values no healthy run wrote
def test_newest_rows_match_the_baseline(database_baseline, database, environment, diagnose):
    s = environment.data
    d = diagnose(f"newest rows of {s.status_table} and {s.health_table}")
    newest = row_observations(database, newest_only=True)
    for kind, snapshot in (("status", s.status_table), ("health", s.health_table)):
        column = f"{s.status_payload_column}." if kind == "status" else ""
        found = [(t, path, expected, actual) for t, row in newest[kind]
                 for path, expected, actual in violations(database_baseline["rows"][kind], row)]
        for table, path, expected, actual in found[:SHOWN]:
            d.mismatch(f"{snapshot} {table} {column}{path}", Said(expected), actual,
                       f"database baseline {database_baseline['where']} (learned from a day of {snapshot} rows)")
        if len(found) > SHOWN:
            d.hint(f"{len(found) - SHOWN} more rows of {snapshot} break a value rule")
    d.conclude()
