"""Drifts and probes of the generic rules over every object the suite reads (issue 20):
no time in metadata or status lies ahead (an owner younger than what it owns is healthy: adoption), an
owner is named by a served apiVersion (nodes' owners too), a ReplicaSet selects by its Deployment's selector plus the
pod-template-hash, a running pod carries what the kubelet always sets, a node's quantities are valid
and its allocatable pods hold the pods it runs, and finalizers are ones a known controller handles; then
webhooks mutate Pods, not templates (release vs live); a node port only on a NodePort/LoadBalancer
Service; an object the suite reads being deleted (a hosting node, the release record); a CronJob's
status.active naming its Jobs (the references walk); a ReplicaSet's ready and available counts.
Caught by tests/infra/test_live_state.py, test_object_references.py and test_derivation.py."""
from __future__ import annotations

from datetime import datetime, timedelta

from icepack_twin import chart
from icepack_twin.drifts.base import DriftList
from icepack_twin.drifts.shared import internal_postgres, now as _now, pods, uid
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")
API_RS = f"icepack-api-{chart.POD_TEMPLATE_HASH}"
POSTGRES_RS = "icepack-postgres-5c8d7f9b4"


def _api_pod(objs: Objects) -> dict:
    return pods(objs, API_RS)[0]


def _postgres_rs(objs: Objects) -> dict:
    """The internal Postgres' ReplicaSet; an environment on RDS has none: the drift does not apply."""
    internal_postgres(objs)
    return objs.get("ReplicaSet", POSTGRES_RS)


def _last_schedule_ahead(objs: Objects) -> None:
    """The control plane's clock ran an hour ahead when the CronJob controller last started
    health-sync: status.lastScheduleTime lies in the future (the next runs are judged against it)."""
    cj = objs.get("CronJob", "icepack-health-sync")
    cj["status"]["lastScheduleTime"] = chart.ts(_now(objs) + timedelta(hours=1))


def _pod_older_than_its_owner(objs: Objects) -> None:
    """An API pod a day older than the ReplicaSet that owns it: the Deployment was re-created after
    `kubectl delete --cascade=orphan`, and its new ReplicaSet adopted the running pods (healthy)."""
    pod = _api_pod(objs)
    rs = objs.get("ReplicaSet", API_RS)
    born = datetime.fromisoformat(rs["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
    pod["metadata"]["creationTimestamp"] = chart.ts(born - timedelta(days=1))


def _node_owned_by_an_unserved_kind(objs: Objects) -> None:
    """A node provisioner wrote an owner reference on an API pod's node without the owner's API
    version: the garbage collector cannot resolve it."""
    node = objs.get("Node", _api_pod(objs)["spec"]["nodeName"])
    node["metadata"]["ownerReferences"] = [{"apiVersion": "karpenter.sh", "kind": "NodeClaim",
                                            "name": "icepack-arm64-x7k2p", "uid": "0c756c08-7e1a-5a0d-be23-725e0d72e561"}]


def _replicaset_selector_narrowed(objs: Objects) -> None:
    """The Postgres ReplicaSet's selector lost its component label (an edit by hand): it now selects
    every pod of the release with its hash, not its Deployment's."""
    rs = _postgres_rs(objs)
    rs["spec"]["selector"] = {"matchLabels": {k: v for k, v in rs["spec"]["selector"]["matchLabels"].items()
                                              if k != "app.kubernetes.io/component"}}


def _pod_running_unacknowledged(objs: Objects) -> None:
    """An API pod reported Running without status.startTime: a status written by something other than
    its kubelet (a restored object, a faked status)."""
    _api_pod(objs)["status"].pop("startTime", None)


def _node_allocates_no_pods(objs: Objects) -> None:
    """An API pod's node reports allocatable pods -1 (a kubelet misconfigured with --max-pods): the
    scheduler places nothing more there."""
    node = objs.get("Node", _api_pod(objs)["spec"]["nodeName"])
    node["status"]["allocatable"]["pods"] = "-1"


def _unknown_finalizer(objs: Objects) -> None:
    """A finalizer of a controller no longer installed on the Postgres ReplicaSet: the next rollout's
    history cleanup leaves it undeleted."""
    _postgres_rs(objs)["metadata"]["finalizers"] = ["backup.example.com/protect"]


DRIFTS.add("health-sync-last-schedule-ahead", "health-sync's status.lastScheduleTime an hour in the future",
           objects=_last_schedule_ahead)
PROBES.add("api-pod-adopted-by-a-younger-replicaset", "an API pod created a day before the ReplicaSet that adopted it",
           objects=_pod_older_than_its_owner)
DRIFTS.add("api-node-owner-unserved", "an owner reference without an API version on an API pod's node",
           objects=_node_owned_by_an_unserved_kind)
DRIFTS.add("postgres-replicaset-selector-narrowed", "the Postgres ReplicaSet's selector without its component label",
           objects=_replicaset_selector_narrowed)
DRIFTS.add("api-pod-running-without-start-time", "an API pod Running without status.startTime",
           objects=_pod_running_unacknowledged)
DRIFTS.add("api-node-allocatable-pods-negative", "an API pod's node reports allocatable pods -1",
           objects=_node_allocates_no_pods)
DRIFTS.add("postgres-replicaset-unknown-finalizer", "a finalizer no known controller handles on the Postgres "
           "ReplicaSet", objects=_unknown_finalizer)


# --- equivalence probes ------------------------------------------------------------------------------

def _controllers_finalizers(objs: Objects) -> None:
    """The finalizers EKS's controllers put on the release's objects: PVC protection on the claim, the
    AWS Load Balancer Controller's on the NLB Service, KEDA's on the ScaledJob."""
    objs.get("PersistentVolumeClaim", "icepack-postgres")["metadata"]["finalizers"] = ["kubernetes.io/pvc-protection"]
    objs.get("Service", "icepack-api")["metadata"]["finalizers"] = ["service.k8s.aws/resources"]
    objs.get("ScaledJob", "icepack-worker")["metadata"]["finalizers"] = ["finalizer.keda.sh"]


PROBES.add("finalizers-of-known-controllers", "the PVC, NLB Service and ScaledJob carrying the finalizers of "
           "Kubernetes, the AWS Load Balancer Controller and KEDA", objects=_controllers_finalizers)


# --- webhooks and templates, node ports, objects being deleted, references in status, ready counts ---
DELETED_AT = "2026-01-01T00:00:00Z"


def _worker_template_env_added(objs: Objects) -> None:
    """`kubectl edit scaledjob` added a variable to the worker's job template: every Job KEDA starts
    from now on runs with it, while the release says nothing of it (no webhook writes templates)."""
    spec = objs.get("ScaledJob", "icepack-worker")["spec"]["jobTargetRef"]["template"]["spec"]
    spec["containers"][0].setdefault("env", []).append({"name": "ICEPACK_DEBUG", "value": "1"})


def _postgres_node_port(objs: Objects) -> None:
    """A node port written into the ClusterIP Postgres Service: no API server allocates one there."""
    svc = internal_postgres(objs, "Service")
    svc["spec"]["ports"][0]["nodePort"] = 31432


def _api_node_draining(objs: Objects) -> None:
    """The node hosting an API pod is being deleted (a scale-in holds it with a finalizer)."""
    node = objs.get("Node", _api_pod(objs)["spec"]["nodeName"])
    node["metadata"].update(deletionTimestamp=DELETED_AT, finalizers=["karpenter.sh/termination"])


def _record_being_deleted(objs: Objects) -> None:
    """The deployed revision's record is being deleted (a cleanup job's finalizer holds it)."""
    secret = chart.release_secrets(objs)[0]
    secret["metadata"].update(deletionTimestamp=DELETED_AT, finalizers=["cleanup.example.com/hold"])


def _orchestrator_active_job_gone(objs: Objects) -> None:
    """The orchestrator's status.active names a Job that is gone (deleted by hand): the CronJob
    controller believes a run is active, and with concurrencyPolicy Forbid skips every schedule."""
    cron = objs.get("CronJob", "icepack-orchestrator")
    cron.setdefault("status", {})["active"] = [{
        "apiVersion": "batch/v1", "kind": "Job", "namespace": cron["metadata"]["namespace"],
        "name": "icepack-orchestrator-29400000", "uid": uid("kubegen2/gone-job")}]


def _postgres_replicaset_unavailable(objs: Objects) -> None:
    """The Postgres ReplicaSet counts its ready pod as neither ready nor available (its controller
    stalled), while the pod is Ready: the Deployment sums a count no pod backs."""
    _postgres_rs(objs)["status"].update(readyReplicas=0, availableReplicas=0)


DRIFTS.add("worker-template-env-added-live", "an env var only live in the ScaledJob's job template (kubectl edit)",
           objects=_worker_template_env_added)
DRIFTS.add("postgres-service-node-port", "a nodePort on the ClusterIP Postgres Service", objects=_postgres_node_port)
DRIFTS.add("api-node-being-deleted", "the node hosting an API pod has a deletionTimestamp (draining)",
           objects=_api_node_draining)
DRIFTS.add("release-record-being-deleted", "the deployed Helm record's Secret has a deletionTimestamp",
           objects=_record_being_deleted)
DRIFTS.add("orchestrator-active-job-gone", "the orchestrator CronJob's status.active names a Job that is gone",
           objects=_orchestrator_active_job_gone)
DRIFTS.add("postgres-replicaset-counts-no-ready-pod", "the Postgres ReplicaSet reports 0 ready and available "
           "while its pod is Ready", objects=_postgres_replicaset_unavailable)
