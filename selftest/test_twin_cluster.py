"""The twin's Kubernetes API, driven by the official client over HTTP."""
from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timezone

import kubernetes
import pytest

from icepack_twin.chart import render
from icepack_twin.cluster import TwinCluster, matches_labels
from icepack_twin.values import values_for


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """A TwinCluster served from its own event loop in a background thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    cluster = TwinCluster()
    asyncio.run_coroutine_threadsafe(cluster.start(), loop).result(10)
    cluster.load(render(values_for("dev"), datetime.now(timezone.utc)))
    kubeconfig = str(tmp_path_factory.mktemp("kube") / "config")
    cluster.write_kubeconfig(kubeconfig)
    yield cluster, kubeconfig
    asyncio.run_coroutine_threadsafe(cluster.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def client(twin):
    cluster, kubeconfig = twin
    cluster.clear_request_log()
    return cluster, kubernetes.config.new_client_from_config(config_file=kubeconfig, context="icepack-twin")


def names(items):
    return sorted(i.metadata.name for i in items)


def test_lists_every_kind_the_suite_reads(client):
    cluster, api = client
    core, apps = kubernetes.client.CoreV1Api(api), kubernetes.client.AppsV1Api(api)
    batch, custom = kubernetes.client.BatchV1Api(api), kubernetes.client.CustomObjectsApi(api)
    assert names(apps.list_namespaced_deployment("icepack").items) == ["icepack-api", "icepack-postgres"]
    assert len(core.list_namespaced_pod("icepack").items) == 3
    assert "icepack-api" in names(core.list_namespaced_service("icepack").items)
    assert names(batch.list_namespaced_cron_job("icepack").items) == ["icepack-health-sync", "icepack-orchestrator"]
    assert "sh.helm.release.v1.icepack.v7" in names(core.list_namespaced_secret("icepack").items)
    assert core.list_namespaced_event("icepack").items
    assert names(core.list_namespaced_persistent_volume_claim("icepack").items) == ["icepack-postgres"]
    assert names(core.list_namespaced_service_account("icepack").items) == ["icepack"]
    nodes = core.list_node().items
    assert nodes and all(n.metadata.labels["kubernetes.io/arch"] == "arm64" for n in nodes)
    sj = custom.list_namespaced_custom_object("keda.sh", "v1alpha1", "icepack", "scaledjobs")
    assert [o["metadata"]["name"] for o in sj["items"]] == ["icepack-worker"]
    assert kubernetes.client.VersionApi(api).get_code().git_version.startswith("v1.30")
    assert core.list_namespaced_config_map("icepack").items == []
    paths = [(r["method"], r["path"]) for r in cluster.request_log()]
    assert ("GET", "/apis/apps/v1/namespaces/icepack/deployments") in paths
    assert ("GET", "/apis/keda.sh/v1alpha1/namespaces/icepack/scaledjobs") in paths
    assert ("GET", "/api/v1/nodes") in paths
    assert all(m == "GET" for m, _ in paths)


def test_selectors_filter(client):
    cluster, api = client
    core = kubernetes.client.CoreV1Api(api)
    pods = core.list_namespaced_pod("icepack", label_selector="app.kubernetes.io/component=api").items
    assert len(pods) == 2
    helm = core.list_namespaced_secret("icepack", label_selector="owner=helm,status in (deployed)").items
    assert names(helm) == ["sh.helm.release.v1.icepack.v7"]
    typed = core.list_namespaced_secret("icepack", field_selector="type=helm.sh/release.v1").items
    assert len(typed) == 2
    assert "labelSelector=" in cluster.request_log()[0]["query"]


def test_discovery_and_errors(client):
    _, api = client
    core = kubernetes.client.CoreV1Api(api)
    assert core.get_api_resources().group_version == "v1"
    groups = {g.name for g in kubernetes.client.ApisApi(api).get_api_versions().groups}
    assert {"apps", "batch", "keda.sh"} <= groups
    assert names(core.list_namespace().items) == ["icepack"]
    with pytest.raises(kubernetes.client.ApiException) as e:
        kubernetes.client.CustomObjectsApi(api).list_namespaced_custom_object("nope.io", "v1", "icepack", "things")
    assert e.value.status == 404
    with pytest.raises(kubernetes.client.ApiException) as e:
        kubernetes.client.AppsV1Api(api).read_namespaced_deployment("nope", "icepack")
    assert e.value.status == 404


def test_writes_work_and_are_logged(client):
    cluster, api = client
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespaced_config_map("icepack", {"metadata": {"name": "scratch"}, "data": {"a": "b"}})
    assert names(core.list_namespaced_config_map("icepack").items) == ["scratch"]
    core.delete_namespaced_config_map("scratch", "icepack")
    assert core.list_namespaced_config_map("icepack").items == []
    assert {r["method"] for r in cluster.request_log()} == {"GET", "POST", "DELETE"}


def test_load_replaces_everything(client):
    cluster, api = client
    cluster.load(render(values_for("prod"), datetime.now(timezone.utc)))
    try:
        deployments = kubernetes.client.AppsV1Api(api).list_namespaced_deployment("icepack").items
        assert names(deployments) == ["icepack-api"]
    finally:
        cluster.load(render(values_for("dev"), datetime.now(timezone.utc)))


@pytest.mark.parametrize("selector, expected", [
    ("a=1", True), ("a==1", True), ("a!=1", False), ("a in (1,2)", True), ("a notin (1,2)", False),
    ("a", True), ("!a", False), ("b", False), ("a=1,b=2", False), ("!b,a in (0, 1)", True),
])
def test_label_selector_grammar(selector, expected):
    assert matches_labels({"a": "1"}, selector) is expected
