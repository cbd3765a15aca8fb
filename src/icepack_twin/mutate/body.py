"""Mutation layer `body`: the API's JSON bodies: the three read contracts of every known
table, /readyz and the drain route.

Generated from the healthy bodies the twin serves (`world`), at every JSON path: remove it,
null it, add a key to an object, remove / duplicate / reorder list items; per scalar another
value of its type (a number x0, x2, x100 or -1, a bool flipped, a string of the same form, a
timestamp an hour later or a day earlier, an enum-like word outside the set the served schema
and the other tables use, a number written as a string); and the value another table, or the
snapshot of a day before, has at that path.

Bodies change per request (timestamps, the counters health-sync moves), so an edit is kept
relative where it can be: `change` names the route, the path and an op that the API's
middleware (icepack_twin.app) applies to the live body at serve time (`edit`).
"""
from __future__ import annotations

import copy
import dataclasses
import json
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from icepack_twin.mutate import register
from icepack_twin.mutate.model import BaseLayer, Mutation

log = logging.getLogger(__name__)

# The local environment's known tables (environments.toml [environments.local] known_tables):
# their bodies are mutated. The twin never reads the suite's settings, so they are named here.
KNOWN_TABLES = ("analytics.events", "sales.orders", "ops.audit_log")
ENDPOINTS = ("status", "health", "maintenance/recommendation")  # the read contracts, as routes name them
NAME_FIELDS = ("code", "action", "job_id", "name")  # a list item is named by the first it has (unique in its list)
EXTRA_KEY = ("extra_field", "added by a mutation")  # the key `add-key` adds to an object
NULL_STRING = "collector timed out"  # what a null string field becomes
# Numbers the API computes per request (seconds since a timestamp: 0 or 1 as read): which operators
# they get must not hang on the value read at generation, or ids would change between runs.
MOVING = {"status_age_seconds"}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_WORD = re.compile(r"^[a-z][a-z0-9_-]*$")  # an enum-like string: one lower-case word
_MISSING = object()


# --- the world ----------------------------------------------------------------------------
class _DayOld:
    """The twin's store as a client would have read it a day ago: the newest rows at least a day
    old, rendered by the same API (the `older-snapshot` operator's values)."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):  # ping, recent_jobs, interval: as now
        return getattr(self._store, name)

    def latest_status(self, database: str, table: str, skip: int = 0) -> dict | None:
        with self._store.reading() as conn:
            return conn.execute(
                "SELECT collected_at, payload FROM table_status_snapshots WHERE database_name = %s AND table_name = %s"
                " AND collected_at <= now() - interval '1 day' ORDER BY collected_at DESC LIMIT 1 OFFSET %s",
                (database, table, skip)).fetchone()

    def latest_health(self, database: str, table: str, skip: int = 0) -> dict | None:
        with self._store.reading() as conn:
            return conn.execute(
                "SELECT assessed_at, status_collected_at, health_status, issues, error FROM table_health_snapshots"
                " WHERE database_name = %s AND table_name = %s AND assessed_at <= now() - interval '1 day'"
                " ORDER BY assessed_at DESC LIMIT 1 OFFSET %s", (database, table, skip)).fetchone()


def served_routes(twin) -> dict[str, dict]:
    """The routes both response layers mutate: "GET <path>" -> {"path", "template", "table"}; the
    three read contracts of every known table the twin tracks, /readyz, the drain route."""
    from icepack_twin.app import API_STYLES  # the app imports this module (its middleware edits bodies)

    routes = {}
    for table in [t for t in KNOWN_TABLES if t in twin.tables]:
        database, name = table.split(".", 1)
        for endpoint in ENDPOINTS:
            path = f"/tables/{database}/{name}/{endpoint}"
            routes[f"GET {path}"] = {"path": path, "template": f"/tables/{{database}}/{{table}}/{endpoint}",
                                     "table": table}
    for path in ("/readyz", API_STYLES[twin.api_style]["drain"]):
        routes[f"GET {path}"] = {"path": path, "template": path, "table": None}
    return routes


def fetch(twin, routes: dict[str, dict], store=None) -> tuple[dict[str, tuple[int, dict, Any]], dict]:
    """route -> (status, headers, JSON body) as the twin's API serves it now (or from `store`),
    without the mutations it may be serving (a world is always the unmutated one); and the
    served OpenAPI document."""
    from fastapi.testclient import TestClient  # a second app on the same store, in process

    from icepack_twin.app import create_app

    unmutated = dataclasses.replace(twin.behaviour, mutations=[])
    app = create_app(store or twin.store, lambda: unmutated, twin.tables, twin.api_style)
    out = {}
    with TestClient(app) as client:
        for route, r in routes.items():
            response = client.get(r["path"])
            out[route] = (response.status_code, dict(response.headers), response.json())
    return out, app.openapi()


class _Body(BaseLayer):
    name = "body"

    def world(self, twin) -> dict:
        """Every mutated route's healthy body, the same route's body a day ago, the bodies of a
        tracked table no environment knows (the `other-table` values), and the served schema."""
        routes = served_routes(twin)
        other = next((t for t in twin.tables if t not in KNOWN_TABLES), None)  # none when only they are tracked
        others = {}
        if other:
            database, name = other.split(".", 1)
            others = {f"/tables/{{database}}/{{table}}/{e}": {"path": f"/tables/{database}/{name}/{e}"}
                      for e in ENDPOINTS}
        (now, openapi), (then, _) = fetch(twin, {**routes, **others}), fetch(twin, routes, _DayOld(twin.store))
        for route, r in routes.items():
            r["body"] = now[route][2]
            r["older"] = then[route][2] if r["table"] and then[route][0] == 200 else None
        return {"routes": routes, "other_table": other, "other": {t: now[t][2] for t in others},
                "openapi": openapi, "now": datetime.now(timezone.utc).isoformat()}

    def generate(self, world: dict) -> list[Mutation]:
        openapi = world["openapi"]
        words = _vocabulary(world)
        out: list[Mutation] = []
        for route, r in world["routes"].items():
            schema = _response_schema(openapi, r["template"])
            other, older = world["other"].get(r["template"], _MISSING), r.get("older") or _MISSING
            for segs, where, value in _nodes(r["body"]):
                ctx = _Context(route, r, segs, where, value, openapi, _schema_at(openapi, schema, segs), world, words)
                for operator, change, said in _operators(ctx, other, older):
                    out.append(Mutation("body", route, where, operator,
                                        {"route": route, "path": list(segs), **change}, f"{where or 'body'}: {said}"))
        return out

    def prepare(self, objects, behaviour, mutation: dict) -> None:
        behaviour.mutations.append(mutation)  # the API's middleware serves it (`edit`)


LAYER = register(_Body())


# --- generation -----------------------------------------------------------------------------
def _nodes(value: Any, segs: tuple = (), where: str = "") -> Iterator[tuple[tuple, str, Any]]:
    """Every JSON path of a body, the root first: (segments, printed path, value). A list item's
    segment is {field: value} when a name field tells it apart, else its index."""
    yield segs, where, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*segs, key), f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            seg, shown = _item_segment(value, i)
            yield from _nodes(item, (*segs, seg), f"{where}{shown}")


def _item_segment(items: list, i: int) -> tuple[Any, str]:
    item = items[i]
    if isinstance(item, dict):
        for field in NAME_FIELDS:
            name = item.get(field)
            if isinstance(name, str) and sum(isinstance(o, dict) and o.get(field) == name for o in items) == 1:
                return {field: name}, f"[{field}={name}]"
    return i, f"[{i}]"


@dataclasses.dataclass
class _Context:
    """One path of one body, with what its operators read."""
    route: str
    r: dict          # the route's world entry
    segs: tuple
    where: str       # the printed path
    value: Any
    openapi: dict
    schema: dict     # the served schema at this path ({} where none)
    world: dict
    words: list[str]  # the served vocabulary (`_vocabulary`)

    @property
    def moving(self) -> bool:
        return bool(self.segs) and isinstance(self.segs[-1], str) and self.segs[-1] in MOVING


def _operators(c: _Context, other: Any, older: Any) -> Iterator[tuple[str, dict, str]]:
    """(operator, change, what it does in words) for one path of one body."""
    v = c.value
    if c.segs:  # the root stays an object: its keys are removed one by one
        yield "remove", {"op": "remove"}, "removed"
        if v is not None:
            yield "set-null", {"op": "set", "value": None}, f"{_short(v)} -> null"
    if isinstance(v, dict):
        yield "add-key", {"op": "add-key", "key": EXTRA_KEY[0], "value": EXTRA_KEY[1]}, f"extra key {EXTRA_KEY[0]!r}"
    elif isinstance(v, list):  # its items are removed and duplicated on their own paths
        if not v:
            item = _example_item(c)
            yield "add-item", {"op": "add-item", "value": item}, f"[] -> [{_short(item)}]"
        if len(v) > 1 and v[::-1] != v:
            yield "reverse", {"op": "reverse"}, "items in reverse order"
    elif v is None:
        value = _value_of_type(c.schema, c.world["now"])
        yield "set-value", {"op": "set", "value": value}, f"null -> {_short(value)}"
    elif isinstance(v, bool):
        yield "flip", {"op": "flip"}, f"{json.dumps(v)} -> {json.dumps(not v)}"
        yield "as-string", {"op": "as-string"}, f"{json.dumps(v)} -> \"{json.dumps(v)}\""
    elif isinstance(v, (int, float)) and c.moving:
        yield "set-minus-1", {"op": "set", "value": -1}, f"{v} -> -1"
        yield "as-string", {"op": "as-string"}, "the live value written as a string"
    elif isinstance(v, (int, float)):
        for factor in (0, 2, 100):
            if v * factor != v:
                yield f"scale-x{factor}", {"op": "scale", "factor": factor}, f"{v} -> x{factor} of the live value"
        if v != -1:
            yield "set-minus-1", {"op": "set", "value": -1}, f"{v} -> -1"
        if v == 0:  # x0, x2, x100 change nothing
            yield "set-1", {"op": "set", "value": 1}, "0 -> 1"
        yield "as-string", {"op": "as-string"}, f"{v} -> \"{v}\""
    elif isinstance(v, str) and _ISO.match(v):
        yield "shift-plus-1h", {"op": "shift", "seconds": 3600}, "an hour after the live value"
        yield "shift-minus-1d", {"op": "shift", "seconds": -86400}, "a day before the live value"
    elif isinstance(v, str):
        if _alter(v) != v:
            yield "alter", {"op": "alter"}, f"{v!r} -> {_alter(v)!r} (the same form, every letter and digit moved on)"
        if _WORD.match(v):
            word = _foreign_word(c)
            if word is not None:
                yield "foreign-word", {"op": "set", "value": word}, f"{v!r} -> {word!r} (outside the set served there)"
    if c.segs and isinstance(c.segs[-1], (int, dict)):  # a list item
        yield "duplicate", {"op": "duplicate"}, "item duplicated"
    if not c.moving:  # another table's differs by the moment it was read
        yield from _borrowed(c, "other-table", other, f"the value {c.world['other_table']} has")
    yield from _borrowed(c, "older-snapshot", older, "the value of a day-old snapshot")


def _borrowed(c: _Context, operator: str, doc: Any, said: str) -> Iterator[tuple[str, dict, str]]:
    """The value another body has at this path, when it differs. Timestamps are left to `shift`
    (another table's differ by the seconds between reads, a day-old one is shift-minus-1d)."""
    if doc is _MISSING or not c.segs:
        return
    theirs = _get(doc, c.segs)
    if theirs is _MISSING or theirs == c.value or (isinstance(theirs, str) and _ISO.match(theirs)):
        return
    yield operator, {"op": "set", "value": theirs}, f"{_short(c.value)} -> {_short(theirs)} ({said})"


def _get(doc: Any, segs: tuple | list) -> Any:
    found = _locate([doc], [0, *segs])
    return _MISSING if found is None else found[0][found[1]]


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _alter(text: str) -> str:
    """Another string of the same form: each letter and digit moved one on in its class (hex stays
    hex in a hex string, e.g. a UUID), the rest kept."""
    hexish = bool(re.fullmatch(r"[0-9a-f-]+", text)) and any(ch in "abcdef" for ch in text)
    classes = ["0123456789abcdef"] if hexish else ["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                                  "0123456789"]
    out = []
    for ch in text:
        cls = next((k for k in classes if ch in k), None)
        out.append(cls[(cls.index(ch) + 1) % len(cls)] if cls else ch)
    return "".join(out)


def _value_of_type(schema: dict, now: str) -> Any:
    """A value of the type the schema gives a (healthy null) field."""
    if schema.get("format") == "date-time":
        return now
    return {"string": NULL_STRING, "integer": 1, "number": 1.5, "boolean": True, "object": {},
            "array": []}.get(schema.get("type"), NULL_STRING)


def _same_path(c: _Context) -> list:
    """The values the other bodies of this route's kind (other tables, a day ago) have at this path."""
    same = [r for r in c.world["routes"].values() if r["template"] == c.r["template"]]
    docs = [r["body"] for r in same] + [r["older"] for r in same if r.get("older")]
    docs.append(c.world["other"].get(c.r["template"]))
    return [v for v in (_get(d, c.segs) for d in docs if d is not None) if v is not _MISSING]


def _example_item(c: _Context) -> Any:
    """An item for an empty list: one another body has there, else one built from the schema."""
    return next((v[0] for v in _same_path(c) if isinstance(v, list) and v), None) or _built(
        c.openapi, c.schema.get("items", {}), c.world["now"])


def _built(openapi: dict, schema: dict, now: str) -> Any:
    schema = _deref(openapi, schema)
    if "properties" in schema:
        return {k: _built(openapi, s, now) for k, s in schema["properties"].items()}
    if schema.get("enum"):
        return schema["enum"][0]
    return _value_of_type(schema, now)


def _foreign_word(c: _Context) -> str | None:
    """The first word of the served vocabulary outside the set this path takes: its schema enum,
    else the values the other bodies have there."""
    allowed = set(c.schema.get("enum") or ()) or {v for v in _same_path(c) if isinstance(v, str)}
    return next((w for w in c.words if w not in allowed and w != c.value), None)


def _vocabulary(world: dict) -> list[str]:
    """Every enum word of the served schema and every one-word string the bodies hold, sorted."""
    words: set[str] = set()

    def collect(node: Any, enums: bool) -> None:
        if isinstance(node, dict):
            if enums and isinstance(node.get("enum"), list):
                words.update(w for w in node["enum"] if isinstance(w, str))
            for item in node.values():
                collect(item, enums)
        elif isinstance(node, list):
            for item in node:
                collect(item, enums)
        elif not enums and isinstance(node, str) and _WORD.match(node):
            words.add(node)
    collect(world["openapi"].get("components", {}), True)
    for r in world["routes"].values():
        collect(r["body"], False)
    for body in world["other"].values():
        collect(body, False)
    return sorted(words)


def _response_schema(openapi: dict, template: str) -> dict:
    try:
        return openapi["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    except KeyError:  # a route documented without a response model (the alt api style's drain)
        return {}


def _deref(openapi: dict, schema: Any) -> dict:
    """A schema with its $ref followed and a nullable anyOf reduced to its non-null type."""
    for _ in range(10):
        if not isinstance(schema, dict):
            return {}
        if "$ref" in schema:
            schema = openapi.get("components", {}).get("schemas", {}).get(schema["$ref"].rsplit("/", 1)[-1], {})
        elif "anyOf" in schema:
            schema = next((s for s in schema["anyOf"] if s.get("type") != "null"), {})
        else:
            return schema
    return {}


def _schema_at(openapi: dict, schema: dict, segs: tuple) -> dict:
    for seg in segs:
        schema = _deref(openapi, schema)
        if isinstance(seg, str):
            schema = schema.get("properties", {}).get(seg, schema.get("additionalProperties", {}))
        else:
            schema = schema.get("items", {})
    return _deref(openapi, schema)


# --- serving --------------------------------------------------------------------------------
def _locate(holder: Any, segs: list) -> tuple[Any, Any] | None:
    """(the container, the key or index) that `segs` lead to inside `holder`, or None."""
    for n, seg in enumerate(segs):
        if isinstance(seg, dict):  # a named list item
            if not isinstance(holder, list):
                return None
            (field, name), = seg.items()
            seg = next((i for i, o in enumerate(holder) if isinstance(o, dict) and o.get(field) == name), None)
            if seg is None:
                return None
        elif isinstance(seg, int):
            if not isinstance(holder, list) or not -len(holder) <= seg < len(holder):
                return None
        elif not isinstance(holder, dict) or seg not in holder:
            return None
        if n == len(segs) - 1:
            return holder, seg
        holder = holder[seg]
    return None


def _shift(text: str, seconds: int) -> str:
    moved = datetime.fromisoformat(text) + timedelta(seconds=seconds)
    out = moved.isoformat()
    return out.replace("+00:00", "Z") if text.endswith("Z") else out


def _as_string(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


VALUE_OPS = {
    "set": lambda v, c: copy.deepcopy(c["value"]),
    "scale": lambda v, c: v * c["factor"],
    "flip": lambda v, c: not v,
    "shift": lambda v, c: _shift(v, c["seconds"]),
    "alter": lambda v, c: _alter(v),
    "as-string": lambda v, c: _as_string(v),
}


def edit(body: Any, changes: list[dict]) -> tuple[Any, list[int]]:
    """The live body with each change applied (relative ops computed from it), and the indexes of
    the changes that landed. A path the live body does not have (a list item that came and went)
    is logged and left alone: that change did not land, and the engine must not count it survived."""
    box, landed = [body], []
    for n, c in enumerate(changes):
        found = _locate(box, [0, *c["path"]])
        if found is None:
            log.warning("body mutation %s %s: the live body has no such path", c["route"], c["path"])
            continue
        landed.append(n)
        holder, key = found
        op = c["op"]
        if op == "remove":
            del holder[key]
        elif op == "duplicate":
            holder.insert(key + 1, copy.deepcopy(holder[key]))
        elif op == "add-key":
            holder[key][c["key"]] = c["value"]
        elif op == "reverse":
            holder[key].reverse()
        elif op == "add-item":
            holder[key].append(copy.deepcopy(c["value"]))
        else:
            holder[key] = VALUE_OPS[op](holder[key], c)
    return box[0], landed
