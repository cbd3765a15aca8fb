"""An environment's OpenAPI baseline: every response schema of every operation, `$ref`s
resolved (a later served document cannot change what a recorded one means), and its
breaking-change surface: paths, methods, and every response property with its type, nested
ones included ("snapshot.snapshot_count": "integer").

A client of the baseline breaks when the served document changed in a way oasdiff's rules call
breaking (icepack_verify.breaking_changes, on the baseline's document()); a body breaks it when it
does not validate against the recorded schema (icepack_verify.body_schema). A baseline records its
operations' parameters and request bodies too ("requests"); one recorded before that is judged on
the response side only. Each environment has its own baseline
(tests/contracts/baselines/<env>.json); record one from the environment's served spec,
seeing what changed, with

    pytest --env <env> --record-baseline tests/contracts/test_openapi.py

The first baselines recorded the surface only ({path: {method: {status: {property: type}}}});
they are still read, and say that their schemas must be recorded anew.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_DEPTH = 8  # recursive schemas stop here
FORMAT = "icepack-verify OpenAPI baseline 2"  # the file's "format": response schemas, resolved


def _resolve(doc: dict, schema: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema if isinstance(schema, dict) else {}


def _type(doc: dict, schema: dict) -> str:
    """'integer', 'string|null', 'object', 'array': what a client parses the value as."""
    schema = _resolve(doc, schema)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return "|".join(sorted(types))
    members = schema.get("anyOf") or schema.get("oneOf")
    if members:
        return "|".join(sorted({t for m in members for t in _type(doc, m).split("|")}))
    return "object" if "properties" in schema else "any"


def _properties(doc: dict, schema: dict, prefix: str = "", depth: int = 0) -> dict[str, str]:
    """{"stale": "boolean", "snapshot.snapshot_count": "integer", "issues[].code": "string", ...}."""
    out: dict[str, str] = {}
    schema = _resolve(doc, schema)
    if depth > MAX_DEPTH:
        return out
    for member in schema.get("anyOf") or schema.get("oneOf") or []:
        out.update(_properties(doc, member, prefix, depth + 1))
    for name, sub in (schema.get("properties") or {}).items():
        out[prefix + name] = _type(doc, sub)
        out.update(_properties(doc, sub, f"{prefix}{name}.", depth + 1))
    if "items" in schema:
        out.update(_properties(doc, schema["items"], prefix.rstrip(".") + "[].", depth + 1))
    return out


def _inlined(doc: dict, schema: dict) -> dict:
    """The schema with every local `$ref` replaced by what it points at; a recursive one is
    kept once under the result's own `$defs` (so the result stands alone)."""
    defs: dict = {}

    def walk(node, stack: frozenset):
        if isinstance(node, list):
            return [walk(v, stack) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#/")):
            return {k: walk(v, stack) for k, v in node.items()}
        name = ref.rsplit("/", 1)[-1]
        if ref in stack:  # recursive: defined once, referred to by name
            if name not in defs:
                defs[name] = {}
                defs[name] = walk(_resolve(doc, {"$ref": ref}), frozenset({ref}))
            return {"$ref": f"#/$defs/{name}"}
        target = walk(_resolve(doc, {"$ref": ref}), stack | {ref})
        siblings = {k: walk(v, stack) for k, v in node.items() if k != "$ref"}  # 3.1 allows both
        return {**target, **siblings}

    out = walk(schema, frozenset())
    return {**out, "$defs": defs} if defs else out


def request_parts(doc: dict) -> dict:
    """{path: {method: {"parameters": [...], "requestBody": {...}}}}, resolved: what a client sends."""
    out: dict = {}
    for path, item in sorted(doc.get("paths", {}).items()):
        shared = item.get("parameters") or []
        for method, op in sorted(item.items()):
            if isinstance(op, dict) and "responses" in op:
                parameters = [*shared, *(op.get("parameters") or [])]
                part = {"parameters": [_inlined(doc, _resolve(doc, p)) for p in parameters]}
                if "requestBody" in op:
                    part["requestBody"] = _inlined(doc, _resolve(doc, op["requestBody"]))
                out.setdefault(path, {})[method] = part
    return out


def response_schemas(doc: dict) -> dict:
    """{path: {method: {status: the JSON response's schema, resolved}}} (an empty schema where none is documented)."""
    out: dict = {}
    for path, item in sorted(doc.get("paths", {}).items()):
        for method, op in sorted(item.items()):
            if not isinstance(op, dict) or "responses" not in op:
                continue
            out.setdefault(path, {})[method] = {
                status: _inlined(doc, _resolve(doc, resp).get("content", {}).get("application/json", {})
                                 .get("schema", {}))
                for status, resp in sorted(op["responses"].items())}
    return out


def media_types(doc: dict) -> dict:
    """{path: {method: {status: [the media types documented]}}}: what a client of each answer parses."""
    out: dict = {}
    for path, item in sorted(doc.get("paths", {}).items()):
        for method, op in sorted(item.items()):
            if isinstance(op, dict) and "responses" in op:
                out.setdefault(path, {})[method] = {
                    status: sorted(_resolve(doc, resp).get("content", {})) for status, resp in sorted(op["responses"].items())}
    return out


def _surface_of(schemas: dict) -> dict:
    return {path: {method: {status: dict(sorted(_properties(schema, schema).items()))
                            for status, schema in statuses.items()}
                   for method, statuses in methods.items()}
            for path, methods in schemas.items()}


def surface(doc: dict) -> dict:
    """{path: {method: {status: {property path: type}}}}."""
    return _surface_of(response_schemas(doc))


@dataclass(frozen=True)
class Baseline:
    """A recorded baseline: its surface, and its response schemas (None in a surface-only one)."""
    surface: dict
    schemas: dict | None = None
    openapi: str = "3.1.0"  # the document's version: 3.0 writes null as `nullable`
    requests: dict | None = None  # None in a baseline recorded before requests were
    media_types: dict | None = None  # {path: {method: {status: [media type]}}}; None: recorded before them
    values: dict | None = None  # icepack_verify.value_profile rules: {"tables": ..., route: ...}

    def document(self) -> dict:
        """The baseline as an OpenAPI document (JSON responses, and requests where recorded), to be
        compared with a served one by icepack_verify.breaking_changes."""
        paths: dict = {}
        for path, methods in (self.schemas or {}).items():
            for method, statuses in methods.items():
                op = {"responses": {status: {"content": {"application/json": {"schema": schema}}} if schema else {}
                                    for status, schema in statuses.items()},  # {}: no JSON body recorded
                      **((self.requests or {}).get(path, {}).get(method) or {})}
                paths.setdefault(path, {})[method] = op
        return {"openapi": self.openapi, "paths": paths}

    def media_types_of(self, path: str, method: str, status: int | str) -> list[str] | None:
        """The media types recorded for one response ([] for a documented one without a body), or None."""
        return ((self.media_types or {}).get(path, {}).get(method.lower(), {})).get(str(status))

    def schema(self, path: str, method: str, status: int | str) -> dict | None:
        """The recorded schema of one response, or None when the baseline has none for it."""
        return ((self.schemas or {}).get(path, {}).get(method.lower(), {})).get(str(status))


def record_baseline(doc: dict, values: dict | None = None) -> dict:
    """The baseline file's content for a served document (and the value rules learned from its answers)."""
    out = {"format": FORMAT, "openapi": str(doc.get("openapi", "3.1.0")), "responses": response_schemas(doc),
           "requests": request_parts(doc), "media_types": media_types(doc)}
    return {**out, "values": values} if values is not None else out


def read_baseline(data: dict) -> Baseline:
    """A baseline file's content: the current format, or a first, surface-only one."""
    if data.get("format") == FORMAT:
        return Baseline(_surface_of(data["responses"]), data["responses"], data["openapi"], data.get("requests"),
                        data.get("media_types"), data.get("values"))
    return Baseline(data)


def removals(baseline: dict, current: dict) -> list[str]:
    """What a client of the baseline relied on and the current document no longer has, or has as another type."""
    gone = []
    for path, methods in baseline.items():
        if path not in current:
            gone.append(f"path {path} removed")
            continue
        for method, statuses in methods.items():
            if method not in current[path]:
                gone.append(f"operation {method.upper()} {path} removed")
                continue
            for status, props in statuses.items():
                now = current[path][method].get(status)
                if now is None:
                    continue
                where = f"{method.upper()} {path} {status}"
                if lost := sorted(set(props) - set(now)):
                    gone.append(f"{where} response lost properties: {', '.join(lost)}")
                changed = [f"{p} {props[p]} -> {now[p]}" for p in sorted(set(props) & set(now)) if props[p] != now[p]]
                if changed:
                    gone.append(f"{where} response changed types: {', '.join(changed)}")
    return gone

