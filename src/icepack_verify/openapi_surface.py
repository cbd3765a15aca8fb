"""The breaking-change surface of an OpenAPI document: paths, methods, response property names.

Regenerate the committed baseline from a healthy API (the twin, say):

    python -m icepack_verify.openapi_surface "$ICEPACK_API_URL/openapi.json" > tests/contracts/openapi-baseline.json
"""
from __future__ import annotations

import json
import sys


def _resolve(doc: dict, schema: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema if isinstance(schema, dict) else {}


def surface(doc: dict) -> dict:
    """{path: {method: {status: [top-level response property names]}}}."""
    out: dict = {}
    for path, item in sorted(doc.get("paths", {}).items()):
        for method, op in sorted(item.items()):
            if not isinstance(op, dict) or "responses" not in op:
                continue
            statuses = {}
            for status, resp in sorted(op["responses"].items()):
                content = _resolve(doc, resp).get("content", {}).get("application/json", {})
                statuses[status] = sorted(_resolve(doc, content.get("schema", {})).get("properties", {}))
            out.setdefault(path, {})[method] = statuses
    return out


def removals(baseline: dict, current: dict) -> list[str]:
    """What a client of the baseline relied on and the current document no longer has."""
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
                if now is not None and (lost := sorted(set(props) - set(now))):
                    gone.append(f"{method.upper()} {path} {status} response lost properties: {', '.join(lost)}")
    return gone


if __name__ == "__main__":
    import httpx

    print(json.dumps(surface(httpx.get(sys.argv[1]).raise_for_status().json()), indent=2))
