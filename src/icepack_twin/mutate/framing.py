"""Mutation layer `framing`: the HTTP around the bodies of the routes the body layer mutates
(the read contracts of every known table, /readyz, the drain route): the status code, the
Content-Type, the Content-Encoding, a redirect, a slow answer, the headers around the body.

Each operator is a rule applied to every route (`RULES`); the API's middleware
(icepack_twin.app) applies a route's changes to its live answer (`frame`, `redirect`).
A wrong Content-Length is only ever a short one with the body cut to match: a length longer
than the body would hold a client for its whole timeout.
"""
from __future__ import annotations

import gzip

from icepack_twin.mutate import register
from icepack_twin.mutate.body import fetch, served_routes
from icepack_twin.mutate.model import BaseLayer, Mutation

# The suite's latency budget (environments.toml checks.latency_warn = 1s, latency_fail = 3s):
# one answer just past each; no longer, the mutation run stays fast.
SLOW_WARN, SLOW_FAIL = 1.2, 3.2

# operator -> (change, what it does in words)
RULES: dict[str, tuple[dict, str]] = {
    "status-201": ({"op": "status", "status": 201}, "200 -> 201 Created, same body"),
    "status-204": ({"op": "status", "status": 204}, "200 -> 204 No Content, no body"),
    "status-301-no-location": ({"op": "status", "status": 301}, "200 -> 301 without a Location, same body"),
    "status-404": ({"op": "status", "status": 404}, "200 -> 404, same body"),
    "status-500": ({"op": "status", "status": 500}, "200 -> 500, same body"),
    "status-503": ({"op": "status", "status": 503}, "200 -> 503, same body (every attempt)"),
    "content-type-html": ({"op": "content-type", "value": "text/html; charset=utf-8"}, "Content-Type text/html"),
    "content-type-text": ({"op": "content-type", "value": "text/plain; charset=utf-8"}, "Content-Type text/plain"),
    "content-type-problem": ({"op": "content-type", "value": "application/problem+json"},
                             "Content-Type application/problem+json (an error document's type)"),
    "content-type-missing": ({"op": "content-type", "value": None}, "no Content-Type header"),
    "content-type-charset-utf16": ({"op": "content-type", "value": "application/json; charset=utf-16"},
                                   "Content-Type claims UTF-16 for a UTF-8 body"),
    "encoding-gzip": ({"op": "encoding", "value": "gzip", "applied": True}, "body gzip-compressed, declared so"),
    "encoding-gzip-unapplied": ({"op": "encoding", "value": "gzip", "applied": False},
                                "Content-Encoding gzip declared, body not compressed"),
    "encoding-br-unapplied": ({"op": "encoding", "value": "br", "applied": False},
                              "Content-Encoding br declared, body not compressed"),
    "redirect-302": ({"op": "redirect", "status": 302}, "302 to the same route with a trailing slash, served there"),
    "redirect-307": ({"op": "redirect", "status": 307}, "307 to the same route with a trailing slash, served there"),
    "slow-warn": ({"op": "delay", "seconds": SLOW_WARN}, f"answered after {SLOW_WARN}s (past latency_warn 1s)"),
    "slow-fail": ({"op": "delay", "seconds": SLOW_FAIL}, f"answered after {SLOW_FAIL}s (past latency_fail 3s)"),
    "cache-control-public": ({"op": "header", "name": "cache-control", "value": "public, max-age=86400"},
                             "Cache-Control: public, max-age=86400 (a cache may serve it for a day)"),
    "chunked": ({"op": "chunked"}, "no Content-Length: sent chunked"),
    "truncated": ({"op": "truncate"}, "body cut in half, Content-Length to match"),
    "empty-body": ({"op": "empty"}, "200 with an empty body"),
}


class _Framing(BaseLayer):
    name = "framing"

    def world(self, twin) -> dict:
        """The routes with their healthy status and headers."""
        routes = served_routes(twin)
        served, _ = fetch(twin, routes)
        return {"routes": {route: {**r, "status": served[route][0], "headers": served[route][1]}
                           for route, r in routes.items()}}

    def generate(self, world: dict) -> list[Mutation]:
        out = []
        for route, r in world["routes"].items():
            for operator, (change, said) in RULES.items():
                extra = {"location": r["path"] + "/"} if change["op"] == "redirect" else {}
                out.append(Mutation("framing", route, "", operator, {"route": route, **change, **extra}, said))
        return out

    def prepare(self, objects, behaviour, mutation: dict) -> None:
        behaviour.mutations.append(mutation)  # the API's middleware serves it (`frame`, `redirect`)


LAYER = register(_Framing())


# --- serving --------------------------------------------------------------------------------
def routes_of(change: dict) -> tuple[str, ...]:
    """The routes a change acts on: its own, and a redirect's target."""
    return (change["route"], f"GET {change['location']}") if change["op"] == "redirect" else (change["route"],)


def redirect(changes: list[dict], route: str) -> tuple[int, list] | str | None:
    """For the redirected route: the redirect answer (status, headers). For its target: the
    original path, which the target serves. Otherwise None."""
    for c in changes:
        if c["op"] != "redirect":
            continue
        if route == c["route"]:
            return c["status"], [(b"location", c["location"].encode()), (b"content-length", b"0")]
        if route == f"GET {c['location']}":
            return c["route"].split(" ", 1)[1]
    return None


def _set(headers: list, name: bytes, value: bytes | None) -> list:
    kept = [(k, v) for k, v in headers if k.lower() != name]
    return kept if value is None else [*kept, (name, value)]


def frame(status: int, headers: list, content: bytes, changes: list[dict]) -> tuple[int, list, list[bytes], float]:
    """The answer with a route's framing changes applied: (status, headers, body chunks, delay).
    Content-Length is set to the body sent, unless the answer goes chunked or has no body (204)."""
    delay, chunked = 0.0, False
    for c in changes:
        op = c["op"]
        if op == "status":
            status = c["status"]
        elif op == "content-type":
            headers = _set(headers, b"content-type", c["value"] and c["value"].encode())
        elif op == "encoding":
            content = gzip.compress(content) if c["applied"] else content
            headers = _set(headers, b"content-encoding", c["value"].encode())
        elif op == "delay":
            delay += c["seconds"]
        elif op == "header":
            headers = _set(headers, c["name"].encode(), c["value"].encode())
        elif op == "chunked":
            chunked = True
        elif op == "truncate":
            content = content[:len(content) // 2]
        elif op == "empty":
            content = b""
    if status == 204:  # HTTP forbids a body (and its length) here
        return status, _set(headers, b"content-length", None), [], delay
    if chunked:
        half = len(content) // 2
        return status, _set(headers, b"content-length", None), [content[:half], content[half:]], delay
    return status, _set(headers, b"content-length", str(len(content)).encode()), [content], delay
