"""References from the read contracts into the snapshot tables: an assessment (/health, the
recommendation) names the status it was made of by its `status_collected_at`; that status is a
row of the status snapshot table, of the same table, collected at that instant.

Column and table names come from the environment's [data] settings, quoted as identifiers.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from psycopg import sql

from icepack_verify.database import Database
from icepack_verify.diagnosis import ABSENT
from icepack_verify.semantics import utc_instant

PRECISION = timedelta(milliseconds=1)  # an API may render an instant to the millisecond


def collected_near(db: Database, table: str, instants: list[datetime]) -> list[datetime]:
    """The status rows of "db.table" collected within PRECISION of any of these instants."""
    s = db.settings
    database, name = table.split(".", 1)
    query = sql.SQL("SELECT {col} AS at FROM {table} WHERE {d} = %(database)s AND {t} = %(name)s"
                    " AND {col} BETWEEN %(first)s AND %(last)s").format(
        col=sql.Identifier(s.status_time_column), table=sql.Identifier(s.status_table),
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column))
    rows = db.rows(query, {"database": database, "name": name, "first": min(instants) - PRECISION,
                           "last": max(instants) + PRECISION})
    return [r["at"] for r in rows]


def status_row_at(db: Database, table: str, instant: datetime) -> dict | None:
    """The status row of "db.table" collected at this instant (within PRECISION), None if there is none."""
    s = db.settings
    database, name = table.split(".", 1)
    rows = db.rows(sql.SQL("SELECT * FROM {table} WHERE {d} = %(database)s AND {t} = %(name)s AND {col} BETWEEN"
                           " %(first)s AND %(last)s ORDER BY abs(extract(epoch FROM {col} - %(at)s)) LIMIT 1").format(
        col=sql.Identifier(s.status_time_column), table=sql.Identifier(s.status_table),
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column)),
        {"database": database, "name": name, "first": instant - PRECISION, "last": instant + PRECISION, "at": instant})
    return rows[0] if rows else None


def resolves(instant: datetime, collected: list[datetime]) -> bool:
    return any(abs(instant - at) <= PRECISION for at in collected)


# --- what the read contracts serve versus the newest rows ----------------------------------------
SNAPSHOT_OF = {"status": "status", "health": "health"}  # read contract -> the snapshot table it serves


def newest_rows(db: Database, kind: str, tables: list[str]) -> dict[str, dict | None]:
    """The newest row of each "db.table" in the status or health snapshot table (None: no row)."""
    s = db.settings
    table, column = ((s.status_table, s.status_time_column) if kind == "status"
                     else (s.health_table, s.health_time_column))
    rows = db.rows(sql.SQL("SELECT DISTINCT ON ({d}, {t}) {d} || '.' || {t} AS qualified__, * FROM {table}"
                           " WHERE {d} || '.' || {t} = ANY(%(tables)s) ORDER BY {d}, {t}, {col} DESC").format(
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column), col=sql.Identifier(column),
        table=sql.Identifier(table)), {"tables": tables})
    found = {r.pop("qualified__"): r for r in rows}
    return {t: found.get(t) for t in tables}


def served_values(row: dict, settings) -> dict:
    """What a row says a read contract serves: its columns by name (the identity columns aside: a
    contract names its table in `table`) with the status payload's keys in place of its column."""
    skip = {settings.database_column, settings.table_column, settings.status_payload_column}
    out = {k: v for k, v in row.items() if k not in skip}
    payload = row.get(settings.status_payload_column)
    if isinstance(payload, dict):
        out.update(payload)
    return out


def _same_leaf(held, served) -> bool:
    if isinstance(held, bool) or isinstance(served, bool):
        return held is served
    if isinstance(held, (int, float)) and isinstance(served, (int, float)):
        return held == served  # 84 and 84.0 are one number (JSON has no integers of its own)
    if isinstance(held, datetime) or (isinstance(held, str) and isinstance(served, str) and held != served):
        a, b = held if isinstance(held, datetime) else utc_instant(held), utc_instant(served)
        if a is not None and b is not None:
            return abs(a - b) <= PRECISION  # one instant in any zone, rendered to the millisecond
    return held == served


def differences(held, served, path: str = "") -> list[tuple[str, object, object]]:
    """(path, held, served) for every leaf the row holds that the answer serves otherwise: every key the
    row holds, at every depth (a key the answer adds is the schema's business). A top-level key the
    answer lacks is the contract tests' finding and is not repeated here."""
    if isinstance(held, dict):
        if not isinstance(served, dict):
            return [(path, held, served)]
        return [d for k, v in held.items() if path or k in served
                for d in differences(v, served.get(k, ABSENT), f"{path}.{k}" if path else k)]
    if isinstance(held, list):
        if not isinstance(served, list) or len(served) != len(held):
            return [(path, held, served)]
        return [d for i, (a, b) in enumerate(zip(held, served)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if _same_leaf(held, served) else [(path, held, served)]




def _assessment_names(s) -> dict:
    """The identifiers the assessment queries use, from the [data] settings."""
    return dict(d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column),
                at=sql.Identifier(s.health_time_column), based=sql.Identifier(s.health_based_on_column),
                health=sql.Identifier(s.health_table), status=sql.Identifier(s.status_table),
                col=sql.Identifier(s.status_time_column))


# each table's newest health row assessed within %(within)s: (d, t, assessed, based)
NEWEST_ASSESSMENTS = ("SELECT DISTINCT ON ({d}, {t}) {d} AS d, {t} AS t, {at} AS assessed, {based} AS based FROM {health}"
                      " WHERE {at} > now() - %(within)s ORDER BY {d}, {t}, {at} DESC")


def dangling_assessments(db: Database, within: timedelta, recent: timedelta = timedelta(0)) -> list[dict]:
    """The health rows whose named status (the health table's based-on column) is no status row of that table:
    the newest of each table assessed within `within`, and every one assessed within `recent` (the history the
    cadence judges: status rows pruned or lost behind assessments that remain). {"table", "assessed_at",
    "based_on"}, newest first per table. A health row of a table with no status at all (a table nobody collects)
    is one of them."""
    return db.rows(sql.SQL(
        "SELECT h.d || '.' || h.t AS table, h.assessed AS assessed_at, h.based AS based_on FROM"
        f" (({NEWEST_ASSESSMENTS})"
        "  UNION SELECT {d}, {t}, {at}, {based} FROM {health} WHERE {at} > now() - %(recent)s) h"
        " WHERE NOT EXISTS (SELECT 1 FROM {status} s WHERE s.{d} = h.d AND s.{t} = h.t"
        "                   AND s.{col} BETWEEN h.based - %(precision)s AND h.based + %(precision)s)"
        " ORDER BY 1, 2 DESC").format(**_assessment_names(db.settings)),
        {"within": within, "recent": recent, "precision": PRECISION})


def unassessed_statuses(db: Database, recent: timedelta, settle: timedelta) -> list[dict]:
    """The status rows collected within `recent` (and longer ago than `settle`: health-sync assesses a run's statuses
    after it collects them) that no health row of their table names: health-sync writes a status and its assessment
    in one run, so an assessment is missing. {"table", "collected_at"}, newest first per table."""
    return db.rows(sql.SQL(
        "SELECT s.{d} || '.' || s.{t} AS table, s.{col} AS collected_at FROM {status} s"
        " WHERE s.{col} > (SELECT max({col}) FROM {status}) - %(recent)s AND s.{col} < now() - %(settle)s"
        " AND NOT EXISTS (SELECT 1 FROM {health} h WHERE h.{d} = s.{d} AND h.{t} = s.{t}"
        "                 AND h.{based} BETWEEN s.{col} - %(precision)s AND s.{col} + %(precision)s)"
        " ORDER BY 1, 2 DESC").format(**_assessment_names(db.settings)),
        {"recent": recent, "settle": settle, "precision": PRECISION})


def stale_assessments(db: Database, within: timedelta, lag: timedelta, skew: timedelta) -> list[dict]:
    """The newest health row of each table assessed within `within` whose named status is older than the newest
    status of that table collected by then (its assessed_at + `skew`) by more than `lag` (one health-sync interval
    and a tolerance): an assessment of an older run written under a fresh time. {"table", "assessed_at",
    "based_on", "newest_status"}."""
    return db.rows(sql.SQL(
        "SELECT h.d || '.' || h.t AS table, h.assessed AS assessed_at, h.based AS based_on, n.newest AS newest_status"
        f" FROM ({NEWEST_ASSESSMENTS}) h"
        " CROSS JOIN LATERAL (SELECT max({col}) AS newest FROM {status} s WHERE s.{d} = h.d AND s.{t} = h.t"
        "                     AND s.{col} <= h.assessed + %(skew)s) n"
        " WHERE n.newest > h.based + %(lag)s ORDER BY 1").format(**_assessment_names(db.settings)),
        {"within": within, "lag": lag, "skew": skew})
