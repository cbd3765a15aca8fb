"""The documented top-level fields carry the right types (the contract models).

Missing and unexpected keys are test_keys' finding; this test judges the types of the
keys that are there, so one drift reads as one failure.
"""
from pydantic import ValidationError

from icepack_verify import CONTRACT_SOURCE, MODELS, Said, endpoint_path

KEY_SET_ERRORS = {"missing", "extra_forbidden"}
# What a pydantic error type means, in the runbook's words.
EXPECTED = {"bool_type": "a JSON boolean (true/false)", "none_required": "null on a healthy table",
            "list_type": "a JSON list", "string_type": "a JSON string"}


def test_field_types(contract_body, diagnose, table, endpoint):
    body = contract_body(table, endpoint)
    try:
        MODELS[endpoint].model_validate(body, context={"table": table})
        return
    except ValidationError as exc:
        errors = [e for e in exc.errors() if e["type"] not in KEY_SET_ERRORS]
    d = diagnose(f"GET {endpoint_path(table, endpoint)} ({table})")
    for e in errors:
        d.mismatch(".".join(map(str, e["loc"])), Said(EXPECTED.get(e["type"], e["msg"])), e["input"],
                   f"{CONTRACT_SOURCE}; types in the contract models")
    d.conclude()
