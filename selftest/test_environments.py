"""environments.toml: the one source of expectations, validated, with provenance."""
import re
from pathlib import Path

import pytest

from icepack_verify import environments
from icepack_verify.environments import ConfigError

ROOT = Path(__file__).resolve().parent.parent
FILE = ROOT / "environments.toml"
NAMES = ["dev", "local", "preprod", "prod", "stage"]


def load(name, environ=None):
    return environments.load(FILE, name, environ or {})


def test_the_file_holds_the_five_environments():
    assert environments.known_names(environments.load_file(FILE)) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_environment_validates_and_lives_in_namespace_icepack(name):
    env = load(name)
    assert env.namespace == "icepack"
    assert env.names.api == "icepack-api" and env.names.release == "icepack"
    assert env.terraform_root == f"terraform/icepack-api/env/{name}/"


def test_dev_overrides_requests_and_limits_and_says_so():
    dev, stage = load("dev"), load("stage")
    assert (dev.expect.api.requests.cpu, dev.expect.api.requests.memory) == ("500m", "1Gi")
    assert (dev.expect.api.limits.cpu, dev.expect.api.limits.memory) == ("1", "8Gi")
    assert (stage.expect.api.requests.cpu, stage.expect.api.limits.memory) == ("250m", "512Mi")
    assert dev.source("expect.api.limits.cpu").startswith("charts/icepack/values-dev.yaml override")
    assert stage.source("expect.api.limits.cpu").startswith("chart default")


@pytest.mark.parametrize("name, max_replicas, schedule", [
    ("dev", 3, "30 * * * *"), ("stage", 3, "30 * * * *"), ("preprod", 3, "30 * * * *"),
    ("prod", 5, "0 */2 * * *"), ("local", 5, "0 */2 * * *"),
])
def test_worker_and_orchestrator_follow_the_inventory(name, max_replicas, schedule):
    env = load(name)
    assert env.expect.worker.max_replicas == max_replicas
    assert env.expect.orchestrator.schedule == schedule
    assert env.expect.health_sync.schedule == "*/15 * * * *"
    assert env.expect.worker.polling_interval == 30


def test_environment_variables_override_connection_settings():
    env = load("stage", {"ICEPACK_API_URL": "http://127.0.0.1:9", "ICEPACK_KUBE_CONTEXT": "ctx",
                         "ICEPACK_KNOWN_TABLE": "db1.t1"})
    assert (env.api_url, env.kube_context, env.known_tables) == ("http://127.0.0.1:9", "ctx", ["db1.t1"])
    assert env.source("api_url") == "environment variable ICEPACK_API_URL"


def test_dsn_comes_from_the_environment_never_the_file(monkeypatch):
    monkeypatch.delenv("ICEPACK_DATABASE_URL", raising=False)
    monkeypatch.delenv("ICEPACK_PREPROD_DATABASE_URL", raising=False)
    env = load("preprod")
    monkeypatch.setenv("ICEPACK_PREPROD_DATABASE_URL", "postgresql://u:pw@h/db")
    assert env.database_dsn() == "postgresql://u:pw@h/db"
    monkeypatch.setenv("ICEPACK_DATABASE_URL", "postgresql://u:other@h/db")
    assert env.database_dsn() == "postgresql://u:other@h/db"


def test_no_dsn_is_one_sentence(monkeypatch):
    for var in ("ICEPACK_DATABASE_URL", "ICEPACK_LOCAL_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigError, match=r"^database: no DSN: set \$ICEPACK_DATABASE_URL"):
        load("local").database_dsn()


@pytest.mark.parametrize("edit, message", [
    (("max_replicas = 3", 'max_replicas = "three"', 1), "environment 'dev': expect.worker.max_replicas: Input should be a valid integer"),
    (('account_id = "174558682303"', 'account_id = "17455868"', 1), "environment 'stage': account_id: String should match pattern"),
    (('schedule = "30 * * * *"', 'schedule = "every hour"', 1), "environment 'dev': expect.orchestrator.schedule: Value error, 'every hour' is not a cron schedule"),
    (('status_table = "table_status_snapshots"', 'status_table = "x; drop table y"', 1), "data.status_table: Value error"),
    (("replicas = 2", "replicas = 2\nreplica = 3", 1), "[defaults.expect.api] replica: unknown key; did you mean 'replicas'?"),
])
def test_a_broken_file_names_the_environment_and_the_field(tmp_path, edit, message):
    old, new, count = edit
    broken = tmp_path / "environments.toml"
    broken.write_text(FILE.read_text().replace(old, new, count))
    name = "stage" if "stage" in message else "dev"
    with pytest.raises(ConfigError) as info:
        environments.load(broken, name, {})
    assert re.match(rf"{re.escape(str(broken))} line \d+: ", str(info.value)), str(info.value)  # the file and line
    assert message in str(info.value)


def test_invalid_toml_is_one_sentence(tmp_path):
    broken = tmp_path / "environments.toml"
    broken.write_text("[defaults\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        environments.load(broken, "dev", {})


SUBMIT = 'job_submit_route = "/tables/{database}/{table}/maintenance/jobs"'
BODY = 'job_submit_body = { action = "expire_snapshots", dry_run = true }'


@pytest.mark.parametrize("route, body, message", [
    ('"/jobs"', '{ action = "expire_snapshots", dry_run = true }',
     "api: Value error, {database} and {table} stand(s) neither in job_submit_route nor in a string value of "
     "job_submit_body: each must be in one of them"),
    ('"/jobs/{database}"', '{ dry_run = true, target = { name = "{tabel}" } }',
     "api: Value error, job_submit_body has unknown placeholder(s) tabel: {database} and {table} are the ones filled in"),
    ('"/jobs/{db}"', '{ dry_run = true }', "api.job_submit_route: Value error, '/jobs/{db}' has unknown placeholder(s) db"),
])
def test_the_job_target_must_stand_in_the_route_or_the_body(tmp_path, route, body, message):
    broken = tmp_path / "environments.toml"
    broken.write_text(FILE.read_text().replace(SUBMIT, f"job_submit_route = {route}").replace(BODY, f"job_submit_body = {body}"))
    with pytest.raises(ConfigError) as info:
        environments.load(broken, "dev", {})
    assert re.fullmatch(rf"{re.escape(str(broken))} line \d+: environment 'dev': {re.escape(message)}", str(info.value))


def test_placeholders_in_the_body_are_filled_at_any_depth_and_the_route_is_encoded(tmp_path):
    from icepack_verify.jobs import submission

    edited = tmp_path / "environments.toml"
    edited.write_text(FILE.read_text().replace(SUBMIT, 'job_submit_route = "/jobs/{database}"').replace(
        BODY, 'job_submit_body = { dry_run = true, target = { name = "{table}", tags = ["db:{database}", 3] } }'))
    route, body = submission(environments.load(edited, "dev", {}).api, "sales.orders-2024")
    assert route == "/jobs/sales"
    assert body == {"dry_run": True, "target": {"name": "orders-2024", "tags": ["db:sales", 3]}}
