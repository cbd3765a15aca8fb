"""The step rule of icepack_verify.row_steps on payloads (the database side runs in the drift catalogue: the drift
partition-count-a-hundredfold and the probe a-table-doubles-and-compacts-in-a-run)."""
from icepack_verify.row_steps import numeric_leaves, step_findings

RULES = dict(ratio=50, run_own=["collection.*"], opaque=["*_id"])


def payload(data_files=400, deletes=6, partitions=92, snapshot_id=7, duration=300):
    return {"snapshot": {"current_snapshot_id": snapshot_id}, "source": {"metadata_location": "m"},
            "files": {"data_file_count": data_files, "delete_file_count": deletes, "compacted": False},
            "partitions": {"partition_count": partitions}, "collection": {"duration_ms": duration}}


def test_numeric_leaves_are_numbers_not_booleans_or_strings():
    assert numeric_leaves(payload()) == {"snapshot.current_snapshot_id": 7, "files.data_file_count": 400,
                                         "files.delete_file_count": 6, "partitions.partition_count": 92,
                                         "collection.duration_ms": 300}


def test_a_hundredfold_growth_is_found():
    assert step_findings(payload(), payload(partitions=9200), **RULES) == [("partitions.partition_count", 92, 9200)]
    assert step_findings(payload(data_files=40), payload(data_files=5000), **RULES) == [
        ("files.data_file_count", 40, 5000)]


def test_a_maintenance_fall_of_any_size_passes():
    """rewrite_data_files takes 5000 files to 40; expire_snapshots and rewrite_manifests cut counts >100x."""
    assert step_findings(payload(data_files=5000), payload(data_files=40), **RULES) == []
    assert step_findings(payload(partitions=9200), payload(partitions=1), **RULES) == []


def test_growth_within_the_ratio_compaction_to_zero_new_ids_and_run_times_pass():
    grown = payload(data_files=1200, deletes=0, partitions=276, snapshot_id=10 ** 15, duration=90_000)
    assert step_findings(payload(), grown, **RULES) == []


def test_a_new_field_is_not_a_step():
    assert step_findings({"files": {}}, {"files": {"new_count": 5000}}, **RULES) == []


def test_a_quotient_whose_divisor_maintenance_cut_is_judged_through_its_parts():
    """rewrite_data_files: 5000 files of 1 MiB into 40 of 125 MiB; the average file size rises 125x, as it must."""
    def files(count, total=5000 * 2 ** 20):
        return {"files": {"data_file_count": count, "total_data_bytes": total},
                "derived": {"avg_file_bytes": total // count}}
    assert step_findings(files(5000), files(40), **RULES) == []
    # the same rise with no divisor behind it (the bytes grew a hundredfold): the bytes are the finding
    grown = files(5000, total=500_000 * 2 ** 20)
    assert [f for f, _, _ in step_findings(files(5000), grown, **RULES)] == ["files.total_data_bytes"]
