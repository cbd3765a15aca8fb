"""A read-only session on an environment's Icepack database.

Read-only twice over: the server is asked for read-only transactions at connect time
(default_transaction_read_only), and psycopg opens every transaction READ ONLY.
Table and column names come from settings and are quoted as identifiers.
"""
from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from icepack_verify.environments import DataSettings, Environment
from icepack_verify.errors import NotFound, Problem, Unreachable, Unreadable


def where(dsn: str) -> str:
    """user@host/dbname of a DSN, for messages: never the password."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(an unparseable DSN)"
    return f"{info.get('user', '?')}@{info.get('host', 'localhost')}/{info.get('dbname', '?')}"


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def session_settings(timeout: timedelta) -> dict[str, str]:
    """The settings the suite sends with every connection: a role's own setting of these never applies.
    DateStyle ISO: psycopg reads dates and timestamps only in the ISO style."""
    return {"default_transaction_read_only": "on", "statement_timeout": str(int(timeout.total_seconds() * 1000)),
            "DateStyle": "ISO"}


GRACE = timedelta(seconds=3)  # past statement_timeout: the server would have answered by now


class Database:
    def __init__(self, conn: psycopg.Connection, settings: DataSettings, subject: str, statement_timeout: timedelta):
        self.conn = conn
        self.settings = settings
        self.subject = subject
        self.statement_timeout = statement_timeout
        self._cut = False                 # the watchdog shut the session
        self._broken: str | None = None   # why the session is gone, once it is
        self.role: dict = {}              # role_credential, read when the session opened

    @classmethod
    def connect(cls, env: Environment, dsn: str) -> "Database":
        timeout = env.checks.db_statement_timeout
        try:
            # statement_timeout is the server's; keepalives and tcp_user_timeout end a session whose
            # peer vanished; `rows` cuts one that still accepts bytes but never answers (a stalled
            # proxy or NAT), which neither can.
            conn = psycopg.connect(dsn, connect_timeout=int(timeout.total_seconds()), row_factory=dict_row,
                                   application_name="icepack-verify",
                                   options=" ".join(f"-c {k}={v}" for k, v in session_settings(timeout).items()),
                                   keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                                   tcp_user_timeout=int(timeout.total_seconds() * 1000))
        except psycopg.ProgrammingError:
            raise Unreachable("database", "the DSN is malformed") from None
        except psycopg.OperationalError as exc:
            reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
            reason = reason.replace(dsn, where(dsn))
            if "FATAL" in reason:  # the server answered and refused the session
                reason += (" (the server refused the login: from here a wrong DSN and a role that may not log in "
                           "-- NOLOGIN, CONNECT revoked, CONNECTION LIMIT reached, VALID UNTIL past -- look alike; "
                           "an admin sees which in pg_roles)")
            raise Unreachable(f"database {where(dsn)}", f"unreachable: {reason}") from None
        conn.read_only = True
        db = cls(conn, env.data, f"database {where(dsn)}", timeout)
        try:
            # Read first: a role setting such as idle_session_timeout may end the session before its check runs.
            db.role = role_credential(db)
        except Unreachable:  # the session itself is gone: every database test is not run
            conn.close()
            raise
        except Problem as exc:  # the credential alone is unread: only its own test says so (not the session failing)
            db.role = {"unread": exc.with_traceback(None)}
        except BaseException:
            conn.close()
            raise
        return db

    def close(self) -> None:
        self.conn.close()

    def rows(self, query: sql.Composable, params: dict[str, Any] | None = None) -> list[dict]:
        """The query's rows. A session that broke (closed, lost, cut by the watchdog) raises
        Unreachable "stopped answering mid-run: <why>" here and from every later query, at once:
        no query waits on a session already known gone."""
        if self._cut and not self._broken:  # the watchdog fired on a statement that answered after all
            self._broken = "the session was cut after an earlier statement got no answer"
        if self._broken:
            raise Unreachable(self.subject, f"stopped answering mid-run: {self._broken} (on an earlier "
                                            "query; this one was not sent)")
        watchdog = threading.Timer((self.statement_timeout + GRACE).total_seconds(), self._cut_session)
        watchdog.daemon = True
        watchdog.start()
        try:
            with self.conn.transaction():
                return self.conn.execute(query, params or {}).fetchall()
        except psycopg.errors.QueryCanceled as exc:
            if self._cut:
                self._broken = self._cut_reason()
                raise Unreachable(self.subject, f"stopped answering mid-run: {self._broken}") from None
            # the server's own statement_timeout: it answered, and the session goes on
            raise Unreachable(self.subject, f"a statement ran past checks.db_statement_timeout "
                                            f"({self.statement_timeout.total_seconds():g} s) and the server "
                                            f"canceled it: {_first_line(exc)}") from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self._broken = self._cut_reason() if self._cut else _first_line(exc)
            raise Unreachable(self.subject, f"stopped answering mid-run: {self._broken}") from None
        except psycopg.errors.InsufficientPrivilege as exc:  # the suite's role, not Icepack: nothing observed
            raise Unreadable(self.subject, f"{_first_line(exc)}: the suite's role must be able to read the snapshot "
                                           "tables (README, \"What it needs\": GRANT SELECT ...)") from None
        except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn, psycopg.errors.WrongObjectType,
                psycopg.errors.DatatypeMismatch, psycopg.errors.UndefinedFunction) as exc:
            # An observation: the schema is not the one Icepack creates on startup (document, tier 3).
            raise NotFound(self.subject, f"{_first_line(exc)} (SQLSTATE {exc.sqlstate}): the snapshot tables are "
                                         "not what Icepack creates on startup (a migration gone wrong?)") from None
        finally:
            watchdog.cancel()

    def _cut_reason(self) -> str:
        return (f"a statement got no answer within {(self.statement_timeout + GRACE).total_seconds():g} s "
                "(checks.db_statement_timeout + 3 s); the session was cut")

    def _cut_session(self) -> None:
        """A statement outlived its timeout and the server never said so: ask it to cancel, then
        shut the socket so the blocked read returns (psycopg's public cancel_safe and fileno)."""
        self._cut = True
        try:
            self.conn.cancel_safe(timeout=2)
        except Exception:  # noqa: BLE001 - the server may be unreachable too; the cut below still ends the wait
            pass
        try:
            with socket.socket(fileno=os.dup(self.conn.fileno())) as sock:  # a duplicate: psycopg keeps its own fd
                sock.shutdown(socket.SHUT_RDWR)
        except (OSError, psycopg.Error):
            pass

    def one(self, query: sql.Composable, params: dict[str, Any] | None = None) -> dict:
        rows = self.rows(query, params)
        return rows[0] if rows else {}


# --- least privilege: what the suite's own role may do beyond reading ------------------------------
WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
ATTRIBUTES = {"rolsuper": "SUPERUSER", "rolcreaterole": "CREATEROLE", "rolcreatedb": "CREATEDB",
              "rolbypassrls": "BYPASSRLS", "rolreplication": "REPLICATION"}


def excess_privileges(db: Database) -> list[tuple[str, str]]:
    """(what the suite's role may do beyond reading, the statement that takes it away), as the server
    answers for current_user: role attributes, write privileges and ownership of any table outside the
    system schemas, CREATE on those schemas and on the database, and membership in a role that can write
    there (pg_write_all_data or any other): read-only catalog queries, nothing is tried."""
    me = db.one(sql.SQL("SELECT quote_ident(current_user) AS me, current_database() AS db, "
                        + ", ".join(ATTRIBUTES) + " FROM pg_roles WHERE rolname = current_user"))
    role, out = me.get("me", "current_user"), []
    out += [(f"role attribute {keyword}", f"ALTER ROLE {role} NO{keyword}")
            for column, keyword in ATTRIBUTES.items() if me.get(column)]
    if me.get("rolsuper"):
        return out  # a superuser may do everything: what else it may do follows, and goes with it
    user_relations = ("FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')"
                      " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'")
    rows = db.rows(sql.SQL(
        "SELECT c.oid::regclass::text AS rel, pg_has_role(current_user, c.relowner, 'MEMBER') AS owns, "
        + ", ".join(f"has_table_privilege(c.oid, '{p}') AS {p.lower()}" for p in WRITES) + ", "
        # whom the write is granted to: current_user, PUBLIC (0), or neither (a membership, reported as one)
        + ", ".join(f"(SELECT array_agg(a.grantee) FROM aclexplode(c.relacl) a WHERE a.privilege_type = '{p}'"
                    f" AND a.grantee IN (0, (SELECT oid FROM pg_roles WHERE rolname = current_user))) AS {p.lower()}_to"
                    for p in WRITES)
        + " " + user_relations + " ORDER BY 1"))
    for r in rows:
        if r["owns"]:
            out.append((f"owner of {r['rel']}", f"ALTER TABLE {r['rel']} OWNER TO <the role Icepack's API runs as>"))
            continue
        for p in WRITES:
            for grantee in sorted(r[f"{p.lower()}_to"] or []) if r[p.lower()] else []:
                whom = "PUBLIC" if grantee == 0 else role
                out.append((f"{p} on {r['rel']}{' (granted to PUBLIC)' if grantee == 0 else ''}",
                            f"REVOKE {p} ON {r['rel']} FROM {whom}"))
    for r in db.rows(sql.SQL("SELECT DISTINCT quote_ident(n.nspname) AS nsp, has_schema_privilege(n.oid, 'CREATE')"
                             " AS can FROM pg_namespace n WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
                             " AND n.nspname NOT LIKE 'pg\\_%%' ORDER BY 1")):
        if r["can"]:
            out.append((f"CREATE on schema {r['nsp']}", f"REVOKE CREATE ON SCHEMA {r['nsp']} FROM {role}"))
    if db.one(sql.SQL("SELECT has_database_privilege(current_database(), 'CREATE') AS can")).get("can"):
        name = db.one(sql.SQL("SELECT quote_ident(current_database()) AS name"))["name"]
        out.append((f"CREATE on database {name}", f"REVOKE CREATE ON DATABASE {name} FROM {role}"))
    # The whole membership closure (NOINHERIT included: SET ROLE still reaches it): a role that may write
    # somewhere is never allowed; any other only when data.suite_role_memberships names it (a predefined
    # role such as pg_read_all_data reads every table, not the two snapshot tables).
    allowed = {name.lower() for name in db.settings.suite_role_memberships}
    for r in db.rows(sql.SQL(
            "SELECT g.rolname AS plain, quote_ident(g.rolname) AS name, (g.rolname = 'pg_write_all_data' OR g.rolsuper"
            " OR EXISTS (SELECT 1 " + user_relations + " AND (pg_has_role(g.oid, c.relowner, 'MEMBER') OR "
            + " OR ".join(f"has_table_privilege(g.oid, c.oid, '{p}')" for p in WRITES) + "))) AS writes"
            " FROM pg_roles g WHERE g.rolname <> current_user AND pg_has_role(current_user, g.oid, 'MEMBER')"
            " ORDER BY 1")):
        if r["writes"]:
            out.append((f"member of {r['name']}, which can write", f"REVOKE {r['name']} FROM {role}"))
        elif r["plain"].lower() not in allowed:
            out.append((f"member of {r['name']}, which data.suite_role_memberships does not allow "
                        f"({', '.join(sorted(allowed)) or 'none'})", f"REVOKE {r['name']} FROM {role}"))
    return out


def role_credential(db: Database) -> dict:
    """{"valid_until": datetime | None, "expired": bool, "said": "-infinity" (the server's text), "now": datetime,
    "settings": {"idle_session_timeout": "1s"}}: when the suite's role stops logging in (VALID UNTIL; None: never, as for
    'infinity', the Terraform postgresql provider's default), and its role-level settings (ALTER ROLE ... SET,
    for every database or this one), as the catalog says for current_user. An infinite timestamp has no
    datetime, so the server says whether it passed and how it reads. A catalog that cannot be read raises
    Unreadable (the credential test's to report); a session that is gone, Unreachable."""
    try:
        row = db.one(sql.SQL(
            "SELECT CASE WHEN isfinite(rolvaliduntil) THEN rolvaliduntil END AS valid_until,"
            " coalesce(rolvaliduntil <= now(), false) AS expired, rolvaliduntil::text AS said, now() AS now"
            " FROM pg_roles WHERE rolname = current_user"))
        settings: dict[str, str] = {}
        for r in db.rows(sql.SQL("SELECT unnest(s.setconfig) AS item FROM pg_db_role_setting s WHERE s.setrole ="
                                 " (SELECT oid FROM pg_roles WHERE rolname = current_user) AND s.setdatabase IN"
                                 " (0, (SELECT oid FROM pg_database WHERE datname = current_database()))"
                                 " ORDER BY s.setdatabase")):  # the database's own setting last: it wins
            name, _, value = r["item"].partition("=")
            settings[name] = value
    except (psycopg.Error, NotFound, Unreadable) as exc:
        server = exc.__context__ if isinstance(exc.__context__, psycopg.Error) else exc  # rows' words are the tables'
        raise Unreadable(db.subject, f"the suite's role's VALID UNTIL and settings could not be read from "
                                     f"pg_roles and pg_db_role_setting: {_first_line(server)}") from None
    return {"valid_until": row.get("valid_until"), "expired": bool(row.get("expired")), "said": row.get("said"),
            "now": row.get("now"), "settings": settings}


def unagreed_settings(settings: dict[str, str], denied: list[str]) -> dict[str, str]:
    """The role-level settings that reach the suite's sessions and change what they read or end them
    (data.suite_role_denied_settings); any other (pgaudit.log, log_statement) passes. A setting the suite
    sends itself at connection start overrides the role's (PostgreSQL, 'Parameter Interaction via SQL'),
    so it never reaches them."""
    own = {name.lower() for name in session_settings(timedelta(0))}
    deny = {name.lower() for name in denied} - own
    return {name: value for name, value in settings.items() if name.lower() in deny}


def missing_reads(db: Database) -> list[tuple[str, str]]:
    """(a snapshot table the suite's role cannot read, the statement that grants it): SELECT on each table
    the deployment document names (data.status_table, data.health_table). A table the role cannot find is
    not listed (the snapshot-table checks say so)."""
    s = db.settings
    rows = db.rows(sql.SQL("SELECT c.oid::regclass::text AS rel, has_table_privilege(c.oid, 'SELECT') AS can"
                           " FROM unnest(%(names)s::text[]) AS name JOIN pg_class c"
                           " ON c.oid = to_regclass(quote_ident(name)) ORDER BY 1"),
                   {"names": [s.status_table, s.health_table]})
    return [(r["rel"], f"GRANT SELECT ON {r['rel']} TO <the suite's role>") for r in rows if not r["can"]]


KINDS = {"r": "table", "p": "partitioned table", "v": "view", "m": "materialized view", "f": "foreign table"}


def relation_kinds(db: Database) -> dict[str, str]:
    """What each snapshot table is, as the catalog says ("table", "view", "materialized view", ...)."""
    s = db.settings
    rows = db.rows(sql.SQL("SELECT name, (SELECT relkind FROM pg_class WHERE oid = to_regclass(quote_ident(name)))"
                           " AS kind FROM unnest(%(names)s::text[]) AS name"),
                   {"names": [s.status_table, s.health_table]})
    return {r["name"]: KINDS.get(r["kind"], r["kind"] or "absent") for r in rows}
