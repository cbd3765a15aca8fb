"""Drifts and probes of the bookkeeping of the release's objects and of what the cluster makes from them
(issue 20): a label or annotation only live outside the controllers' domains (release vs
live), an object created after the apply its Helm record names, an Event naming another uid than the live
object's, a pod's IP its Service's EndpointSlice does not send traffic to, a finalizer on the Helm record.
Caught by tests/infra/test_release_matches_live.py, test_bookkeeping.py and test_live_state.py."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from icepack_twin import chart, endpoints
from icepack_twin.drifts.base import DriftList
from icepack_twin.drifts.shared import now
from icepack_twin.mutate.model import Mutation
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")
API_POD = f"icepack-api-{chart.POD_TEMPLATE_HASH}-x7k2p"


def _last_deployed(objs: Objects) -> datetime:
    deployed = chart.decode_release(chart.release_secrets(objs)[0])["info"]["last_deployed"]
    return datetime.fromisoformat(deployed.replace("Z", "+00:00"))


def _annotated_by_hand(objs: Objects) -> None:
    """`kubectl annotate service icepack-api ops.example.com/owner=data-platform`: an annotation the
    chart does not write, in no controller's domain; the next apply keeps it (Helm's three-way merge
    leaves keys it never wrote), so the live Service is no longer what the release describes."""
    svc = objs.get("Service", "icepack-api")
    svc["metadata"]["annotations"]["ops.example.com/owner"] = "data-platform"


def _controllers_annotate(objs: Objects) -> None:
    """What Helm and controllers write on the release's objects beside the chart (healthy): Helm's
    meta.helm.sh ownership annotations on every object it created, the scheduler's
    volume.kubernetes.io/selected-node on a claim bound at first consumer, kubectl's restart stamp."""
    for cj in objs.of_kind("CronJob"):
        cj["metadata"].setdefault("annotations", {}).update(
            {"meta.helm.sh/release-name": chart.RELEASE, "meta.helm.sh/release-namespace": chart.NAMESPACE})
    dep = objs.get("Deployment", "icepack-api")
    dep["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = chart.ts(_last_deployed(objs))
    svc = objs.get("Service", "icepack-api")
    svc["metadata"]["labels"]["service.kubernetes.io/headless"] = "false"


def _recreated_by_hand(objs: Objects) -> None:
    """The API Service deleted and re-applied by hand an hour ago (`kubectl delete svc; kubectl apply
    -f`): a new uid and creationTimestamp, after the apply its Helm record says deployed it. Its load
    balancer's controller has reconciled the new one since (the event names the new uid)."""
    svc = objs.get("Service", "icepack-api")
    svc["metadata"]["uid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "meta4/recreated-service"))
    svc["metadata"]["creationTimestamp"] = chart.ts(now(objs) - timedelta(hours=1))
    for e in objs.of_kind("Event"):
        if e["involvedObject"]["kind"] == "Service" and e["involvedObject"]["name"] == "icepack-api":
            e["involvedObject"]["uid"] = svc["metadata"]["uid"]


def _created_around_the_apply(objs: Objects) -> None:
    """Objects of the release created long before its last apply (installed by an earlier revision,
    kept by every upgrade since) and one created during the apply (two minutes after last_deployed,
    inside Helm's timeout): both healthy. An Event about an earlier incarnation of the Service,
    seen before the live one was created, is history (events outlive their objects)."""
    deployed = _last_deployed(objs)
    objs.get("CronJob", "icepack-orchestrator")["metadata"]["creationTimestamp"] = chart.ts(deployed - timedelta(days=90))
    objs.get("ServiceAccount", "icepack")["metadata"]["creationTimestamp"] = chart.ts(deployed - timedelta(days=140))
    objs.get("CronJob", "icepack-health-sync")["metadata"]["creationTimestamp"] = chart.ts(deployed + timedelta(minutes=2))
    svc = objs.get("Service", "icepack-api")
    old = chart.event(now(objs), svc, "Normal", "SuccessfullyReconciled", "Successfully reconciled (earlier)",
                      "service", age=now(objs) - deployed + timedelta(days=3))
    old["involvedObject"]["uid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "meta4/earlier-service"))
    old["lastTimestamp"] = chart.ts(deployed - timedelta(days=3))
    objs.append(old)


def _uid_rewritten(objs: Objects) -> None:
    """The health-sync CronJob's uid is not the one its controller reports on a minute ago, while
    its creationTimestamp says it is two days old: a restore from a backup (Velero re-creates objects
    and keeps creationTimestamp only in annotations) or an object re-created and back-dated."""
    cj = objs.get("CronJob", "icepack-health-sync")
    cj["metadata"]["uid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "meta4/restored-cronjob"))


def _kube(target: str, change: dict, description: str) -> dict:
    """A kube-layer edit, applied after the EndpointSlice controller settled: what is served, not settled."""
    return Mutation("kube", target, "", "drift", {"target": target, **change}, description).as_json()


API_SLICE = f"EndpointSlice/{endpoints.slice_name('icepack-api')}"
# The API Service's two endpoints in two slices, one endpoint with no ready condition (nil means ready):
# how the EndpointSlice controller writes them past --max-endpoints-per-slice, or after a re-balance.
SLICES_SPLIT = (
    _kube(API_SLICE, {"op": "copy-object"}, "a second slice of the API Service"),
    _kube(API_SLICE, {"op": "remove", "path": ["endpoints", {"i": 1}]}, "the first slice keeps the first endpoint"),
    _kube(API_SLICE + "-copy", {"op": "remove", "path": ["endpoints", {"i": 0}]}, "the second keeps the second"),
    _kube(API_SLICE, {"op": "remove", "path": ["endpoints", {"i": 0}, "conditions", "ready"]}, "ready left out (nil)"),
)


def _ready_seconds_ago(objs: Objects) -> None:
    """An API pod whose readiness probe passed five seconds ago (a rollout's new pod, or one back from a
    failed probe): Ready and ContainersReady turned True then."""
    pod = objs.get("Pod", API_POD)
    for cond in pod["status"]["conditions"]:
        if cond["type"] in ("Ready", "ContainersReady"):
            cond["lastTransitionTime"] = chart.ts(now(objs) - timedelta(seconds=5))


# ... and the EndpointSlice controller has not written it yet (served after it settled: the slice as it was)
READY_NOT_YET_LISTED = (_kube(API_SLICE, {"op": "remove", "path": ["endpoints", {"i": 0}]},
                              "the API pod that turned Ready seconds ago not yet in its Service's slice"),)


def _foreign_secret_with_a_finalizer(objs: Objects) -> None:
    """Another application's Secret in the namespace, held by its own operator's finalizer: not the
    release's (no Helm record label), so not judged by the release's finalizer rule (the suite keeps only
    the release's Helm records of the Secrets it lists, and the key names of the others)."""
    objs.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {
        "name": "reporting-credentials", "namespace": chart.NAMESPACE, "uid": str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                                                         "kubefix/foreign-secret")),
        "resourceVersion": "48250002", "creationTimestamp": chart.ts(now(objs) - timedelta(days=30)),
        "labels": {"app.kubernetes.io/name": "reporting"}, "finalizers": ["secrets.reporting.example.com/sync"]},
        "data": {}})


DRIFTS.add("api-service-annotated-by-hand", "an annotation on the API Service in no controller's domain (kubectl annotate)",
           objects=_annotated_by_hand)
DRIFTS.add("api-service-recreated-by-hand", "the API Service re-created by hand an hour ago, after the release's apply",
           objects=_recreated_by_hand)
DRIFTS.add("health-sync-uid-not-the-one-events-name", "the health-sync CronJob's uid is not the one its latest "
           "event names, though it claims to be older than the event", objects=_uid_rewritten)
DRIFTS.add("api-pod-ip-not-where-traffic-goes", "an API pod reports an IP its Service's EndpointSlice does not list",
           mutations=(_kube(f"Pod/{API_POD}", {"op": "set", "path": ["status", "podIP"], "value": "10.40.12.250"},
                            "status.podIP reported otherwise than the EndpointSlice lists"),))
DRIFTS.add("release-record-unknown-finalizer", "a finalizer no controller handles on the deployed Helm record's Secret",
           objects=lambda objs: chart.release_secrets(objs)[0]["metadata"].__setitem__(
               "finalizers", ["backup.example.com/protect"]))
PROBES.add("controller-metadata-on-release-objects", "Helm's and controllers' labels and annotations on the release's "
           "objects, under their own domains", objects=_controllers_annotate)
PROBES.add("api-endpoints-in-two-slices", "the API Service's endpoints split over two EndpointSlices, one with no "
           "ready condition", mutations=SLICES_SPLIT)
PROBES.add("release-objects-created-around-the-apply", "objects created long before the release's last apply, one "
           "during it, and an event about an earlier incarnation", objects=_created_around_the_apply)
PROBES.add("api-pod-ready-seconds-ago-not-yet-listed", "an API pod Ready for five seconds, not yet in its Service's "
           "EndpointSlice (the controller lags)", objects=_ready_seconds_ago, mutations=READY_NOT_YET_LISTED)
PROBES.add("foreign-secret-with-a-finalizer", "another application's Secret in the namespace, held by a finalizer "
           "of its own operator", objects=_foreign_secret_with_a_finalizer)
