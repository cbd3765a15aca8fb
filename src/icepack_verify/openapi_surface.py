"""The breaking-change surface of an OpenAPI document: paths, methods, and every response
property with its type, nested ones included ("snapshot.snapshot_count": "integer").

A client of the baseline breaks when a path, an operation or a property it read is gone,
or when a property's type changed. Each environment has its own baseline (tests/contracts/baselines/<env>.json); record one from
the environment's served spec, seeing what changed, with

    pytest --env <env> --record-baseline tests/contracts/test_openapi.py
"""
from __future__ import annotations

MAX_DEPTH = 8  # recursive schemas stop here


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


def surface(doc: dict) -> dict:
    """{path: {method: {status: {property path: type}}}}."""
    out: dict = {}
    for path, item in sorted(doc.get("paths", {}).items()):
        for method, op in sorted(item.items()):
            if not isinstance(op, dict) or "responses" not in op:
                continue
            statuses = {}
            for status, resp in sorted(op["responses"].items()):
                content = _resolve(doc, resp).get("content", {}).get("application/json", {})
                statuses[status] = dict(sorted(_properties(doc, content.get("schema", {})).items()))
            out.setdefault(path, {})[method] = statuses
    return out


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

