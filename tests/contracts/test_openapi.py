"""The API against its own OpenAPI document, read-only.

Schemathesis calls every GET operation of the served spec (writes are out of scope: the
suite is read-only) with a bounded, seeded set of positive cases: the spec's examples
(tracked tables), its coverage cases and fuzzed ones. Checked: no 5xx, only documented
status codes, bodies that match the documented schemas. The spec forbids extra top-level
keys, so a contract key drift on a tracked table is a finding here as well as in test_keys.

A committed baseline of the spec catches a breaking change as oasdiff's rules judge one: an
ERR-level change fails, a WARN-level one ("potentially breaking") is a warning.
"""
from icepack_verify import Said, Warned, breaking_changes, check_get_operations, removals, surface

CHECKS = "checks: not_a_server_error, status_code_conformance, response_schema_conformance"


class PotentiallyBreaking(Warned):
    """A change oasdiff levels WARN: it may break a client, the document cannot say."""


def test_get_operations_conform(openapi_schema, api, diagnose, pytestconfig):
    ran, found = check_get_operations(openapi_schema, api, detail=pytestconfig.get_verbosity() > 0)
    d = diagnose("GET operations of the served OpenAPI spec")
    if not ran:
        d.fail("GET operations", Said("at least one to exercise"), Said("none documented"), "GET /openapi.json")
    for operation, finding in found.items():
        d.mismatch(operation, Said("conforms to the served spec"), Said("breaks it"), CHECKS, note=finding)
    d.conclude()


def test_no_breaking_change_against_baseline(openapi_document, openapi_baseline, openapi_baseline_path, diagnose):
    d = diagnose("GET /openapi.json")
    source = f"the committed baseline {openapi_baseline_path.parent.name}/{openapi_baseline_path.name}"
    if openapi_baseline.schemas is None:  # a first, surface-only baseline: removed or retyped properties only
        for gone in removals(openapi_baseline.surface, surface(openapi_document)):
            d.mismatch("breaking change", Said("none against the committed baseline"), Said(gone), source)
        d.conclude()
        return
    changes = breaking_changes(openapi_baseline.document(), openapi_document,
                               request_side=openapi_baseline.requests is not None)
    for change in changes:
        if change.level == "ERR":
            d.mismatch("breaking change", Said("none against the committed baseline"), Said(str(change)),
                       f"{source}; oasdiff's rule {change.id}")
    d.conclude()
    for change in changes:
        if change.level == "WARN":
            d.warn(PotentiallyBreaking, f"potentially breaking change against {source}: {change}")
