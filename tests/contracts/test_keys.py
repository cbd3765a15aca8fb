"""Runbook step 5: each read contract of each known table has exactly the documented top-level keys."""
from icepack_verify import check_keys, endpoint_path


def test_top_level_keys(contract_body, diagnose, table, endpoint):
    d = diagnose(f"GET {endpoint_path(table, endpoint)} ({table})")
    check_keys(d, endpoint, contract_body(table, endpoint))
    d.conclude()
