"""The suite's database session refuses writes by construction, not by the role's grants."""
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness import EXPECTATIONS, ROOT
from icepack_verify import environments
from icepack_verify.database import Database, unagreed_settings
from icepack_verify.errors import Unreachable, Unreadable
from icepack_twin.mutate.model import Mutation

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


def _database(**change) -> dict:
    return Mutation("database", "drift", "", change["kind"], change, "").as_json()


@pytest.mark.parametrize("until, expired", [("infinity", False), ("-infinity", True)])
def test_an_infinite_valid_until_is_read_as_the_server_says(twin, local, until, expired):
    """psycopg has no datetime for 'infinity' (the Terraform provider's default): the server says whether it passed."""
    twin.configure("local", mutations=(_database(kind="valid-until", until=until),))
    try:
        db = Database.connect(local, twin.state["database_url"])
        try:
            assert (db.role["valid_until"], db.role["expired"], db.role["said"]) == (None, expired, until), db.role
        finally:
            db.close()
    finally:
        twin.configure("local")


def test_a_credential_the_catalog_will_not_show_is_its_own_tests_problem(twin, local):
    """pg_db_role_setting unreadable: the session opens and reads; the credential holds one sentence (Unreadable),
    and in a run of the data suite only the credential test is not run, saying so; every other one passes."""
    twin.configure("local")
    dsn = twin.state["database_url"]
    with psycopg.connect(_superuser_dsn(dsn), autocommit=True) as admin:
        admin.execute("REVOKE SELECT ON pg_catalog.pg_db_role_setting FROM PUBLIC")
        try:
            db = Database.connect(local, dsn)
            try:
                unread = db.role["unread"]
                assert isinstance(unread, Unreadable) and "\n" not in str(unread), unread
                assert "could not be read from pg_roles and pg_db_role_setting: permission denied" in str(unread)
                assert db.one(sql.SQL("SELECT count(*) AS n FROM table_status_snapshots"))["n"] > 0
            finally:
                db.close()
            run = twin.run_suite("local", *EXPECTATIONS, paths=("tests/data",))
        finally:
            admin.execute("GRANT SELECT ON pg_catalog.pg_db_role_setting TO PUBLIC")
    credential = "tests/data/test_role.py::test_suite_role_credential_is_as_agreed"
    assert run.outcome("not run") == {credential} and not run.failed and run.outcome("passed"), run.output
    said = next(r["message"] for r in run.results if r["test"] == credential)
    assert said.startswith("not run: could not observe: database ") and "failed mid-run" not in said, said
    assert "VALID UNTIL and settings could not be read" in said and "Traceback" not in said, said


def test_role_settings_fail_only_when_denied_and_not_the_suites_own():
    settings = {"pgaudit.log": "all", "log_statement": "all", "TimeZone": "UTC", "search_path": "pg_catalog",
                "statement_timeout": "1ms", "idle_session_timeout": "5min"}
    denied = ["search_path", "idle_session_timeout", "statement_timeout"]  # the suite sends its own statement_timeout
    assert unagreed_settings(settings, denied) == {"search_path": "pg_catalog", "idle_session_timeout": "5min"}
    assert unagreed_settings(settings, []) == {}
