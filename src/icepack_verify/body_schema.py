"""Every body the suite reads, against the recorded baseline's full schema for its operation.

The baseline (icepack_verify.openapi_surface) is the contract: a served document that
changed together with its answers is still judged by what was recorded. Validated: types,
enums, formats (an RFC 3339 date-time, `Z` or any offset), minimum/maximum, required and
additional properties, nested objects and array items, as the schema states them.

The validator is jsonschema-rs (Schemathesis' own, pinned in constraints.txt): ~4 µs a body
where the pure-Python jsonschema takes ~500 µs, and it checks `date-time` without optional
extras (jsonschema's FormatChecker passes any string as a date-time unless rfc3339-validator
is installed). Each schema is compiled once per session.
"""
from __future__ import annotations

from typing import Any

import jsonschema_rs

from icepack_verify.diagnosis import Diagnosis, Said
from icepack_verify.openapi_surface import Baseline

CAP = 20  # violations listed per body; the rest are counted
JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number",
              type(None): "null"}
FORMATS = {"date-time": "an RFC 3339 date-time with a zone"}
BOUNDS = {"minimum": "at least {!r}", "maximum": "at most {!r}", "exclusiveMinimum": "more than {!r}",
          "exclusiveMaximum": "less than {!r}", "minLength": "at least {} characters", "maxLength": "at most {} characters",
          "minItems": "at least {} items", "maxItems": "at most {} items", "minProperties": "at least {} properties",
          "maxProperties": "at most {} properties", "multipleOf": "a multiple of {!r}", "pattern": "a string matching {!r}",
          "uniqueItems": "unique items"}


def json_type(value: Any) -> str:
    return JSON_TYPES.get(type(value), type(value).__name__)


def _from_oas30(node: Any) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema: `nullable: true` admits null; boolean
    exclusiveMinimum/Maximum qualify minimum/maximum."""
    if isinstance(node, list):
        return [_from_oas30(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _from_oas30(v) for k, v in node.items() if k != "nullable"}
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = out.pop(exclusive) if isinstance(out.get(exclusive), bool) else False
        if flag and bound in out:
            out[exclusive] = out.pop(bound)
    if node.get("nullable") is True:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def _words(keyword: str, rule: Any) -> str:
    """What the schema's rule asks for, for the operator."""
    if isinstance(rule, float) and rule.is_integer():
        rule = int(rule)  # "at least 0", not "at least 0.0"
    if keyword == "type":
        types = [t for t in (rule if isinstance(rule, list) else [rule]) if t != "null"]
        nullable = "null" in (rule if isinstance(rule, list) else [rule])
        return ("a JSON " + " or ".join(types) if types else "null") + (" or null" if types and nullable else "")
    if keyword == "enum":
        return "one of " + ", ".join(map(repr, rule))
    if keyword == "const":
        return f"exactly {rule!r}"
    if keyword == "format":
        return FORMATS.get(rule, f"a {rule} (format)")
    if keyword in BOUNDS:
        return BOUNDS[keyword].format(rule)
    if keyword in ("anyOf", "oneOf"):
        return (" or " if keyword == "anyOf" else " or exactly one of ").join(_describe(s) for s in rule)
    return f"{keyword}: {rule!r}"


def _describe(schema: Any) -> str:
    if not isinstance(schema, dict):
        return repr(schema)
    for keyword in ("enum", "const", "type"):
        if keyword in schema:
            text = _words(keyword, schema[keyword])
            return text + (f" ({FORMATS.get(schema['format'], schema['format'])})" if "format" in schema else "")
    return "an object" if "properties" in schema else "any value"


def _at(schema: dict, path: list) -> Any:
    node: Any = schema
    for part in path:
        node = node[part] if isinstance(node, dict) and part in node else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None)
    return node


def _field(path: list) -> str:
    """['issues', 0, 'code'] -> 'issues[0].code'; [] -> '(body)'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(body)"


class BodySchemas:
    """The baseline's response schemas, each compiled once, and the findings of a body against one."""

    def __init__(self, baseline: Baseline, where: str, shared_vocabulary: tuple[str, ...] = ()):
        self.baseline, self.where = baseline, where  # where: "tests/contracts/baselines/stage.json"
        self.shared_vocabulary = set(shared_vocabulary)  # names with one vocabulary in a body (api.shared_vocabulary_fields)
        self._compiled: dict[tuple, tuple[dict, Any]] = {}

    def _validator(self, route: str, method: str, status: int) -> tuple[dict, Any] | None:
        key = (route, method.lower(), str(status))
        if key not in self._compiled:
            schema = self.baseline.schema(*key)
            if not schema:  # nothing documented for it: nothing to judge
                return None
            if self.baseline.openapi.startswith("3.0"):
                schema = _from_oas30(schema)
            self._compiled[key] = (schema, jsonschema_rs.Draft202012Validator(schema, validate_formats=True))
        return self._compiled[key]

    def check(self, d: Diagnosis, route: str, method: str, status: int, body: Any, grouped: bool = False) -> bool:
        """Record one mismatch per violated rule into d (the first CAP, then a count); False if the
        baseline records no schema for this response (nothing judged). `grouped`: the actual is the value's JSON type
        (its value for enums), so many tables that break alike group together (--all-tables)."""
        compiled = self._validator(route, method, status)
        if compiled is None:
            return False
        schema, validator = compiled
        source = f"OpenAPI baseline {self.where}, {method.upper()} {route} {status}"
        errors = list(validator.iter_errors(body))
        for error in errors[:CAP]:
            _record(d, schema, error, source, grouped)
        if len(errors) > CAP:
            d.hint(f"{len(errors) - CAP} more schema violations in this body beyond the first {CAP}")
        named = {k: v for k, v in _named_enums(schema).items() if k in self.shared_vocabulary}
        for path, name, value in _same_names(schema, body, named, []):
            d.mismatch(_field(path), Said(f"{_words('enum', sorted(named[name]))} (what `{name}` holds where the "
                                          "schema enumerates it)"), value,
                       f"{source}: one name, one vocabulary (api.shared_vocabulary_fields)")
        return True


def _record(d: Diagnosis, schema: dict, error, source: str, grouped: bool) -> None:
    path, keyword = list(error.instance_path), list(error.schema_path)[-1]
    detail = error.kind.as_dict()
    if keyword == "required":
        d.mismatch(_field(path + [detail["property"]]), Said("present (required)"), Said("absent"), source)
    elif keyword in ("additionalProperties", "unevaluatedProperties") and detail.get("unexpected"):
        names = detail["unexpected"]
        d.mismatch(_field(path), Said("no properties beyond the schema's (additionalProperties: false)"),
                   Said("unexpected: " + ", ".join(map(str, names))), source)
    else:
        rule = _at(schema, list(error.schema_path))
        value = error.instance
        actual = (value if keyword in ("enum", "const") else Said(f"a JSON {json_type(value)}")) if grouped \
            else value
        d.mismatch(_field(path), Said(_words(keyword, rule)), actual, source)


def _members(schema: Any) -> list:
    """The schema and the subschemas a value may also be judged by (pydantic wraps a described field in allOf)."""
    if not isinstance(schema, dict):
        return []
    return [schema, *(schema.get("anyOf") or schema.get("oneOf") or []), *(schema.get("allOf") or [])]


def _enumerates(schema: Any) -> bool:
    return any("enum" in m or "const" in m for m in _members(schema))


def _named_enums(schema: Any, out: dict | None = None, clash: set | None = None) -> dict[str, set]:
    """{property name: the values its enum allows} of every property the schema enumerates at any depth; a name
    enumerated twice differently is left out (two vocabularies)."""
    out, clash = ({} if out is None else out), (set() if clash is None else clash)
    for member in _members(schema):
        for name, sub in (member.get("properties") or {}).items():
            values = {v for m in _members(sub) for v in m.get("enum", [m["const"]] if "const" in m else [])}
            if values and out.setdefault(name, values) != values:
                clash.add(name)
            _named_enums(sub, out, clash)
        _named_enums(member.get("items"), out, clash)
    return {k: v for k, v in out.items() if k not in clash}


def _same_names(schema: Any, body: Any, named: dict[str, set], path: list) -> list[tuple[list, str, Any]]:
    """(path, name, value) of every string under a property name the schema enumerates elsewhere, where it does not
    enumerate it (history[].action beside recommended_actions[].action) and the value is outside that enum: one
    name in one body is one vocabulary."""
    out: list[tuple[list, str, Any]] = []
    subs = [m for m in _members(schema)]
    if isinstance(body, dict):
        for k, v in body.items():
            sub = next((m["properties"][k] for m in subs if k in (m.get("properties") or {})), None)
            if k in named and isinstance(v, str) and not _enumerates(sub) and v not in named[k]:
                out.append((path + [k], k, v))
            out += _same_names(sub, v, named, path + [k])
    elif isinstance(body, list):
        sub = next((m["items"] for m in subs if isinstance(m.get("items"), dict)), None)
        for i, v in enumerate(body):
            out += _same_names(sub, v, named, path + [i])
    return out
