"""The response mutation layers (body, framing) against a running twin: the generators reach every
path of every served body, their ids are unique and stable, and a mutation configured on the twin
is served as exactly that change (relative ones relative to the live value), then gone again.

The expectations here are computed by this file, not by the layers' own `edit`/`frame`."""
from __future__ import annotations

import copy
import gzip
import json
import re
import time
from datetime import datetime, timedelta

import httpx
import pytest

from harness import EXPECTATIONS
from icepack_twin.mutate import LAYERS
from icepack_twin.mutate import layers as _layers  # noqa: F401  (registers every layer)
from icepack_twin.mutate.framing import RULES

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
VOLATILE_KEYS = {"status_age_seconds"}  # moves per request, like every timestamp
MARK = "<mutated here>"
CONTRACT_ROUTES = 3 * 3  # the three read contracts of the local environment's three known tables
STATUS_ROUTE = "GET /tables/analytics/events/status"


@pytest.fixture
def healthy(twin):
    twin.configure(fresh=True)  # the shared twin may hold earlier runs' jobs, which a body's history shows
    yield twin
    twin.configure()


@pytest.fixture
def api(twin):
    with httpx.Client(base_url=twin.state["api_url"], timeout=10) as client:
        yield client


# --- the test's own view of a body ----------------------------------------------------------------
def leaf_paths(value, path=()) -> list[tuple]:
    """Every leaf (scalar, null, empty object or list) as a tuple of keys and list indexes."""
    if isinstance(value, dict) and value:
        return [p for k, v in value.items() for p in leaf_paths(v, (*path, k))]
    if isinstance(value, list) and value:
        return [p for i, v in enumerate(value) for p in leaf_paths(v, (*path, i))]
    return [path]


def resolve(doc, segs) -> tuple:
    """The path of `segs` with named items ({field: value}) turned into indexes, in `doc`."""
    out = []
    for seg in segs:
        if isinstance(seg, dict):
            (field, name), = seg.items()
            seg = next(i for i, item in enumerate(doc) if item.get(field) == name)
        out.append(seg)
        doc = doc[seg]
    return tuple(out)


def at(doc, path, default=KeyError):
    for seg in path:
        try:
            doc = doc[seg]
        except (KeyError, IndexError, TypeError):
            if default is KeyError:
                raise
            return default
    return doc


def marked(doc, path):
    """A copy of `doc` with the value at `path` (present or not) replaced by MARK, and every value
    that moves per request blanked: what must be equal around a mutation."""
    doc = copy.deepcopy(doc)
    if path:
        parent = at(doc, path[:-1])
        if isinstance(parent, list) and path[-1] >= len(parent):
            parent.append(MARK)
        else:
            parent[path[-1]] = MARK
    else:
        doc = MARK
    return steady(doc)


def steady(doc):
    if isinstance(doc, dict):
        return {k: "<moves>" if k in VOLATILE_KEYS else steady(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [steady(v) for v in doc]
    return "<timestamp>" if isinstance(doc, str) and ISO.match(doc) else doc


def char_class(ch: str) -> str:
    return "a" if ch.islower() else "A" if ch.isupper() else "0" if ch.isdigit() else ch


def same_form(a: str, b: str) -> bool:
    """Each letter or digit of `a` another of its class in `b` (hex digits among hex digits), the rest kept."""
    hexes = set("0123456789abcdef")
    return len(a) == len(b) and all(char_class(x) == char_class(y) or {x, y} <= hexes for x, y in zip(a, b))


# --- generation ------------------------------------------------------------------------------------
def generated(twin, layer: str):
    return LAYERS[layer].generate(twin.world(layer))


def test_body_mutations_reach_every_path_of_every_body(healthy):
    world = healthy.world("body")
    mutations = LAYERS["body"].generate(world)
    routes = world["routes"]
    assert len(routes) == CONTRACT_ROUTES + 2, sorted(routes)  # + /readyz and the drain route
    assert {"GET /readyz", "GET /admin/drain"} <= set(routes)
    value_ops = {"add-item", "flip", "as-string", "scale-x0", "scale-x2", "scale-x100", "set-minus-1", "set-1",
                 "shift-plus-1h", "shift-minus-1d", "alter", "foreign-word", "set-value"}
    for route, r in routes.items():
        mine = [m for m in mutations if m.target == route]
        by_path: dict[tuple, set[str]] = {}
        for m in mine:
            by_path.setdefault(resolve(r["body"], m.change["path"]), set()).add(m.operator)
        leaves = leaf_paths(r["body"])
        assert len(leaves) >= 1
        for leaf in leaves:
            assert leaf in by_path, f"{route}: no mutation of {leaf}"
            assert "remove" in by_path[leaf], f"{route}: {leaf} never removed"
            assert by_path[leaf] & value_ops, f"{route}: {leaf} gets no other value: {by_path[leaf]}"
        objects = [p for p in by_path if isinstance(at(r["body"], p), dict)]
        assert () in objects and all("add-key" in by_path[p] for p in objects), route
    counts = {route: len(leaf_paths(r["body"])) for route, r in routes.items()}
    assert counts[STATUS_ROUTE] == 26, counts  # the status contract's 26 leaves (a healthy table's)


def test_framing_mutations_apply_every_rule_to_every_route(healthy):
    world = healthy.world("framing")
    mutations = LAYERS["framing"].generate(world)
    assert len(world["routes"]) == CONTRACT_ROUTES + 2
    assert {(m.target, m.operator) for m in mutations} == {(r, o) for r in world["routes"] for o in RULES}
    assert all(r["status"] == 200 and r["headers"]["content-type"] == "application/json"
               for r in world["routes"].values())


@pytest.mark.parametrize("layer", ["body", "framing"])
def test_ids_are_unique_and_stable(healthy, layer):
    first = [m.id for m in generated(healthy, layer)]
    healthy.configure(drifts=("naive-timestamps",))  # another configure: the store reseeded, values moved
    healthy.configure()
    second = [m.id for m in generated(healthy, layer)]
    assert len(first) == len(set(first)) > 200
    assert first == second
    assert all(i.startswith(f"{layer}:GET /") for i in first)


# --- served as exactly that change -----------------------------------------------------------------
def sample(mutations):
    """One mutation per operator, on a status route where the operator lands there (its values are
    steady within the hour), else its first."""
    out = {}
    for m in mutations:
        if m.operator not in out or (m.target == STATUS_ROUTE and out[m.operator].target != STATUS_ROUTE):
            out[m.operator] = m
    return list(out.values())


def check_body_change(m, healthy_body, served):
    c = m.change
    segs = resolve(healthy_body, c["path"])
    op = c["op"]
    item = bool(segs) and isinstance(segs[-1], int)
    region = segs[:-1] if item and op in ("remove", "duplicate") else segs
    assert marked(served, region) == marked(healthy_body, region), f"{m.id}: more than {region} changed"
    before, after = at(healthy_body, region), at(served, region, default=MARK)
    if op == "remove" and item:
        assert steady(after) == steady(before[:segs[-1]] + before[segs[-1] + 1:])
    elif op == "remove":
        assert after is MARK, f"{m.id}: still there: {after!r}"
    elif op == "duplicate":
        assert steady(after) == steady(before[:segs[-1] + 1] + [before[segs[-1]]] + before[segs[-1] + 1:])
    elif op == "reverse":
        assert steady(after) == steady(before[::-1])
    elif op == "add-item":
        assert steady(after) == steady([*before, c["value"]])
    elif op == "add-key":
        assert steady(after) == steady({**before, c["key"]: c["value"]})
    elif op == "set":
        assert after == c["value"] and type(after) is type(c["value"])
    elif op == "scale":
        assert after == before * c["factor"] and type(after) is type(before)
    elif op == "flip":
        assert after is (not before)
    elif op == "as-string":
        assert isinstance(after, str) and json.loads(after) == before
    elif op == "alter":
        assert after != before and same_form(before, after), (before, after)
    else:
        raise AssertionError(f"{m.id}: op {op} has no check here")


def anchor(path: tuple) -> tuple:
    """A timestamp of the status body that moves with the one at `path` (the twin derives
    oldest_snapshot_at and current_snapshot_at from collected_at)."""
    return ("collected_at",) if path != ("collected_at",) else ("snapshot", "oldest_snapshot_at")


def check_shift(m, healthy_body, served):
    path = resolve(healthy_body, m.change["path"])
    ref = anchor(path)
    gap = lambda body: datetime.fromisoformat(at(body, path)) - datetime.fromisoformat(at(body, ref))  # noqa: E731
    assert gap(served) - gap(healthy_body) == timedelta(seconds=m.change["seconds"]), m.id
    assert marked(served, path) == marked(healthy_body, path)


def test_each_body_operator_is_served_as_exactly_that_change(healthy, api):
    chosen = sample(generated(healthy, "body"))
    assert {m.operator for m in chosen} >= {"remove", "set-null", "add-key", "flip", "scale-x2", "scale-x100",
                                            "shift-plus-1h", "shift-minus-1d", "alter", "foreign-word",
                                            "other-table", "older-snapshot", "duplicate", "reverse", "as-string",
                                            "add-item", "set-value"}
    for m in chosen:
        path = m.target.split(" ", 1)[1]
        healthy.configure()
        before = api.get(path).json()
        healthy.configure(mutations=(m.as_json(),))
        served = api.get(path)
        assert served.status_code == 200 and served.headers["content-length"] == str(len(served.content))
        if m.change["op"] == "shift":
            if m.target != STATUS_ROUTE:
                continue  # the status body's timestamps have a steady anchor; the others move on their own
            check_shift(m, before, served.json())
        else:
            check_body_change(m, before, served.json())
        healthy.configure()
        again = api.get(path).json()
        assert steady(again) == steady(before), f"{m.id}: not healthy again"


def test_a_relative_change_follows_the_live_value(healthy, api):
    """A shifted timestamp stays an hour after the live one as health-sync moves it on: the edit is
    computed from each answer, not frozen at generation."""
    m = next(m for m in generated(healthy, "body")
             if m.target == STATUS_ROUTE and m.path == "collected_at" and m.operator == "shift-plus-1h")
    healthy.configure(mutations=(m.as_json(),))
    first = api.get("/tables/analytics/events/status").json()
    time.sleep(1.5)  # a health-sync tick (1 s) refreshes collected_at
    second = api.get("/tables/analytics/events/status").json()
    assert first["collected_at"] != second["collected_at"], "the live value did not move"
    for body in (first, second):
        collected, oldest = body["collected_at"], body["snapshot"]["oldest_snapshot_at"]
        assert datetime.fromisoformat(collected) - datetime.fromisoformat(oldest) == timedelta(days=5, hours=1)


@pytest.mark.parametrize("route", [STATUS_ROUTE, "GET /readyz"])
def test_each_framing_rule_is_served(healthy, api, route):
    rules = {m.operator: m for m in generated(healthy, "framing") if m.target == route}
    path = route.split(" ", 1)[1]

    def mutated(operator: str) -> httpx.Response:
        healthy.configure(mutations=(rules[operator].as_json(),))
        return api.get(path)

    healthy_body = api.get(path).json()
    for status in (201, 404, 500, 503):
        r = mutated(f"status-{status}")
        assert r.status_code == status and steady(r.json()) == steady(healthy_body)
    r = mutated("status-204")
    assert r.status_code == 204 and r.content == b"" and "content-length" not in r.headers
    r = mutated("status-301-no-location")
    assert r.status_code == 301 and "location" not in r.headers
    for operator, ctype in (("content-type-html", "text/html; charset=utf-8"),
                            ("content-type-text", "text/plain; charset=utf-8"),
                            ("content-type-problem", "application/problem+json"),
                            ("content-type-charset-utf16", "application/json; charset=utf-16")):
        r = mutated(operator)
        assert r.headers["content-type"] == ctype and steady(json.loads(r.content)) == steady(healthy_body)
    r = mutated("content-type-missing")
    assert "content-type" not in r.headers and steady(json.loads(r.content)) == steady(healthy_body)
    r = mutated("encoding-gzip")
    assert r.headers["content-encoding"] == "gzip" and steady(r.json()) == steady(healthy_body)
    with api.stream("GET", path) as raw:
        wire = b"".join(raw.iter_raw())
    assert steady(json.loads(gzip.decompress(wire))) == steady(healthy_body)
    r = mutated("encoding-br-unapplied")
    assert r.headers["content-encoding"] == "br" and steady(json.loads(r.content)) == steady(healthy_body)
    with pytest.raises(httpx.DecodingError):
        mutated("encoding-gzip-unapplied")
    for status in (302, 307):
        r = mutated(f"redirect-{status}")
        assert (r.status_code, r.headers["location"]) == (status, path + "/")
        there = api.get(r.headers["location"])
        assert there.status_code == 200 and steady(there.json()) == steady(healthy_body)
    r = mutated("cache-control-public")
    assert r.headers["cache-control"] == "public, max-age=86400" and steady(r.json()) == steady(healthy_body)
    r = mutated("chunked")
    assert r.headers.get("transfer-encoding") == "chunked" and "content-length" not in r.headers
    assert steady(r.json()) == steady(healthy_body)
    r = mutated("truncated")
    assert int(r.headers["content-length"]) == len(r.content) > 0
    with pytest.raises(ValueError):
        r.json()
    r = mutated("empty-body")
    assert (r.status_code, r.content, r.headers["content-length"]) == (200, b"", "0")
    for operator, least, most in (("slow-warn", 1.0, 3.0), ("slow-fail", 3.0, 6.0)):
        r = mutated(operator)
        assert r.status_code == 200 and least < r.elapsed.total_seconds() < most, (operator, r.elapsed)
    healthy.configure()
    r = api.get(path)
    assert (r.status_code, r.headers["content-type"]) == (200, "application/json")
    assert "content-encoding" not in r.headers
    assert steady(r.json()) == steady(healthy_body)


def test_a_removed_contract_key_fails_the_suite(healthy):
    """The chain end to end: a body mutation generated, configured on the twin, caught by the suite."""
    m = next(m for m in generated(healthy, "body")
             if m.target == STATUS_ROUTE and m.path == "partitions" and m.operator == "remove")
    healthy.configure(mutations=(m.as_json(),))
    run = healthy.run_suite("local", *EXPECTATIONS, "-m", "not mutating", paths=("tests/contracts",))
    keys = "tests/contracts/test_keys.py::test_top_level_keys"
    assert keys in run.failed, run.explain()
    assert "partitions" in run.messages(keys)


# --- where a mutation landed -----------------------------------------------------------------------
def applied(twin) -> dict:
    return twin.http.get("/_twin/mutations-applied").raise_for_status().json()


def test_the_twin_counts_the_answers_a_mutation_changed(healthy, api):
    """A body edit counts each answer it changed; one whose path the live body lacks counts none (it
    did not take effect, and the engine must not call it survived); a framing rule counts each answer
    it framed, a redirect the answer that points elsewhere; nothing counts before its route is asked."""
    body = generated(healthy, "body")
    present = next(m for m in body if m.target == STATUS_ROUTE and m.path == "partitions" and m.operator == "remove")
    absent = {**present.as_json(), "id": "body:absent", "change": {**present.change, "path": ["no_such_key"]}}
    framing = {m.operator: m for m in generated(healthy, "framing") if m.target == STATUS_ROUTE}
    redirect = next(m for m in generated(healthy, "framing") if m.target == "GET /readyz" and m.operator == "redirect-302")
    chosen = (present.as_json(), absent, framing["content-type-text"].as_json(), redirect.as_json())
    healthy.configure(mutations=chosen)
    assert applied(healthy) == {present.id: 0, "body:absent": 0, framing["content-type-text"].id: 0, redirect.id: 0}
    for _ in range(2):
        assert "partitions" not in api.get("/tables/analytics/events/status").json()
    assert api.get("/readyz").status_code == 302
    assert applied(healthy) == {present.id: 2, "body:absent": 0, framing["content-type-text"].id: 2, redirect.id: 1}
    healthy.configure()
    assert applied(healthy) == {}
