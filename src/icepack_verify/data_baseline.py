"""An environment's database baseline: the shape of every relation Icepack keeps (kind, columns and
their types), and the value rules (icepack_verify.value_profile) of the snapshot rows health-sync
wrote over a day, read in the suite's read-only session. Recorded with `--record-baseline` into
`<baseline dir>/<env>.database.json` (default tests/data/baselines), committed, then compared:

- a relation gone, of another kind (a table and a plain view read alike), or a column gone or of
  another type breaks what reads it (the API's job history reads maintenance_jobs; only the opt-in
  dry run would otherwise);
- the newest rows of every table hold the words, signs and keys a day of rows held, and the
  lists a word decides (an assessment `healthy` with issues).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from psycopg import sql

from icepack_verify.database import KINDS, Database
from icepack_verify.value_profile import learn

FORMAT = "icepack-verify database baseline 1"
LEARN_FROM = 20_000  # rows of a day read to learn from, at most (newest first)
# Kinds a reader cannot tell apart: each answers with the rows as they are now (a plain view over a renamed
# table is the same to a SELECT); a materialized view answers with the rows of its last refresh.
LIVE = {"table", "partitioned table", "view"}
SYSTEM = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'"


def relation_shapes(db: Database) -> dict[str, dict]:
    """{"public.maintenance_jobs": {"kind": "table", "columns": {"started_at": "timestamp with time zone"}}}:
    every relation outside the system schemas, from the catalog (readable by every role)."""
    rows = db.rows(sql.SQL(
        "SELECT n.nspname || '.' || c.relname AS rel, c.relkind AS kind, a.attname AS col,"
        " format_type(a.atttypid, a.atttypmod) AS type FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND " + SYSTEM + " ORDER BY 1, a.attnum"))
    out: dict[str, dict] = {}
    for r in rows:
        entry = out.setdefault(r["rel"], {"kind": KINDS.get(r["kind"], r["kind"]), "columns": {}})
        if r["col"] is not None:
            entry["columns"][r["col"]] = r["type"]
    return out


def shape_differences(recorded: dict, now: dict) -> list[tuple[str, str, str]]:
    """(field, expected, actual) for each relation or column the baseline has that is gone or changed;
    additions are not breaking."""
    out = []
    for rel, shape in recorded.items():
        if rel not in now:
            out.append((f"relation {rel}", f"a {shape['kind']}", "absent"))
            continue
        if now[rel]["kind"] != shape["kind"] and not {now[rel]["kind"], shape["kind"]} <= LIVE:
            out.append((f"relation {rel} kind", shape["kind"], now[rel]["kind"]))
        for column, type_ in shape["columns"].items():
            actual = now[rel]["columns"].get(column)
            if actual != type_:
                out.append((f"column {rel}.{column}", type_, actual or "absent"))
    return out


def _observation(row: dict, skip: set[str]) -> dict:
    """A health row's values as the rules see them: no ids, names or timestamps (each row's own)."""
    return {k: v for k, v in row.items() if k not in skip and not isinstance(v, datetime)}


def _rows(db: Database, table: str, time_column: str, newest_only: bool, within: timedelta | None = None) -> list[dict]:
    s = db.settings
    names = dict(d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column),
                 time=sql.Identifier(time_column), table=sql.Identifier(table))
    if newest_only:
        query = sql.SQL("SELECT DISTINCT ON ({d}, {t}) * FROM {table} ORDER BY {d}, {t}, {time} DESC").format(**names)
        return db.rows(query)
    query = sql.SQL("SELECT * FROM {table} WHERE {time} > (SELECT max({time}) FROM {table}) - %(within)s"
                    " ORDER BY {time} DESC LIMIT %(limit)s").format(**names)
    return db.rows(query, {"within": within, "limit": LEARN_FROM})


def row_observations(db: Database, newest_only: bool, within: timedelta | None = None) -> dict[str, list]:
    """{"status": [payload, ...], "health": [health row values, ...]} of the newest row of each table, or of
    every row of the last `within` before the newest."""
    s = db.settings
    skip = {"id", s.database_column, s.table_column}
    status = _rows(db, s.status_table, s.status_time_column, newest_only, within)
    health = _rows(db, s.health_table, s.health_time_column, newest_only, within)
    return {"status": [(f"{r[s.database_column]}.{r[s.table_column]}", r[s.status_payload_column]) for r in status],
            "health": [(f"{r[s.database_column]}.{r[s.table_column]}", _observation(r, skip)) for r in health]}


def record_database_baseline(db: Database, within: timedelta) -> dict:
    seen = row_observations(db, newest_only=False, within=within)
    return {"format": FORMAT, "relations": relation_shapes(db),
            "rows": {kind: learn([o for _, o in rows]) for kind, rows in seen.items()},
            "learned_from": {kind: len(rows) for kind, rows in seen.items()}}


def read_database_baseline(data: dict, where: str) -> dict:
    """A recorded baseline file's content, with where it lies (for messages)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"{where} is not an {FORMAT!r} file: record it anew with --record-baseline")
    return {**data, "where": where}
