"""The live state of every object of the release, judged by one table of what healthy means.

A release object carries the release's instance label (or Helm's release-name annotation), or
is owned, through ownerReferences resolved in the snapshot, by one. Each is judged per kind:
its conditions (HEALTHY_CONDITIONS), its status fields (STATUS_RULES), its pods' containers,
its owner, and whether it is being deleted. Warning events about it count only when their
reason means something is wrong now (WRONG_NOW) and they were seen recently. Nothing here
reads the cluster: it walks the snapshot's lists.

uid, resourceVersion, creationTimestamp and managedFields are the controllers' bookkeeping: judged
only as times (none lies ahead, future_findings) and by the order of owners (object_refs). Finalizers
must be ones a known controller handles (checks.allowed_finalizers).
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from icepack_verify.diagnosis import Said
from icepack_verify.helm import BadRelease, decode_release
from icepack_verify.semantics import (effective_resources, node_arch, parse_image, selected_labels,
                                     unmet_node_selection, utc_instant)

INSTANCE = "app.kubernetes.io/instance"
RELEASE_NAME = "meta.helm.sh/release-name"
K8S = "Kubernetes API conventions"

# kind -> condition type -> the status a healthy object reports (or the statuses, any of them). `required`:
# a healthy object of that kind always reports it (a Pod or Deployment without it is not settled); others
# are judged only when present (a KEDA that predates a condition does not report it).
HEALTHY_CONDITIONS: dict[str, dict[str, tuple[str | tuple[str, ...], bool]]] = {
    "Pod": {"PodScheduled": ("True", True), "Initialized": ("True", True),
            "ContainersReady": ("True", True), "Ready": ("True", True)},
    "Deployment": {"Available": ("True", True), "Progressing": ("True", True), "ReplicaFailure": ("False", False)},
    # KEDA leaves Fallback and Paused Unknown until they apply: Paused True is the autoscaling.keda.sh/paused
    # annotation (no Job starts), Fallback True a scaler failing and its fallback in use
    "ScaledJob": {"Ready": ("True", False), "Fallback": (("False", "Unknown"), False),
                  "Paused": (("False", "Unknown"), False)},
    # the kubelet sets Ready and the three pressures at every status update (its node status setters); a
    # network plugin or the cloud's route controller sets NetworkUnavailable, if anything does
    "Node": {"Ready": ("True", True), "MemoryPressure": ("False", True), "DiskPressure": ("False", True),
             "PIDPressure": ("False", True), "NetworkUnavailable": ("False", False)},
    "ReplicaSet": {"ReplicaFailure": ("False", False)},
    "Job": {"Suspended": ("False", False)},  # a failed run: the newest Job only (derivation.Chains)
    # written while a resize or a volume modification runs or has failed, removed when it is done
    "PersistentVolumeClaim": {t: ("False", False) for t in (
        "Resizing", "FileSystemResizePending", "ControllerResizeError", "NodeResizeError", "ModifyingVolume",
        "ModifyVolumeError")},
}
# The condition types each kind's controllers write (Kubernetes API reference; KEDA's for ScaledJob).
# A type outside them is one no controller wrote. Pods add their spec.readinessGates' types, nodes
# checks.node_condition_types (node-problem-detector's, say).
KNOWN_CONDITIONS: dict[str, frozenset[str]] = {
    "Pod": frozenset({"PodScheduled", "Initialized", "ContainersReady", "Ready", "PodReadyToStartContainers",
                      "DisruptionTarget", "PodResizePending", "PodResizeInProgress"}),
    "Deployment": frozenset({"Available", "Progressing", "ReplicaFailure"}),
    "ReplicaSet": frozenset({"ReplicaFailure"}),
    "Job": frozenset({"Complete", "Failed", "Suspended", "FailureTarget", "SuccessCriteriaMet"}),
    "Node": frozenset({"Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"}),
    "ScaledJob": frozenset({"Ready", "Active", "Fallback", "Paused"}),
    "PersistentVolumeClaim": frozenset({"Resizing", "FileSystemResizePending", "ControllerResizeError",
                                        "NodeResizeError", "ModifyingVolume", "ModifyVolumeError"}),
}
CONDITION_TIMES = ("lastTransitionTime", "lastHeartbeatTime", "lastProbeTime", "lastUpdateTime")
# What a kubelet reports of its node (NodeSystemInfo's required fields; kubeProxyVersion is deprecated).
NODE_INFO = ("machineID", "systemUUID", "bootID", "kernelVersion", "osImage", "containerRuntimeVersion",
             "kubeletVersion", "operatingSystem", "architecture")
# What the kubelet always sets in the status of a pod it runs (K8s PodStatus reference): startTime when it
# acknowledges the pod, before pulling its images; podIP once the sandbox has its network; hostIP its node's.
RUNNING_POD_STATUS = {"podIP": "an address (a running pod has one)", "hostIP": "its node's address",
                      "startTime": "the time the kubelet acknowledged the pod"}
# The labels a kubelet sets on its node from what it reports of itself (status.nodeInfo), at every start.
KUBELET_LABELS = {"kubernetes.io/arch": "architecture", "kubernetes.io/os": "operatingSystem"}
# An RFC 3339 time as the API serves it (metav1.Time, MicroTime).
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
# Pods that ran to completion (a Job's) report Ready False by design: only these are judged.
COMPLETED_POD_CONDITIONS = {"PodScheduled": ("True", True), "Initialized": ("True", True)}

# Warning reasons that mean something is wrong now (seen within checks.warning_event_window).
# Left out on purpose: Unhealthy (readiness probes fail during every start; a pod failing them now
# is not Ready, which the table above sees; liveness failures show as restarts) and reasons of
# normal churn (Killing, Preempted by a rollout).
WRONG_NOW = {
    "BackOff": "a container restarting in back-off", "Failed": "an image pull or container start failed",
    "FailedScheduling": "no node accepts the pod", "FailedMount": "a volume does not mount",
    "FailedAttachVolume": "a volume does not attach", "FailedCreate": "the controller cannot create pods",
    "FailedCreatePodSandBox": "the pod's sandbox cannot be created", "Evicted": "the node evicted the pod",
    "OOMKilling": "a container ran out of memory", "ProgressDeadlineExceeded": "a rollout timed out",
    "BackoffLimitExceeded": "a job failed", "DeadlineExceeded": "a job ran past its deadline",
    "ProvisioningFailed": "a volume cannot be provisioned", "FailedBinding": "a claim cannot bind",
    "SyncLoadBalancerFailed": "the load balancer does not sync", "FailedDeployModel": "the NLB does not reconcile",
    "FailedBuildModel": "the NLB does not reconcile", "KEDAScalerFailed": "KEDA cannot read its trigger",
    "KEDAScaleTargetDeactivationFailed": "KEDA cannot scale", "NodeNotReady": "the pod's node is not ready",
}


def _labels(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


def _status(obj: dict) -> dict:
    return obj.get("status") if isinstance(obj.get("status"), dict) else {}


def controllers(obj: dict) -> list[dict]:
    return [r for r in (obj["metadata"].get("ownerReferences") or []) if isinstance(r, dict) and r.get("controller")]


class Release:
    """The release's objects in the snapshot, found by label, annotation or ownership."""

    def __init__(self, lists: dict[str, list[dict]], release: str, namespace: str):
        self.lists, self.release, self.namespace = lists, release, namespace
        self.by_uid = {o["metadata"].get("uid"): (k, o) for k, items in lists.items() for o in items
                       if o["metadata"].get("uid")}
        self.objects: list[tuple[str, dict]] = []
        for kind, items in lists.items():
            if kind in ("Event", "Node", "Secret"):
                continue  # not workloads: events are judged by what they are about, the records by the history
            self.objects += [(kind, o) for o in items if self._claimed(o, set())]

    def _claimed(self, obj: dict, seen: set) -> bool:
        meta = obj["metadata"]
        if _labels(obj).get(INSTANCE) == self.release or (meta.get("annotations") or {}).get(RELEASE_NAME) == self.release:
            return True
        for ref in meta.get("ownerReferences") or []:
            owner = self.by_uid.get(ref.get("uid")) if isinstance(ref, dict) else None
            if owner and ref.get("uid") not in seen and self._claimed(owner[1], seen | {ref.get("uid")}):
                return True
        return False

    def resource(self, kind: str, obj: dict) -> str:
        ns = obj["metadata"].get("namespace")
        return f"{kind} {ns}/{obj['metadata']['name']}" if ns else f"{kind} {obj['metadata']['name']}"

    def of_kind(self, kind: str) -> list[dict]:
        return [o for k, o in self.objects if k == kind]


# --- what healthy means -----------------------------------------------------------------------

def condition_findings(kind: str, obj: dict, table: dict[str, tuple[str, bool]], now: datetime | None = None,
                       skew: timedelta = timedelta(0), more_types: tuple[str, ...] = ()) -> list[tuple]:
    """Every condition of an object: a type its controllers write, its times times not in the future
    (given `now`), the status a healthy object reports for the types of `table`."""
    listed = [c for c in _status(obj).get("conditions") or [] if isinstance(c, dict)]
    conds = {c.get("type"): c for c in listed}
    out = []
    known = KNOWN_CONDITIONS.get(kind)
    if kind == "Pod":
        more_types += tuple(g.get("conditionType") for g in (obj.get("spec") or {}).get("readinessGates") or []
                            if isinstance(g, dict))
    for c in listed:
        if known is not None and c.get("type") not in known | set(more_types):
            out.append((f"status.conditions[{c.get('type')}].type", Said(f"one of {', '.join(sorted(known | set(more_types)))}"),
                        c.get("type"), f"the condition types a {kind}'s controllers write ({K8S})"))
        if c.get("status") not in ("True", "False", "Unknown"):
            out.append((f"status.conditions[{c.get('type')}].status", Said("True, False or Unknown"), c.get("status"),
                        f"a condition's status ({K8S})"))
        for key in CONDITION_TIMES if now is not None else ():
            if key in c and (utc_instant(c[key]) is None or utc_instant(c[key]) > now + skew):
                out.append((f"status.conditions[{c.get('type')}].{key}", Said(f"a time not after now + {skew}"),
                            c[key], f"who writes a condition stamps it with the time it wrote it ({K8S})"))
        out += _time_order(f"status.conditions[{c.get('type')}]", c, obj, skew)
    if now is not None and "startTime" in _status(obj):
        out += _time_order("status", {"lastTransitionTime": _status(obj)["startTime"]}, obj, skew, "startTime")
    for type_, (healthy, required) in table.items():
        cond = conds.get(type_)
        if cond is None:
            if required:
                out.append((f"status.conditions[{type_}]", healthy, "absent",
                            f"a settled {kind} reports {type_} ({K8S})"))
        elif cond.get("status") not in ((healthy,) if isinstance(healthy, str) else healthy):
            why = " ".join(str(cond.get(k)) for k in ("reason", "message") if cond.get(k))
            out.append((f"status.conditions[{type_}].status", healthy if isinstance(healthy, str) else
                        Said(" or ".join(map(repr, healthy))),
                        Said(f"{cond.get('status')!r}" + (f" ({why})" if why else "")), f"a healthy {kind} ({K8S})"))
    return out


def future_findings(obj: dict, now: datetime, skew: timedelta) -> list[tuple]:
    """Every RFC 3339 time in an object's metadata and status: not later than now + skew, whoever
    wrote it (the API server, a controller, the kubelet stamp what happened, when it happened).
    Conditions are judged with their own times (condition_findings); deletionTimestamp is a deadline,
    in the future while a pod's grace period runs (deletion_findings). Annotations are not judged:
    clients write them with their own clocks (kubectl rollout restart's kubectl.kubernetes.io/restartedAt
    from a laptop or CI runner, copied onto the pods) and some hold deadlines by design (Karpenter's
    karpenter.sh/nodeclaim-termination-timestamp)."""
    out: list[tuple] = []
    skip = ("status.conditions", "metadata.deletionTimestamp", "metadata.annotations")
    for root, name in ((obj.get("metadata") or {}, "metadata"), (_status(obj), "status")):
        for path, value in _leaves(root, name, skip, lambda _item, i: i):
            if isinstance(value, str) and RFC3339.fullmatch(value) and (t := utc_instant(value)) and t > now + skew:
                out.append((path, Said(f"a time not after now + {skew}"), value,
                            f"who writes a time stamps what happened when it happened: none lies ahead ({K8S}; "
                            "checks.clock_skew)"))
    return out


def _leaves(value, path: str, skip: tuple[str, ...], name):
    """(path, leaf) of every leaf below `value`, the subtrees at `skip` left out; `name(item, i)` names a list item."""
    if path in skip:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}", skip, name)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{name(v, i)}]", skip, name)
    else:
        yield path, value


CONTAINER_STATUSES = ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses")
# Fields that hold a metav1.Time by the API's naming (…Time, …Timestamp; a container's startedAt, finishedAt).
TIME_FIELD = re.compile(r"\.(\w+Time|\w+Timestamp|startedAt|finishedAt)$")
ORDER_SOURCE = f"what happens to an object happens after it exists, in the order it happens ({K8S})"


def order_findings(kind: str, obj: dict, skew: timedelta) -> list[tuple]:
    """The times inside one object are in causal order, whoever wrote them: every time in its status
    not before its creationTimestamp (conditions: _time_order); a pod's containers started no earlier
    than the kubelet acknowledged the pod (status.startTime), a container finished after it started and
    restarted after its last run finished; a Job completed after it started; an Event was first seen no
    later than last seen; a time-named status field holds a time; no observedGeneration is ahead of the
    generation it observes. `skew` allows for the writers' clocks
    (checks.clock_skew). Metadata is not walked: an EndpointSlice's last-change-trigger-time annotation is
    the pod change that made the controller write it, and the controller re-creates slices freely."""
    out: list[tuple] = []

    def after(where: str, value, than: str, than_value, why: str) -> None:
        at, before = utc_instant(value) if isinstance(value, str) else None, \
            utc_instant(than_value) if isinstance(than_value, str) else None
        if at is not None and before is not None and at < before - skew:
            out.append((where, Said(f"not before {than} {than_value}"), value, why))

    st, created = _status(obj), obj["metadata"].get("creationTimestamp")

    # conditions and startTime are judged with their own times (condition_findings)
    for path, value in _leaves(st, "status", ("status.conditions", "status.startTime"), _item_name):
        if isinstance(value, str) and RFC3339.fullmatch(value):
            after(path, value, "metadata.creationTimestamp", created, ORDER_SOURCE)
        elif isinstance(value, str) and TIME_FIELD.search(path):
            out.append((path, Said("an RFC 3339 time (or none)"), value,
                        f"a metav1.Time serializes as an RFC 3339 time or null, a CRD's date-time the same ({K8S})"))
    if kind == "Pod":
        for group in CONTAINER_STATUSES:
            for cs in st.get(group) or []:
                if not isinstance(cs, dict):
                    continue
                where = f"status.{group}[{cs.get('name')}]"
                last = (cs.get("lastState") or {}).get("terminated") if isinstance(cs.get("lastState"), dict) else {}
                last = last if isinstance(last, dict) else {}
                for state_key in ("state", "lastState"):
                    state = cs.get(state_key) if isinstance(cs.get(state_key), dict) else {}
                    for phase in ("running", "terminated"):
                        times = state.get(phase) if isinstance(state.get(phase), dict) else {}
                        at = f"{where}.{state_key}.{phase}"
                        after(f"{at}.startedAt", times.get("startedAt"), "status.startTime", st.get("startTime"),
                              "the kubelet acknowledges a pod (status.startTime) before it starts its containers "
                              f"(K8s PodStatus; {K8S})")
                        after(f"{at}.finishedAt", times.get("finishedAt"), f"{at}.startedAt", times.get("startedAt"),
                              "a container finishes after it starts (K8s ContainerStateTerminated)")
                        if state_key == "state":
                            after(f"{at}.startedAt", times.get("startedAt"), f"{where}.lastState.terminated.finishedAt",
                                  last.get("finishedAt"), "a container restarts after its last run finished "
                                  "(K8s ContainerStatus.lastState)")
    if kind == "Job":
        after("status.completionTime", st.get("completionTime"), "status.startTime", st.get("startTime"),
              "a Job completes after the controller started it (K8s JobStatus)")
    if kind == "Event":
        after("lastTimestamp", obj.get("lastTimestamp"), "firstTimestamp", obj.get("firstTimestamp"),
              "an event is last seen no earlier than first seen (K8s Event)")
    return out + _generation_findings(obj)


def _generation_findings(obj: dict) -> list[tuple]:
    """A controller observes a generation of the spec after the API server wrote it: no observedGeneration (of
    the status, or of a condition) is ahead of metadata.generation."""
    generation, st = obj["metadata"].get("generation"), _status(obj)
    if not isinstance(generation, int):
        return []
    seen = [("status.observedGeneration", st.get("observedGeneration"))] + [
        (f"status.conditions[{c.get('type')}].observedGeneration", c.get("observedGeneration"))
        for c in st.get("conditions") or [] if isinstance(c, dict)]
    return [(where, Said(f"not after metadata.generation {generation}"), value,
             f"the API server increments metadata.generation on every spec change; a controller reports the one it "
             f"has acted on ({K8S})") for where, value in seen
            if isinstance(value, int) and not isinstance(value, bool) and value > generation]


def _item_name(item, i: int):
    return item.get("name", item.get("type", i)) if isinstance(item, dict) else i


def _time_order(where: str, c: dict, obj: dict, skew: timedelta, key: str = "lastTransitionTime") -> list[tuple]:
    """A condition changed (or a pod started) after its object was created, and no later than the
    condition was last updated or heartbeat: the times its writer stamps follow one another."""
    at, created = utc_instant(c.get("lastTransitionTime")), utc_instant(obj["metadata"].get("creationTimestamp"))
    out = []
    for name in CONDITION_TIMES:
        then = utc_instant(c.get(name)) if isinstance(c.get(name), str) else None
        if then is not None and created is not None and then < created - skew:
            out.append((f"{where}.{key if name == 'lastTransitionTime' else name}",
                        Said(f"not before metadata.creationTimestamp {obj['metadata']['creationTimestamp']}"),
                        c[name], f"nothing happens to an object before it exists ({K8S})"))
    for later in ("lastUpdateTime", "lastHeartbeatTime"):
        then = utc_instant(c.get(later))
        if at is not None and then is not None and then < at - skew:
            out.append((f"{where}.{later}", Said(f"not before {key} {c['lastTransitionTime']}"), c[later],
                        f"a condition is updated (and heartbeat) when it changes, and after ({K8S})"))
    return out


def _want_replicas(dep: dict) -> int:
    replicas = (dep.get("spec") or {}).get("replicas", 1)
    return replicas if isinstance(replicas, int) else 1


def deployment_findings(dep: dict) -> list[tuple]:
    st, meta = _status(dep), dep["metadata"]
    want = _want_replicas(dep)
    src = "the Deployment's own spec.replicas (a finished rollout)"
    out = []
    if not isinstance(st.get("observedGeneration"), int) or st["observedGeneration"] < (meta.get("generation") or 0):
        out.append(("status.observedGeneration", f">= metadata.generation {meta.get('generation')}",
                    st.get("observedGeneration"), "the controller has seen the latest spec"))
    for field in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
        if st.get(field, 0) != want:
            out.append((f"status.{field}", want, st.get(field, 0), src))
    if st.get("unavailableReplicas", 0):
        out.append(("status.unavailableReplicas", 0, st["unavailableReplicas"], src))
    return out


def pvc_findings(pvc: dict) -> list[tuple]:
    from kubernetes.utils import parse_quantity  # only here: the suite loads the client lazily

    st = _status(pvc)
    out = []
    if st.get("phase") != "Bound":
        out.append(("status.phase", "Bound", st.get("phase"), "a claim in use is bound to its volume (K8s storage)"))
    asked = (((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
    got = (st.get("capacity") or {}).get("storage")
    try:
        small = asked is not None and (got is None or parse_quantity(got) < parse_quantity(asked))
    except ValueError:
        small = True
    if st.get("phase") == "Bound" and small:
        out.append(("status.capacity.storage", f">= spec.resources.requests.storage {asked}", got,
                    "a bound claim holds at least what it asked for (K8s storage)"))
    return out + _claim_bookkeeping(pvc, st)


# The access modes a volume may offer (K8s PersistentVolumeAccessMode).
ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
# allocatedResourceStatuses values (K8s ClaimResourceStatus): each is a resize not finished, or failed.
RESIZE_STATUSES = ("ControllerResizeInProgress", "ControllerResizeInfeasible", "NodeResizePending",
                   "NodeResizeInProgress", "NodeResizeInfeasible")
STORAGE = "K8s PersistentVolumeClaimStatus"


def _claim_bookkeeping(pvc: dict, st: dict) -> list[tuple]:
    """A bound claim as its controllers leave it settled: status.accessModes, the volume's, offer every mode
    spec.accessModes asks; it holds and is allocated storage only, no more allocated than it holds; no
    resize (allocatedResourceStatuses) and no volume modification (modifyVolumeStatus) pending or failed.
    Its annotations are not judged: the PV controller reads bind-completed and bound-by-controller by
    presence only, and the storage-provisioner only to provision an unbound claim (mutations.toml)."""
    from kubernetes.utils import parse_quantity

    out = []
    asked = (pvc.get("spec") or {}).get("accessModes") or []
    offered = st.get("accessModes") if isinstance(st.get("accessModes"), list) else []
    if st.get("phase") == "Bound" and (not set(asked) <= set(offered) or not set(offered) <= set(ACCESS_MODES)):
        out.append(("status.accessModes", Said(f"the volume's modes, among {', '.join(ACCESS_MODES)}, holding "
                                               f"spec.accessModes {asked}"), offered,
                    "a claim binds only to a volume offering every mode it asks for (K8s PV controller, "
                    "pkg/controller/volume/persistentvolume: findMatchingVolume)"))
    for field in ("capacity", "allocatedResources"):
        held = st.get(field) if isinstance(st.get(field), dict) else {}
        if set(held) - {"storage"}:
            out.append((f"status.{field}", Said("storage only"), held, f"a claim's resources are storage ({STORAGE})"))
    try:
        allocated = parse_quantity((st.get("allocatedResources") or {})["storage"])
        over = allocated > parse_quantity(st["capacity"]["storage"])
    except (KeyError, TypeError, ValueError):
        over = False  # nothing allocated beyond a resize (or the capacity is judged above)
    if over and not st.get("allocatedResourceStatuses"):
        out.append(("status.allocatedResources.storage", f"<= status.capacity.storage {st['capacity']['storage']}",
                    st["allocatedResources"]["storage"], f"a finished resize holds what it allocated ({STORAGE})"))
    if st.get("allocatedResourceStatuses"):
        out.append(("status.allocatedResourceStatuses", Said("absent (no resize pending or failed)"),
                    st["allocatedResourceStatuses"], "the resizer removes a resource's status when its resize "
                    f"finishes; its values are {', '.join(RESIZE_STATUSES)} ({STORAGE}.allocatedResourceStatuses)"))
    if "modifyVolumeStatus" in st:
        out.append(("status.modifyVolumeStatus", Said("absent (no modification being attempted)"),
                    st["modifyVolumeStatus"], "set only while a VolumeAttributesClass change is Pending, InProgress "
                    f"or Infeasible ({STORAGE}.modifyVolumeStatus)"))
    return out


def scaledjob_findings(sj: dict) -> list[tuple]:
    """KEDA stamps status.lastActiveTime whenever a ScaledJob's scalers report active: one Active without
    it has a status KEDA did not write."""
    st = _status(sj)
    active = next((c.get("status") for c in st.get("conditions") or []
                   if isinstance(c, dict) and c.get("type") == "Active"), None)
    if active == "True" and not st.get("lastActiveTime"):
        return [("status.lastActiveTime", Said("the time it was last active (it is Active)"),
                 st.get("lastActiveTime", Said("absent")),
                 "KEDA ScaledJobStatus: the executor stamps lastActiveTime while the scalers report active")]
    return []


def _same_reference(spec_image, status_image) -> bool:
    """The image a container runs is the one its spec names: the same repository and tag (the
    runtime may write the reference fully qualified, and may leave a pinned digest out)."""
    a, b = parse_image(spec_image), parse_image(status_image)
    if a is None or b is None:
        return False
    return (a.registry, a.repository) == (b.registry, b.repository) and (a.tag is None or b.tag is None or a.tag == b.tag)


def finished_pod(pod: dict) -> bool:
    """A pod that ran to its end: Succeeded, or Failed under a Job. A Job retries a failed pod with a new one
    and keeps the failed one (backoffLimit), and KEDA and CronJobs keep failed Jobs with their pods: whether a
    run failed is judged on the newest Job of each owner (derivation.Chains), not on the pods it left."""
    phase = _status(pod).get("phase")
    return phase == "Succeeded" or phase == "Failed" and any(r.get("kind") == "Job" for r in controllers(pod))


def pod_findings(pod: dict, max_restarts: int) -> list[tuple]:
    st = _status(pod)
    phase = st.get("phase")
    completed = finished_pod(pod)
    out = []
    if phase not in ("Running", "Succeeded") and not completed:
        out.append(("status.phase", "Running (or Succeeded, a finished job's pod)", phase,
                    "a healthy pod (K8s pod lifecycle)"))
    spec = {c.get("name"): c for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)}
    statuses = [cs for cs in st.get("containerStatuses") or [] if isinstance(cs, dict)]
    for field, what in RUNNING_POD_STATUS.items() if phase == "Running" else ():
        if not st.get(field):
            out.append((f"status.{field}", what, st.get(field, Said("absent")),
                        f"the kubelet sets it on every pod it runs (K8s PodStatus: {field})"))
    host_ips = [i.get("ip") for i in st.get("hostIPs") or [] if isinstance(i, dict)] if "hostIPs" in st else None
    if host_ips is not None and (st.get("hostIP") not in host_ips or not all(host_ips)):
        out.append(("status.hostIPs", Said(f"addresses, the first its hostIP {st.get('hostIP')!r}"), st.get("hostIPs"),
                    "the kubelet reports a pod's node addresses as hostIPs, hostIP among them (K8s pod status)"))
    if phase == "Running" and not statuses:
        out.append(("status.containerStatuses", "one per container", "absent", "the kubelet reports every container"))
    for cs in statuses:
        name = cs.get("name")
        where = f"status.containerStatuses[{name}]"
        state = cs.get("state") if isinstance(cs.get("state"), dict) else {}
        if name not in spec:
            out.append((f"{where}.name", f"one of the pod's containers {sorted(map(str, spec))}", name,
                        "the kubelet reports the pod's own containers"))
            continue
        if completed:
            code = (state.get("terminated") or {}).get("exitCode")
            if code != 0 and phase == "Succeeded":
                out.append((f"{where}.state.terminated.exitCode", 0, code, "a finished job's pod exited cleanly"))
            continue
        if "running" not in state:
            detail = next(((k, v) for k, v in state.items() if isinstance(v, dict)), (None, {}))
            out.append((f"{where}.state", "running",
                        f"{detail[0]} ({detail[1].get('reason')}: {detail[1].get('message')})" if detail[0]
                        else "no state", "a healthy container (K8s pod lifecycle)"))
        for flag in ("ready", "started"):
            if cs.get(flag) is not True:
                out.append((f"{where}.{flag}", True, cs.get(flag), "a healthy container (K8s pod lifecycle)"))
        restarts = cs.get("restartCount", 0)
        if not isinstance(restarts, int) or restarts < 0 or restarts > max_restarts:
            out.append((f"{where}.restartCount", f"<= {max_restarts}", restarts, "checks.max_restarts"))
        if not _same_reference(spec[name].get("image"), cs.get("image")):
            out.append((f"{where}.image", spec[name].get("image"), cs.get("image"),
                        "the pod's spec.containers[].image: the image it runs is the one it names"))
        if not cs.get("imageID"):
            out.append((f"{where}.imageID", "the digest the node pulled", cs.get("imageID"),
                        "a running container reports the image it runs"))
    return out


def node_findings(node: dict, want_arch: str, pods: list[dict] = (), now: datetime | None = None,
                  skew: timedelta = timedelta(0), more_types: tuple[str, ...] = (),
                  max_status_age: timedelta | None = None, provider_id: str = "") -> list[tuple]:
    """A node hosting release pods: healthy conditions, a recent status, the architecture the inventory
    names (its labels and what its kubelet reports agreeing, KUBELET_LABELS), labels that still satisfy
    every hosted pod's nodeSelector and required node affinity, what its kubelet reports of itself (its
    system info, the address its pods carry as hostIP), an instance of the cloud (spec.providerID of the
    form `provider_id`, an fnmatch pattern; "" judges none), room for the requests of the release
    pods it hosts (the scheduler placed them by its allocatable, no more than its capacity), and still open to
    them (not cordoned, no NoSchedule or NoExecute taint they do not tolerate)."""
    out = condition_findings("Node", node, HEALTHY_CONDITIONS["Node"], now, skew, more_types)
    given = (node.get("spec") or {}).get("providerID")
    if provider_id and not (isinstance(given, str) and fnmatch.fnmatchcase(given, provider_id)):
        out.append(("spec.providerID", Said(f"an instance of the cloud ({provider_id})"), given or Said("absent"),
                    "the cloud controller sets it when it initializes the node: without it the node's instance is "
                    "unknown to the cloud (no load balancer target, no EBS attach; K8s Node spec, cloud-controller-"
                    "manager); checks.node_provider_id"))
    arch = node_arch(node)
    if arch != want_arch:
        out.append(("architecture (status.nodeInfo.architecture, kubernetes.io/arch)", want_arch, arch,
                    "deployment document, infrastructure inventory: nodes are selected by kubernetes.io/arch"))
    info = _status(node).get("nodeInfo") if isinstance(_status(node).get("nodeInfo"), dict) else {}
    for label, reported in KUBELET_LABELS.items():
        if info.get(reported) and _labels(node).get(label) != info[reported]:
            out.append((f"metadata.labels['{label}']", Said(f"{info[reported]!r} (status.nodeInfo.{reported})"),
                        _labels(node).get(label, Said("absent")), "the kubelet labels its node with the OS and "
                        "architecture it reports, again at every start (K8s well-known labels)"))
    for pod in pods:
        spec = pod.get("spec") or {}
        if unmet := unmet_node_selection(spec, node):
            out.append(("metadata.labels", Said(f"labels that satisfy Pod {pod['metadata']['name']}'s "
                        f"{'; '.join(unmet)}, as it runs there"),
                        Said(", ".join(f"{k}={_labels(node).get(k, '(absent)')}" for k in selected_labels(spec))),
                        "the pod's spec.nodeSelector and required node affinity: the scheduler placed it by them, "
                        "the kubelet admits it by them again when it restarts (K8s assigning pods to nodes)"))
    for key in NODE_INFO:
        if not isinstance(info.get(key), str) or not info[key]:
            out.append((f"status.nodeInfo.{key}", Said("what the kubelet reports"), info.get(key, Said("absent")),
                        f"a running kubelet reports its node's system info ({K8S})"))
    addresses = [a for a in _status(node).get("addresses") or [] if isinstance(a, dict)]
    for a in addresses:
        if a.get("type") not in NODE_ADDRESS_TYPES or not isinstance(a.get("address"), str) or not a["address"]:
            out.append((f"status.addresses[{a.get('type')}]", Said(
                        f"a non-empty address of a known type ({', '.join(NODE_ADDRESS_TYPES)})"),
                        a.get("address", Said("absent")), "the kubelet and the cloud controller report each address "
                        "the node is reached by; the API server dials one of them for logs, exec and port-forward "
                        f"({K8S}, NodeAddress)"))
    internal = {a.get("address") for a in addresses if a.get("type") == "InternalIP"}
    for pod in pods:
        host_ip = _status(pod).get("hostIP")
        if host_ip and host_ip not in internal:
            out.append(("status.addresses[InternalIP]", Said(f"includes {host_ip} (status.hostIP of Pod "
                        f"{pod['metadata']['name']}, which runs there)"), Said(", ".join(sorted(map(str, internal)))
                                                                         or "none"),
                        "the kubelet reports the node's address its pods carry as hostIP (K8s node addresses)"))
    for cond in (c for c in _status(node).get("conditions") or [] if isinstance(c, dict)):
        beat = utc_instant(cond.get("lastHeartbeatTime"))
        if now is not None and max_status_age is not None and (beat is None or now - beat > max_status_age):
            out.append((f"status.conditions[{cond.get('type')}].lastHeartbeatTime", Said(f"within {max_status_age} "
                        "of now"), cond.get("lastHeartbeatTime", Said("absent")),
                        "the kubelet posts every condition of its node at least every 5 minutes "
                        "(nodeStatusReportFrequency); checks.node_status_max_age"))
    out += _room(node, pods)
    out += _closed_to(node, pods)
    if now is not None:
        out += future_findings(node, now, skew)
    return out


NODE_ADDRESS_TYPES = ("Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS")
CORDON_TAINT = "node.kubernetes.io/unschedulable"  # what the node controller adds beside spec.unschedulable


def _holding_their_place(pods: list[dict]) -> list[dict]:
    """The pods a node still holds: not Succeeded or Failed (a finished pod holds no slot, no requests)."""
    return [p for p in pods if _status(p).get("phase") not in ("Succeeded", "Failed")]


def _tolerates(toleration: dict, taint: dict) -> bool:
    """K8s ToleratesTaint: the effect and key match (empty matches any), Exists any value, Equal the one."""
    if not isinstance(toleration, dict) or toleration.get("effect") not in (None, "", taint.get("effect")):
        return False
    if toleration.get("key") not in (None, "", taint.get("key")):
        return False
    if toleration.get("operator") == "Exists":
        return True
    return toleration.get("operator") in (None, "", "Equal") and (toleration.get("value") or "") == (
        taint.get("value") or "")


def _closed_to(node: dict, pods: list[dict]) -> list[tuple]:
    """A node hosting running release pods that is cordoned (spec.unschedulable) or tainted NoSchedule or
    NoExecute by a taint one of them does not tolerate without a time limit: the scheduler placed them before
    it, so it was added since: a drain, an upgrade or a consolidation under way or left half-done. NoExecute
    evicts them now (or when their tolerationSeconds run out); NoSchedule keeps any replacement away."""
    spec = node.get("spec") if isinstance(node.get("spec"), dict) else {}
    running = _holding_their_place(pods)
    if not running:
        return []
    names = ", ".join(sorted(p["metadata"]["name"] for p in running))
    out = []
    if spec.get("unschedulable"):
        out.append(("spec.unschedulable", Said(f"false: it hosts {names}"), True,
                    "cordoned (kubectl cordon or drain, a node upgrade, an autoscaler's scale-down): no pod is "
                    "placed here, a restarted one lands elsewhere or stays Pending. If a drain or upgrade is under "
                    "way, re-run after it; if it was left behind, `kubectl uncordon` (K8s node cordon)"))
    for taint in (t for t in spec.get("taints") or [] if isinstance(t, dict)):
        effect = taint.get("effect")
        if effect not in ("NoSchedule", "NoExecute") or (taint.get("key") == CORDON_TAINT and spec.get("unschedulable")):
            continue
        for pod in running:
            held = [t for t in (pod.get("spec") or {}).get("tolerations") or [] if _tolerates(t, taint)]
            if effect == "NoSchedule" and held or any("tolerationSeconds" not in t for t in held):
                continue
            shown = f"{taint.get('key')}{'=' + taint['value'] if taint.get('value') else ''}:{effect}"
            out.append((f"spec.taints[{shown}]", Said(
                f"a taint Pod {pod['metadata']['name']} tolerates, as it runs there"),
                Said(f"not tolerated{' beyond tolerationSeconds' if held else ''} (added "
                     f"{taint.get('timeAdded') or 'at an unknown time'})"),
                "a taint added after its pods were placed: " + (
                    "NoExecute evicts every pod that does not tolerate it" if effect == "NoExecute" else
                    "NoSchedule keeps a restarted or replacement pod away") + " (K8s taints and tolerations). "
                "If a drain, upgrade or consolidation is under way, re-run after it; otherwise remove the taint "
                f"(`kubectl taint node {node['metadata'].get('name')} {taint.get('key')}:{effect}-`)"))
    return out


def _room(node: dict, pods: list[dict]) -> list[tuple]:
    from kubernetes.utils import parse_quantity  # only here: the suite loads the client lazily

    allocatable = _status(node).get("allocatable") if isinstance(_status(node).get("allocatable"), dict) else {}
    capacity = _status(node).get("capacity") if isinstance(_status(node).get("capacity"), dict) else {}
    out = []
    for where, table in (("capacity", capacity), ("allocatable", allocatable)):
        for resource, quantity in table.items():
            try:
                bad = parse_quantity(quantity) < 0
            except (ValueError, TypeError):
                bad = True
            if bad:
                out.append((f"status.{where}.{resource}", "a quantity, not negative", quantity,
                            "the kubelet reports how much of each resource its node has (K8s resource quantities)"))
    # the scheduler counts only pods that hold their place: a Succeeded or Failed pod (a Job's, kept by its
    # history limits: KEDA keeps 100 of each by default) holds no pod slot and no requests
    pods = _holding_their_place(pods)
    if pods:  # a node that reports no allocatable pods admits none (the scheduler reads it as 0)
        try:
            room = parse_quantity(allocatable.get("pods", "0")) >= len(pods)
        except (ValueError, TypeError):
            room = True  # said above
        if not room:
            out.append(("status.allocatable.pods", Said(f"at least the release pods it hosts ({len(pods)}), "
                        "finished ones not counted"),
                        allocatable.get("pods", Said("absent")), "the scheduler places no more pods on a node than its allocatable "
                        "pods (K8s scheduling)"))
    for resource in ("cpu", "memory", "pods"):
        try:
            small = parse_quantity(capacity[resource]) < parse_quantity(allocatable.get(resource, "0")) or \
                parse_quantity(capacity[resource]) <= 0
        except (KeyError, ValueError, TypeError):
            small = True
        if small:
            out.append((f"status.capacity.{resource}", Said(f"at least status.allocatable.{resource} "
                        f"({allocatable.get(resource)})"), capacity.get(resource, Said("absent")),
                        "the kubelet reports allocatable as capacity less what it reserves (K8s node allocatable)"))
    for resource in ("cpu", "memory"):
        asked = [effective_resources(c.get("resources"))["requests"].get(resource) for p in pods
                 for c in (p.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
        try:
            need = sum(parse_quantity(q) for q in asked if q is not None)
            have = parse_quantity(allocatable[resource]) if resource in allocatable else None
        except (ValueError, TypeError):
            need, have = 0, None
        if have is None or have <= 0 or have < need:
            out.append((f"status.allocatable.{resource}", Said(f"at least the requests of the release pods it hosts "
                        f"({need}), finished ones not counted"), allocatable.get(resource, Said("absent")),
                        "the scheduler placed them by the node's allocatable (K8s scheduling)"))
    return out


# --- ownership and lifecycle -------------------------------------------------------------------

def owner_findings(rel: Release, kind: str, obj: dict) -> list[tuple]:
    """A pod has one controller, and a Deployment's pod is named by it and carries its selector's labels.
    Whether an owner reference resolves (present, the same uid) is the references walk's verdict
    (object_refs, owner references); whether the pod runs its owner's template is the chains'
    (derivation): each judged by one mechanism."""
    out: list[tuple] = []
    if kind != "Pod":
        return out
    ctl = controllers(obj)
    if len(ctl) != 1:
        out.append(("metadata.ownerReferences (controller)", "exactly one controller (a ReplicaSet or Job)",
                    f"{len(ctl)}" + (" (an orphan: nothing recreates it, nothing rolls it out)" if not ctl else ""),
                    "K8s ownership: every workload pod has one controller"))
        return out
    if ctl[0].get("kind") != "ReplicaSet":
        return out
    hash_ = _labels(obj).get("pod-template-hash")
    deps = [d for d in rel.of_kind("Deployment") if ctl[0].get("name") == f"{d['metadata']['name']}-{hash_}"]
    if not hash_ or not deps:
        out.append(("metadata.ownerReferences[ReplicaSet].name", Said("<Deployment>-<pod-template-hash label>"
                    " of a Deployment of the release"), f"{ctl[0].get('name')} (pod-template-hash {hash_!r})",
                    "K8s Deployments name their ReplicaSets <deployment>-<pod-template-hash>"))
        return out
    dep = deps[0]
    selector = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if not selector.items() <= _labels(obj).items():
        out.append(("metadata.labels", f"includes the selector of Deployment {dep['metadata']['name']} {selector}",
                    _labels(obj), "a Deployment's pods carry its selector's labels"))
    return out


def rollout_complete(dep: dict) -> bool:
    st = _status(dep)
    want = _want_replicas(dep)
    return (st.get("observedGeneration", -1) >= (dep["metadata"].get("generation") or 0)
            and st.get("updatedReplicas") == want == st.get("replicas"))


def deletion_findings(kind: str, obj: dict, now: datetime, skew: timedelta) -> list[tuple]:
    """Being deleted: any release object but a pod, whose deletion is its grace period (a rollout's
    old pods terminate); a pod past its deletion time plus clock skew is stuck terminating."""
    when = obj["metadata"].get("deletionTimestamp")
    if not when:
        return []
    at = utc_instant(when)
    if kind == "Pod" and at is not None and at + skew >= now:
        return []
    what = "stuck terminating (past its grace period)" if kind == "Pod" else "being deleted"
    finalizers = obj["metadata"].get("finalizers") or []
    return [("metadata.deletionTimestamp", "absent (not being deleted)",
             f"{when}: {what}" + (f", held by finalizers {finalizers}" if finalizers else ""),
             "a deployed release's objects are not being deleted (K8s graceful deletion)")]


def finalizer_findings(obj: dict, allowed: tuple[str, ...]) -> list[tuple]:
    """A finalizer no known controller handles holds its object when it is deleted (a rollout's
    history cleanup, helm uninstall) until someone removes it by hand."""
    expected = Said(f"one a known controller handles: {', '.join(allowed)}" if allowed
                    else "none allowed (checks.allowed_finalizers)")
    return [(f"metadata.finalizers[{f}]", expected, f,
             "checks.allowed_finalizers (K8s finalizers: an object is deleted once its finalizers are removed)")
            for f in obj["metadata"].get("finalizers") or [] if f not in allowed]


# --- events -----------------------------------------------------------------------------------

def event_seen(e: dict) -> datetime | None:
    """When an Event was last seen: the latest of its times. core/v1 writers set lastTimestamp, events.k8s.io/v1
    writers eventTime and series.lastObservedTime (lastTimestamp left null or stale), firstTimestamp is the floor."""
    series = e.get("series") if isinstance(e.get("series"), dict) else {}
    times = [utc_instant(e.get(k)) for k in ("lastTimestamp", "eventTime", "firstTimestamp")]
    return max((t for t in times + [utc_instant(series.get("lastObservedTime"))] if t), default=None)


def wrong_now(events: list[dict], rel: Release, now: datetime, window: timedelta) -> list[tuple[str, dict, dict]]:
    """(resource, object, event) of every recent Warning of a WRONG_NOW reason about a release object
    that still exists (the same uid: events outlive the objects they were about)."""
    index = {(k, o["metadata"]["name"]): o for k, o in rel.objects}
    out = []
    for e in events:
        about = e.get("involvedObject") if isinstance(e.get("involvedObject"), dict) else {}
        obj = index.get((about.get("kind"), about.get("name")))
        if e.get("type") != "Warning" or e.get("reason") not in WRONG_NOW or obj is None:
            continue
        if about.get("uid") and obj["metadata"].get("uid") and about["uid"] != obj["metadata"]["uid"]:
            continue  # about an earlier object of that name
        seen = event_seen(e)
        if seen is None or now - seen > window:
            continue
        out.append((rel.resource(about["kind"], obj), obj, e))
    return out


# --- the Helm history ---------------------------------------------------------------------------

RECORD = re.compile(r"^sh\.helm\.release\.v1\.(?P<name>.+)\.v(?P<version>\d+)$")
HELM = "Helm 3 release storage (Secrets sh.helm.release.v1.<release>.v<revision>)"


@dataclass(frozen=True)
class Revision:
    secret: str
    version: int | None
    label_status: str | None
    status: str | None  # the record's info.status


def history_findings(secrets: list[dict], release: str) -> tuple[list[Revision], list[tuple]]:
    """Every revision record decodes and agrees with its Secret; exactly one is deployed and it is
    the newest; none is left pending; the revision before it (Tier 2's rollback target) is kept,
    and no revision between the oldest kept and the newest is missing."""
    out: list[tuple] = []
    revisions: list[Revision] = []
    for s in secrets:
        meta, labels = s["metadata"], _labels(s)
        name = meta["name"]
        m = RECORD.match(name)
        try:
            record = decode_release(s)
        except BadRelease as exc:
            out.append((f"Secret {name} data.release", "a Helm 3 release record", str(exc), HELM))
            label = labels.get("version")  # known by its labels only: judged no further
            revisions.append(Revision(name, int(label) if str(label).isdigit() else None, labels.get("status"), None))
            continue
        version = record.get("version")
        status = (record.get("info") or {}).get("status") if isinstance(record.get("info"), dict) else None
        for field, want, got in (
                ("name", m and m.group("name"), record.get("name")),
                ("version", m and int(m.group("version")), version),
                ("metadata.labels.version", str(version), labels.get("version")),
                ("metadata.labels.status", status, labels.get("status")),
                ("metadata.labels.name", record.get("name"), labels.get("name"))):
            if want != got:
                out.append((f"Secret {name} {field}", want, got,
                            f"{HELM}: the Secret's name and labels are what Helm finds a revision by"))
        revisions.append(Revision(name, version if isinstance(version, int) else None, labels.get("status"), status))
    known = [r for r in revisions if r.version is not None]
    if not known:
        return revisions, out
    newest = max(r.version for r in known)
    deployed = sorted(r.version for r in known if "deployed" in (r.status, r.label_status))
    if deployed != [newest]:
        out.append(("revisions deployed (info.status or label status)", f"exactly one, the newest (v{newest})",
                    ", ".join(f"v{v}" for v in deployed) or "none",
                    f"{HELM}: an upgrade supersedes the revision it replaces"))
    pending = [f"v{r.version} ({r.status})" for r in known if str(r.status).startswith("pending")]
    if pending:
        out.append(("revisions pending", "none (Helm refuses the next upgrade: another operation is in progress)",
                    ", ".join(pending), HELM))
    present = {r.version for r in known}
    lowest = min(present | ({newest - 1} if newest > 1 else set()))
    missing = sorted(set(range(lowest, newest + 1)) - present)
    if missing:
        out.append(("revisions kept", f"every revision v{lowest}..v{newest} (v{newest - 1}: the previous chart "
                    "version, Tier 2's rollback target)", f"missing {', '.join(f'v{v}' for v in missing)}",
                    "deployment document, rollback tiers: Tier 2 returns to the previous chart version"))
    previous = next((r for r in known if r.version == newest - 1), None)
    if previous is not None and previous.status not in ("superseded", "failed"):
        out.append((f"revision v{previous.version} info.status", "superseded (or failed)", previous.status,
                    f"{HELM}: a revision older than the newest is no longer deployed"))
    return revisions, out
