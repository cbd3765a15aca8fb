"""Units: what a snapshot row says a read contract serves, and where an answer differs from it
(tests/data/test_api_agrees.py); and a rollback marker of tier None (tests/data/test_role.py)."""
from datetime import datetime, timezone

import pytest

from icepack_verify import report
from icepack_verify.environments import DataSettings
from icepack_verify.references import ABSENT, differences, served_values

SETTINGS = DataSettings(status_table="s", status_time_column="collected_at", health_table="h",
                        health_time_column="assessed_at", database_column="database_name", table_column="table_name",
                        warn_grace="5m", fail_grace="20m", max_table_drop=0.2, suite_role_memberships=[],
                        suite_role_denied_settings=[], suite_role_expiry_warning="14d")
AT = datetime(2026, 11, 29, 16, 20, tzinfo=timezone.utc)
ROW = {"id": 7, "database_name": "sales", "table_name": "orders", "collected_at": AT,
       "payload": {"files": {"data_file_count": 84, "small_file_ratio": 0.25}, "issues": [{"code": "x"}],
                   "snapshot": {"oldest_snapshot_at": "2026-11-24T16:20:00+00:00"}}}
SERVED = {"collected_at": "2026-11-29T16:20:00Z", "stale": False, "table": {"database": "sales", "name": "orders"},
          "files": {"data_file_count": 84, "small_file_ratio": 0.25}, "issues": [{"code": "x"}],
          "snapshot": {"oldest_snapshot_at": "2026-11-24T17:20:00+01:00"}}


def test_the_row_is_its_columns_by_name_with_the_payload_keys():
    assert served_values(ROW, SETTINGS) == {"id": 7, "collected_at": AT, **ROW["payload"]}


@pytest.mark.parametrize("edit", [
    lambda b: b["files"].update(data_file_count=84.0),           # one number, as JSON has no integers
    lambda b: b.update(collected_at="2026-11-29T17:20:00.000+01:00"),  # one instant in another zone
    lambda b: b["files"].update(extra=1),                        # a key the answer adds: the schema's business
    lambda b: b.pop("snapshot"),                                 # a top-level key missing: the contract tests'
])
def test_equal_forms_do_not_differ(edit):
    served = {**SERVED, "files": dict(SERVED["files"])}
    edit(served)
    assert differences(served_values(ROW, SETTINGS), served) == []


@pytest.mark.parametrize("edit, path", [
    (lambda b: b["files"].update(data_file_count=168), "files.data_file_count"),
    (lambda b: b["files"].pop("small_file_ratio"), "files.small_file_ratio"),
    (lambda b: b.update(collected_at="2026-11-29T15:20:00Z"), "collected_at"),
    (lambda b: b.update(issues=[]), "issues"),
    (lambda b: b.update(issues=[{"code": "y"}]), "issues[0].code"),
    (lambda b: b["files"].update(data_file_count=True), "files.data_file_count"),
])
def test_a_leaf_served_otherwise_differs(edit, path):
    served = {**SERVED, "files": dict(SERVED["files"])}
    edit(served)
    assert [p for p, _, _ in differences(served_values(ROW, SETTINGS), served)] == [path]


def test_a_nested_key_missing_is_absent():
    [(_, _, served)] = differences({"files": {"a": 1}}, {"files": {}})
    assert served is ABSENT and repr(served) == "absent"


def test_a_marker_of_tier_none_names_no_rollback():
    assert report.cause("tests/data/x.py::t", None, "INSERT on t: held") == (
        None, "what a failure of this check means (its rollback marker)")
