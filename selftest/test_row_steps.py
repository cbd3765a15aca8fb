"""The step rules of icepack_verify.row_steps on payloads (the database side runs in the drift catalogue: the drift
partition-count-a-hundredfold and the probe a-table-doubles-and-compacts-in-a-run)."""
from icepack_verify.row_steps import numeric_leaves, step_findings

RULES = dict(state_key="source.metadata_location", ratio=50, run_own=["collection.*"], opaque=["*_id"])


def payload(metadata="m1", data_files=400, deletes=6, partitions=92, snapshot_id=7, duration=300):
    return {"snapshot": {"current_snapshot_id": snapshot_id}, "source": {"metadata_location": metadata},
            "files": {"data_file_count": data_files, "delete_file_count": deletes, "compacted": False},
            "partitions": {"partition_count": partitions}, "collection": {"duration_ms": duration}}


def test_numeric_leaves_are_numbers_not_booleans_or_strings():
    assert numeric_leaves(payload()) == {"snapshot.current_snapshot_id": 7, "files.data_file_count": 400,
                                         "files.delete_file_count": 6, "partitions.partition_count": 92,
                                         "collection.duration_ms": 300}


def test_the_same_metadata_file_holds_the_same_numbers():
    assert step_findings(payload(), payload(deletes=0), **RULES) == [("files.delete_file_count", 6, 0, True)]
    assert step_findings(payload(), payload(snapshot_id=8), **RULES) == [("snapshot.current_snapshot_id", 7, 8, True)]


def test_health_syncs_own_measurement_may_differ_in_one_state():
    assert step_findings(payload(), payload(duration=900), **RULES) == []


def test_a_hundredfold_step_is_found_whatever_the_state():
    for metadata in ("m1", "m2"):
        assert step_findings(payload(), payload(metadata, partitions=9200), **RULES) == [
            ("partitions.partition_count", 92, 9200, False)]


def test_a_new_state_may_grow_within_the_ratio_compact_to_zero_and_renumber():
    grown = payload("m2", data_files=1200, deletes=0, partitions=276, snapshot_id=10 ** 15)
    assert step_findings(payload(), grown, **RULES) == []


def test_a_new_field_or_a_missing_state_key_judges_only_the_ratio():
    before = {"files": {"data_file_count": 400}}
    assert step_findings(before, {"files": {"data_file_count": 401, "new_count": 5}}, **RULES) == []
    assert step_findings(before, {"files": {"data_file_count": 40_001}}, **RULES) == [
        ("files.data_file_count", 400, 40_001, False)]
