"""Mutation layer `database`: the database as the suite can read it: roles, grants and settings.

The suite reads through a read-only role (READER_ROLE, `Store.reader_dsn`). A mutation changes
what that role is (attributes, memberships), may do (grants, ownership), starts its sessions
with (ALTER ROLE ... SET), or what it finds (a table renamed, retyped, replaced by a view, a
column or an index dropped). `settle` applies it with the admin connection and marks the
database altered; the next reset restores the baseline `setup` made (Store.restore_database)
before it truncates, which a renamed or dropped table needs, so a mutation-free configure
always finds the database exactly as `setup` left it.
"""
from __future__ import annotations

import psycopg
from psycopg import sql

from icepack_twin.mutate import register
from icepack_twin.mutate.model import BaseLayer, Mutation
from icepack_twin.store import DATABASE, EXTRA_ROLES, READER_ROLE

WRITER_ROLE, RDS_IAM_ROLE = EXTRA_ROLES  # RDS's own role for IAM logins: a drift makes it, the reader its member
# pg_roles column -> the ALTER ROLE keyword that turns it on (NO<keyword> turns it off)
ROLE_ATTRIBUTES = {"rolsuper": "SUPERUSER", "rolcreaterole": "CREATEROLE", "rolcreatedb": "CREATEDB",
                   "rolbypassrls": "BYPASSRLS", "rolreplication": "REPLICATION", "rolinherit": "INHERIT",
                   "rolcanlogin": "LOGIN"}
WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
MEMBERSHIPS = ("pg_write_all_data", "pg_read_all_data", WRITER_ROLE)
# Settings a role can carry into every session it starts (ALTER ROLE ... SET), and the value a mutation sets.
ROLE_SETTINGS = {"default_transaction_read_only": "off", "statement_timeout": "1ms", "timezone": "Pacific/Kiritimati",
                 "search_path": "pg_catalog", "datestyle": "SQL, DMY", "idle_session_timeout": "1s",
                 "default_transaction_isolation": "serializable"}
# Settings a security team sets on roles (what the server logs): a drift may set them, the engine does not generate
# them.
AUDIT_SETTINGS = ("pgaudit.log", "log_statement")
SERVER_SETTINGS = ("default_transaction_read_only", "statement_timeout", "TimeZone", "search_path", "DateStyle",
                   "IntervalStyle", "idle_session_timeout", "default_transaction_isolation", "max_connections",
                   "password_encryption")
VALID_UNTIL_PAST = "2000-01-01 00:00:00+00"


# --- the world ----------------------------------------------------------------------------------
def database_world(store) -> dict:
    """The reader role (attributes, memberships, settings), every grant on the database, the public
    schema and its relations, the relations (owner, columns, indexes), the server's settings, and the
    settings a reader session starts with."""
    with store.connect() as conn:
        def rows(query, *params):
            return conn.execute(query, params).fetchall()
        attributes = rows("SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,"
                          " rolbypassrls, rolconnlimit, rolvaliduntil::text AS rolvaliduntil"
                          " FROM pg_roles WHERE rolname = %s", READER_ROLE)
        world = {
            "role": READER_ROLE,
            "attributes": attributes[0] if attributes else None,
            "memberships": [r["rolname"] for r in rows(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s ORDER BY 1", READER_ROLE)],
            "role_settings": sorted(s for r in rows(
                "SELECT unnest(setconfig) AS s FROM pg_db_role_setting d JOIN pg_roles u ON u.oid = d.setrole"
                " WHERE u.rolname = %s", READER_ROLE) for s in [r["s"]]),
            "grants": _grants(conn),
            "relations": _relations(conn),
            "server_settings": {r["name"]: r["setting"] for r in rows(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s) ORDER BY name", list(SERVER_SETTINGS))},
        }
    world["reader_session"] = _reader_session(store)
    return world


def _grants(conn) -> list[dict]:
    """Every privilege on the database, the public schema and its relations, as ACL entries."""
    return conn.execute(
        "WITH objects AS ("
        "  SELECT 'database ' || datname AS object, datacl AS acl, datdba AS owner, 'd' AS type FROM pg_database"
        "   WHERE datname = current_database()"
        "  UNION ALL SELECT 'schema ' || nspname, nspacl, nspowner, 'n' FROM pg_namespace WHERE nspname = 'public'"
        "  UNION ALL SELECT 'relation ' || relname, relacl, relowner, CASE relkind WHEN 'S' THEN 's' ELSE 'r' END"
        "   FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'v', 'm', 'S'))"
        " SELECT o.object, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee,"
        "        a.privilege_type AS privilege, pg_get_userbyid(a.grantor) AS grantor"
        " FROM objects o, aclexplode(coalesce(o.acl, acldefault(o.type::\"char\", o.owner))) a"  # NULL: the defaults
        " ORDER BY 1, 2, 3, 4").fetchall()


def _relations(conn) -> dict:
    """The public schema's relations: kind, owner, columns, indexes."""
    out = {}
    for r in conn.execute("SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner) AS owner FROM pg_class c"
                          " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'm')"
                          " ORDER BY 1").fetchall():
        out[r["relname"]] = {
            "kind": {"r": "table", "v": "view", "m": "materialized view"}[r["relkind"]],
            "owner": r["owner"],
            "columns": {c["attname"]: c["type"] for c in conn.execute(
                "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                (f'public."{r["relname"]}"',)).fetchall()},
            "indexes": {i["indexname"]: i["indexdef"] for i in conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s"
                " ORDER BY 1", (r["relname"],)).fetchall()},
        }
    return out


def _reader_session(store) -> dict:
    """What a reader session starts with (its role's settings applied), or why it could not start."""
    try:
        with psycopg.connect(store.reader_dsn(), connect_timeout=5) as conn:
            return {name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name.lower()))).fetchone()[0]
                    for name in SERVER_SETTINGS}
    except psycopg.Error as exc:
        return {"error": str(exc).strip().splitlines()[0]}


# --- applying a mutation ------------------------------------------------------------------------
def _statements(change: dict) -> list[sql.Composable]:
    """The SQL of one database mutation (keywords from the lists above, names quoted)."""
    reader, kind = sql.Identifier(READER_ROLE), change["kind"]
    if kind == "role":
        option = change["option"]
        if option.removeprefix("NO") not in ROLE_ATTRIBUTES.values():
            raise ValueError(f"unknown role attribute {option!r}")
        return [sql.SQL("ALTER ROLE {} {}").format(reader, sql.SQL(option))]
    if kind == "connection-limit":
        return [sql.SQL("ALTER ROLE {} CONNECTION LIMIT {}").format(reader, sql.Literal(int(change["limit"])))]
    if kind == "valid-until":
        return [sql.SQL("ALTER ROLE {} VALID UNTIL {}").format(reader, sql.Literal(change["until"]))]
    if kind == "member":
        if change["role"] not in (*MEMBERSHIPS, RDS_IAM_ROLE):
            raise ValueError(f"not a role the reader may be made a member of: {change['role']!r}")
        made = []
        if change["role"] == WRITER_ROLE:
            made = [sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(WRITER_ROLE)),
                    sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA public TO {}").format(
                        sql.SQL(", ").join(map(sql.SQL, WRITES)), sql.Identifier(WRITER_ROLE))]
        if change["role"] == RDS_IAM_ROLE:  # as RDS has it: NOLOGIN, no privileges
            made = [sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(RDS_IAM_ROLE))]
        return [*made, sql.SQL("GRANT {} TO {}").format(sql.Identifier(change["role"]), reader)]
    if kind in ("grant", "revoke"):
        privilege, on = change["privilege"], change["on"]
        if privilege not in (*WRITES, "SELECT", "CREATE", "USAGE", "CONNECT") or on not in ("TABLE", "SCHEMA",
                                                                                               "DATABASE"):
            raise ValueError(f"unknown privilege {privilege!r} on {on!r}")
        target = sql.SQL("{} {}").format(sql.SQL(on), sql.Identifier(change["object"]))
        if kind == "grant":
            return [sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privilege), target, reader)]
        # A schema's USAGE and a database's CONNECT are PUBLIC's too: revoked from both, or nothing changes.
        whom = sql.SQL("{}, PUBLIC").format(reader) if change.get("public") else reader
        return [sql.SQL("REVOKE {} ON {} FROM {}").format(sql.SQL(privilege), target, whom)]
    if kind == "owner":
        return [sql.SQL("ALTER TABLE {} OWNER TO {}").format(sql.Identifier(change["table"]), reader)]
    if kind == "setting":
        if change["name"] not in (*ROLE_SETTINGS, *AUDIT_SETTINGS):
            raise ValueError(f"not a role setting a mutation changes: {change['name']!r}")
        return [sql.SQL("ALTER ROLE {} SET {} = {}").format(reader, sql.Identifier(*change["name"].split(".")),
                                                            sql.Literal(change["value"]))]
    table = sql.Identifier(change.get("table", ""))
    if kind == "rename-table":
        return [sql.SQL("ALTER TABLE {} RENAME TO {}").format(table, sql.Identifier(change["to"]))]
    if kind == "drop-column":
        return [sql.SQL("ALTER TABLE {} DROP COLUMN {} CASCADE").format(table, sql.Identifier(change["column"]))]
    if kind == "retype-column":
        column = sql.Identifier(change["column"])
        using = {"timestamp without time zone": sql.SQL("{} AT TIME ZONE 'UTC'").format(column),
                 "text": sql.SQL("{}::text").format(column)}
        return [sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE {} USING {}").format(
            table, column, sql.SQL(change["type"]), using[change["type"]])]
    if kind == "drop-index":
        index = sql.Identifier(change["index"])
        # a primary key or unique index belongs to its constraint: drop that
        return [sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(table, index),
                sql.SQL("DROP INDEX IF EXISTS {}").format(index)]
    if kind == "view":
        data = sql.Identifier(change["table"] + "_data")
        materialized = sql.SQL("MATERIALIZED " if change.get("materialized") else "")
        return [sql.SQL("ALTER TABLE {} RENAME TO {}").format(table, data),
                sql.SQL("CREATE {}VIEW {} AS SELECT * FROM {}").format(materialized, table, data),
                sql.SQL("GRANT SELECT ON {} TO {}").format(table, reader)]
    raise ValueError(f"unknown database mutation kind {kind!r}")


# --- generation ---------------------------------------------------------------------------------
def _mutations(world: dict) -> list[tuple[str, str, str, dict, str]]:
    """(target, path, operator, change, description) for every rule that applies to this world."""
    out = []
    role, attributes = f"role {READER_ROLE}", world["attributes"]
    for column, keyword in ROLE_ATTRIBUTES.items():
        option = f"NO{keyword}" if attributes[column] else keyword
        out.append((role, "attributes", option.lower(), {"kind": "role", "option": option}, f"{role} gets {option}"))
    for limit in (0, 1):
        if attributes["rolconnlimit"] != limit:
            out.append((role, "attributes", f"connection-limit-{limit}", {"kind": "connection-limit", "limit": limit},
                        f"{role} CONNECTION LIMIT {limit} (was {attributes['rolconnlimit']})"))
    out.append((role, "attributes", "valid-until-past", {"kind": "valid-until", "until": VALID_UNTIL_PAST},
                f"{role} VALID UNTIL {VALID_UNTIL_PAST}: its password expired"))
    for member in MEMBERSHIPS:
        if member not in world["memberships"]:
            out.append((role, "memberships", f"member-of-{member}", {"kind": "member", "role": member},
                        f"{role} made a member of {member}"))
    for name, value in ROLE_SETTINGS.items():
        out.append((role, f"settings.{name}", "set", {"kind": "setting", "name": name, "value": value},
                    f"ALTER ROLE {READER_ROLE} SET {name} = {value!r}"))

    held = {(g["object"], g["privilege"]) for g in world["grants"] if g["grantee"] == READER_ROLE}
    public = {(g["object"], g["privilege"]) for g in world["grants"] if g["grantee"] == "PUBLIC"}
    for name, relation in world["relations"].items():
        if relation["kind"] != "table":
            continue
        obj = f"relation {name}"
        for privilege in WRITES:
            if (obj, privilege) not in held:
                out.append((f"table {name}", "grants", f"grant-{privilege.lower()}",
                            {"kind": "grant", "privilege": privilege, "on": "TABLE", "object": name},
                            f"GRANT {privilege} ON {name} TO {READER_ROLE}"))
        if (obj, "SELECT") in held and (obj, "SELECT") not in public:
            out.append((f"table {name}", "grants", "revoke-select",
                        {"kind": "revoke", "privilege": "SELECT", "on": "TABLE", "object": name},
                        f"REVOKE SELECT ON {name} FROM {READER_ROLE}"))
        if relation["owner"] != READER_ROLE:
            out.append((f"table {name}", "owner", "owned-by-reader", {"kind": "owner", "table": name},
                        f"{name} owned by {READER_ROLE} (was {relation['owner']})"))
        out.append((f"table {name}", "", "renamed", {"kind": "rename-table", "table": name, "to": f"{name}_renamed"},
                    f"{name} renamed to {name}_renamed"))
        for materialized, op in ((False, "view"), (True, "materialized-view")):
            out.append((f"table {name}", "", f"replaced-by-{op}",
                        {"kind": "view", "table": name, "materialized": materialized},
                        f"{name} is a {op.replace('-', ' ')} over the table (renamed {name}_data)"))
        for column, type_ in relation["columns"].items():
            out.append((f"table {name}", f"columns.{column}", "drop-column",
                        {"kind": "drop-column", "table": name, "column": column}, f"column {name}.{column} dropped"))
            retyped = {"timestamp with time zone": "timestamp without time zone", "jsonb": "text"}.get(type_)
            if retyped:
                out.append((f"table {name}", f"columns.{column}", "retype", {"kind": "retype-column", "table": name,
                            "column": column, "type": retyped}, f"column {name}.{column} {type_} -> {retyped}"))
        for index in relation["indexes"]:
            out.append((f"table {name}", f"indexes.{index}", "drop-index",
                        {"kind": "drop-index", "table": name, "index": index}, f"index {index} dropped"))

    schema, database = "schema public", f"database {DATABASE}"
    for obj, on, name in ((schema, "SCHEMA", "public"), (database, "DATABASE", DATABASE)):
        if (obj, "CREATE") not in held:
            out.append((obj, "grants", "grant-create", {"kind": "grant", "privilege": "CREATE", "on": on, "object": name},
                        f"GRANT CREATE ON {on} {name} TO {READER_ROLE}"))
    for obj, privilege, on, name in ((schema, "USAGE", "SCHEMA", "public"),
                                     (database, "CONNECT", "DATABASE", DATABASE)):
        if (obj, privilege) in held | public:
            out.append((obj, "grants", f"revoke-{privilege.lower()}",
                        {"kind": "revoke", "privilege": privilege, "on": on, "object": name, "public": True},
                        f"REVOKE {privilege} ON {on} {name} FROM {READER_ROLE}, PUBLIC"))
    return out


class _Database(BaseLayer):
    name = "database"

    def world(self, twin) -> dict:
        return database_world(twin.store)

    def generate(self, world: dict) -> list[Mutation]:
        return [Mutation("database", target, path, op, change, description)
                for target, path, op, change, description in _mutations(world)]

    def prepare(self, objects, behaviour, mutation: dict) -> None:
        try:  # a malformed mutation is refused before anything changes
            _statements(mutation["change"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a database mutation ({exc!r} missing or malformed): {mutation.get('id')!r}") from None

    def settle(self, store, mutations: list[dict]) -> None:
        """Apply the mutations; with none, the reset already restored what an earlier one altered."""
        if not mutations:
            return
        store.database_altered = True
        with store.connect() as conn:
            for m in mutations:
                for statement in _statements(m["change"]):
                    conn.execute(statement)
        store.renew_connections()  # what the API prepared before is no measure of the mutated schema


LAYER = register(_Database())
