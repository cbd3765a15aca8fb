"""The suite's database session refuses writes by construction, not by the role's grants."""
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness import ROOT
from icepack_verify import environments
from icepack_verify.database import Database
from icepack_verify.errors import Unreachable

INSERT = sql.SQL("INSERT INTO table_status_snapshots (database_name, table_name, collected_at, payload)"
                 " VALUES ('verify', 'probe', now(), '{}')")


@pytest.fixture(scope="module")
def local():
    return environments.load(ROOT / "environments.toml", "local", environ={})


def _superuser_dsn(reader_dsn: str) -> str:
    """The twin's superuser on the same database: grants would allow every write."""
    host = conninfo_to_dict(reader_dsn)["host"]
    return make_conninfo("", user="postgres", dbname="icepack", host=host)


@pytest.mark.parametrize("who", ["reader", "superuser"])
def test_database_session_refuses_writes(twin, local, who):
    twin.configure("local")
    dsn = twin.state["database_url"]
    db = Database.connect(local, dsn if who == "reader" else _superuser_dsn(dsn))
    try:
        assert db.one(sql.SQL("SELECT count(*) AS n FROM table_status_snapshots"))["n"] > 0  # reads work
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction, match="read-only transaction"):
            db.rows(INSERT)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # also outside the helper's transaction
            db.conn.execute(INSERT)
    finally:
        db.close()


def test_a_refused_login_says_a_wrong_dsn_and_a_broken_role_look_alike(twin, local):
    """The server answers and refuses the login (here: a role that does not exist): not run, never a finding,
    and the sentence says what an admin must look at; no password in it."""
    twin.configure("local")
    info = conninfo_to_dict(twin.state["database_url"])
    dsn = make_conninfo("", user="icepack_nobody", password="not-this-secret", dbname="icepack", host=info["host"])
    with pytest.raises(Unreachable) as refused:
        Database.connect(local, dsn)
    said = str(refused.value)
    assert "FATAL" in said and "a wrong DSN and a role that may not log in" in said and "pg_roles" in said, said
    assert "not-this-secret" not in said
