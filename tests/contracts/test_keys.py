"""Runbook step 5: each read contract of each known table has exactly the documented top-level keys."""
from icepack_verify.contract import SPLIT_READ_CONTRACTS, endpoint_path, key_diff
from icepack_verify.diagnosis import fail

from icepack_verify.contract import SOURCE as STEP5


def test_top_level_keys(contract_body, environment, table, endpoint):
    expected = SPLIT_READ_CONTRACTS[endpoint]
    actual = set(contract_body(table, endpoint))
    if diff := key_diff(expected, actual):
        fail(f"[{environment.name}] GET {endpoint_path(table, endpoint)} ({table}): top-level keys differ: "
             f"{diff}\n  expected: {', '.join(sorted(expected))}  [from {STEP5}]")
