"""The naive baseline (bench/suite_speed.py measures it beside the suite): the same checks,
written the simple way. Every test builds its own clients (an httpx client, a kubernetes
client from the kubeconfig, a database connection), reads what it checks one request
after another, and nothing starts in the background; pytest loads its plugins as usual.
Not a test of Icepack: a yardstick for the suite's speed.
"""
import os
from datetime import datetime, timezone

import httpx
import kubernetes
import psycopg
import pytest
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from icepack_verify.contract import SPLIT_READ_CONTRACTS, endpoint_path
from icepack_verify.models import MODELS
from icepack_verify.schemathesis_adapter import openapi_schema_for

TABLES = ["analytics.events", "sales.orders"]
ENDPOINTS = list(SPLIT_READ_CONTRACTS)
API = os.environ.get("ICEPACK_API_URL", "")


def get(path):
    with httpx.Client(base_url=API, timeout=10) as client:
        return client.get(path)


def kube():
    return kubernetes.config.new_client_from_config(context=os.environ.get("ICEPACK_KUBE_CONTEXT"))


def query(sql):
    with psycopg.connect(os.environ["ICEPACK_DATABASE_URL"]) as conn:
        return conn.execute(sql).fetchall()


# --- contracts ---------------------------------------------------------------------------
@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_keys(table, endpoint):
    assert set(get(endpoint_path(table, endpoint)).json()) == SPLIT_READ_CONTRACTS[endpoint]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_types(table, endpoint):
    MODELS[endpoint].model_validate(get(endpoint_path(table, endpoint)).json(), context={"table": table})


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_json_and_latency(table, endpoint):
    response = get(endpoint_path(table, endpoint))
    assert response.headers["content-type"].startswith("application/json")
    assert response.elapsed.total_seconds() < 3


@pytest.mark.parametrize("table", TABLES)
def test_agreement(table):
    bodies = {e: get(endpoint_path(table, e)).json() for e in reversed(ENDPOINTS)}  # /status last: the newest
    collected = datetime.fromisoformat(bodies["status"]["collected_at"])
    for endpoint in ("health", "maintenance/recommendation"):
        assert datetime.fromisoformat(bodies[endpoint]["status_collected_at"]) <= collected


def test_unknown_table_is_404():
    assert get(endpoint_path("no_such.table_zz", "status")).status_code == 404


def test_openapi_get_operations(env):
    document = get("/openapi.json").json()
    schema = openapi_schema_for(document, env)  # the suite's own generation settings: the same cases
    load_all_checks()
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]

    def call(case):
        sent = case.as_transport_kwargs()
        with httpx.Client(timeout=10) as client:
            response = client.request(sent["method"], API + sent["url"].removeprefix(API),
                                      params=sent.get("params"), headers=sent["headers"])
        case.validate_response(response, checks=checks)

    for result in schema.get_all_operations():
        if isinstance(result, Ok) and result.ok().method.upper() == "GET":
            build_operation_test(config=schema.config, operation=result.ok(), test_func=call, given_kwargs={},
                                 feedback=FeedbackSources())()


# --- infra ------------------------------------------------------------------------------
def test_namespace(env):
    kubernetes.client.CoreV1Api(kube()).read_namespace(env.namespace)


@pytest.mark.parametrize("check", ["replicas", "image", "resources", "probes", "rollout", "pods", "arch"])
def test_api_deployment(env, check):
    client = kube()
    deployment = kubernetes.client.AppsV1Api(client).read_namespaced_deployment(env.names.api, env.namespace)
    assert deployment.spec.replicas == env.expect.api.replicas or check != "replicas"
    if check in ("pods", "arch"):
        kubernetes.client.CoreV1Api(client).list_namespaced_pod(env.namespace)
    if check == "arch":
        kubernetes.client.CoreV1Api(client).list_node()


@pytest.mark.parametrize("check", ["spec", "pods", "events"])
def test_service(env, check):
    core = kubernetes.client.CoreV1Api(kube())
    core.read_namespaced_service(env.names.service, env.namespace)
    if check == "pods":
        core.list_namespaced_endpoints(env.namespace)
    if check == "events":
        core.list_namespaced_event(env.namespace)


@pytest.mark.parametrize("cronjob", ["orchestrator", "health_sync"])
@pytest.mark.parametrize("check", ["spec", "last_run", "jobs"])
def test_cronjob(env, cronjob, check):
    client = kube()
    kubernetes.client.BatchV1Api(client).read_namespaced_cron_job(getattr(env.names, cronjob), env.namespace)
    if check == "jobs":
        kubernetes.client.BatchV1Api(client).list_namespaced_job(env.namespace)


@pytest.mark.parametrize("check", ["spec", "trigger", "image"])
def test_worker(env, check):
    kubernetes.client.CustomObjectsApi(kube()).get_namespaced_custom_object(
        "keda.sh", "v1alpha1", env.namespace, "scaledjobs", env.names.worker)


@pytest.mark.parametrize("check", ["deployment", "pvc"])
def test_postgres(env, check):
    client = kube()
    if check == "deployment":
        kubernetes.client.AppsV1Api(client).read_namespaced_deployment(env.names.postgres, env.namespace)
    else:
        kubernetes.client.CoreV1Api(client).read_namespaced_persistent_volume_claim(env.names.postgres_pvc,
                                                                                    env.namespace)


def test_service_account(env):
    kubernetes.client.CoreV1Api(kube()).read_namespaced_service_account(env.names.service_account, env.namespace)


def test_helm_release(env):
    kubernetes.client.CoreV1Api(kube()).list_namespaced_secret(env.namespace, label_selector="owner=helm")


# --- data ---------------------------------------------------------------------------------
@pytest.mark.parametrize("table", ["table_status_snapshots", "table_health_snapshots"])
def test_snapshot_table_is_fresh(table):
    (newest,), = query(f"SELECT max({'collected_at' if 'status' in table else 'assessed_at'}) FROM {table}")
    assert (datetime.now(timezone.utc) - newest).total_seconds() < 3600


def test_every_tracked_table_is_fresh():
    assert query("SELECT table_name, max(collected_at) FROM table_status_snapshots GROUP BY 1")


def test_coverage():
    assert query("SELECT table_name, max(assessed_at) FROM table_health_snapshots GROUP BY 1")


def test_tables_did_not_collapse():
    assert query("SELECT count(DISTINCT table_name) FROM table_status_snapshots")


@pytest.mark.parametrize("table", TABLES)
def test_api_agrees_with_the_table(table):
    database, name = table.split(".")
    query(f"SELECT max(collected_at) FROM table_status_snapshots WHERE table_name = '{name}'")
    get(endpoint_path(table, "status"))


# --- smoke --------------------------------------------------------------------------------
def test_readyz():
    assert get("/readyz").status_code == 200


def test_ui():
    assert get("/ui/").status_code == 200


def test_drain(env):
    assert get(env.api.drain_route).status_code == 200
