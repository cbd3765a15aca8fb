"""The OpenAPI baseline's response schemas and the body validator, as units: what the drift
catalogue cannot reach through the twin (OpenAPI 3.0 documents, recursive schemas, first-format
baselines, the cap on findings)."""
from __future__ import annotations

import json

from icepack_verify.body_schema import CAP, BodySchemas
from icepack_verify.diagnosis import Diagnosis
from icepack_verify.openapi_surface import read_baseline, record_baseline, surface

ROUTE = "/things/{id}"


def document(schema: dict, version: str = "3.1.0", components: dict | None = None) -> dict:
    return {"openapi": version, "paths": {ROUTE: {"get": {"responses": {"200": {
        "content": {"application/json": {"schema": schema}}}}}}}, "components": {"schemas": components or {}}}


def findings(doc: dict, body, shared: tuple[str, ...] = ("action",)) -> list[str]:
    """The mismatches a body gets against the baseline recorded from doc (round-tripped through JSON)."""
    schemas = BodySchemas(read_baseline(json.loads(json.dumps(record_baseline(doc)))), "baselines/x.json", shared)
    d = Diagnosis("x", "GET /things/1")
    assert schemas.check(d, ROUTE, "get", 200, body)
    return [str(m).strip() for m in d.mismatches] + d.hints


def test_openapi_3_0_nullable_admits_null_and_boolean_exclusive_bounds_hold():
    doc = document({"type": "object", "properties": {
        "note": {"type": "string", "nullable": True},
        "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True}}}, version="3.0.3")
    assert findings(doc, {"note": None, "ratio": 0.5}) == []
    found = findings(doc, {"note": 3, "ratio": 0})
    assert any(f.startswith("note: expected a JSON string or null, actual 3") for f in found), found
    assert any(f.startswith("ratio: expected more than 0, actual 0") for f in found), found


def test_refs_are_resolved_into_the_baseline_and_a_recursive_one_is_kept_once():
    components = {"Node": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}
    doc = document({"$ref": "#/components/schemas/Node"}, components=components)
    recorded = record_baseline(doc)
    assert "components" not in json.dumps(recorded), "the baseline stands alone"
    assert findings(doc, {"name": "a", "children": [{"name": "b", "children": []}]}) == []
    assert findings(doc, {"name": "a", "children": [{"children": []}]}) == [
        "children[0].name: expected present (required), actual absent  "
        "[from OpenAPI baseline baselines/x.json, GET /things/{id} 200]"]
    assert read_baseline(recorded).surface == surface(doc)


def test_a_first_format_baseline_is_read_as_a_surface_without_schemas():
    old = {ROUTE: {"get": {"200": {"name": "string"}}}}
    baseline = read_baseline(old)
    assert baseline.surface == old and baseline.schemas is None and baseline.schema(ROUTE, "get", 200) is None


def test_findings_are_capped_with_a_count():
    doc = document({"type": "array", "items": {"type": "integer"}})
    found = findings(doc, ["x"] * (CAP + 5))
    assert len(found) == CAP + 1 and found[-1].startswith("5 more schema violations"), found


def test_a_name_the_schema_enumerates_holds_that_vocabulary_wherever_it_stands():
    """history[].action beside recommended_actions[].action: an unenumerated field of a name
    enumerated elsewhere in the same schema takes that enum's values; a name with two enums is left alone."""
    action = {"type": "string", "enum": ["expire", "rewrite"]}
    doc = document({"type": "object", "properties": {
        "actions": {"type": "array", "items": {"type": "object", "properties": {"action": action,
                                                                                "state": {"enum": ["a"]}}}},
        "history": {"type": "array", "items": {"type": "object", "properties": {
            "action": {"type": "string", "nullable": True}, "state": {"type": "string"}}}},
        "other": {"type": "object", "properties": {"state": {"enum": ["b"]}}}}}, version="3.0.3")
    healthy = {"actions": [{"action": "expire", "state": "a"}], "history": [{"action": "rewrite", "state": "zzz"},
                                                                           {"action": None, "state": "a"}]}
    assert findings(doc, healthy) == []  # `state` has two vocabularies: not judged by name
    assert findings(doc, {"actions": [], "history": [{"action": "collector timed out"}]}) == [
        "history[0].action: expected one of 'expire', 'rewrite' (what `action` holds where the schema enumerates it), "
        "actual 'collector timed out'  [from OpenAPI baseline baselines/x.json, GET /things/{id} 200: one name, "
        "one vocabulary (api.shared_vocabulary_fields)]"]
    # only the names api.shared_vocabulary_fields lists are judged so (generic names hold several vocabularies)
    assert findings(doc, {"actions": [], "history": [{"action": "collector timed out"}]}, shared=()) == []
    # a value outside the enum where the schema enumerates it is the validator's finding, reported once
    assert len(findings(doc, {"actions": [{"action": "compact"}]})) == 1


def test_a_field_pydantic_wraps_in_all_of_counts_as_enumerated():
    """pydantic writes a described enum field as allOf: [its enum]: it is enumerated, not a field of another
    vocabulary."""
    action = {"type": "string", "enum": ["expire", "rewrite"]}
    doc = document({"type": "object", "properties": {
        "actions": {"type": "array", "items": {"type": "object", "properties": {"action": action}}},
        "history": {"type": "array", "items": {"type": "object", "properties": {
            "action": {"allOf": [{"type": "string", "enum": ["expire", "rewrite", "retired"]}],
                       "description": "the job's action"}}}}}})
    assert findings(doc, {"actions": [{"action": "expire"}], "history": [{"action": "retired"}]}) == []
