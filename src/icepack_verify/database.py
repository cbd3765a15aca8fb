"""A read-only session on an environment's Icepack database.

Read-only twice over: the server is asked for read-only transactions at connect time
(default_transaction_read_only), and psycopg opens every transaction READ ONLY.
Table and column names come from settings and are quoted as identifiers.
"""
from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from icepack_verify.environments import DataSettings, Environment
from icepack_verify.errors import Unreachable


def where(dsn: str) -> str:
    """user@host/dbname of a DSN, for messages: never the password."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(an unparseable DSN)"
    return f"{info.get('user', '?')}@{info.get('host', 'localhost')}/{info.get('dbname', '?')}"


class Database:
    def __init__(self, conn: psycopg.Connection, settings: DataSettings):
        self.conn = conn
        self.settings = settings

    @classmethod
    def connect(cls, env: Environment, dsn: str, timeout: int = 10) -> "Database":
        try:
            # statement_timeout is the server's; keepalives and tcp_user_timeout end a session whose
            # server went silent (a partition), which no server-side timeout can.
            conn = psycopg.connect(dsn, connect_timeout=timeout, row_factory=dict_row, application_name="icepack-verify",
                                   options="-c default_transaction_read_only=on -c statement_timeout=15000",
                                   keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                                   tcp_user_timeout=timeout * 1000)
        except psycopg.ProgrammingError:
            raise Unreachable("database", "the DSN is malformed") from None
        except psycopg.OperationalError as exc:
            reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
            reason = reason.replace(dsn, where(dsn))
            raise Unreachable(f"database {where(dsn)}", f"unreachable: {reason}") from None
        conn.read_only = True
        return cls(conn, env.data)

    def close(self) -> None:
        self.conn.close()

    def rows(self, query: sql.Composable, params: dict[str, Any] | None = None) -> list[dict]:
        with self.conn.transaction():
            return self.conn.execute(query, params or {}).fetchall()

    def one(self, query: sql.Composable, params: dict[str, Any] | None = None) -> dict:
        rows = self.rows(query, params)
        return rows[0] if rows else {}
