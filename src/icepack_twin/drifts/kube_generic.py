"""Drifts and probes of the generic rules over every object the suite reads (helper "kubegen", issue 20):
no time in metadata or status lies ahead (an owner younger than what it owns is healthy: adoption), an
owner is named by a served apiVersion (nodes' owners too), a ReplicaSet selects by its Deployment's selector plus the
pod-template-hash, a running pod carries what the kubelet always sets, a node's quantities are valid
and its allocatable pods hold the pods it runs, and finalizers are ones a known controller handles.
Caught by tests/infra/test_live_state.py, test_object_references.py and test_derivation.py."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icepack_twin import chart
from icepack_twin.drifts.base import DriftList
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")
API_RS = f"icepack-api-{chart.POD_TEMPLATE_HASH}"
POSTGRES_RS = "icepack-postgres-5c8d7f9b4"


def _now(objs: Objects) -> datetime:
    return getattr(objs, "now", None) or datetime.now(timezone.utc)


def _api_pod(objs: Objects) -> dict:
    return next(p for p in objs.of_kind("Pod") if p["metadata"]["name"].startswith(API_RS + "-"))


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
    rs = objs.get("ReplicaSet", POSTGRES_RS)
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
    rs = objs.get("ReplicaSet", POSTGRES_RS)
    rs["metadata"]["finalizers"] = ["backup.example.com/protect"]


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
