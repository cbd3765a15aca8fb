"""Drifts only the generic data mechanisms catch, and the forms they must take as equal.

* the suite's own role reads and nothing else (tests/data/test_role.py);
* the API serves the newest rows, every leaf, and every newest assessment row names a collected status of
  its table, and so does every assessment of the history the cadence judges (tests/data/test_api_agrees.py);
* runs arrive on the health-sync schedule (tests/data/test_cadence.py).

Each is one or more mutation-layer edits (icepack_twin.mutate: `rows`, `database`, `body`), the same
edits the mutation engine makes, named here as a drift.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icepack_twin.drifts.base import DriftList, switch
from icepack_twin.mutate.model import Mutation

DRIFTS = DriftList("data")
PROBES = DriftList("equivalent")
STATUS, HEALTH = "table_status_snapshots", "table_health_snapshots"


def _database(**change) -> dict:
    return Mutation("database", "drift", "", change["kind"], change, "").as_json()


def _rows(snapshot: str, table: str | None, op: str, path: str = "", **extra) -> dict:
    """An edit of a snapshot table's rows (of one table, or all), of one payload path if named."""
    column = {"column": path.split(".")[0], "path": path} if path else {}
    return Mutation("rows", f"{snapshot}/{table}", path, op, {"snapshot": snapshot, "table": table, **column, "op": op,
                                                              **extra}, "").as_json()


def _answer(route: str, path: list, **change) -> dict:
    """An edit of the body the API serves on this route (`GET /readyz`), at this path."""
    return Mutation("body", route, ".".join(map(str, path)), change["op"], {"route": route, "path": path, **change},
                    "").as_json()


def _body(table: str, endpoint: str, path: list, **change) -> dict:
    return _answer(f"GET /tables/{table.replace('.', '/')}/{endpoint}", path, **change)


# --- the suite's role ------------------------------------------------------------------------------
DRIFTS.add("suite-role-can-write", "the suite's database role may INSERT into the status table, create in the "
           "public schema and is a member of a writer role (a DSN that can change what it checks)",
           mutations=(_database(kind="grant", privilege="INSERT", on="TABLE", object=STATUS),
                      _database(kind="grant", privilege="CREATE", on="SCHEMA", object="public"),
                      _database(kind="member", role="icepack_writer")))
DRIFTS.add("suite-role-is-superuser", "the suite's database role is a superuser",
           mutations=(_database(kind="role", option="SUPERUSER"),))
PROBES.add("suite-role-with-session-settings", "the suite's role starts its sessions in another time zone, "
           "serializable, with a 1 ms statement_timeout (the suite's connection options override it), and NOINHERIT",
           mutations=(_database(kind="setting", name="timezone", value="Pacific/Kiritimati"),
                      _database(kind="setting", name="default_transaction_isolation", value="serializable"),
                      _database(kind="setting", name="statement_timeout", value="1ms"),
                      _database(kind="role", option="NOINHERIT")))

# --- the API serves the newest rows ------------------------------------------------------------------
DRIFTS.add("api-rescales-a-nested-value", "/status of sales.orders serves manifests.total_manifest_bytes twice "
           "what the newest row holds", mutations=(_body("sales.orders", "status", ["manifests", "total_manifest_bytes"],
                                                         op="scale", factor=2),))
DRIFTS.add("api-serves-another-assessment", "/health of sales.orders serves an issue's message the newest health "
           "row does not hold", mutations=(_body("sales.orders", "health", ["issues", 0, "message"], op="alter"),))

# health-sync paused while it is judged: the run before is then the seeded one, one interval older, as in an
# environment between two runs (a live tick would put seconds or, after a stall, more than an interval between them)
OLDER = switch(recommendation_of_the_run_before=("analytics.events",), health_sync_running=False)
DRIFTS.add("older-recommendation-quotes-another-number", "the recommendation of analytics.events, made at the run "
           "before the newest, gives a reason quoting numbers the status row it names does not hold", behaviour=OLDER,
           mutations=(_body("analytics.events", "maintenance/recommendation", ["recommended_actions", 0, "reason"],
                            op="alter"),))
PROBES.add("recommendation-of-the-run-before", "the recommendation of analytics.events is the one made at the run "
           "before the newest (an API serving the assessment it cached then)", behaviour=OLDER)

# --- the rows ----------------------------------------------------------------------------------
# Not the known tables: their read contracts stay right; only the tables' rows show it.
DRIFTS.add("health-row-for-an-untracked-table", "health-sync writes a health row for analytics.sessions_untracked, "
           "a table it never collects", mutations=(_rows(HEALTH, "analytics.sessions", "untracked-copy"),))
DRIFTS.add("health-row-carried-over-from-an-hour-before", "health-sync writes sales.refunds' assessment of the run "
           "an hour before under a fresh time (its named status exists, an hour older than the newest)",
           mutations=(_rows(HEALTH, "sales.refunds", "carry-over-1h"),))
DRIFTS.add("a-table-collected-every-other-run", "health-sync collects sales.refunds every other run only",
           mutations=(_rows(STATUS, "sales.refunds", "thin-every-other"),))
DRIFTS.add("status-history-lost-behind-its-assessments", "the status rows behind each table's newest run are gone "
           "(pruned, or lost in a restore) while the assessments made of them remain",
           mutations=(_rows(STATUS, None, "thin-newest-only"),))
DRIFTS.add("a-run-left-one-table-unassessed", "health-sync's newest run collected sales.refunds but wrote no "
           "assessment of it", mutations=(_rows(HEALTH, "sales.refunds", "missing"),))
DRIFTS.add("assessments-lost-behind-the-newest-run", "the health rows behind each table's newest run are gone while "
           "the statuses they assessed remain", mutations=(_rows(HEALTH, None, "thin-newest-only"),))
DRIFTS.add("status-snapshot-time-ahead-of-its-collection", "health-sync writes ops.audit_log's current snapshot time "
           "an hour after the row's collection (a collector clock ahead)",
           mutations=(_rows(STATUS, "ops.audit_log", "shift+1h", "payload.snapshot.current_snapshot_at"),))
PROBES.add("a-newly-tracked-table", "sales.refunds was first collected by the newest run (no history behind it)",
           mutations=(_rows(STATUS, "sales.refunds", "thin-newest-only"), _rows(HEALTH, "sales.refunds",
                                                                                  "thin-newest-only")))
PROBES.add("snapshot-rows-written-twice", "every table's newest status and health rows are written twice",
           mutations=(_rows(STATUS, None, "duplicate"), _rows(HEALTH, None, "duplicate")))

# --- what the snapshot tables are -----------------------------------------------------------------
DRIFTS.add("status-table-a-materialized-view", "table_status_snapshots is a materialized view over the table "
           "health-sync writes (fresh at creation, frozen since)",
           mutations=(_database(kind="view", table=STATUS, materialized=True),))
PROBES.add("snapshot-tables-behind-plain-views", "both snapshot tables are plain views over the tables health-sync "
           "writes (renamed *_data)", mutations=(_database(kind="view", table=STATUS, materialized=False),
                                                 _database(kind="view", table=HEALTH, materialized=False)))
DRIFTS.add("a-table-assessed-every-other-run", "health-sync assesses ops.job_runs every other run only (its status "
           "every run)", mutations=(_rows(HEALTH, "ops.job_runs", "thin-every-other"),))

# --- the suite's role: its whole membership closure, its VALID UNTIL, its role settings, what it must read
# (tests/data/test_role.py) -----------------------------------------------------------------
_SOON = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()  # inside the 14-day warning window
_IN_A_YEAR = (datetime.now(timezone.utc) + timedelta(days=365)).isoformat()
DRIFTS.add("suite-role-reads-every-table", "the suite's database role was made a member of pg_read_all_data (it "
           "reads every table and view, not the two snapshot tables)",
           mutations=(_database(kind="member", role="pg_read_all_data"),))
DRIFTS.add("suite-role-password-expired", "the suite's database role's VALID UNTIL passed (2000-01-01): password "
           "logins are refused", mutations=(_database(kind="valid-until", until="2000-01-01 00:00:00+00"),))
DRIFTS.add("suite-role-expires-in-three-days", "the suite's database role's VALID UNTIL is three days away",
           mutations=(_database(kind="valid-until", until=_SOON),))
DRIFTS.add("suite-role-idle-session-timeout", "a DBA set idle_session_timeout = 5min on the suite's database role "
           "(a gate session idle that long is ended mid-run)",
           mutations=(_database(kind="setting", name="idle_session_timeout", value="5min"),))
DRIFTS.add("suite-role-cannot-read-the-health-table", "SELECT on table_health_snapshots revoked from the suite's role "
           "(its login still accepted)", mutations=(_database(kind="revoke", privilege="SELECT", on="TABLE",
                                                               object=HEALTH),))
PROBES.add("suite-role-valid-for-a-year", "the suite's database role is VALID UNTIL a year from now (a rotated "
           "password with an expiry far outside the warning window)",
           mutations=(_database(kind="valid-until", until=_IN_A_YEAR),))
PROBES.add("suite-role-valid-until-infinity", "the suite's database role is VALID UNTIL 'infinity' (the Terraform "
           "postgresql provider's default, and what test_role.py tells operators to set): it never expires",
           mutations=(_database(kind="valid-until", until="infinity"),))
PROBES.add("suite-role-for-rds-iam-and-audited", "the suite's database role logs in with RDS IAM authentication (a "
           "member of rds_iam) and the security team audits it (pgaudit.log and log_statement set on the role)",
           mutations=(_database(kind="member", role="rds_iam"),
                      _database(kind="setting", name="pgaudit.log", value="all"),
                      _database(kind="setting", name="log_statement", value="all")))

# --- each status row against the run before it (tests/data/test_steps.py) ------------------------
DRIFTS.add("partition-count-a-hundredfold", "health-sync writes analytics.events' partition_count a hundred times "
           "what its run before read (a collector counting files as partitions)",
           mutations=(_rows(STATUS, "analytics.events", "scale-x100", path="payload.partitions.partition_count"),))
_GROWN = "s3://icepack-warehouse/analytics/events/metadata/99999999.metadata.json"
PROBES.add("a-table-doubles-and-compacts-in-a-run", "analytics.events doubled its files, bytes and partitions and "
           "its delete files were compacted away, under a new metadata file (a backfill then a rewrite)",
           mutations=(*(_rows(STATUS, "analytics.events", "scale-x2", path=f"payload.{p}") for p in (
               "files.data_file_count", "files.total_data_bytes", "files.small_file_count",
               "partitions.partition_count")),
               _rows(STATUS, "analytics.events", "set-value", path="payload.files.delete_file_count", value=0),
               _rows(STATUS, "analytics.events", "set-value", path="payload.source.metadata_location", value=_GROWN)))
PROBES.add("a-table-compacted-in-a-run", "ops.audit_log's data files were rewritten into 200 times fewer, its small "
           "files with them, its average file 200 times larger (Icepack's own rewrite_data_files: counts fall, and a "
           "quotient rises, more than data.step_ratio in one run)",
           mutations=(_rows(STATUS, "ops.audit_log", "rewrite-data-files"),))
# A health message quotes the numbers of the status it judges (tests/data/test_quotes.py)
DRIFTS.add("health-message-quotes-another-number", "health-sync writes sales.orders' issue messages with other "
           "numbers than its status row holds (the message of another table's assessment)",
           mutations=(_rows(HEALTH, "sales.orders", "other-string", path="issues[].message", column="issues"),))
PROBES.add("health-message-with-dates-and-versions", "health-sync words sales.orders' issue messages with a date, a "
           "time, a version and a path, and no count (numbers that are not quotes)",
           mutations=(_rows(HEALTH, "sales.orders", "set-value", path="issues[].message", column="issues",
                            value="retained since 2026-11-22 at 04:00 under policy v2.1 (s3://icepack-warehouse/x1)"),))
DRIFTS.add("health-message-misquotes-a-status-named-to-the-millisecond", "health-sync names sales.orders' status "
           "row to the millisecond (as an API renders it) and words its issue messages with other numbers than that "
           "row holds",
           mutations=(_rows(HEALTH, "sales.orders", "to-the-millisecond", path="status_collected_at"),
                      _rows(HEALTH, "sales.orders", "other-string", path="issues[].message", column="issues")))
