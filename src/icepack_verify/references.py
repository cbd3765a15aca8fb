"""References from the read contracts into the snapshot tables: an assessment (/health, the
recommendation) names the status it was made of by its `status_collected_at`; that status is a
row of the status snapshot table, of the same table, collected at that instant.

Column and table names come from the environment's [data] settings, quoted as identifiers.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from psycopg import sql

from icepack_verify.database import Database

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


def resolves(instant: datetime, collected: list[datetime]) -> bool:
    return any(abs(instant - at) <= PRECISION for at in collected)
