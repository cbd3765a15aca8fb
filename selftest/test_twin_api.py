"""The twin's API and store: healthy contracts, and each behaviour switch doing its one thing."""
from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from fastapi.testclient import TestClient

from icepack_twin.app import create_app
from icepack_twin.behaviour import Behaviour
from icepack_twin.store import Store

pgserver = pytest.importorskip("pgserver")

TABLES = ["analytics.events", "sales.orders", "ops.audit_log"]
INTERVAL = timedelta(minutes=15)
KEYS = {
    "status": {"collection", "collected_at", "derived", "files", "last_error", "manifests", "partitions",
               "snapshot", "source", "stale", "table"},
    "health": {"assessed_at", "collection", "error", "health_status", "issues", "status_collected_at", "table"},
    "recommendation": {"error", "evaluated_at", "evidence", "history", "policy", "recommended_actions",
                       "skip_reasons", "status_collected_at", "table"},
}
PATHS = {
    "status": "/tables/sales/orders/status",
    "health": "/tables/sales/orders/health",
    "recommendation": "/tables/sales/orders/maintenance/recommendation",
}


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    store = Store(server.get_uri())
    store.setup()
    store.setup()  # idempotent, as Icepack's startup DDL is
    yield store
    server.cleanup()


@pytest.fixture
def behaviour():
    return Behaviour()


@pytest.fixture
def reseed(store, behaviour):
    """Seed the store from the test's behaviour (call after setting seeding switches)."""
    def reseed():
        store.reset(TABLES, behaviour, INTERVAL, datetime.now(timezone.utc))
    reseed()
    return reseed


@pytest.fixture
def client(store, behaviour, reseed):
    # The lambda reads the fixture's object, so a test flips switches on a running app.
    with TestClient(create_app(store, lambda: behaviour, TABLES)) as client:
        yield client


def ts(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"naive timestamp {value!r}"
    return parsed


# --- healthy contracts -------------------------------------------------------------------
def test_readyz(client):
    r = client.get("/readyz")
    assert (r.status_code, r.json()) == (200, {"status": "ready"})


@pytest.mark.parametrize("endpoint", KEYS)
def test_exact_key_sets(client, endpoint):
    r = client.get(PATHS[endpoint])
    assert r.status_code == 200
    assert set(r.json()) == KEYS[endpoint]
    assert r.json()["table"] == {"database": "sales", "name": "orders"}


def test_healthy_values_agree(client):
    status, health, rec = (client.get(PATHS[e]).json() for e in ("status", "health", "recommendation"))
    now = datetime.now(timezone.utc)
    collected_at = ts(status["collected_at"])
    assert status["stale"] is False and status["last_error"] is None
    assert now - timedelta(minutes=2) < collected_at < now
    assert ts(health["status_collected_at"]) == collected_at == ts(rec["status_collected_at"])
    assert ts(health["assessed_at"]) <= now and ts(rec["evaluated_at"]) <= datetime.now(timezone.utc)
    assert health["error"] is None and rec["error"] is None
    assert isinstance(health["issues"], list)
    assert isinstance(rec["recommended_actions"], list) and isinstance(rec["skip_reasons"], list)


def test_nested_timestamps_zone_aware(client):
    snapshot = client.get(PATHS["status"]).json()["snapshot"]
    ts(snapshot["oldest_snapshot_at"]), ts(snapshot["current_snapshot_at"])


def test_unknown_table_is_json_404(client):
    for suffix in ("status", "health", "maintenance/recommendation"):
        r = client.get(f"/tables/nope/missing/{suffix}")
        assert r.status_code == 404
        assert r.json() == {"detail": "table nope.missing is not tracked"}


def test_ui_and_drain(client):
    r = client.get("/ui/")
    assert r.status_code == 200 and "Icepack" in r.text and r.headers["content-type"].startswith("text/html")
    assert client.get("/admin/drain").json() == {"drain_mode": False}


def test_openapi_documents_read_contracts(client):
    paths = client.get("/openapi.json").json()["paths"]
    for endpoint, path in PATHS.items():
        template = path.replace("sales/orders", "{database}/{table}")
        responses = paths[template]["get"]["responses"]
        assert "$ref" in responses["200"]["content"]["application/json"]["schema"]
        assert "404" in responses


def test_openapi_schemas_are_exact(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for endpoint, name in {"status": "TableStatus", "health": "TableHealth", "recommendation": "Recommendation"}.items():
        assert set(schemas[name]["properties"]) == KEYS[endpoint]
        assert set(schemas[name]["required"]) == KEYS[endpoint]
        assert schemas[name]["additionalProperties"] is False


# --- the contract switches -------------------------------------------------------------------
def test_drop_keys(client, behaviour):
    behaviour.drop_keys = {"health": {"issues"}}
    assert set(client.get(PATHS["health"]).json()) == KEYS["health"] - {"issues"}


def test_add_keys(client, behaviour):
    behaviour.add_keys = {"status": {"cached": True}}
    assert client.get(PATHS["status"]).json()["cached"] is True


def test_rename_keys(client, behaviour):
    behaviour.rename_keys = {"recommendation": {"recommended_actions": "actions"}}
    body = client.get(PATHS["recommendation"]).json()
    assert "actions" in body and "recommended_actions" not in body


def test_override_values(client, behaviour):
    behaviour.override_values = {"status": {"stale": "no"}}
    assert client.get(PATHS["status"]).json()["stale"] == "no"


def test_naive_timestamps(client, behaviour):
    behaviour.naive_timestamps = True
    status = client.get(PATHS["status"]).json()
    for value in (status["collected_at"], status["snapshot"]["oldest_snapshot_at"],
                  client.get(PATHS["health"]).json()["assessed_at"]):
        assert datetime.fromisoformat(value).tzinfo is None


def test_health_status_lag(client, behaviour):
    behaviour.health_status_lag = timedelta(hours=2)
    collected_at = ts(client.get(PATHS["status"]).json()["collected_at"])
    for endpoint in ("health", "recommendation"):
        assert collected_at - ts(client.get(PATHS[endpoint]).json()["status_collected_at"]) == timedelta(hours=2)


def test_api_cached_collected_at(client, store, behaviour):
    behaviour.api_cached_collected_at = timedelta(hours=1)
    served = ts(client.get(PATHS["status"]).json()["collected_at"])
    assert store.latest_status("sales", "orders")["collected_at"] - served == timedelta(hours=1)


@pytest.mark.parametrize(("mode", "code", "content_type"), [("500", 500, "application/json"),
                                                            ("html", 502, "text/html")])
def test_unknown_table_modes(client, behaviour, mode, code, content_type):
    behaviour.unknown_table = mode
    r = client.get("/tables/nope/missing/status")
    assert r.status_code == code and r.headers["content-type"].startswith(content_type)
    assert client.get(PATHS["status"]).status_code == 200  # known tables unaffected


def test_openapi_hidden_paths(client, behaviour):
    behaviour.openapi_hidden_paths = {"/tables/{database}/{table}/health"}
    assert "/tables/{database}/{table}/health" not in client.get("/openapi.json").json()["paths"]
    behaviour.openapi_hidden_paths = set()  # the same running app recovers
    assert "/tables/{database}/{table}/health" in client.get("/openapi.json").json()["paths"]


def test_readyz_status(client, behaviour):
    behaviour.readyz_status = 503
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "not ready"


# --- dry-run jobs and drain ----------------------------------------------------------------------
JOBS = "/tables/sales/orders/maintenance/jobs"
DRY_RUN = {"action": "expire_snapshots", "dry_run": True}


def test_dry_run_job_succeeds(client, store, behaviour):
    r = client.post(JOBS, json=DRY_RUN)
    assert r.status_code == 202
    job_id = r.json()["job_id"]
    assert r.json() == {"job_id": job_id, "state": "pending", "dry_run": True}
    store.work_once(behaviour)
    job = client.get(f"/maintenance/jobs/{job_id}").json()
    assert set(job) == {"job_id", "state", "dry_run", "table", "submitted_at", "finished_at", "result", "error"}
    assert job["state"] == "succeeded" and job["error"] is None
    assert ts(job["finished_at"]) >= ts(job["submitted_at"])
    assert job["result"]["changed"] == {}
    history = client.get(PATHS["recommendation"]).json()["history"]
    assert history[0]["job_id"] == job_id


def test_dry_run_hang(client, store, behaviour):
    behaviour.dry_run = "hang"
    job_id = client.post(JOBS, json=DRY_RUN).json()["job_id"]
    store.work_once(behaviour)
    assert client.get(f"/maintenance/jobs/{job_id}").json()["state"] == "pending"


def test_dry_run_reject(client, behaviour):
    behaviour.dry_run = "reject"
    r = client.post(JOBS, json=DRY_RUN)
    assert r.status_code == 422 and "detail" in r.json()


def test_real_jobs_forbidden(client):
    assert client.post(JOBS, json={"action": "expire_snapshots", "dry_run": False}).status_code == 403


def test_drain_mode(client, behaviour):
    behaviour.drain = True
    assert client.get("/admin/drain").json() == {"drain_mode": True}
    r = client.post(JOBS, json=DRY_RUN)
    assert r.status_code == 503 and "drain" in r.json()["detail"]


def test_unknown_job_404(client):
    for job_id in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        r = client.get(f"/maintenance/jobs/{job_id}")
        assert r.status_code == 404 and "detail" in r.json()


# --- the snapshot tables ---------------------------------------------------------------------------
def count(store, table: str, qualified: str) -> int:
    database, name = qualified.split(".")
    with store.connect() as conn:
        return conn.execute(f"SELECT count(*) AS n FROM {table} WHERE database_name = %s AND table_name = %s",
                            (database, name)).fetchone()["n"]


def test_seeded_history(store, reseed):
    for qualified in TABLES:
        assert count(store, "table_status_snapshots", qualified) == 26 * 4 + 1
        assert count(store, "table_health_snapshots", qualified) == 26 * 4 + 1
    with store.connect() as conn:
        oldest = conn.execute("SELECT min(collected_at) AS t FROM table_status_snapshots").fetchone()["t"]
    assert datetime.now(timezone.utc) - oldest > timedelta(hours=26)


def test_empty_tables(client, store, behaviour, reseed):
    behaviour.empty_tables = True
    reseed()
    store.refresh_once(TABLES, behaviour)
    assert count(store, "table_status_snapshots", "sales.orders") == 0
    assert client.get(PATHS["status"]).status_code == 404


def test_health_missing_tables(client, store, behaviour, reseed):
    behaviour.health_missing_tables = {"sales.orders"}
    reseed()
    store.refresh_once(TABLES, behaviour)
    assert count(store, "table_health_snapshots", "sales.orders") == 0
    assert count(store, "table_health_snapshots", "analytics.events") > 0
    assert client.get(PATHS["health"]).status_code == 404
    assert client.get("/tables/analytics/events/health").status_code == 200


def test_last_refresh_age(client, behaviour, reseed):
    behaviour.last_refresh_age = timedelta(hours=3)
    reseed()
    status = client.get(PATHS["status"]).json()
    assert status["stale"] is True
    age = datetime.now(timezone.utc) - ts(status["collected_at"])
    assert timedelta(hours=3) <= age < timedelta(hours=3, minutes=1)


def test_refresh_once_uses_db_clock(store, behaviour, reseed):
    before = store.latest_status("ops", "audit_log")["collected_at"]
    store.refresh_once(TABLES, behaviour)
    after = store.latest_status("ops", "audit_log")["collected_at"]
    assert after > before and after == store.latest_health("ops", "audit_log")["status_collected_at"]


def run_loops_briefly(store, behaviour, seconds: float) -> None:
    async def briefly():
        task = asyncio.create_task(store.run_loops(TABLES, lambda: behaviour, tick=0.05))
        await asyncio.sleep(seconds)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(briefly())


def test_run_loops_refresh_and_work(store, behaviour, reseed):
    job = store.submit_job("sales", "orders", "rewrite_data_files", dry_run=True)
    before = store.latest_status("sales", "orders")["collected_at"]

    run_loops_briefly(store, behaviour, 0.5)
    assert store.latest_status("sales", "orders")["collected_at"] > before
    assert store.job(str(job["id"]))["state"] == "succeeded"


def test_run_loops_honours_paused_health_sync(store, behaviour, reseed):
    behaviour.health_sync_running = False
    before = store.latest_status("sales", "orders")["collected_at"]

    run_loops_briefly(store, behaviour, 0.3)
    assert store.latest_status("sales", "orders")["collected_at"] == before


def test_reader_cannot_write(store, reseed):
    with psycopg.connect(store.reader_dsn()) as conn:
        assert conn.execute("SELECT count(*) FROM table_status_snapshots").fetchone()[0] > 0
    with psycopg.connect(store.reader_dsn(), autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")  # only grants stand in the way now
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO maintenance_jobs (database_name, table_name, action, dry_run)"
                         " VALUES ('sales', 'orders', 'expire_snapshots', true)")
    with psycopg.connect(store.reader_dsn()) as conn:
        with pytest.raises((psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege)):
            conn.execute("DELETE FROM table_health_snapshots")
