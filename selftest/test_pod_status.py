"""The kubelet's reports as units (the drifts of drifts/kubelet_reports.py show each rule failing through
the twin): the healthy forms a real cluster writes that the twin does not."""
from __future__ import annotations

from datetime import timedelta

import pytest

from icepack_verify.pod_status import container_status_findings, digest_findings, qos_class

SKEW = timedelta(minutes=2)


def _res(requests=None, limits=None) -> dict:
    return {"resources": {k: v for k, v in (("requests", requests), ("limits", limits)) if v}}


@pytest.mark.parametrize("containers, init, qos", [
    ([_res({"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})], [], "Guaranteed"),
    ([_res(limits={"cpu": "500m", "memory": "256Mi"})], [], "Guaranteed"),  # requests default to limits
    ([_res(limits={"cpu": "500m", "memory": "256Mi"}), _res({"cpu": "100m"})], [], "Burstable"),
    ([_res({"cpu": "100m"})], [], "Burstable"),
    ([{}], [_res({"memory": "64Mi"})], "Burstable"),  # an init container's requests count
    ([{}], [], "BestEffort"),
    ([_res({"ephemeral-storage": "1Gi"})], [], "BestEffort"),  # only cpu and memory make the class
])
def test_the_qos_class_is_derived_as_the_api_server_derives_it(containers, init, qos):
    spec = {"containers": [{"name": f"c{i}", **c} for i, c in enumerate(containers)],
            "initContainers": [{"name": f"i{i}", **c} for i, c in enumerate(init)]}
    assert qos_class(spec) == qos


def test_pod_level_resources_are_not_judged():
    assert qos_class({"resources": {"limits": {"cpu": "1"}}, "containers": [{"name": "a"}]}) is None


def _pod(**status) -> dict:
    return {"metadata": {"name": "p"},
            "spec": {"containers": [{"name": "app", **_res({"cpu": "100m"})}],
                     "initContainers": [{"name": "migrate"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "qosClass": "Burstable",
                       "conditions": [{"type": "ContainersReady", "status": "True",
                                       "lastTransitionTime": "2026-11-29T10:05:10Z"}],
                       "initContainerStatuses": [{"name": "migrate", "state": {"terminated": {"exitCode": 0}}}],
                       "containerStatuses": [{"name": "app", "restartCount": 1,
                                              "state": {"running": {"startedAt": "2026-11-29T10:05:00Z"}},
                                              "lastState": {"terminated": {"exitCode": 137}}}], **status}}


def test_a_restarted_container_with_a_finished_init_container_and_two_addresses_is_healthy():
    assert container_status_findings(_pod(podIPs=[{"ip": "10.0.0.5"}, {"ip": "fd00::5"}]), SKEW) == []


@pytest.mark.parametrize("change, field", [
    ({"podIPs": [{"ip": "fd00::5"}, {"ip": "10.0.0.5"}]}, "status.podIPs"),
    ({"reason": "Evicted"}, "status.reason"),
    ({"qosClass": "Guaranteed"}, "status.qosClass"),
    ({"initContainerStatuses": []}, "status.initContainerStatuses"),
])
def test_a_running_pod_reports_what_its_spec_says(change, field):
    assert [f[0] for f in container_status_findings(_pod(**change), SKEW)] == [field]


def test_a_container_restarted_after_its_pod_became_ready_is_a_status_of_two_moments():
    pod = _pod()
    pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] = "2026-11-29T10:10:00Z"
    assert [f[0] for f in container_status_findings(pod, SKEW)] == [
        "status.containerStatuses[app].state.running.startedAt"]


def _replica(name: str, image_id: str, image: str = "repo/app:1.0") -> dict:
    return {"metadata": {"name": name, "ownerReferences": [{"kind": "ReplicaSet", "name": "app-1", "controller": True}]},
            "spec": {"containers": [{"name": "app", "image": image}]},
            "status": {"containerStatuses": [{"name": "app", "imageID": image_id}]}}


def test_pods_of_one_template_run_one_build():
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    assert digest_findings([_replica("p1", f"docker.io/repo/app@{a}"), _replica("p2", f"repo/app@{a}")]) == []
    assert [o for o, _ in digest_findings([_replica("p1", f"repo/app@{a}"), _replica("p2", f"repo/app@{b}")])] == [
        "ReplicaSet app-1"]
    assert digest_findings([_replica("p1", f"repo/app@{b}", image=f"repo/app:1.0@{a}")])  # not the pinned digest
