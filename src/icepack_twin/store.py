"""The twin's Postgres: Icepack's tables, the health-sync and worker loops, read helpers.

Everything goes through short-lived connections over the Unix socket (cheap, and the
API's thread pool never shares a connection). All sessions run in UTC so timestamps
come back zone-aware with ``+00:00``.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from typing import Callable

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from icepack_twin.behaviour import Behaviour

log = logging.getLogger(__name__)

DATABASE = "icepack"
READER_ROLE = "icepack_reader"
READER_PASSWORD = "twin-reader-secret"
HEALTH_SYNC_INTERVAL = timedelta(minutes=15)
HISTORY = timedelta(hours=26)
DROPPED_SINCE = timedelta(hours=2)  # how long ago a dropped table last made it into a health-sync run

FLEET_EVERY = timedelta(minutes=1)  # a fleet refreshed every tick would be the twin's whole load
JSON_COLUMNS = {"payload", "issues"}  # the snapshot tables' jsonb columns
EXTRA_ROLES = ("icepack_writer", "rds_iam")  # roles a database mutation may create (the reader made a member)

# What Icepack runs on startup (CREATE TABLE IF NOT EXISTS: a fresh database starts cleanly).
DDL = """
CREATE TABLE IF NOT EXISTS table_status_snapshots (
    id            bigserial PRIMARY KEY,
    database_name text        NOT NULL,
    table_name    text        NOT NULL,
    collected_at  timestamptz NOT NULL,
    payload       jsonb       NOT NULL
);
CREATE INDEX IF NOT EXISTS table_status_snapshots_latest
    ON table_status_snapshots (database_name, table_name, collected_at DESC);

CREATE TABLE IF NOT EXISTS table_health_snapshots (
    id                  bigserial PRIMARY KEY,
    database_name       text        NOT NULL,
    table_name          text        NOT NULL,
    assessed_at         timestamptz NOT NULL,
    status_collected_at timestamptz NOT NULL,
    health_status       text        NOT NULL,
    issues              jsonb       NOT NULL DEFAULT '[]',
    error               text
);
CREATE INDEX IF NOT EXISTS table_health_snapshots_latest
    ON table_health_snapshots (database_name, table_name, assessed_at DESC);

CREATE TABLE IF NOT EXISTS maintenance_jobs (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    database_name text        NOT NULL,
    table_name    text        NOT NULL,
    action        text        NOT NULL,
    dry_run       boolean     NOT NULL,
    state         text        NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'running', 'succeeded', 'failed')),
    submitted_at  timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    result        jsonb,
    error         text
);
-- a repeated submission with the same key is the same job (the API honours Idempotency-Key)
ALTER TABLE maintenance_jobs ADD COLUMN IF NOT EXISTS idempotency_key text UNIQUE;
"""

# Thresholds the twin's assessment uses (also reported as the recommendation's policy).
POLICY = {
    "snapshot_retention_days": 5,
    "max_snapshots": 120,
    "target_file_size_bytes": 512 * 1024 * 1024,
    "small_file_threshold_bytes": 32 * 1024 * 1024,
    "max_small_file_ratio": 0.3,
    "max_manifests": 200,
}


def split_table(qualified: str) -> tuple[str, str]:
    database, _, table = qualified.partition(".")
    return database, table


def status_payload(database: str, table: str, collected_at: datetime) -> dict:
    """A plausible, deterministic status payload that grows slowly with time."""
    seed = zlib.crc32(f"{database}.{table}".encode())
    hours = int(collected_at.timestamp() // 3600)
    # Snapshots accumulate between expiries, hour by hour; the seed decides whether a table runs hot
    # (over the policy's max_snapshots all day) or not (under it all day): which tables have issues
    # must not depend on the time of day, or the mutation engine's ids would.
    hot = seed % 3 != 0
    snapshot_count = (POLICY["max_snapshots"] + 1 if hot else 20) + seed % 60 // (1 if hot else 2) + hours % 24
    data_files = 400 + seed % 3000 + hours % 97
    small_files = data_files * (5 + seed % 30) // 100
    total_bytes = data_files * (180 + seed % 200) * 1024 * 1024
    manifests = 10 + seed % 80
    partitions = 30 + seed % 365
    return {
        "snapshot": {
            "current_snapshot_id": (seed << 20) + hours,
            "snapshot_count": snapshot_count,
            "oldest_snapshot_at": _iso(collected_at - timedelta(days=POLICY["snapshot_retention_days"])),
            "current_snapshot_at": _iso(collected_at - timedelta(minutes=seed % 50)),
        },
        "files": {
            "data_file_count": data_files,
            "delete_file_count": seed % 7,
            "total_data_bytes": total_bytes,
            "small_file_count": small_files,
        },
        "manifests": {"manifest_count": manifests, "total_manifest_bytes": manifests * 48_000},
        "partitions": {"partition_count": partitions, "spec_id": seed % 2},
        "derived": {
            "avg_file_bytes": total_bytes // data_files,
            "small_file_ratio": round(small_files / data_files, 4),
            "snapshots_per_day": round(snapshot_count / POLICY["snapshot_retention_days"], 2),
        },
        "source": {
            "catalog": "polaris",
            "warehouse": "icepack",
            "metadata_location": f"s3://icepack-warehouse/{database}/{table}/metadata/{hours:08d}.metadata.json",
        },
        "collection": {"collector": "health-sync", "duration_ms": 200 + seed % 800, "status": "ok"},
    }


def assess(payload: dict) -> tuple[str, list[dict]]:
    """The health assessment of one status payload: (health_status, issues)."""
    issues = []
    if payload["snapshot"]["snapshot_count"] > POLICY["max_snapshots"]:
        issues.append({"code": "too_many_snapshots", "severity": "warning",
                       "message": f"{payload['snapshot']['snapshot_count']} snapshots retained"})
    if payload["derived"]["small_file_ratio"] > POLICY["max_small_file_ratio"]:
        issues.append({"code": "small_files", "severity": "warning",
                       "message": f"small file ratio {payload['derived']['small_file_ratio']}"})
    if payload["manifests"]["manifest_count"] > POLICY["max_manifests"]:
        issues.append({"code": "too_many_manifests", "severity": "warning",
                       "message": f"{payload['manifests']['manifest_count']} manifests"})
    return ("degraded" if issues else "healthy"), issues


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat()


class Store:
    def __init__(self, dsn: str, interval: timedelta = HEALTH_SYNC_INTERVAL):
        self.admin_dsn = dsn
        self.dsn = make_conninfo(dsn, dbname=DATABASE)
        self.interval = interval  # the health-sync cadence; the API derives `stale` from it
        self.lock = threading.RLock()  # a loop tick and a reset never interleave
        self._local = threading.local()
        self.history_for = 6  # the tables refreshed every tick, with history; the rest are a fleet
        self._fleet_refreshed_at = datetime.min.replace(tzinfo=timezone.utc)
        self.row_edits: RowEdits | None = None  # the rows mutation layer's, installed by seed_with
        # A database mutation may be in effect: the next reset restores the baseline. Unknown at first
        # (a reused data directory may hold one), so the first reset restores it too.
        self.database_altered = True
        self._last_seed: tuple = ()
        self._schema = 0  # counts the times the schema was made anew (restore_database)

    # --- connections ----------------------------------------------------------------
    def connect(self, dsn: str | None = None) -> psycopg.Connection:
        return psycopg.connect(dsn or self.dsn, row_factory=dict_row, options="-c TimeZone=UTC")

    @contextlib.contextmanager
    def reading(self):
        """A connection for the API's reads, kept per thread: a connection per request would be
        most of the cost of serving a thousand tables (a broken one is replaced, and so is one
        from before the schema was made anew: its prepared statements name the old tables' shapes)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken or self._local.schema != self._schema:
            conn = self._local.conn = psycopg.connect(self.dsn, row_factory=dict_row, options="-c TimeZone=UTC",
                                                      autocommit=True)
            self._local.schema = self._schema
        try:
            yield conn
        except psycopg.OperationalError:
            conn.close()
            raise

    def renew_connections(self) -> None:
        """The API's kept connections are replaced on their next use (the schema changed under them)."""
        self._schema += 1

    def reader_dsn(self) -> str:
        params = conninfo_to_dict(self.admin_dsn)
        uri = f"postgresql://{READER_ROLE}:{READER_PASSWORD}@/{DATABASE}?host={params.get('host', '/tmp')}"
        return uri + (f"&port={params['port']}" if params.get("port") else "")

    def ping(self) -> bool:
        try:
            with self.connect() as conn:
                return conn.execute("SELECT 1 AS ok").fetchone()["ok"] == 1
        except psycopg.Error:
            return False

    # --- schema and the reader role: the baseline a database mutation departs from -------------
    def setup(self) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER_ROLE,)).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(READER_ROLE), sql.Literal(READER_PASSWORD)))
        with self.connect() as conn:
            conn.execute(DDL)
            _grant_baseline(conn)

    def restore_database(self) -> None:
        """Back to what `setup` makes, exactly: the reader role (attributes, memberships, settings),
        every grant, and the schema objects a mutation renamed, retyped, replaced or dropped. The
        reader role and the public schema are dropped and made anew (ALTER ROLE cannot clear a VALID
        UNTIL, and recreating is the one sure way back from any structural edit); the rows go too,
        which the reset that follows reseeds anyway."""
        with self.connect() as conn:
            for role in [READER_ROLE, *EXTRA_ROLES]:
                if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                    conn.execute(sql.SQL("REASSIGN OWNED BY {0} TO CURRENT_USER; DROP OWNED BY {0}; DROP ROLE {0}")
                                 .format(sql.Identifier(role)))
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public AUTHORIZATION pg_database_owner;"
                         " GRANT USAGE ON SCHEMA public TO PUBLIC")  # the public schema as initdb makes it
            conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO PUBLIC").format(sql.Identifier(DATABASE)))
        self.setup()
        self.database_altered = False
        self.renew_connections()

    # --- seeding and the health-sync ----------------------------------------------------
    def reset(self, tables: list[str], behaviour: Behaviour, interval: timedelta, now: datetime,
              history_for: int = 6) -> None:
        """Truncate everything and seed ~26 h of healthy health-sync history for the first `history_for`
        tables; a fleet beyond them (--tables 1000) gets its newest run only, to seed fast. A database a
        mutation altered is restored first; row edits are dropped (`seed_with` brings them back)."""
        self.interval, self.history_for = interval, history_for
        if self.database_altered:
            self.restore_database()
        self._last_seed = (tables, behaviour, now)
        self.seed_with(None)

    def seed_with(self, row_edits: RowEdits | None) -> None:
        """Reseed as the last reset did, with these edits applied to every batch of rows written
        from now on (the seed and each health-sync run), until the next reset."""
        tables, behaviour, now = self._last_seed
        self.row_edits = row_edits
        with self.connect() as conn:
            conn.execute("TRUNCATE table_status_snapshots, table_health_snapshots, maintenance_jobs RESTART IDENTITY")
            if behaviour.empty_tables:
                return
            newest = now - (behaviour.last_refresh_age or timedelta(minutes=1))
            runs = behaviour.history_runs or int(HISTORY / self.interval) + 1
            batch = _Rows()
            for n, qualified in enumerate(tables):
                for i in range(runs if n < self.history_for else 1):
                    collected_at = newest - i * self.interval
                    if qualified in behaviour.dropped_tables and collected_at > now - DROPPED_SINCE:
                        continue
                    batch.run(qualified, collected_at, behaviour, assessed_after=timedelta(seconds=20))
            batch.insert(conn, self.row_edits)

    def refresh_once(self, tables: list[str], behaviour: Behaviour) -> None:
        """One health-sync run, stamped with the database's clock (a fleet: at most once a minute)."""
        if behaviour.empty_tables:
            return
        with self.connect() as conn:
            now = conn.execute("SELECT now() AS now").fetchone()["now"]
            if now - self._fleet_refreshed_at >= FLEET_EVERY:
                self._fleet_refreshed_at = now
            else:
                tables = tables[:self.history_for]
            batch = _Rows()
            for qualified in tables:
                if qualified not in behaviour.dropped_tables:
                    batch.run(qualified, now, behaviour, assessed_after=timedelta(0))
            batch.insert(conn, self.row_edits)

    # --- the worker -----------------------------------------------------------------------
    def work_once(self, behaviour: Behaviour) -> None:
        """Run every pending job to completion; a dry run reports and changes nothing."""
        if behaviour.dry_run == "hang":
            return  # the worker never picks anything up (KEDA scaled to zero, say)
        with self.connect() as conn:
            pending = conn.execute(
                "UPDATE maintenance_jobs SET state = 'running', started_at = clock_timestamp()"
                " WHERE state = 'pending' RETURNING *").fetchall()
        for job in pending:
            status = self.latest_status(job["database_name"], job["table_name"])
            result = self._job_result(job, status["payload"] if status else None)
            with self.connect() as conn:
                conn.execute(
                    "UPDATE maintenance_jobs SET state = 'succeeded', finished_at = clock_timestamp(),"
                    " result = %s WHERE id = %s", (Jsonb(result), job["id"]))

    @staticmethod
    def _job_result(job: dict, payload: dict | None) -> dict:
        would = {"action": job["action"]}
        if payload:
            if job["action"] == "expire_snapshots":
                would["snapshots_expired"] = max(0, payload["snapshot"]["snapshot_count"] - 10)
            elif job["action"] == "rewrite_data_files":
                would["files_rewritten"] = payload["files"]["small_file_count"]
            elif job["action"] == "rewrite_manifests":
                would["manifests_rewritten"] = payload["manifests"]["manifest_count"]
            elif job["action"] == "remove_orphan_files":
                would["orphan_files_removed"] = 0
        # The twin is read-only toward tables: nothing is ever changed, dry run or not.
        return {"dry_run": job["dry_run"], "would_change": would, "changed": {}}

    def tick(self, tables: list[str], get_behaviour: Callable[[], Behaviour]) -> None:
        """One health-sync run and one worker pass, under the lock a reconfiguration takes:
        a tick begun under the old behaviour never writes into freshly reset tables."""
        with self.lock:
            behaviour = get_behaviour()
            if behaviour.health_sync_running:
                self.refresh_once(tables, behaviour)
            self.work_once(behaviour)

    async def run_loops(self, tables: list[str], get_behaviour: Callable[[], Behaviour],
                        tick: float = 1.0) -> None:
        """The health-sync CronJob and the worker, on a compressed cadence."""
        while True:
            try:
                await asyncio.to_thread(self.tick, tables, get_behaviour)
            except psycopg.Error:
                log.exception("twin store loop tick failed")  # keep looping: the next tick may succeed
            await asyncio.sleep(tick)

    # --- reads for the API ------------------------------------------------------------------
    def latest_status(self, database: str, table: str, skip: int = 0) -> dict | None:
        """The newest status row (skip=1: the one before it)."""
        with self.reading() as conn:
            return conn.execute(
                "SELECT collected_at, payload FROM table_status_snapshots"
                " WHERE database_name = %s AND table_name = %s ORDER BY collected_at DESC LIMIT 1 OFFSET %s",
                (database, table, skip)).fetchone()

    def latest_health(self, database: str, table: str, skip: int = 0) -> dict | None:
        with self.reading() as conn:
            return conn.execute(
                "SELECT assessed_at, status_collected_at, health_status, issues, error"
                " FROM table_health_snapshots WHERE database_name = %s AND table_name = %s"
                " ORDER BY assessed_at DESC LIMIT 1 OFFSET %s", (database, table, skip)).fetchone()

    def recent_jobs(self, database: str, table: str, limit: int = 5) -> list[dict]:
        with self.reading() as conn:
            return conn.execute(
                "SELECT * FROM maintenance_jobs WHERE database_name = %s AND table_name = %s"
                " ORDER BY submitted_at DESC LIMIT %s", (database, table, limit)).fetchall()

    def submit_job(self, database: str, table: str, action: str, dry_run: bool, key: str | None = None) -> dict:
        """A new job, or the one already submitted with this idempotency key."""
        with self.connect() as conn:
            job = conn.execute(
                "INSERT INTO maintenance_jobs (database_name, table_name, action, dry_run, idempotency_key)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (idempotency_key) DO NOTHING RETURNING *",
                (database, table, action, dry_run, key)).fetchone()
            return job or self.jobs_with_key(key)[0]

    def jobs_with_key(self, key: str) -> list[dict]:
        with self.connect() as conn:
            return conn.execute("SELECT * FROM maintenance_jobs WHERE idempotency_key = %s", (key,)).fetchall()

    def job_count(self) -> int:
        with self.connect() as conn:
            return conn.execute("SELECT count(*) AS n FROM maintenance_jobs").fetchone()["n"]

    def job(self, job_id: str) -> dict | None:
        try:
            key = uuid.UUID(job_id)
        except ValueError:
            return None
        with self.connect() as conn:
            return conn.execute("SELECT * FROM maintenance_jobs WHERE id = %s", (key,)).fetchone()

    def now(self) -> datetime:
        with self.connect() as conn:
            return conn.execute("SELECT now() AS now").fetchone()["now"]


# Edits to the rows health-sync writes (the rows mutation layer): (snapshot table, one batch's
# rows as column -> value dicts) -> the rows to write instead.
RowEdits = Callable[[str, list[dict]], list[dict]]


class _Rows:
    """Snapshot rows of one health-sync run (or a seed), written with one executemany per table."""

    def __init__(self):
        self.status: list[dict] = []
        self.health: list[dict] = []

    def run(self, qualified: str, collected_at: datetime, behaviour: Behaviour, assessed_after: timedelta) -> None:
        database, table = split_table(qualified)
        payload = status_payload(database, table, collected_at)
        self.status.append({"database_name": database, "table_name": table, "collected_at": collected_at,
                            "payload": payload})
        if qualified not in behaviour.health_missing_tables:
            health_status, issues = assess(payload)
            self.health.append({"database_name": database, "table_name": table,
                                "assessed_at": collected_at + assessed_after, "status_collected_at": collected_at,
                                "health_status": health_status, "issues": issues, "error": None})

    def insert(self, conn: psycopg.Connection, edits: RowEdits | None = None) -> None:
        with conn.cursor() as cur:
            for table, rows in (("table_status_snapshots", self.status), ("table_health_snapshots", self.health)):
                rows = edits(table, rows) if edits else rows
                if rows:
                    columns = list(rows[0])
                    cur.executemany(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)),
                        sql.SQL(", ").join(sql.Placeholder() * len(columns))),
                        [[Jsonb(r[c]) if c in JSON_COLUMNS else r[c] for c in columns] for r in rows])


def _grant_baseline(conn: psycopg.Connection) -> None:
    """The reader role's grants and settings as `setup` makes them: re-run after a restore."""
    role = sql.Identifier(READER_ROLE)
    # Read-only twice over: SELECT grants only, and read-only transactions by default.
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(DATABASE), role))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
    conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(role))
    conn.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role))
