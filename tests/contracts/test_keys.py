"""Runbook step 5: each read contract of each known table has exactly the documented top-level keys."""
from icepack_verify import CONTRACT_SOURCE, SPLIT_READ_CONTRACTS, Said, endpoint_path, key_diff


def test_top_level_keys(contract_body, diagnose, table, endpoint):
    expected = SPLIT_READ_CONTRACTS[endpoint]
    actual = set(contract_body(table, endpoint))
    if diff := key_diff(expected, actual):
        diagnose(f"GET {endpoint_path(table, endpoint)} ({table})").fail(
            "top-level keys", Said(", ".join(sorted(expected))), Said(diff), CONTRACT_SOURCE)
