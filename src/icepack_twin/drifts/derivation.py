"""Drifts and probes of what controllers make from the release's workloads, caught by
tests/infra/test_derivation.py (the chains Deployment -> ReplicaSet -> Pod, CronJob and
ScaledJob -> Job -> Pod; named items listed twice) and by the live state's rules of conditions
and of the nodes that host the release's pods (tests/infra/test_live_state.py)."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

from icepack_twin import chart
from icepack_twin.drifts.base import DriftList, released
from icepack_twin.drifts.shared import now as _now, pods, uid
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")
API, WORKER, HEALTH_SYNC = "icepack-api", "icepack-worker", "icepack-health-sync"
API_RS = f"{API}-{chart.POD_TEMPLATE_HASH}"


def _uid(name: str) -> str:
    return uid(f"derivation/{name}")


def _owner(obj: dict) -> list[dict]:
    return [{"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
             "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]


# --- drifts ---------------------------------------------------------------------------------------

def _replicaset_edited(objs: Objects) -> None:
    """`kubectl edit rs` on the API's current ReplicaSet: its readiness probe now asks /healthz. The
    Deployment and the running pods are as released; the next pod it makes runs the edit."""
    rs = objs.get("ReplicaSet", API_RS)
    rs["spec"]["template"] = copy.deepcopy(rs["spec"]["template"])
    rs["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/healthz"


def _old_replicaset_scaled(objs: Objects) -> None:
    """The previous revision's ReplicaSet (3) still holds a replica after revision 4 rolled out: a
    `kubectl scale rs` by hand, which the deployment controller undoes only at the next rollout."""
    rs = copy.deepcopy(objs.get("ReplicaSet", API_RS))
    old_hash = "5b6c7d8e9"
    meta = rs["metadata"]
    # made by revision 3's rollout: after its Deployment, before revision 4's ReplicaSet
    born = [datetime.fromisoformat(o["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
            for o in (objs.get("Deployment", API), rs)]
    meta.update(name=f"{API}-{old_hash}", uid=_uid("old-rs"), creationTimestamp=chart.ts(born[0] + (born[1] - born[0]) / 2))
    meta["annotations"] = {**meta["annotations"], "deployment.kubernetes.io/revision": "3"}
    for labels in (meta["labels"], rs["spec"]["selector"]["matchLabels"], rs["spec"]["template"]["metadata"]["labels"]):
        labels["pod-template-hash"] = old_hash
    rs["spec"]["replicas"] = 1
    meta["generation"] = 2  # the scale is a spec change, observed
    rs["status"] = {"replicas": 0, "fullyLabeledReplicas": 0, "readyReplicas": 0, "availableReplicas": 0,
                    "observedGeneration": 2}
    objs.append(rs)


def _env_listed_twice(objs: Objects) -> None:
    """The chart lists AWS_REGION twice in the API's env (a values override appended instead of
    replacing it): the API server keeps both; the next edit of one is shadowed by the other."""
    for env in {id(spec["containers"][0]["env"]): spec["containers"][0]["env"] for spec in objs.pod_specs("api")}.values():
        env.append(copy.deepcopy(next(e for e in env if e["name"] == "AWS_REGION")))  # once per list: templates share


def _running_job(objs: Objects, owner_kind: str, owner_name: str, started: datetime, suffix: str) -> list[dict]:
    """A Job its owner started at `started`, still running, and its pod, as the Job controller makes them."""
    owner = objs.get(owner_kind, owner_name)
    template = copy.deepcopy(owner["spec"]["jobTargetRef"] if owner_kind == "ScaledJob"
                             else owner["spec"]["jobTemplate"]["spec"])
    name = f"{owner_name}-{suffix}"
    job_uid = _uid(name)
    pod_labels = {**template["template"]["metadata"]["labels"], "batch.kubernetes.io/controller-uid": job_uid,
                  "batch.kubernetes.io/job-name": name, "controller-uid": job_uid, "job-name": name}
    template["template"]["metadata"]["labels"] = pod_labels
    meta = {"name": name, "namespace": owner["metadata"]["namespace"], "uid": job_uid, "resourceVersion": "48260001",
            "creationTimestamp": chart.ts(started), "labels": dict(pod_labels), "ownerReferences": _owner(owner)}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
           "spec": {**template, "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": job_uid}}},
           "status": {"active": 1, "ready": 1, "startTime": chart.ts(started)}}
    api_pod = pods(objs, API_RS)[0]
    pod = copy.deepcopy(api_pod)
    pod_name = f"{name}-q7x2c"
    pod["metadata"] = {"name": pod_name, "namespace": meta["namespace"], "uid": _uid(pod_name),
                       "resourceVersion": "48260002", "creationTimestamp": chart.ts(started),
                       "labels": dict(pod_labels), "ownerReferences": _owner(job)}
    pod["spec"] = {**copy.deepcopy(template["template"]["spec"]), "nodeName": api_pod["spec"]["nodeName"]}
    c = pod["spec"]["containers"][0]
    pod["status"]["startTime"] = chart.ts(started)
    pod["status"]["podIP"] = f"10.40.12.{200 + sum(1 for _ in objs.of_kind('Pod'))}"  # its own sandbox's address
    for i, cond in enumerate(pod["status"]["conditions"]):
        cond["lastTransitionTime"] = chart.ts(started + timedelta(seconds=2 * i))
    running = {"running": {"startedAt": chart.ts(started + timedelta(seconds=3))}}  # after its pod started
    pod["status"]["containerStatuses"] = [{**pod["status"]["containerStatuses"][0], "name": c["name"],
                                           "image": c["image"], "state": running}]
    return [job, pod]


def _worker_job_stuck(objs: Objects) -> None:
    """A maintenance Job of the worker running for 3 hours (its activeDeadlineSeconds is 3600): the Job
    controller did not stop it, its pod runs on."""
    objs += _running_job(objs, "ScaledJob", WORKER, _now(objs) - timedelta(hours=3), "stuck1")


def _node_clock_ahead(objs: Objects) -> None:
    """The clock of the node of an API pod runs an hour ahead: its kubelet stamps its heartbeats in the future."""
    node = objs.get("Node", pods(objs, API_RS)[0]["spec"]["nodeName"])
    for cond in node["status"]["conditions"]:
        cond["lastHeartbeatTime"] = chart.ts(_now(objs) + timedelta(hours=1))


def _pod_rewritten_by_a_webhook(objs: Objects) -> None:
    """A misconfigured mutating webhook made an API pod privileged and share the host's IPC: the pod
    runs what neither its ReplicaSet nor the chart says."""
    pod = pods(objs, API_RS)[0]
    pod["spec"] = copy.deepcopy(pod["spec"])
    pod["spec"]["hostIPC"] = True
    pod["spec"]["containers"][0]["securityContext"] = {"privileged": True}


DRIFTS.add("api-replicaset-template-edited", "the API's current ReplicaSet edited by hand: readiness probe path "
           "/healthz; Deployment and pods as released", objects=_replicaset_edited)
DRIFTS.add("api-old-replicaset-scaled-up", "the API's revision-3 ReplicaSet scaled to 1 by hand after revision 4 "
           "rolled out", objects=_old_replicaset_scaled)
DRIFTS.add("api-env-listed-twice", "the chart lists AWS_REGION twice in the API's env, the same value",
           objects=released(_env_listed_twice))
DRIFTS.add("worker-job-stuck", "a worker Job active for 3 hours past its 1-hour activeDeadlineSeconds, its pod "
           "running", objects=_worker_job_stuck)
DRIFTS.add("api-node-clock-ahead", "the clock of an API pod's node runs an hour ahead (heartbeats in the future)",
           objects=_node_clock_ahead)
DRIFTS.add("api-pod-rewritten-by-a-webhook", "a mutating webhook made an API pod privileged with hostIPC",
           objects=_pod_rewritten_by_a_webhook)


# --- equivalence probes ------------------------------------------------------------------------------

def _control_plane_additions(objs: Objects) -> None:
    """What EKS adds to every pod beyond its template: the scheduler's node, the deprecated
    serviceAccount, the default tolerations, the API token volume and its mounts, priority."""
    for pod in objs.of_kind("Pod"):
        spec = pod["spec"]
        spec["serviceAccount"] = spec.get("serviceAccountName", "default")
        spec["priority"] = 0
        spec["preemptionPolicy"] = "PreemptLowerPriority"
        spec["enableServiceLinks"] = True
        spec["tolerations"] = [*spec.get("tolerations", []), *[
            {"key": f"node.kubernetes.io/{k}", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            for k in ("not-ready", "unreachable")]]
        spec["volumes"] = [*spec.get("volumes", []), {"name": "kube-api-access-x8k2q", "projected": {
            "defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                    "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}]
        for c in spec["containers"]:
            c["volumeMounts"] = [*c.get("volumeMounts", []), {
                "name": "kube-api-access-x8k2q", "readOnly": True,
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]


def _job_history(objs: Objects) -> None:
    """What the CronJobs and the ScaledJob leave: health-sync's last runs, Complete, with their pods
    Succeeded; a worker Job started five minutes ago, running."""
    now = _now(objs)
    for i, minutes in enumerate((2, 17, 32)):
        job, pod = _running_job(objs, "CronJob", HEALTH_SYNC, now - timedelta(minutes=minutes), f"2949{i}")
        finished = chart.ts(now - timedelta(minutes=minutes - 1))
        job["status"] = {"succeeded": 1, "startTime": job["status"]["startTime"], "completionTime": finished,
                         "conditions": [{"type": t, "status": "True", "lastProbeTime": finished,
                                         "lastTransitionTime": finished} for t in ("SuccessCriteriaMet", "Complete")]}
        pod["status"].update(phase="Succeeded", conditions=[
            {"type": t, "status": s, **({"reason": "PodCompleted"} if s == "False" else {})}
            for t, s in (("PodScheduled", "True"), ("Initialized", "True"), ("ContainersReady", "False"),
                         ("Ready", "False"))])
        cs = pod["status"]["containerStatuses"][0]
        cs.update(ready=False, started=False, state={"terminated": {"exitCode": 0, "reason": "Completed"}})
        objs += [job, pod]
    objs += _running_job(objs, "ScaledJob", WORKER, now - timedelta(minutes=5), "w8k2p")


PROBES.add("pods-as-the-control-plane-made-them", "every pod with what EKS adds beyond its template: node, "
           "serviceAccount, default tolerations, the API token volume and mounts, priority", objects=_control_plane_additions)
PROBES.add("jobs-of-the-cronjobs-and-the-worker", "three finished health-sync Jobs with their Succeeded pods; a "
           "worker Job running for five minutes", objects=_job_history)
