"""The documented top-level fields carry the right types (icepack_verify.models).

Missing and unexpected keys are test_keys' finding; this test judges the types of the
keys that are there, so one drift reads as one failure.
"""
from pydantic import ValidationError

from icepack_verify.contract import endpoint_path
from icepack_verify.diagnosis import fail
from icepack_verify.models import MODELS

from icepack_verify.contract import SOURCE as STEP5

KEY_SET_ERRORS = {"missing", "extra_forbidden"}
# What a pydantic error type means, in the runbook's words.
EXPECTED = {"bool_type": "a JSON boolean (true/false)", "none_required": "null on a healthy table",
            "list_type": "a JSON list", "string_type": "a JSON string"}


def test_field_types(contract_body, environment, table, endpoint):
    body = contract_body(table, endpoint)
    try:
        MODELS[endpoint].model_validate(body, context={"table": table})
        return
    except ValidationError as exc:
        errors = [e for e in exc.errors() if e["type"] not in KEY_SET_ERRORS]
    if errors:
        lines = [f"  {'.'.join(map(str, e['loc']))}: expected {EXPECTED.get(e['type'], e['msg'])}, "
                 f"actual {e['input']!r}" for e in errors]
        fail(f"[{environment.name}] GET {endpoint_path(table, endpoint)} ({table}): "
             f"{len(errors)} field type(s) wrong  [from {STEP5}; types in icepack_verify.models]\n" + "\n".join(lines))
