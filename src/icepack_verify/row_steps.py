"""Each status snapshot of a table against the run before it, over the recent runs (one rule for every numeric leaf
of the payload): no amount grows by more than `data.step_ratio` times in one run (a table a backfill grows 100x in 15
minutes is a setting away). A fall is not judged: it is what Icepack's own maintenance does (rewrite_data_files takes
5000 files to 40, expire_snapshots and rewrite_manifests cut counts more than a hundredfold). Numbers that name rather
than count (`data.step_opaque`: snapshot and spec ids) are not amounts, and health-sync's own measurement of its run
(`data.run_own_fields`) is not the table's. A quotient of two other numbers of the payload (an average, a ratio:
`derived.avg_file_bytes` is total bytes over files) in both runs is judged through its parts: when maintenance cuts
its divisor it rises, as it must.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatch

from psycopg import sql

from icepack_verify.database import Database
from icepack_verify.semantics import instant
from icepack_verify.value_profile import _is_quotient


@dataclass(frozen=True)
class Step:
    table: str
    at: datetime        # the judged row's time
    before: datetime    # the time of the run before it
    field: str          # dotted payload path
    previous: float
    newest: float


def numeric_leaves(value, prefix: str = "") -> dict[str, float]:
    """{"files.delete_file_count": 6, ...}: every number in a JSON document (booleans are not numbers)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(numeric_leaves(item, f"{prefix}{key}."))
        return out
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {prefix.rstrip("."): value}
    return {}


def step_findings(previous: dict, newest: dict, ratio: float, run_own: list[str],
                  opaque: list[str]) -> list[tuple[str, float, float]]:
    """(field, previous, newest) for each amount of `newest` more than `ratio` times the same amount of `previous`,
    both above zero (a fall, however steep, is maintenance's), that is no quotient of two others in both."""
    before, after = numeric_leaves(previous), numeric_leaves(newest)
    out = []
    for field, value in after.items():
        old = before.get(field)
        if old is None or any(fnmatch(field, p) for p in [*run_own, *opaque]):
            continue
        if old > 0 and value > ratio * old and not _quotient(field, before, after):
            out.append((field, old, value))
    return out


def _quotient(field: str, before: dict[str, float], after: dict[str, float]) -> bool:
    """Is `field` the same two other numbers' quotient in both runs? (Asked of the few amounts grown past the ratio.)"""
    parts = [p for p in after if p != field and p in before]
    return any(_is_quotient(before[field], before[y], before[z]) and _is_quotient(after[field], after[y], after[z])
               for y in parts for z in parts if y != z)


def recent_steps(db: Database, window: timedelta, ratio: float, run_own: list[str], opaque: list[str]) -> list[Step]:
    """The steps the rules reject between consecutive status rows of each table in the `window` before its newest
    (a writer gone wrong keeps writing so: the step is where its rows begin, not between its own rows).
    Only rows of the day before the window are read, as freshness.run_gaps bounds its runs: a status table holds
    months of payloads, and a window function over all of them runs past statement_timeout."""
    s = db.settings
    rows = db.rows(sql.SQL(
        "SELECT d, t, at, payload, before, previous FROM (SELECT {d} AS d, {t} AS t, {time} AS at, {p} AS payload,"
        " lag({time}) OVER w AS before, lag({p}) OVER w AS previous, max({time}) OVER (PARTITION BY {d}, {t}) AS newest"
        " FROM {table} WHERE {time} > (SELECT max({time}) FROM {table}) - %(window)s - interval '1 day'"
        " WINDOW w AS (PARTITION BY {d}, {t} ORDER BY {time})) r"
        " WHERE before IS NOT NULL AND at > newest - %(window)s AND at > before ORDER BY d, t, at").format(
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column), time=sql.Identifier(s.status_time_column),
        p=sql.Identifier(s.status_payload_column), table=sql.Identifier(s.status_table)), {"window": window})
    out: list[Step] = []
    for r in rows:
        if isinstance(r["payload"], dict) and isinstance(r["previous"], dict):
            out += [Step(f"{r['d']}.{r['t']}", r["at"], r["before"], field, old, value) for field, old, value
                    in step_findings(r["previous"], r["payload"], ratio, run_own, opaque)]
    return out


@dataclass(frozen=True)
class Ahead:
    table: str
    at: datetime    # the row's collection time
    field: str      # dotted payload path
    value: str      # the time it holds


def _times(value, prefix: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _times(item, f"{prefix}{key}.")
    elif isinstance(value, str) and (when := instant(value)) is not None:
        yield prefix.rstrip("."), value, when


def times_ahead(db: Database, window: timedelta, skew: timedelta, run_own: list[str]) -> list[Ahead]:
    """Times a status row's payload holds later than the row was collected (+ `skew`): what a collection reads
    (a table's current snapshot, its last commit) had happened by then. Health-sync's measurement of its own run
    (`data.run_own_fields`) may end after it stamps the row, and is not judged. The rows of the `window` before
    the newest."""
    s = db.settings
    rows = db.rows(sql.SQL(
        "SELECT {d} AS d, {t} AS t, {time} AS at, {p} AS payload FROM {table}"
        " WHERE {time} > (SELECT max({time}) FROM {table}) - %(window)s ORDER BY 1, 2, 3").format(
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column), time=sql.Identifier(s.status_time_column),
        p=sql.Identifier(s.status_payload_column), table=sql.Identifier(s.status_table)), {"window": window})
    return [Ahead(f"{r['d']}.{r['t']}", r["at"], field, text) for r in rows
            for field, text, when in _times(r["payload"]) if when > r["at"] + skew
            and not any(fnmatch(field, p) for p in run_own)]
