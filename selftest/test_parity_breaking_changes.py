"""Breaking changes as oasdiff judges them: each case cites the check id (checker/rules.go) and level
it comes from; cases with no finding are changes oasdiff's rules level INFO (not breaking)."""
from __future__ import annotations

import copy

import pytest

from icepack_verify.breaking_changes import ERR, WARN, breaking_changes, errors, warnings

OBJ = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                         "state": {"type": "string", "enum": ["a", "b"]},
                                         "tags": {"type": "array", "items": {"type": "string"}}},
       "required": ["id", "state"]}


def doc(response=OBJ, *, status="200", media="application/json", params=(), body=None, path="/t/{id}",
        extra_responses=None) -> dict:
    op = {"parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}, *params],
          "responses": {status: {"description": "", "content": {media: {"schema": response}}}, **(extra_responses or {})}}
    if body is not None:
        op["requestBody"] = body
    return {"openapi": "3.1.0", "paths": {path: {"get": op}}}


def with_prop(name, schema, *, required=None, base=OBJ):
    s = copy.deepcopy(base)
    if schema is None:
        s["properties"].pop(name)
    else:
        s["properties"][name] = schema
    if required is not None:
        s["required"] = required
    return s


def body(schema, required=True, media="application/json"):
    return {"required": required, "content": {media: {"schema": schema}}}


def found(base, revision):
    return sorted({(c.id, c.level) for c in breaking_changes(base, revision)})


CASES = [
    # --- paths and operations ---------------------------------------------------------------
    ("api-path-removed-without-deprecation", doc(), {"openapi": "3.1.0", "paths": {}},
     [("api-path-removed-without-deprecation", ERR)]),
    ("endpoints match ignoring path parameter names (MATCHING-ENDPOINTS.md)", doc(),
     doc(path="/t/{key}", params=()) | {"paths": {"/t/{key}": {"get": {**doc()["paths"]["/t/{id}"]["get"],
         "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "integer"}}]}}}}, []),
    ("api-removed-without-deprecation", doc(), {"openapi": "3.1.0", "paths": {"/t/{id}": {"post": {"responses": {}}}}},
     [("api-removed-without-deprecation", ERR)]),
    # --- response status and media types ------------------------------------------------------
    ("response-success-status-removed", doc(), doc(status="201"), [("response-success-status-removed", ERR)]),
    ("response-non-success-status-removed is INFO", doc(extra_responses={"404": {"description": ""}}), doc(), []),
    ("response-media-type-removed", doc(), doc(media="text/plain"), [("response-media-type-removed", ERR)]),
    ("response-media-type-name-specialized is INFO (json -> problem+json)", doc(),
     doc(media="application/problem+json"), []),
    ("response-media-type-name-generalized", doc(media="application/problem+json"), doc(),
     [("response-media-type-name-generalized", ERR)]),
    ("a +json body is compared like JSON (isStronglyTyped)", doc(media="application/vnd.x+json"),
     doc(with_prop("id", {"type": "string"}), media="application/vnd.x+json"), [("response-property-type-changed", ERR)]),
    ("response-body-media-type-schema-removed", doc(),
     {"openapi": "3.1.0", "paths": {"/t/{id}": {"get": {**doc()["paths"]["/t/{id}"]["get"],
      "responses": {"200": {"content": {"application/json": {}}}}}}}}, [("response-body-media-type-schema-removed", WARN)]),
    # --- response types and formats ------------------------------------------------------------
    ("response-body-type-changed", doc(), doc({"type": "array", "items": OBJ}), [("response-body-type-changed", ERR)]),
    ("response-property-type-changed", doc(), doc(with_prop("id", {"type": "string"})), [("response-property-type-changed", ERR)]),
    ("response-property-type-generalized (integer -> number)", doc(), doc(with_prop("id", {"type": "number"})),
     [("response-property-type-generalized", ERR)]),
    ("response-property-type-specialized is INFO (number -> integer)", doc(with_prop("id", {"type": "number"})), doc(), []),
    ("format widened in a response (int32 -> int64) breaks (isFormatContained, toward the base)",
     doc(with_prop("id", {"type": "integer", "format": "int32"})), doc(with_prop("id", {"type": "integer", "format": "int64"})),
     [("response-property-type-changed", ERR)]),
    ("format narrowed in a response (int64 -> int32) is INFO", doc(with_prop("id", {"type": "integer", "format": "int64"})),
     doc(with_prop("id", {"type": "integer", "format": "int32"})), []),
    ("format added in a response is INFO (isFormatContained: to empty)", doc(), doc(with_prop("name", {"type": "string", "format": "uuid"})), []),
    ("a type removed from a response breaks (typeFormatBreaking toward the base)", doc(),
     doc(with_prop("id", {"description": "anything"})), [("response-property-type-changed", ERR)]),
    ("a type added to a response is INFO", doc(with_prop("id", {})), doc(), []),
    ("anything may become a string in a loosely typed media type (isTypeContained, not strongly typed)",
     doc(body=body(with_prop("id", {"type": "integer"}), media="text/plain")),
     doc(body=body(with_prop("id", {"type": "string"}), media="text/plain")), []),
    ("array item type changed", doc(), doc(with_prop("tags", {"type": "array", "items": {"type": "integer"}})),
     [("response-property-type-changed", ERR)]),
    ("additionalProperties value type changed", doc(with_prop("m", {"type": "object", "additionalProperties": {"type": "string"}})),
     doc(with_prop("m", {"type": "object", "additionalProperties": {"type": "integer"}})), [("response-property-type-changed", ERR)]),
    # --- nullability (NULLABILITY.md: nullable, a 'null' type, anyOf with {type: null}) --------------
    ("response-property-became-nullable (type list)", doc(), doc(with_prop("name", {"type": ["string", "null"]})),
     [("response-property-became-nullable", ERR)]),
    ("response-property-became-nullable (anyOf null)", doc(),
     doc(with_prop("name", {"anyOf": [{"type": "string"}, {"type": "null"}]})), [("response-property-became-nullable", ERR)]),
    ("the three nullable forms are one", doc(with_prop("name", {"type": "string", "nullable": True})),
     doc(with_prop("name", {"anyOf": [{"type": "string"}, {"type": "null"}]})), []),
    ("response-property-became-not-nullable is INFO", doc(with_prop("name", {"type": ["string", "null"]})), doc(), []),
    ("response-body-became-nullable", doc(), doc({**OBJ, "nullable": True}), [("response-body-became-nullable", ERR)]),
    # --- response properties ---------------------------------------------------------------------
    ("response-required-property-removed", doc(), doc(with_prop("id", None, required=["state"])),
     [("response-required-property-removed", ERR)]),
    ("response-optional-property-removed", doc(), doc(with_prop("name", None)), [("response-optional-property-removed", WARN)]),
    ("response-property-became-optional", doc(), doc(with_prop("id", {"type": "integer"}, required=["state"])),
     [("response-property-became-optional", ERR)]),
    ("response-optional-property-added is INFO", doc(), doc(with_prop("new", {"type": "string"})), []),
    ("a writeOnly property is never in a response (response-optional-write-only-property-removed: INFO)",
     doc(with_prop("secret", {"type": "string", "writeOnly": True})), doc(), []),
    ("nested property removed", doc(with_prop("inner", {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]})),
     doc(with_prop("inner", {"type": "object", "properties": {}})), [("response-required-property-removed", ERR)]),
    # --- response enums --------------------------------------------------------------------------
    ("response-property-enum-value-added", doc(), doc(with_prop("state", {"type": "string", "enum": ["a", "b", "c"]})),
     [("response-property-enum-value-added", WARN)]),
    ("response-property-enum-value-removed is INFO", doc(), doc(with_prop("state", {"type": "string", "enum": ["a"]})), []),
    # --- response composition --------------------------------------------------------------------
    ("response-property-one-of-added", doc(with_prop("v", {"oneOf": [{"type": "string"}, {"type": "integer"}]})),
     doc(with_prop("v", {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]})),
     [("response-property-one-of-added", ERR)]),
    ("response-property-any-of-added is INFO", doc(with_prop("v", {"anyOf": [{"type": "string"}, {"type": "integer"}]})),
     doc(with_prop("v", {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]})), []),
    ("a property under allOf is compared", doc({"allOf": [OBJ]}), doc({"allOf": [with_prop("id", {"type": "string"})]}),
     [("response-property-type-changed", ERR)]),
    ("$ref is resolved on both sides", {**doc({"$ref": "#/components/schemas/O"}), "components": {"schemas": {"O": OBJ}}},
     {**doc({"$ref": "#/components/schemas/P"}), "components": {"schemas": {"P": with_prop("id", {"type": "string"})}}},
     [("response-property-type-changed", ERR)]),
    # --- request parameters ----------------------------------------------------------------------
    ("new-required-request-parameter", doc(), doc(params=[{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}]),
     [("new-required-request-parameter", ERR)]),
    ("new-optional-request-parameter is INFO", doc(), doc(params=[{"name": "q", "in": "query", "schema": {"type": "string"}}]), []),
    ("request-parameter-removed", doc(params=[{"name": "q", "in": "query", "schema": {"type": "string"}}]), doc(),
     [("request-parameter-removed", WARN)]),
    ("request-parameter-became-required", doc(params=[{"name": "q", "in": "query", "schema": {"type": "string"}}]),
     doc(params=[{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}]),
     [("request-parameter-became-required", ERR)]),
    ("request-parameter-type-changed", doc(params=[{"name": "q", "in": "query", "schema": {"type": "string"}}]),
     doc(params=[{"name": "q", "in": "query", "schema": {"type": "integer"}}]), [("request-parameter-type-changed", ERR)]),
    ("request-parameter-type-generalized is INFO (integer -> number)",
     doc(params=[{"name": "q", "in": "query", "schema": {"type": "integer"}}]),
     doc(params=[{"name": "q", "in": "query", "schema": {"type": "number"}}]), []),
    ("request-parameter-became-enum", doc(params=[{"name": "q", "in": "query", "schema": {"type": "string"}}]),
     doc(params=[{"name": "q", "in": "query", "schema": {"type": "string", "enum": ["x"]}}]), [("request-parameter-became-enum", ERR)]),
    ("request-parameter-enum-value-removed", doc(params=[{"name": "q", "in": "query", "schema": {"type": "string", "enum": ["x", "y"]}}]),
     doc(params=[{"name": "q", "in": "query", "schema": {"type": "string", "enum": ["x"]}}]),
     [("request-parameter-enum-value-removed", ERR)]),
    ("request-parameter-enum-value-added is INFO", doc(params=[{"name": "q", "in": "query", "schema": {"type": "string", "enum": ["x"]}}]),
     doc(params=[{"name": "q", "in": "query", "schema": {"type": "string", "enum": ["x", "y"]}}]), []),
    ("request-parameter-became-not-nullable", doc(params=[{"name": "q", "in": "query", "schema": {"type": ["string", "null"]}}]),
     doc(params=[{"name": "q", "in": "query", "schema": {"type": "string"}}]), [("request-parameter-became-not-nullable", ERR)]),
    ("a path parameter's type is matched by position, whatever its name", doc(),
     {"openapi": "3.1.0", "paths": {"/t/{key}": {"get": {**doc()["paths"]["/t/{id}"]["get"],
      "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}]}}}},
     [("request-parameter-type-changed", ERR)]),
    # --- request bodies --------------------------------------------------------------------------
    ("added-required-request-body", doc(), doc(body=body(OBJ)), [("added-required-request-body", ERR)]),
    ("added-optional-request-body is INFO", doc(), doc(body=body(OBJ, required=False)), []),
    ("request-body-became-required", doc(body=body(OBJ, required=False)), doc(body=body(OBJ)), [("request-body-became-required", ERR)]),
    ("request-body-media-type-removed", doc(body=body(OBJ)), doc(body=body(OBJ, media="application/xml")),
     [("request-body-media-type-removed", ERR)]),
    ("new-required-request-property", doc(body=body(OBJ)),
     doc(body=body(with_prop("must", {"type": "string"}, required=["id", "state", "must"]))),
     [("new-required-request-property", ERR)]),
    ("new-optional-request-property is INFO", doc(body=body(OBJ)), doc(body=body(with_prop("may", {"type": "string"}))), []),
    ("request-property-became-required", doc(body=body(OBJ)), doc(body=body(with_prop("name", {"type": "string"}, required=["id", "state", "name"]))),
     [("request-property-became-required", ERR)]),
    ("request-property-removed", doc(body=body(OBJ)), doc(body=body(with_prop("name", None))), [("request-property-removed", WARN)]),
    ("request-property-type-changed", doc(body=body(OBJ)), doc(body=body(with_prop("id", {"type": "string"}))),
     [("request-property-type-changed", ERR)]),
    ("a type added to a request property breaks", doc(body=body(with_prop("id", {}))), doc(body=body(OBJ)),
     [("request-property-type-changed", ERR)]),
    ("a type removed from a request property is INFO", doc(body=body(OBJ)), doc(body=body(with_prop("id", {}))), []),
    ("request-property-type-generalized is INFO", doc(body=body(OBJ)), doc(body=body(with_prop("id", {"type": "number"}))), []),
    ("request format narrowed (int64 -> int32) breaks", doc(body=body(with_prop("id", {"type": "integer", "format": "int64"}))),
     doc(body=body(with_prop("id", {"type": "integer", "format": "int32"}))), [("request-property-type-changed", ERR)]),
    ("request format widened (date -> date-time) is INFO", doc(body=body(with_prop("d", {"type": "string", "format": "date"}))),
     doc(body=body(with_prop("d", {"type": "string", "format": "date-time"}))), []),
    ("request-body-type-changed", doc(body=body(OBJ)), doc(body=body({"type": "array", "items": OBJ})), [("request-body-type-changed", ERR)]),
    ("request-property-became-enum", doc(body=body(OBJ)), doc(body=body(with_prop("name", {"type": "string", "enum": ["x"]}))),
     [("request-property-became-enum", ERR)]),
    ("request-property-enum-value-removed", doc(body=body(OBJ)), doc(body=body(with_prop("state", {"type": "string", "enum": ["a"]}))),
     [("request-property-enum-value-removed", ERR)]),
    ("request-property-enum-value-added is INFO", doc(body=body(OBJ)),
     doc(body=body(with_prop("state", {"type": "string", "enum": ["a", "b", "c"]}))), []),
    ("request-property-became-not-nullable", doc(body=body(with_prop("name", {"type": "string", "nullable": True}))),
     doc(body=body(OBJ)), [("request-property-became-not-nullable", ERR)]),
    ("request-body-all-of-added", doc(body=body({"allOf": [OBJ]})), doc(body=body({"allOf": [OBJ, {"type": "object", "required": ["z"]}]})),
     [("request-body-all-of-added", ERR)]),
    ("request-body-all-of-removed", doc(body=body({"allOf": [OBJ, {"type": "object"}]})), doc(body=body({"allOf": [OBJ]})),
     [("request-body-all-of-removed", WARN)]),
    ("request-property-any-of-removed", doc(body=body(with_prop("v", {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}))),
     doc(body=body(with_prop("v", {"anyOf": [{"type": "string"}, {"type": "integer"}]}))), [("request-property-any-of-removed", ERR)]),
    ("request-property-one-of-removed", doc(body=body(with_prop("v", {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]}))),
     doc(body=body(with_prop("v", {"oneOf": [{"type": "string"}, {"type": "integer"}]}))), [("request-property-one-of-removed", ERR)]),
    ("a readOnly property is never sent (request-read-only checks: INFO)", doc(body=body(with_prop("r", {"type": "string", "readOnly": True}))),
     doc(body=body(OBJ)), []),
    ("an unchanged document", doc(body=body(OBJ)), doc(body=body(OBJ)), []),
]


@pytest.mark.parametrize("rule, base, revision, expected", CASES, ids=[c[0] for c in CASES])
def test_oasdiff_rule(rule, base, revision, expected):
    assert found(base, revision) == expected


def test_levels_split_into_errors_and_warnings():
    changes = breaking_changes(doc(), doc(with_prop("name", None, required=["state"])))
    assert [c.id for c in errors(changes)] == ["response-property-became-optional"]  # "id" is no longer required
    assert [c.id for c in warnings(changes)] == ["response-optional-property-removed"]


def test_messages_say_what_changed_where():
    (change,) = breaking_changes(doc(), doc(with_prop("id", {"type": "string"})))
    assert str(change) == ("GET /t/{id} response changed types: id integer -> string (status 200) "
                           "[response-property-type-changed, ERR]")


@pytest.mark.parametrize("junk", [None, [], {"paths": []}, {"paths": {"/x": None}}, {"paths": {"/x": {"get": []}}},
                                  {"paths": {"/x": {"get": {"responses": {"200": {"content": {"a/b": None}}}}}}},
                                  {**doc({"$ref": "#/components/schemas/A"}),
                                   "components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}}}])
def test_a_comparison_never_raises(junk):
    for base, revision in ((junk, doc()), (doc(), junk), (junk, junk)):
        assert isinstance(breaking_changes(base, revision), list)


def test_a_recorded_baseline_compares_equal_to_its_document():
    """The suite compares the baseline's document() with the served one: recording loses nothing it judges."""
    from icepack_verify.openapi_surface import read_baseline, record_baseline

    served = {**doc({"$ref": "#/components/schemas/O"}, body=body({"$ref": "#/components/schemas/O"}),
                    params=[{"$ref": "#/components/parameters/Q"}]),
              "components": {"schemas": {"O": OBJ}, "parameters": {"Q": {"name": "q", "in": "query", "required": True,
                                                                          "schema": {"type": "string"}}}}}
    baseline = read_baseline(record_baseline(served))
    assert breaking_changes(baseline.document(), served) == []
    changed = copy.deepcopy(served)
    changed["components"]["parameters"]["Q"]["schema"] = {"type": "integer"}
    assert [c.id for c in breaking_changes(baseline.document(), changed)] == ["request-parameter-type-changed"]
    surface_only = read_baseline({"format": "icepack-verify OpenAPI baseline 2", "openapi": "3.1.0",
                                  "responses": record_baseline(served)["responses"]})
    assert surface_only.requests is None  # recorded before requests were: judged on the response side only
    assert breaking_changes(surface_only.document(), changed, request_side=False) == []
