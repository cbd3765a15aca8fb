"""icepack_verify.live_state on hand-made objects: the rules that the drift catalogue does not reach
one by one (a history's edge cases, which events count, which pods are judged how)."""
from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime, timedelta, timezone

import pytest

from icepack_verify import bookkeeping
from icepack_verify.live_state import (Release, deletion_findings, event_seen, finalizer_findings, future_findings,
                                       history_findings,
                                       node_findings, order_findings, pod_findings, rollout_complete,
                                       wrong_now)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def _record(version: int, status: str, name: str = "icepack") -> dict:
    blob = base64.b64encode(gzip.compress(json.dumps(
        {"name": name, "version": version, "info": {"status": status}}).encode())).decode()
    return {"metadata": {"name": f"sh.helm.release.v1.{name}.v{version}",
                         "labels": {"owner": "helm", "name": name, "status": status, "version": str(version)}},
            "data": {"release": base64.b64encode(blob.encode()).decode()}}


def _fields(secrets) -> list[str]:
    return [f[0] for f in history_findings(secrets, "icepack")[1]]


def test_a_first_install_is_a_whole_history():
    assert _fields([_record(1, "deployed")]) == []


def test_a_failed_upgrade_between_two_deployed_revisions_is_whole():
    assert _fields([_record(3, "superseded"), _record(4, "failed"), _record(5, "deployed")]) == []


@pytest.mark.parametrize("secrets, field", [
    ([_record(6, "superseded"), _record(7, "pending-upgrade")], "revisions pending"),
    ([_record(5, "superseded"), _record(7, "deployed")], "revisions kept"),
    ([_record(7, "deployed")], "revisions kept"),
    ([_record(6, "deployed"), _record(7, "deployed")], "revisions deployed (info.status or label status)"),
    ([_record(6, "superseded"), _record(7, "superseded")], "revisions deployed (info.status or label status)"),
])
def test_a_broken_history_is_named(secrets, field):
    assert field in _fields(secrets)


def test_a_record_that_does_not_decode_is_a_finding_not_a_crash():
    bad = _record(7, "deployed")
    bad["data"]["release"] = base64.b64encode(b"not a release").decode()
    assert _fields([_record(6, "superseded"), bad]) == ["Secret sh.helm.release.v1.icepack.v7 data.release"]


def test_a_record_renamed_under_another_revision_disagrees_with_its_secret():
    moved = _record(7, "deployed")
    moved["metadata"]["name"] = "sh.helm.release.v1.icepack.v8"
    assert "Secret sh.helm.release.v1.icepack.v8 version" in _fields([_record(6, "superseded"), moved])


def _pod(uid="u1", **status) -> dict:
    return {"kind": "Pod", "metadata": {"name": "p", "uid": uid, "labels": {"app.kubernetes.io/instance": "icepack"}},
            "spec": {"containers": [{"name": "api", "image": "r.example/icepack:1"}]}, "status": status}


def _event(reason: str, seen: datetime, uid="u1", type_="Warning") -> dict:
    return {"type": type_, "reason": reason, "lastTimestamp": seen.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "involvedObject": {"kind": "Pod", "name": "p", "uid": uid}}


def test_only_recent_warnings_of_a_wrong_now_reason_about_a_live_object_count():
    rel = Release({"Pod": [_pod()]}, "icepack", "icepack")
    recent = NOW - timedelta(minutes=1)
    events = [_event("FailedMount", recent), _event("FailedMount", NOW - timedelta(hours=1)),
              _event("FailedMount", recent, uid="u0"), _event("Unhealthy", recent),
              _event("FailedMount", recent, type_="Normal")]
    assert [e["lastTimestamp"] for _, _, e in wrong_now(events, rel, NOW, timedelta(minutes=15))] == \
        [events[0]["lastTimestamp"]]


def test_an_event_is_seen_at_the_latest_of_its_times_whichever_api_wrote_it():
    """A recurring events.k8s.io/v1 Event: lastTimestamp frozen at its first report, series.lastObservedTime
    moving on. One rule for both readers (wrong_now here, bookkeeping's event identity)."""
    at = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    recurring = {"lastTimestamp": at(NOW - timedelta(hours=2)), "eventTime": at(NOW - timedelta(hours=2)),
                 "series": {"count": 9, "lastObservedTime": at(NOW - timedelta(minutes=1))}}
    assert event_seen(recurring) == NOW - timedelta(minutes=1)
    stale_series = {**recurring, "lastTimestamp": at(NOW), "series": {"lastObservedTime": at(NOW - timedelta(hours=3))}}
    assert event_seen(stale_series) == NOW  # the latest, not the first one set
    assert event_seen({"firstTimestamp": at(NOW), "lastTimestamp": None}) == NOW and event_seen({}) is None
    assert bookkeeping.event_seen is event_seen
    rel = Release({"Pod": [_pod()]}, "icepack", "icepack")
    warning = {**_event("FailedMount", NOW - timedelta(hours=2)), **recurring}
    assert len(wrong_now([warning], rel, NOW, timedelta(minutes=15))) == 1  # recurring now


def test_a_container_running_another_image_than_its_spec_is_a_finding_a_qualified_reference_is_not():
    status = {"phase": "Running", "podIP": "10.0.0.9", "hostIP": "10.0.0.1", "startTime": "2026-11-29T11:00:00Z",
              "containerStatuses": [{
        "name": "api", "ready": True, "started": True, "restartCount": 0, "imageID": "r.example/icepack@sha256:0",
        "state": {"running": {}}, "image": "r.example/icepack:1"}]}
    assert pod_findings(_pod(**status), 3) == []
    status["containerStatuses"][0]["image"] = "r.example/icepack:0"
    assert [f[0] for f in pod_findings(_pod(**status), 3)] == ["status.containerStatuses[api].image"]


def test_a_pod_terminating_within_its_grace_period_is_not_being_deleted_anything_else_is():
    pod = _pod()
    pod["metadata"]["deletionTimestamp"] = (NOW + timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert deletion_findings("Pod", pod, NOW, timedelta(minutes=2)) == []
    assert deletion_findings("Service", pod, NOW, timedelta(minutes=2))
    pod["metadata"]["deletionTimestamp"] = (NOW - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "stuck terminating" in str(deletion_findings("Pod", pod, NOW, timedelta(minutes=2)))


def test_a_rollout_is_complete_only_when_every_replica_is_updated_and_the_spec_observed():
    dep = {"metadata": {"generation": 4}, "spec": {"replicas": 2},
           "status": {"observedGeneration": 4, "replicas": 2, "updatedReplicas": 2}}
    assert rollout_complete(dep)
    dep["status"]["replicas"] = 3  # an old pod still counted
    assert not rollout_complete(dep)


def test_a_time_ahead_anywhere_in_metadata_or_status_is_a_finding_a_deletion_deadline_is_not():
    skew = timedelta(minutes=2)
    ahead = (NOW + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cronjob = {"metadata": {"name": "c", "creationTimestamp": "2026-11-20T00:00:00Z",
                            "managedFields": [{"manager": "kube-controller-manager", "time": "2026-11-29T11:59:00Z"}]},
               "status": {"lastScheduleTime": "2026-11-29T11:45:00Z", "active": [{"name": "c-1"}]}}
    assert future_findings(cronjob, NOW, skew) == []
    cronjob["status"]["lastScheduleTime"] = ahead
    cronjob["metadata"]["managedFields"][0]["time"] = ahead
    assert [f[0] for f in future_findings(cronjob, NOW, skew)] == ["metadata.managedFields[0].time",
                                                                   "status.lastScheduleTime"]
    pod = _pod(phase="Running", conditions=[{"type": "Ready", "lastTransitionTime": ahead}])  # judged with conditions
    pod["metadata"]["deletionTimestamp"] = ahead  # a grace period's deadline: judged as deletion
    # a client's clock (kubectl rollout restart on a laptop) and a deadline by design (Karpenter's): not judged
    pod["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": ahead,
                                      "karpenter.sh/nodeclaim-termination-timestamp": ahead}
    assert future_findings(pod, NOW, skew) == []


def test_a_running_pod_carries_what_the_kubelet_always_sets():
    status = {"phase": "Running", "podIP": "10.0.0.9", "hostIP": "10.0.0.1", "containerStatuses": [{
        "name": "api", "ready": True, "started": True, "restartCount": 0, "imageID": "r.example/icepack@sha256:0",
        "state": {"running": {}}, "image": "r.example/icepack:1"}]}
    assert [f[0] for f in pod_findings(_pod(**status), 3)] == ["status.startTime"]


def _node(**allocatable) -> dict:
    return {"metadata": {"name": "n1", "labels": {"kubernetes.io/arch": "arm64", "kubernetes.io/os": "linux"}},
            "status": {"nodeInfo": {k: "x" for k in ("machineID", "systemUUID", "bootID", "kernelVersion", "osImage",
                                                     "containerRuntimeVersion", "kubeletVersion")}
                       | {"architecture": "arm64", "operatingSystem": "linux"},
                       "conditions": [{"type": t, "status": "True" if t == "Ready" else "False"}
                                      for t in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")],
                       "capacity": {"cpu": "4", "memory": "16Gi", "pods": "58", "ephemeral-storage": "80Gi"},
                       "allocatable": {"cpu": "3920m", "memory": "15Gi", "pods": "58", **allocatable}}}


def test_a_nodes_pod_count_is_a_resource_and_every_quantity_valid():
    pods = [_pod(), _pod("u2")]
    assert node_findings(_node(), "arm64", pods) == []
    assert [f[0] for f in node_findings(_node(pods="1"), "arm64", pods)] == ["status.allocatable.pods"]
    no_pods = _node()
    del no_pods["status"]["allocatable"]["pods"]  # read by the scheduler as 0
    assert [f[0] for f in node_findings(no_pods, "arm64", pods)] == ["status.allocatable.pods"]
    assert sorted(f[0] for f in node_findings(_node(pods="-1"), "arm64", pods)) == ["status.allocatable.pods"] * 2
    assert [f[0] for f in node_findings(_node(**{"ephemeral-storage": "lots"}), "arm64", pods)] == [
        "status.allocatable.ephemeral-storage"]


def test_finished_pods_hold_no_pod_slot_and_no_requests():
    """KEDA keeps 100 succeeded and 100 failed Jobs by default, their pods with them; the scheduler counts
    only pods not Succeeded or Failed against allocatable pods, cpu and memory (EKS: 17 pods on a t4g.medium)."""
    def pod(uid: str, phase: str) -> dict:
        p = _pod(uid, phase=phase)
        p["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "500m", "memory": "1Gi"}}
        return p
    finished = [pod(f"s{i}", "Succeeded") for i in range(100)] + [pod(f"f{i}", "Failed") for i in range(100)]
    small = {"pods": "17", "cpu": "1930m", "memory": "3Gi"}
    assert node_findings(_node(**small), "arm64", [pod("r1", "Running"), *finished]) == []
    running = [pod(f"r{i}", "Running") for i in range(4)] + [pod("p1", "Pending")]  # a bound Pending pod holds its place
    assert sorted(f[0] for f in node_findings(_node(**small), "arm64", running + finished)) == [
        "status.allocatable.cpu", "status.allocatable.memory"]
    assert [f[0] for f in node_findings(_node(pods="4"), "arm64", running + finished)] == ["status.allocatable.pods"]


def test_a_hosting_node_closed_to_its_pods_is_a_finding_taints_they_tolerate_are_not():
    """K8s ToleratesTaint: an empty key with Exists tolerates every taint, an effect only its own, Equal one
    value; a NoExecute toleration with tolerationSeconds evicts when they run out (the default not-ready one)."""
    def tainted(*taints, unschedulable=False):
        node = _node()
        node.setdefault("spec", {}).update(taints=[dict(zip(("key", "effect", "value"), t)) for t in taints],
                            **({"unschedulable": True} if unschedulable else {}))
        return node

    def fields(node, tolerations=(), phase="Running"):
        pod = _pod(phase=phase)
        pod["spec"]["tolerations"] = list(tolerations)
        return [f[0] for f in node_findings(node, "arm64", [pod])]

    cordoned = tainted(("node.kubernetes.io/unschedulable", "NoSchedule"), unschedulable=True)
    assert fields(cordoned) == ["spec.unschedulable"]  # one line for kubectl cordon, not two
    assert fields(cordoned, phase="Succeeded") == []  # a finished pod is not held there
    assert fields(tainted(("spot", "PreferNoSchedule"))) == []
    gone = tainted(("node.kubernetes.io/out-of-service", "NoExecute", "nodeshutdown"))
    assert fields(gone) == ["spec.taints[node.kubernetes.io/out-of-service=nodeshutdown:NoExecute]"]
    assert fields(gone, [{"operator": "Exists"}]) == []
    assert fields(gone, [{"operator": "Exists", "effect": "NoSchedule"}]) != []
    assert fields(gone, [{"key": "node.kubernetes.io/out-of-service", "operator": "Exists", "effect": "NoExecute",
                          "tolerationSeconds": 300}]) != []
    dedicated = tainted(("dedicated", "NoSchedule", "icepack"))
    assert fields(dedicated, [{"key": "dedicated", "value": "icepack"}]) == []
    assert fields(dedicated, [{"key": "dedicated", "operator": "Equal", "value": "other"}]) != []


def test_every_node_address_is_one_of_a_known_type():
    node = _node()
    node["status"]["addresses"] = [{"type": "InternalIP", "address": "10.0.0.1"}, {"type": "Hostname", "address": ""},
                                   {"type": "Mgmt", "address": "10.0.0.2"}, {"type": "InternalDNS"}]
    assert [f[0] for f in node_findings(node, "arm64", [_pod()])] == [
        "status.addresses[Hostname]", "status.addresses[Mgmt]", "status.addresses[InternalDNS]"]


def test_a_node_still_carries_what_its_pods_select_and_its_kubelet_reports():
    pod = _pod()
    pod["spec"]["nodeSelector"] = {"kubernetes.io/arch": "arm64"}
    assert node_findings(_node(), "arm64", [pod]) == []
    relabelled = _node()
    del relabelled["metadata"]["labels"]["kubernetes.io/arch"]
    relabelled["metadata"]["labels"]["kubernetes.io/os"] = ""
    found = {f[0]: f for f in node_findings(relabelled, "arm64", [pod])}
    assert sorted(found) == ["metadata.labels", "metadata.labels['kubernetes.io/arch']",
                             "metadata.labels['kubernetes.io/os']"]
    assert "nodeSelector kubernetes.io/arch=arm64" in str(found["metadata.labels"][1])
    assert str(found["metadata.labels"][2]) == "kubernetes.io/arch=(absent)"


def test_only_finalizers_a_known_controller_handles_pass():
    allowed = ("kubernetes.io/pvc-protection", "foregroundDeletion")
    obj = {"metadata": {"name": "r", "finalizers": ["kubernetes.io/pvc-protection"]}}
    assert finalizer_findings(obj, allowed) == []
    obj["metadata"]["finalizers"].append("backup.example.com/protect")
    assert [f[0] for f in finalizer_findings(obj, allowed)] == ["metadata.finalizers[backup.example.com/protect]"]
    # an empty allow-list says so, not "one a known controller handles: " and nothing
    assert [str(f[1]) for f in finalizer_findings(obj, ())] == ["none allowed (checks.allowed_finalizers)"] * 2


def test_the_times_inside_an_object_follow_one_another_within_the_clock_skew():
    skew = timedelta(minutes=2)
    pod = {"metadata": {"name": "p", "creationTimestamp": "2026-11-29T10:00:00Z"},
           "status": {"startTime": "2026-11-29T10:00:01Z", "containerStatuses": [{
               "name": "api", "state": {"running": {"startedAt": "2026-11-29T11:00:02Z"}},
               "lastState": {"terminated": {"startedAt": "2026-11-29T10:00:03Z",
                                            "finishedAt": "2026-11-29T11:00:00Z"}}}]}}
    assert order_findings("Pod", pod, skew) == []
    pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] = "2026-11-29T10:59:59Z"  # within skew
    assert order_findings("Pod", pod, skew) == []
    pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] = "2026-11-29T10:30:00Z"
    assert [f[0] for f in order_findings("Pod", pod, skew)] == [
        "status.containerStatuses[api].state.running.startedAt"]  # before its last run finished
    pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["finishedAt"] = "2026-11-29T09:00:00Z"
    assert [f[0] for f in order_findings("Pod", pod, skew)] == [
        "status.containerStatuses[api].lastState.terminated.finishedAt",  # before the pod was created
        "status.containerStatuses[api].lastState.terminated.finishedAt"]  # and before that run started
    job = {"metadata": {"creationTimestamp": "2026-11-29T10:00:00Z"},
           "status": {"startTime": "2026-11-29T10:00:01Z", "completionTime": "2026-11-29T10:00:00Z"}}
    assert [f[0] for f in order_findings("Job", job, timedelta(0))] == ["status.completionTime"]
    event = {"metadata": {}, "firstTimestamp": "2026-11-29T10:05:00Z", "lastTimestamp": "2026-11-29T10:00:00Z"}
    assert [f[0] for f in order_findings("Event", event, skew)] == ["lastTimestamp"]
    scaled = {"metadata": {"creationTimestamp": "2026-11-29T10:00:00Z"}, "status": {"lastActiveTime": ""}}
    assert [f[0] for f in order_findings("ScaledJob", scaled, skew)] == ["status.lastActiveTime"]  # not a time
