"""The rows and database mutation layers on a running twin: their worlds, what they generate,
and each sampled mutation landing as exactly its change, surviving health-sync, and gone again
after a healthy configure; one database mutation carried through the suite end to end."""
from __future__ import annotations

import re
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from harness import EXPECTATIONS
from icepack_twin.mutate import LAYERS
from icepack_twin.mutate import layers as _layers  # noqa: F401  (registers every layer)
from icepack_twin.mutate.rows import FULLY_MUTATED, ROW_OPERATORS
from icepack_twin.store import assess, status_payload

RUN_WITHIN = 15  # seconds: the twin's health-sync runs every second; a loaded machine may take longer


def admin(twin) -> psycopg.Connection:
    """The twin's superuser on its database (what Icepack itself connects as)."""
    host = conninfo_to_dict(twin.state["database_url"])["host"]
    return psycopg.connect(make_conninfo("", user="postgres", dbname="icepack", host=host), row_factory=dict_row,
                           autocommit=True, options="-c TimeZone=UTC")


def rows_of(twin, snapshot: str, qualified: str) -> list[dict]:
    """A table's rows in a snapshot table, newest first."""
    database, table = qualified.split(".")
    time_column = "collected_at" if snapshot == "table_status_snapshots" else "assessed_at"
    with admin(twin) as conn:
        return conn.execute(f"SELECT * FROM {snapshot} WHERE database_name = %s AND table_name = %s"  # noqa: S608
                            f" ORDER BY {time_column} DESC, id DESC", (database, table)).fetchall()


def await_a_run(twin, snapshot: str) -> None:
    """Wait until health-sync has written another run into the snapshot table (ids only grow)."""
    def last_id():
        with admin(twin) as conn:
            return conn.execute(f"SELECT max(id) AS id FROM {snapshot}").fetchone()["id"]  # noqa: S608
    first, deadline = last_id(), time.monotonic() + RUN_WITHIN
    while last_id() == first:
        assert time.monotonic() < deadline, f"no health-sync run wrote {snapshot} in {RUN_WITHIN} s"
        time.sleep(0.2)


def healthy(snapshot: str, row: dict) -> dict:
    """The row health-sync writes for this table at this row's time, unmutated."""
    if snapshot == "table_status_snapshots":
        return {**row, "payload": status_payload(row["database_name"], row["table_name"], row["collected_at"])}
    status, issues = assess(status_payload(row["database_name"], row["table_name"], row["status_collected_at"]))
    return {**row, "health_status": status, "issues": issues, "error": None}


def flat(value, prefix: str = "") -> dict:
    """{path: leaf} of a row (columns, then JSON paths, list items as [i]); ids left out."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() if key != "id"
                for k, v in flat(item, f"{prefix}.{key}" if prefix else key).items()} or {prefix: {}}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in flat(item, f"{prefix}[{i}]").items()} or {prefix: []}
    return {prefix: value}


def diff(actual: dict, expected: dict) -> dict:
    a, e = flat(actual), flat(expected)
    return {k: (e.get(k, "<absent>"), a.get(k, "<absent>")) for k in a.keys() | e.keys() if a.get(k) != e.get(k)}


def generated(twin, layer: str) -> dict:
    return {m.id: m for m in LAYERS[layer].generate(twin.world(layer))}


@pytest.fixture
def healthy_twin(twin):
    twin.configure("local")
    yield twin
    twin.configure("local")


# --- rows ---------------------------------------------------------------------------------------
def test_rows_world_is_the_newest_rows_and_their_history(healthy_twin):
    world = healthy_twin.world("rows")
    for snapshot, spec in world["snapshots"].items():
        assert set(spec["tables"]) == set(world["tracked"]), snapshot
        for qualified, entry in spec["tables"].items():
            assert entry["runs"] >= 105, (snapshot, qualified, entry["runs"])  # 26 h of 15-minute runs
            newest = datetime.fromisoformat(entry["newest"][spec["time_column"]])
            assert datetime.now(timezone.utc) - newest < timedelta(minutes=2), (snapshot, qualified, newest)
    assert world["snapshots"]["table_status_snapshots"]["tables"]["sales.orders"]["paths"]["payload.files.small_file_count"] \
        == "integer"


def test_rows_mutations_cover_every_leaf_with_stable_unique_ids(healthy_twin):
    world = healthy_twin.world("rows")
    first = LAYERS["rows"].generate(world)
    await_a_run(healthy_twin, "table_status_snapshots")  # a newer run: other values, the same mutations
    again = LAYERS["rows"].generate(healthy_twin.world("rows"))
    assert len({m.id for m in first}) == len(first)
    assert [m.id for m in first] == [m.id for m in again]
    assert "rows:table_status_snapshots/analytics.events:payload.files.small_file_count:scale-x2" in {m.id for m in first}
    covered = Counter((m.target, m.path) for m in first)
    for snapshot, spec in world["snapshots"].items():
        for qualified in world["tracked"]:
            ops = {m.operator for m in first if m.target == f"{snapshot}/{qualified}" and m.path == ""}
            assert ops == set(ROW_OPERATORS), (snapshot, qualified)
        for qualified in FULLY_MUTATED:
            newest = spec["tables"][qualified]["newest"]
            leaves = {re.sub(r"\[\d+\]", "[]", path) for path in flat(newest)}  # issues[0].code -> issues[].code
            missing = {p for p in leaves if not covered[(f"{snapshot}/{qualified}", p)]}
            assert not missing, f"{snapshot}/{qualified}: no mutation of {sorted(missing)}"


SAMPLE = {
    "rows:table_status_snapshots/analytics.events:payload.files.small_file_count:scale-x2":
        lambda rows, h: diff(rows[0], h(rows[0])) == {"payload.files.small_file_count": (
            h(rows[0])["payload"]["files"]["small_file_count"], 2 * h(rows[0])["payload"]["files"]["small_file_count"])},
    "rows:table_status_snapshots/sales.orders:payload.source.catalog:remove":
        lambda rows, h: diff(rows[0], h(rows[0])) == {"payload.source.catalog": ("polaris", "<absent>")},
    "rows:table_health_snapshots/ops.audit_log:health_status:other-word":
        lambda rows, h: set(diff(rows[0], h(rows[0]))) == {"health_status"}
        and {rows[0]["health_status"], h(rows[0])["health_status"]} == {"healthy", "degraded"},
    "rows:table_health_snapshots/analytics.events:issues[].severity:other-string":
        lambda rows, h: rows[0]["issues"] and all(i["severity"] == "xbsojoh" for i in rows[0]["issues"]),
    "rows:table_status_snapshots/analytics.events::move+1h":
        lambda rows, h: timedelta(minutes=58) < rows[0]["collected_at"] - datetime.now(timezone.utc) <= timedelta(hours=1)
        and rows[0]["payload"] == status_payload("analytics", "events", rows[0]["collected_at"] - timedelta(hours=1)),
    "rows:table_status_snapshots/analytics.events::carry-over-1d":
        lambda rows, h: rows[0]["payload"] == status_payload("analytics", "events", rows[0]["collected_at"] - timedelta(days=1))
        and rows[0]["payload"] != h(rows[0])["payload"],
    "rows:table_status_snapshots/sales.orders::missing":  # the newest is the seed's second run, and stays so
        lambda rows, h: timedelta(minutes=15) < datetime.now(timezone.utc) - rows[0]["collected_at"] < timedelta(minutes=17),
    "rows:table_health_snapshots/analytics.events::duplicate":
        lambda rows, h: rows[0]["assessed_at"] == rows[1]["assessed_at"] and diff(rows[0], rows[1]) == {},
    "rows:table_status_snapshots/ops.audit_log::thin-newest-only":  # one seed run, then health-sync's
        lambda rows, h: datetime.now(timezone.utc) - rows[-1]["collected_at"] < timedelta(minutes=2),
    "rows:table_health_snapshots:error:set-value":
        lambda rows, h: diff(rows[0], h(rows[0])) == {"error": (None, "health-sync: collection failed")},
}


@pytest.mark.parametrize("mutation_id", sorted(SAMPLE))
def test_row_mutation_lands_exactly_survives_health_sync_and_goes(healthy_twin, mutation_id):
    twin = healthy_twin
    m = generated(twin, "rows")[mutation_id]
    snapshot, qualified = m.change["snapshot"], m.change["table"] or "sales.refunds"
    column = "collected_at" if snapshot == "table_status_snapshots" else "assessed_at"
    twin.configure("local", mutations=(m.as_json(),))

    def check():
        rows = rows_of(twin, snapshot, qualified)
        assert SAMPLE[mutation_id](rows, lambda r: healthy(snapshot, r)), \
            f"{m.description}: the newest row differs from a healthy one by {diff(rows[0], healthy(snapshot, rows[0]))}"
        return rows[0]

    before = check()
    await_a_run(twin, snapshot)
    after = check()  # health-sync ran, and wrote the mutation again
    if m.operator != "missing":
        assert after[column] > before[column], f"{m.id}: the newest row is still the one written at configure"
    twin.configure("local")
    newest = rows_of(twin, snapshot, qualified)[0]
    assert diff(newest, healthy(snapshot, newest)) == {} and datetime.now(timezone.utc) - newest[column] < timedelta(minutes=2)


def test_untracked_copy_adds_a_row_for_a_table_nobody_tracks(healthy_twin):
    twin = healthy_twin
    m = generated(twin, "rows")["rows:table_status_snapshots/ops.audit_log::untracked-copy"]
    twin.configure("local", mutations=(m.as_json(),))
    await_a_run(twin, m.change["snapshot"])
    copies = rows_of(twin, m.change["snapshot"], "ops.audit_log_untracked")
    originals = rows_of(twin, m.change["snapshot"], "ops.audit_log")
    assert len(copies) >= 2 and copies[0]["collected_at"] == originals[0]["collected_at"]
    assert diff(copies[0], originals[0]) == {"table_name": ("audit_log", "audit_log_untracked")}
    twin.configure("local")
    assert rows_of(twin, m.change["snapshot"], "ops.audit_log_untracked") == []


# --- database -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def baseline(twin):
    twin.configure("local")
    return twin.world("database")


def test_database_world_is_setups_baseline(healthy_twin, baseline):
    assert baseline["attributes"]["rolcanlogin"] and not baseline["attributes"]["rolsuper"]
    assert baseline["role_settings"] == ["default_transaction_read_only=on"]
    reader = {(g["object"], g["privilege"]) for g in baseline["grants"] if g["grantee"] == "icepack_reader"}
    assert reader == {("database icepack", "CONNECT"), ("schema public", "USAGE"),
                      ("relation maintenance_jobs", "SELECT"), ("relation table_health_snapshots", "SELECT"),
                      ("relation table_status_snapshots", "SELECT")}
    assert baseline["reader_session"]["default_transaction_read_only"] == "on"
    first, again = LAYERS["database"].generate(baseline), LAYERS["database"].generate(healthy_twin.world("database"))
    assert len({m.id for m in first}) == len(first) and [m.id for m in first] == [m.id for m in again]


def _one_per_operator(twin) -> list[str]:
    twin.configure("local")
    seen = {}
    for m in LAYERS["database"].generate(twin.world("database")):
        seen.setdefault(m.operator, m.id)
    return sorted(seen.values())


# What each operator family changes in the world, by its key.
CHANGES = {"role": "attributes", "connection-limit": "attributes", "valid-until": "attributes",
           "member": "memberships", "setting": "role_settings", "grant": "grants", "revoke": "grants",
           "owner": "relations", "rename-table": "relations", "drop-column": "relations", "retype-column": "relations",
           "drop-index": "relations", "view": "relations"}


def test_every_database_mutation_changes_its_part_and_a_healthy_configure_restores_all(twin, baseline):
    """One mutation per operator: the world's part it names changes, and the next mutation-free
    configure leaves the database exactly as setup made it (roles, grants, settings, relations)."""
    failures = []
    for mutation_id in _one_per_operator(twin):
        m = generated(twin, "database")[mutation_id]
        twin.configure("local", mutations=(m.as_json(),))
        mutated = twin.world("database")
        part = CHANGES[m.change["kind"]]
        if mutated[part] == baseline[part]:
            failures.append(f"{m.id}: {part} unchanged")
        twin.configure("local")
        restored = twin.world("database")
        if restored != baseline:
            failures.append(f"{m.id}: not restored: {[k for k in restored if restored[k] != baseline[k]]}")
    assert not failures


def test_database_mutations_as_the_reader_sees_them(healthy_twin):
    twin, ms = healthy_twin, generated(healthy_twin, "database")
    dsn = twin.state["database_url"]

    def reader(query: str):
        with psycopg.connect(dsn) as conn:
            return conn.execute(query).fetchone()[0]

    twin.configure("local", mutations=(ms["database:table table_status_snapshots:grants:grant-insert"].as_json(),))
    assert reader("SELECT has_table_privilege('table_status_snapshots', 'INSERT')") is True
    twin.configure("local", mutations=(ms["database:role icepack_reader:settings.timezone:set"].as_json(),))
    assert reader("SHOW timezone") == "Pacific/Kiritimati"
    twin.configure("local", mutations=(ms["database:table table_health_snapshots:grants:revoke-select"].as_json(),))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader("SELECT count(*) FROM table_health_snapshots")
    twin.configure("local")
    assert reader("SELECT count(*) FROM table_health_snapshots") > 0
    assert reader("SELECT has_table_privilege('table_status_snapshots', 'INSERT')") is False


def test_the_suite_catches_a_database_mutation_end_to_end(healthy_twin):
    """Through the engine's path: world, generate, configure, the suite's data tests."""
    twin = healthy_twin
    assert twin.run_suite("local", *EXPECTATIONS, paths=("tests/data",)).returncode == 0
    ms = generated(twin, "database")
    # The suite's own role lost its grant, its login accepted: a finding about the role, which says what to grant;
    # the data checks of that table are not run (nothing about Icepack was observed through it).
    twin.configure("local", mutations=(ms["database:table table_status_snapshots:grants:revoke-select"].as_json(),))
    run = twin.run_suite("local", *EXPECTATIONS, paths=("tests/data",))
    assert "tests/data/test_role.py::test_suite_role_can_read_the_snapshot_tables" in run.failed, run.explain()
    assert run.summary["rollback_tier"] is None and "GRANT SELECT ON table_status_snapshots" in run.output, run.explain()
    # A column Icepack's DDL creates is gone: an observation, and a database (tier 3) one.
    twin.configure("local", mutations=(ms["database:table table_status_snapshots:columns.collected_at:drop-column"]
                                       .as_json(),))
    run = twin.run_suite("local", *EXPECTATIONS, paths=("tests/data",))
    assert "tests/data/test_freshness.py::test_snapshot_table_is_fresh" in run.failed, run.explain()
    assert run.returncode == 1 and run.summary["rollback_tier"] == 3, run.summary


@pytest.mark.parametrize("change", [{"snapshot": "table_status_snapshots", "op": "explode"},
                                    {"kind": "role", "option": "SUPERUSER; DROP TABLE x"}, {"kind": "grant"}])
def test_a_malformed_mutation_is_refused_before_anything_changes(healthy_twin, change):
    layer = "rows" if "snapshot" in change else "database"
    answer = healthy_twin.http.post("/_twin/configure", json={"env": "local", "mutations": [
        {"id": f"{layer}:x:y:z", "layer": layer, "change": change}]})
    assert answer.status_code == 422, answer.text
    assert healthy_twin.world("database")["attributes"]["rolsuper"] is False


def test_the_api_reads_the_restored_schema_after_a_structural_mutation(healthy_twin):
    """The API keeps connections (and psycopg prepares what they repeat): a healthy configure after
    a dropped column must serve as before, not from statements prepared against another shape."""
    twin, ms = healthy_twin, generated(healthy_twin, "database")
    api = twin.state["api_url"]
    import httpx

    def codes():
        with httpx.Client(base_url=api) as client:
            return Counter(client.get("/tables/sales/orders/maintenance/recommendation").status_code for _ in range(40))

    assert codes() == {200: 40}
    twin.configure("local", mutations=(ms["database:table maintenance_jobs:columns.result:drop-column"].as_json(),))
    codes()
    twin.configure("local")
    assert codes() == {200: 40}


def test_a_store_restarted_on_a_mutated_database_restores_the_baseline(tmp_path):
    """A twin stopped mid-mutation leaves its data directory altered: the next one starts from baseline."""
    pgserver = pytest.importorskip("pgserver")
    from icepack_twin.behaviour import Behaviour
    from icepack_twin.mutate.database import database_world
    from icepack_twin.store import Store

    server = pgserver.get_server(tmp_path, cleanup_mode="stop")
    try:
        def started() -> Store:
            store = Store(server.get_uri())
            store.setup()
            store.reset(["sales.orders"], Behaviour(), timedelta(minutes=15), datetime.now(timezone.utc))
            return store
        first = started()
        baseline = database_world(first)
        grant = {m.id: m for m in LAYERS["database"].generate(baseline)}[
            "database:table table_status_snapshots:grants:grant-insert"]
        LAYERS["database"].settle(first, [grant.as_json()])
        assert database_world(first) != baseline
        assert database_world(started()) == baseline
    finally:
        server.cleanup()


# --- where a mutation landed -----------------------------------------------------------------------
def test_the_twin_counts_the_row_batches_a_mutation_changed(healthy_twin):
    """A rows edit counts each batch it changed (the seed, then every health-sync run); one that finds
    no row to change (a table nobody tracks) counts none; a kube or database mutation is in place
    once the configure succeeds (a refused one is a 422 there) and counts 1."""
    twin = healthy_twin
    rows = generated(twin, "rows")
    landing = rows["rows:table_status_snapshots/analytics.events::duplicate"]
    nowhere = {**landing.as_json(), "id": "rows:nowhere", "change": {**landing.change, "table": "nobody.here"}}
    database = next(iter(generated(twin, "database").values()))
    kube = generated(twin, "kube")["kube:Deployment/icepack-api:spec.replicas:scale-x2"]
    twin.configure("local", mutations=(landing.as_json(), nowhere, database.as_json(), kube.as_json()))

    def applied():
        return twin.http.get("/_twin/mutations-applied").raise_for_status().json()
    seeded = applied()
    assert seeded[landing.id] >= 1 and seeded["rows:nowhere"] == 0, seeded
    assert seeded[database.id] == seeded[kube.id] == 1, seeded
    await_a_run(twin, landing.change["snapshot"])
    later = applied()
    assert later[landing.id] > seeded[landing.id] and later["rows:nowhere"] == 0, later
    twin.configure("local")
    assert applied() == {}
