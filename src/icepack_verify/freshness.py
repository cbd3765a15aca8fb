"""Is health-sync populating the snapshot tables? Queries and their verdicts.

Every age is measured with the database's own now(): the runner's clock may be off,
and the rows were stamped by the database side. Names of tables and columns come from
the environment's [data] settings and are quoted as identifiers, never formatted in.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg import sql

from icepack_verify.database import Database
from icepack_verify.environments import Environment
from icepack_verify.semantics import interval

TRACKED_WITHIN = timedelta(days=1)  # a table with a status row this recent is one health-sync tracks


class Outcome(enum.Enum):
    FRESH = "fresh"
    LATE = "late"                        # past the warn threshold, not yet the fail one
    STALE = "stale"                      # was refreshed regularly, then stopped
    NEVER_REFRESHED = "never refreshed"  # rows from a single run (a restore, a backfill), none since
    EMPTY = "empty"
    CLOCK_SKEW = "clock skew"            # the newest row lies in the database's future


@dataclass(frozen=True)
class Thresholds:
    interval: timedelta   # the health-sync schedule's longest gap
    warn: timedelta
    fail: timedelta
    skew: timedelta
    source: str           # where these numbers come from, for messages

    @classmethod
    def of(cls, env: Environment) -> "Thresholds":
        every = interval(env.expect.health_sync.schedule)
        return cls(every, every + env.data.warn_grace, every + env.data.fail_grace, env.checks.clock_skew,
                   f"health-sync schedule {env.expect.health_sync.schedule!r} "
                   f"[{env.source('expect.health_sync.schedule')}] + data.warn_grace/fail_grace "
                   f"[{env.source('data.fail_grace')}]")


@dataclass(frozen=True)
class Newest:
    """The newest timestamp of one snapshot table, aged by the database's clock."""
    table: str
    column: str
    rows: int
    runs: int              # distinct timestamps: how many refreshes wrote rows
    newest: datetime | None
    now: datetime

    @property
    def age(self) -> timedelta | None:
        return None if self.newest is None else self.now - self.newest

    def outcome(self, t: Thresholds) -> Outcome:
        if self.rows == 0:
            return Outcome.EMPTY
        if self.newest is None:
            return Outcome.NEVER_REFRESHED
        if -self.age > t.skew:
            return Outcome.CLOCK_SKEW
        if self.age > t.fail:
            return Outcome.NEVER_REFRESHED if self.runs <= 1 else Outcome.STALE
        if self.age > t.warn:
            return Outcome.LATE
        return Outcome.FRESH


def newest_row(db: Database, table: str, column: str) -> Newest:
    row = db.one(sql.SQL("SELECT count(*) AS rows, count(DISTINCT {col}) AS runs, max({col}) AS newest,"
                         " now() AS now FROM {table}").format(col=sql.Identifier(column), table=sql.Identifier(table)))
    return Newest(table, column, row["rows"], row["runs"], row["newest"], row["now"])


def newest_per_table(db: Database, table: str, column: str) -> tuple[dict[str, datetime], datetime]:
    """{"db.table": newest timestamp} of one snapshot table, and the database's now()."""
    s = db.settings
    rows = db.rows(sql.SQL("SELECT {d} AS d, {t} AS t, max({col}) AS newest, now() AS now FROM {table}"
                           " GROUP BY {d}, {t}").format(
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column),
        col=sql.Identifier(column), table=sql.Identifier(table)))
    now = rows[0]["now"] if rows else db.one(sql.SQL("SELECT now() AS now"))["now"]
    return {f"{r['d']}.{r['t']}": r["newest"] for r in rows}, now


def newest_status(db: Database, tables: list[str]) -> dict[str, datetime | None]:
    """The newest status collected_at of each given "db.table" (None when it has no row)."""
    s = db.settings
    rows = db.rows(sql.SQL("SELECT {d} || '.' || {t} AS qualified, max({col}) AS newest FROM {table}"
                           " WHERE {d} || '.' || {t} = ANY(%(tables)s) GROUP BY {d}, {t}").format(
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column),
        col=sql.Identifier(s.status_time_column), table=sql.Identifier(s.status_table)), {"tables": tables})
    found = {r["qualified"]: r["newest"] for r in rows}
    return {t: found.get(t) for t in tables}


@dataclass(frozen=True)
class TableCounts:
    newest: datetime | None
    current: int             # distinct tables in the last interval up to the newest run
    day_before: int          # distinct tables in the same window a day earlier
    history: bool            # the table reaches back far enough for the comparison


def table_counts(db: Database, window: timedelta) -> TableCounts:
    """Distinct tables in (newest - window, newest] versus the same window a day before.

    Anchored at the newest run, not at now(): whether health-sync still runs is the
    freshness check's question; this one asks whether its runs still cover every table.
    """
    s = db.settings
    row = db.one(sql.SQL(
        "WITH b AS (SELECT max({col}) AS newest, min({col}) AS oldest FROM {table})"
        " SELECT b.newest, b.oldest <= b.newest - interval '1 day' - %(w)s AS history,"
        " count(DISTINCT ({d}, {t})) FILTER (WHERE {col} > b.newest - %(w)s) AS current,"
        " count(DISTINCT ({d}, {t})) FILTER (WHERE {col} > b.newest - interval '1 day' - %(w)s"
        "                                     AND {col} <= b.newest - interval '1 day') AS day_before"
        " FROM b LEFT JOIN {table} ON true GROUP BY b.newest, b.oldest").format(
        col=sql.Identifier(s.status_time_column), table=sql.Identifier(s.status_table),
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column)), {"w": window})
    return TableCounts(row.get("newest"), row.get("current") or 0, row.get("day_before") or 0,
                       bool(row.get("history")))


@dataclass(frozen=True)
class Gap:
    table: str            # "db.table"
    after: datetime       # the run before the gap
    before: datetime      # the run after it
    others_ran: int       # runs of other tables inside the gap: health-sync ran and skipped this table
    gaps: int             # this table's gaps in the window


def run_gaps(db: Database, table: str, column: str, window: timedelta, longest: timedelta) -> list[Gap]:
    """Gaps longer than `longest` between one table's consecutive runs (in a snapshot table) in the `window` before its
    newest run, of the tables with a run in the last day, that are not a pause of health-sync: other
    tables ran inside the gap (this one was skipped), or it has more than one (runs less often than the
    schedule). A table's first run has no gap before it: a newly tracked table (or a restored database)
    is judged from its first run on. One pause of every table (a maintenance window) is freshness' finding
    while it lasts, and none after."""
    s = db.settings
    rows = db.rows(sql.SQL(
        "WITH runs AS (SELECT DISTINCT {d} AS d, {t} AS t, {col} AS at FROM {table}"
        "               WHERE {col} > (SELECT max({col}) FROM {table}) - %(window)s - interval '1 day'),"
        " gaps AS (SELECT d, t, lag(at) OVER w AS after, at AS before, max(at) OVER (PARTITION BY d, t) AS newest"
        "          FROM runs WINDOW w AS (PARTITION BY d, t ORDER BY at)),"
        " found AS (SELECT d, t, after, before, count(*) OVER (PARTITION BY d, t) AS gaps FROM gaps"
        "           WHERE after IS NOT NULL AND before > newest - %(window)s AND before - after > %(longest)s"
        "             AND newest > now() - interval '1 day')"
        " SELECT d || '.' || t AS qualified, after, before, gaps,"
        "        (SELECT count(*) FROM runs o WHERE (o.d, o.t) <> (f.d, f.t) AND o.at > f.after AND o.at < f.before)"
        "          AS others_ran FROM found f ORDER BY 1, 2").format(
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column),
        col=sql.Identifier(column), table=sql.Identifier(table)), {"window": window, "longest": longest})
    return [Gap(r["qualified"], r["after"], r["before"], r["others_ran"], r["gaps"]) for r in rows
            if r["others_ran"] or r["gaps"] > 1]
