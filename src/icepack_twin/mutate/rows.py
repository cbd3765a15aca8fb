"""Mutation layer `rows`: the snapshot tables' rows: the newest per table and the history behind them.

A mutation edits what health-sync writes from the moment it is configured: the newest run of
the seed and every run after it (the store applies the edits to each batch it writes, in the
seed and in every health-sync run, so a mutation persists while health-sync keeps running).
Edits are relative to the row being written: a timestamp moves from the row's own time, a
number scales its own value. Only the history operators (`thin-*`) reach older runs.

Targets: `<snapshot table>/<db.table>` (one table's rows) or `<snapshot table>` (every
table's). The local environment's known tables get every operator (row-level, per column, per
JSON path); the other tracked tables the row-level ones; the every-table targets the row-level
and per-column ones.
"""
from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime, timedelta

from icepack_twin.mutate import register
from icepack_twin.mutate.model import BaseLayer, Mutation
from icepack_twin.store import JSON_COLUMNS, assess, status_payload

# The local environment's known_tables (environments.toml [environments.local]): the twin never
# reads the suite's settings, so they are named here.
FULLY_MUTATED = ("analytics.events", "sales.orders", "ops.audit_log")
SNAPSHOTS = {"table_status_snapshots": "collected_at", "table_health_snapshots": "assessed_at"}
IDENTITY = ("database_name", "table_name")
UNTRACKED_SUFFIX = "_untracked"

SHIFTS = {"shift+1h": timedelta(hours=1), "shift-1d": timedelta(days=-1)}
SCALES = {"scale-x0": 0, "scale-x2": 2, "scale-x-1": -1, "scale-x100": 100}
# Edits a drift names and the engine does not generate: a status row after Icepack's rewrite_data_files (200 times
# fewer data and small files, the same bytes, its derived numbers anew), an instant written to the millisecond.
NAMED = ("rewrite-data-files", "to-the-millisecond")
COMPACTION = 200
# Row-level operators: what each does to the newest row of its target in every batch written.
ROW_OPERATORS = {
    "missing": "the newest row is not written",
    "duplicate": "the newest row is written twice",
    "move+1h": "the newest row is stamped 1 h into the future (every timestamp column)",
    "move-1d": "the newest row is stamped 1 day into the past (every timestamp column)",
    "carry-over-1h": "the newest row carries the values of the run 1 h before it",
    "carry-over-1d": "the newest row carries the values of the run 1 day before it",
    "untracked-copy": f"a copy of the newest row for a table nobody tracks (<table>{UNTRACKED_SUFFIX})",
    "thin-newest-only": "the history behind the newest run is missing",
    "thin-every-other": "every other run behind the newest is missing",
    "thin-last-day": "the runs older than a day before the newest are missing",
}
CARRY = {"carry-over-1h": timedelta(hours=1), "carry-over-1d": timedelta(days=1)}
OPERATORS = {*ROW_OPERATORS, *SCALES, *SHIFTS, *NAMED, "other-string", "other-word", "flip", "null", "set-value",
             "remove", "empty", "add-item"}


# --- the world ----------------------------------------------------------------------------------
def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    try:
        return "timestamp" if datetime.fromisoformat(value).tzinfo else "string"
    except ValueError:
        return "string"


def _paths(value, prefix: str, out: dict) -> None:
    """Every JSON path under `prefix` with its type; list items share the path `<list>[]`."""
    out.setdefault(prefix, _json_type(value))
    if isinstance(value, dict):
        for k, v in value.items():
            _paths(v, f"{prefix}.{k}", out)
    elif isinstance(value, list):
        for v in value:
            _paths(v, f"{prefix}[]", out)


def _jsonable(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def snapshot_world(store) -> dict:
    """The newest row of each table in each snapshot table, and the history behind it: the columns,
    the runs, the JSON paths its payloads ever held (with an example item for each list)."""
    out = {}
    with store.connect() as conn:
        for snapshot, time_column in SNAPSHOTS.items():
            columns = {r["column_name"]: {"type": r["data_type"], "nullable": r["is_nullable"] == "YES"}
                       for r in conn.execute(
                           "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
                           " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position", (snapshot,))}
            tables: dict[str, dict] = {}
            for row in conn.execute(f"SELECT * FROM {snapshot} ORDER BY {time_column}, id"):  # noqa: S608 - our names
                qualified = f"{row['database_name']}.{row['table_name']}"
                entry = tables.setdefault(qualified, {"rows": 0, "runs": set(), "oldest": row[time_column].isoformat(),
                                                      "paths": {}, "examples": {}, "words": {}})
                entry["rows"] += 1
                entry["runs"].add(row[time_column])
                entry["newest"] = _jsonable({k: v for k, v in row.items() if k != "id"})
                for column in JSON_COLUMNS & set(row):
                    _paths(row[column], column, entry["paths"])
                    if isinstance(row[column], list) and row[column]:
                        entry["examples"][column] = row[column][0]
                for column, spec in columns.items():
                    if spec["type"] == "text" and column not in IDENTITY and row[column] is not None:
                        words = entry["words"].setdefault(column, [])
                        if row[column] not in words:
                            words.append(row[column])
            for entry in tables.values():
                entry["runs"] = len(entry["runs"])
            out[snapshot] = {"time_column": time_column, "columns": columns, "tables": tables}
    return out


# --- applying an edit to a row ------------------------------------------------------------------
def _rotate(text: str) -> str:
    """Another string of the same form: each letter and digit moved one along its alphabet."""
    def one(c: str) -> str:
        for first, size in (("a", 26), ("A", 26), ("0", 10)):
            if first <= c < chr(ord(first) + size):
                return chr(ord(first) + (ord(c) - ord(first) + 1) % size)
        return c
    return "".join(map(one, text))


def _edited(value, change: dict):
    """A JSON value or column value after a value operator."""
    op = change["op"]
    if op in SCALES:
        return value * SCALES[op]
    if op == "to-the-millisecond":
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if op in SHIFTS:
        if isinstance(value, datetime):
            return value + SHIFTS[op]
        return (datetime.fromisoformat(value) + SHIFTS[op]).isoformat()
    if op == "other-string":
        return _rotate(value)
    if op == "flip":
        return not value
    if op == "null":
        return None
    if op == "other-word":
        return next(w for w in change["words"] if w != value)
    if op == "set-value":
        return copy.deepcopy(change["value"])
    raise ValueError(f"unknown rows value operator {op!r}")


def _edit_json(node, keys: list[str], change: dict):
    """`node` with the edit at the path `keys` ("[]" stands for every item of a list)."""
    if not keys:
        if change["op"] == "empty":
            return [] if isinstance(node, list) else {}
        if change["op"] == "add-item":
            return [*node, copy.deepcopy(change["value"])]
        return _edited(node, change)
    key, rest = keys[0], keys[1:]
    if key == "[]":
        items = node or [copy.deepcopy(change["item"])]  # an edit of items makes one where there is none
        return [_edit_json(item, rest, change) for item in items]
    node = dict(node)
    if not rest and change["op"] == "remove":
        del node[key]
    else:
        node[key] = _edit_json(node[key], rest, change)
    return node


def _split(path: str) -> list[str]:
    """'issues[].code' -> ['issues', '[]', 'code']."""
    return [part for piece in path.split(".") for part in piece.replace("[]", ".[]").split(".") if part]


def _carried(snapshot: str, row: dict, back: timedelta) -> dict:
    """The row with the values the run `back` before it wrote (its own time kept)."""
    row = dict(row)
    if snapshot == "table_status_snapshots":
        row["payload"] = status_payload(row["database_name"], row["table_name"], row["collected_at"] - back)
    else:
        earlier = row["status_collected_at"] - back
        row["health_status"], row["issues"] = assess(status_payload(row["database_name"], row["table_name"], earlier))
        row["status_collected_at"] = earlier
    return row


def _edit_row(change: dict, row: dict) -> list[dict]:
    """What is written instead of a table's newest row (none, one, or two rows)."""
    op = change["op"]
    if op == "missing":
        return []
    if op == "duplicate":
        return [row, dict(row)]
    if op in ("move+1h", "move-1d"):
        shift = SHIFTS["shift" + op[4:]]
        return [{k: v + shift if isinstance(v, datetime) else v for k, v in row.items()}]
    if op in CARRY:
        return [_carried(change["snapshot"], row, CARRY[op])]
    if op == "untracked-copy":
        return [row, {**row, "table_name": row["table_name"] + UNTRACKED_SUFFIX}]
    if op == "rewrite-data-files":
        return [{**row, "payload": _rewritten(row["payload"])}]
    column = change["column"]
    if column in JSON_COLUMNS:
        return [{**row, column: _edit_json(row[column], _split(change["path"])[1:], change)}]
    return [{**row, column: _edited(row[column], change)}]


def _rewritten(payload: dict) -> dict:
    """A status payload after rewrite_data_files: COMPACTION times fewer files, derived as health-sync derives."""
    payload = copy.deepcopy(payload)
    files, derived = payload["files"], payload["derived"]
    files["data_file_count"] = max(1, files["data_file_count"] // COMPACTION)
    files["small_file_count"] //= COMPACTION
    derived["avg_file_bytes"] = files["total_data_bytes"] // files["data_file_count"]
    derived["small_file_ratio"] = round(files["small_file_count"] / files["data_file_count"], 4)
    return payload


def _kept(op: str, runs_back: int, age: timedelta) -> bool:
    """Whether a history operator keeps a run `runs_back` runs and `age` older than the newest."""
    return runs_back == 0 or not (op == "thin-newest-only" or (op == "thin-every-other" and runs_back % 2 == 1)
                                  or (op == "thin-last-day" and age > timedelta(days=1)))


class RowEdits:
    """The rows mutations in effect, as the store applies them to every batch it writes: the newest
    row of each targeted table in the batch is edited (in a health-sync run, every row it writes);
    a history operator drops older runs of the batch (in a health-sync run there are none).
    `applied` counts, per mutation id, the batches an edit changed (GET /_twin/mutations-applied):
    an edit that never changed a row written did not take effect."""

    def __init__(self, mutations: list[dict]):
        self.mutations = mutations
        self.applied: Counter = Counter()

    def __call__(self, snapshot: str, rows: list[dict]) -> list[dict]:
        for m in self.mutations:
            if m["change"]["snapshot"] == snapshot:
                edited = self._apply(m["change"], rows, SNAPSHOTS[snapshot])
                if edited != rows:
                    self.applied[m.get("id", "")] += 1
                rows = edited
        return rows

    @staticmethod
    def _apply(change: dict, rows: list[dict], time_column: str) -> list[dict]:
        runs: dict[tuple, list[datetime]] = {}  # (db, table) -> its rows' times in the batch, newest first
        for r in rows:
            if change["table"] in (None, f"{r['database_name']}.{r['table_name']}"):
                runs.setdefault((r["database_name"], r["table_name"]), []).append(r[time_column])
        for times in runs.values():
            times.sort(reverse=True)
        out, edited = [], set()
        for r in rows:
            key = (r["database_name"], r["table_name"])
            if key not in runs:
                out.append(r)
            elif change["op"].startswith("thin-"):
                times = runs[key]
                if _kept(change["op"], times.index(r[time_column]), times[0] - r[time_column]):
                    out.append(r)
            elif r[time_column] == runs[key][0] and key not in edited:
                edited.add(key)
                out += _edit_row(change, r)
            else:
                out.append(r)
        return out


# --- generation ---------------------------------------------------------------------------------
def _value_operators(kind: str, value) -> list[tuple[str, dict]]:
    """(operator, extra change fields) for a value of this JSON or column type."""
    if kind in ("integer", "number"):
        return [("set-value", {"value": 1})] if value == 0 else [(op, {}) for op in SCALES]  # 0 x k is 0
    if kind in ("timestamp", "timestamp with time zone"):
        return [(op, {}) for op in SHIFTS]
    if kind in ("string", "text"):
        return [("other-string", {})]
    if kind == "boolean":
        return [("flip", {})]
    return []


def _leaf_mutations(snapshot: str, qualified: str | None, entry: dict, columns: dict,
                    words: dict[str, list]) -> list[Mutation]:
    """The value operators on every column and every JSON path of a table's newest row (`words`: the
    words each text column holds across every table, so a table's own history need not vary)."""
    target = f"{snapshot}/{qualified}" if qualified else snapshot
    newest = entry["newest"]
    out = []

    def add(path: str, op: str, change: dict, value=None):
        change = {"snapshot": snapshot, "table": qualified, "column": path.split(".")[0].split("[")[0],
                  "path": path, "op": op, **change}
        if change["op"] in ("empty", "remove", "add-item"):
            what = {"empty": "emptied", "remove": "removed", "add-item": "gains an item like its history's"}[change["op"]]
        else:
            what = f"{value!r} -> {_edited(value, change)!r}"
        out.append(Mutation("rows", target, path, op, change, f"{target} newest row: {path} {what}"))

    for column, spec in columns.items():
        if column == "id" or column in JSON_COLUMNS:
            continue
        value = newest[column]
        if value is None:
            add(column, "set-value", {"value": "health-sync: collection failed"}, value)
            continue
        for op, extra in _value_operators(spec["type"], value):
            add(column, op, extra, value)
        if len(words.get(column, [])) > 1:  # another word the tables use, whichever the newest row holds
            add(column, "other-word", {"words": words[column]}, value)
    if not qualified:
        return out
    for path, kind in sorted(entry["paths"].items()):
        column = path.split(".")[0].split("[")[0]
        example = entry["examples"].get(column)
        if path == column or kind == "array":
            add(path, "empty", {})
            if kind == "array" and example is not None:
                add(path, "add-item", {"value": example})
            if path == column:
                continue
        value = _value_at(newest[column], _split(path)[1:], example)
        item = {"item": example} if "[]" in path else {}  # the item an edit makes where the list has none
        if not path.endswith("[]"):
            add(path, "remove", item)
        if value is not None:
            add(path, "null", item, value)
        for op, extra in _value_operators(kind, value):
            add(path, op, {**item, **extra}, value)
    return out


def _value_at(node, keys: list[str], example):
    for key in keys:
        if key == "[]":
            node = node[0] if node else example
        else:
            node = node[key]
    return node


class _Rows(BaseLayer):
    name = "rows"

    def world(self, twin) -> dict:
        return {"tracked": twin.tables, "fully_mutated": list(FULLY_MUTATED), "interval_seconds":
                twin.store.interval.total_seconds(), "snapshots": snapshot_world(twin.store)}

    def generate(self, world: dict) -> list[Mutation]:
        out = []
        for snapshot, spec in world["snapshots"].items():
            words: dict[str, list] = {}
            for entry in spec["tables"].values():
                for column, used in entry["words"].items():
                    words[column] = sorted({*words.get(column, []), *used})
            for qualified in [*world["tracked"], None]:
                entry = spec["tables"].get(qualified) if qualified else None
                if qualified and entry is None:
                    continue
                target = f"{snapshot}/{qualified}" if qualified else snapshot
                for op, description in ROW_OPERATORS.items():
                    out.append(Mutation("rows", target, "", op, {"snapshot": snapshot, "table": qualified, "op": op},
                                        f"{target}: {description}"))
                if qualified in FULLY_MUTATED:
                    out += _leaf_mutations(snapshot, qualified, entry, spec["columns"], words)
                elif qualified is None:  # the columns of every table's newest row, judged by the first table's
                    first = spec["tables"][world["tracked"][0]]
                    out += [m for m in _leaf_mutations(snapshot, None, first, spec["columns"], words)
                            if m.path not in IDENTITY]
        return out

    def prepare(self, objects, behaviour, mutation: dict) -> None:
        change = mutation["change"]
        if change.get("snapshot") not in SNAPSHOTS or change.get("op") not in OPERATORS:
            raise ValueError(f"not a rows mutation: {mutation.get('id', mutation)!r}")

    def settle(self, store, mutations: list[dict]) -> None:
        if mutations:  # the reset seeded healthy rows: seed again, edited
            store.seed_with(RowEdits(mutations))


LAYER = register(_Rows())
