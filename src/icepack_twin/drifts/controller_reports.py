"""Drifts of what kubelets and controllers report: a kubelet of the pods it runs and of its node, against the pods'
specs and each other (icepack_verify.pod_status, the node rules of icepack_verify.live_state;
tests/infra/test_live_state.py); the deployment and ReplicaSet controllers of a ReplicaSet, its copies of its
Deployment and its counts (icepack_verify.derivation; tests/infra/test_derivation.py); an owner reference's kind
(icepack_verify.object_refs); and of Secrets as the suite holds them, redacted (release vs live: their metadata,
type, immutable flag and keys); and any kind's conditions as conditions (a Service's)."""
from __future__ import annotations

from datetime import datetime, timedelta

from icepack_twin.drifts.base import DriftList
from icepack_twin.drifts.scheduling import _api_node
from icepack_twin.drifts.shared import pods, renamed_copy
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
API = "icepack-api"
OTHER_BUILD = "sha256:" + "5e" * 32


def _tag_pushed_again(objs: Objects) -> None:
    """The image tag was pushed again between the two API pods' pulls (a mutable tag, a rebuilt hotfix):
    one ReplicaSet, one image reference, two builds running under it."""
    cs = pods(objs, API)[1]["status"]["containerStatuses"][0]
    cs["imageID"] = cs["imageID"].rsplit("@", 1)[0] + "@" + OTHER_BUILD


def _marked_node_lost(objs: Objects) -> None:
    """An API pod the node controller marked lost while its node stopped answering: it still says Running,
    kubectl shows it as NodeLost."""
    pod = pods(objs, API)[0]
    pod["status"].update(reason="NodeLost", message=f"Node {pod['spec']['nodeName']} which was running pod "
                         f"{pod['metadata']['name']} is unresponsive")


def _qos_of_other_resources(objs: Objects) -> None:
    """An API pod whose status carries the QoS class of other resources than its spec's (BestEffort: evicted
    first, OOM-killed first) while its containers request CPU and memory."""
    pods(objs, API)[0]["status"]["qosClass"] = "BestEffort"


def _started_after_ready(objs: Objects) -> None:
    """An API pod's container says it started after its pod's containers became ready (a status
    assembled from two kubelet restarts): one of the two times is not this container's."""
    st = pods(objs, API)[0]["status"]
    ready = next(c for c in st["conditions"] if c["type"] == "ContainersReady")["lastTransitionTime"]
    started = st["containerStatuses"][0]["state"]["running"]
    started["startedAt"] = _later(ready, timedelta(minutes=10))


def _later(stamp: str, by: timedelta) -> str:
    return (datetime.fromisoformat(stamp.replace("Z", "+00:00")) + by).strftime("%Y-%m-%dT%H:%M:%SZ")


def _init_container_unreported(objs: Objects) -> None:
    """An API pod runs an init container a webhook added (a mesh's istio-init) that its status never reports:
    the kubelet reports every container of a pod it started, so this status is not of this pod."""
    pod = pods(objs, API)[0]
    pod["spec"]["initContainers"] = [{"name": "istio-init", "image": "docker.io/istio/proxyv2:1.24.1",
                                      "args": ["istio-iptables"], "resources": {}}]


def _running_and_waiting(objs: Objects) -> None:
    """An API pod's container is reported running and waiting in CrashLoopBackOff at once."""
    state = pods(objs, API)[0]["status"]["containerStatuses"][0]["state"]
    state["waiting"] = {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}


def _pod_ips_disagree(objs: Objects) -> None:
    """An API pod's podIPs lead with another address than its podIP (a CNI reporting a recycled address)."""
    st = pods(objs, API)[0]["status"]
    st["podIPs"] = [{"ip": "10.40.99.7"}, {"ip": st["podIP"]}]


def _node_without_pressures(objs: Objects) -> None:
    """An API pod's node reports Ready only, none of the kubelet's pressure conditions (a node status written
    by something other than a kubelet running its eviction manager)."""
    st = _api_node(objs)["status"]
    st["conditions"] = [c for c in st["conditions"] if c["type"] not in ("MemoryPressure", "DiskPressure",
                                                                         "PIDPressure")]


def _node_allocates_no_pods(objs: Objects) -> None:
    """An API pod's node reports allocatable without pods (a kubelet started with a broken --max-pods
    setting): the scheduler reads it as 0 and places nothing more there."""
    _api_node(objs)["status"]["allocatable"].pop("pods")


DRIFTS.add("api-tag-pushed-again-between-pulls", "the two API pods run two builds of one image tag (imageID digests "
           "differ)", objects=_tag_pushed_again)
DRIFTS.add("api-pod-marked-node-lost", "an API pod still Running with status.reason NodeLost", objects=_marked_node_lost)
DRIFTS.add("api-pod-qos-class-of-other-resources", "an API pod's status.qosClass BestEffort while its containers "
           "request CPU and memory", objects=_qos_of_other_resources)
DRIFTS.add("api-container-started-after-ready", "an API container's startedAt after its pod's ContainersReady "
           "transition", objects=_started_after_ready)
DRIFTS.add("api-pod-init-container-unreported", "an API pod with an injected init container its status never "
           "reports", objects=_init_container_unreported)
DRIFTS.add("api-container-running-and-waiting", "an API container reported running and waiting at once",
           objects=_running_and_waiting)
DRIFTS.add("api-pod-ips-disagree", "an API pod's podIPs lead with another address than its podIP",
           objects=_pod_ips_disagree)
DRIFTS.add("api-node-without-pressure-conditions", "an API pod's node reports none of the kubelet's pressure "
           "conditions", objects=_node_without_pressures)
DRIFTS.add("api-node-allocates-no-pods", "an API pod's node reports allocatable without pods",
           objects=_node_allocates_no_pods)


def _api_replicaset(objs: Objects) -> dict:
    return next(rs for rs in objs.of_kind("ReplicaSet") if rs["metadata"]["name"].startswith(API + "-"))


def _owner_kind_misspelled(objs: Objects) -> None:
    """An API pod owned by a "Replicaset" (a hand-made manifest's typo): apps/v1 serves no such kind, so the
    garbage collector cannot find the owner and the pod outlives its ReplicaSet."""
    pods(objs, API)[0]["metadata"]["ownerReferences"][0]["kind"] = "Replicaset"


def _replicaset_controller_stalled(objs: Objects) -> None:
    """The API ReplicaSet's spec changed (generation 2) and the ReplicaSet controller never synced it (a stalled
    kube-controller-manager): its status still reports generation 1."""
    _api_replicaset(objs)["metadata"]["generation"] = 2


def _replicaset_edited(objs: Objects) -> None:
    """`kubectl edit` of the API ReplicaSet: minReadySeconds 30 and another pod-template-hash label on the
    ReplicaSet itself; the Deployment says neither (the controller overwrites neither)."""
    rs = _api_replicaset(objs)
    rs["spec"]["minReadySeconds"] = 30
    rs["metadata"]["labels"] = {**rs["metadata"]["labels"], "pod-template-hash": "5f7c9d8b6"}


def _replicaset_counts_stale(objs: Objects) -> None:
    """The API ReplicaSet says it wants 3 (desired-replicas) and that none of its pods carries its template's
    labels (fullyLabeledReplicas 0): a scale and a relabel the controllers have not caught up with."""
    rs = _api_replicaset(objs)
    rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] = "3"
    rs["status"]["fullyLabeledReplicas"] = 0


DRIFTS.add("api-pod-owner-kind-misspelled", "an API pod's owner reference names kind Replicaset",
           objects=_owner_kind_misspelled)
DRIFTS.add("api-replicaset-controller-stalled", "the API ReplicaSet at generation 2, its status observing 1",
           objects=_replicaset_controller_stalled)
DRIFTS.add("api-replicaset-edited", "the API ReplicaSet edited by hand: minReadySeconds 30, another "
           "pod-template-hash label", objects=_replicaset_edited)
DRIFTS.add("api-replicaset-counts-stale", "the API ReplicaSet's desired-replicas 3 and fullyLabeledReplicas 0",
           objects=_replicaset_counts_stale)


def _db_secret_copied(objs: Objects) -> None:
    """The database Secret copied by hand under another name, the release's labels and all (a backup taken
    with kubectl get -o yaml | sed): a credential the release does not manage, claiming to be the release's."""
    objs.append(renamed_copy(objs.get("Secret", "icepack-db"), "icepack-db-backup", "db-secret-copied"))


def _db_secret_immutable(objs: Objects) -> None:
    """The database Secret made immutable by hand: the next apply that rotates the password fails."""
    objs.get("Secret", "icepack-db")["immutable"] = True


def _service_condition_malformed(objs: Objects) -> None:
    """A controller writes a condition on the API Service whose status is none of True, False, Unknown."""
    service = objs.get("Service", API)
    service["status"]["conditions"] = [
        {"type": "LoadBalancerPortsError", "status": "Error", "reason": "PortsError", "message": "listener 443 conflicts",
         "lastTransitionTime": _later(service["metadata"]["creationTimestamp"], timedelta(hours=1))}]


DRIFTS.add("db-secret-copied-with-release-labels", "the database Secret copied as icepack-db-backup, the release's "
           "labels kept", objects=_db_secret_copied)
DRIFTS.add("db-secret-made-immutable", "the database Secret set immutable by hand", objects=_db_secret_immutable)
DRIFTS.add("api-service-condition-malformed", "the API Service carries a condition of status Error",
           objects=_service_condition_malformed)
