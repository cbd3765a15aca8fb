"""The documented top-level fields carry the right types (the contract models).

Missing and unexpected keys are test_keys' finding; this test judges the types of the
keys that are there, so one drift reads as one failure.
"""
from icepack_verify import check_types, endpoint_path


def test_field_types(contract_body, diagnose, table, endpoint):
    body = contract_body(table, endpoint)
    d = diagnose(f"GET {endpoint_path(table, endpoint)} ({table})")
    check_types(d, table, endpoint, body)
    d.conclude()
