"""Drifts and probes of the live state of the release's objects and of its Helm history, caught by
tests/infra/test_live_state.py and tests/infra/test_helm_history.py: what only the live status,
the ownership, the recent events or the revision records show."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

from icepack_twin import chart
from icepack_twin.drifts.base import DriftList
from icepack_twin.drifts.shared import internal_postgres, now as _now, pods as _pods, renamed_copy, uid, warn
from icepack_twin.objects import Objects
from icepack_twin.values import PREVIOUS_CHART_VERSION

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")
API, PG = "icepack-api", "icepack-postgres"


# --- live status ------------------------------------------------------------------------------

def _node_not_ready(objs: Objects) -> None:
    """The kubelet of an API pod's node stopped posting status: the pods still read Ready until the node
    controller evicts them (minutes), the Deployment still counts them."""
    node = objs.get("Node", _pods(objs, API)[0]["spec"]["nodeName"])
    now = _now(objs)
    for cond in node["status"]["conditions"]:
        cond.update(status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status.",
                    lastTransitionTime=chart.ts(now - timedelta(minutes=1)))
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule",
                               "timeAdded": chart.ts(now - timedelta(minutes=1))}]


def _postgres_restarting(objs: Objects) -> None:
    """Postgres keeps being OOM-killed and restarted; each time it comes back up and reads ready."""
    pod = _pods(objs, PG)[0]
    now = _now(objs)
    cs = pod["status"]["containerStatuses"][0]
    cs.update(restartCount=9, state={"running": {"startedAt": chart.ts(now - timedelta(minutes=2))}},
              lastState={"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                        "startedAt": chart.ts(now - timedelta(minutes=9)),
                                        "finishedAt": chart.ts(now - timedelta(minutes=2, seconds=5))}})


def _pod_runs_another_image(objs: Objects) -> None:
    """`kubectl set image pod/...` on one API pod: its spec and what it runs are the previous tag, its
    Deployment's template (and every check of templates) the expected one."""
    pod = _pods(objs, API)[-1]
    for c in (pod["spec"]["containers"][0], pod["status"]["containerStatuses"][0]):
        c["image"] = c["image"].rsplit(":", 1)[0] + ":0ddba11"


def _postgres_pod_orphaned(objs: Objects) -> None:
    """Its ReplicaSet deleted with --cascade=orphan: the pod runs on, owned by nothing."""
    _pods(objs, PG)[0]["metadata"].pop("ownerReferences")


def _service_deletion_stuck(objs: Objects) -> None:
    """`kubectl delete svc` on the NLB Service, stuck on the load balancer controller's finalizer."""
    meta = objs.get("Service", API)["metadata"]
    meta["deletionTimestamp"] = chart.ts(_now(objs) - timedelta(minutes=12))
    meta["deletionGracePeriodSeconds"] = 0
    meta["finalizers"] = ["service.k8s.aws/resources"]


def _secret_mount_failing(objs: Objects) -> None:
    """The icepack-db Secret is gone: running API pods keep their copy, the kubelet warns on every sync
    (the next restart fails)."""
    warn(objs, _pods(objs, API)[0], "FailedMount",
         'MountVolume.SetUp failed for volume "db" : secret "icepack-db" not found', "kubelet", count=6,
         age=timedelta(minutes=6))


DRIFTS.add("api-node-not-ready", "the node of an API pod stopped reporting (Ready Unknown); its pods still read Ready",
           objects=_node_not_ready)
DRIFTS.add("postgres-restarting-repeatedly", "the Postgres container was OOM-killed 9 times; it is up and ready now",
           objects=_postgres_restarting)
DRIFTS.add("api-pod-runs-another-image", "one API pod set by hand to image tag 0ddba11; the Deployment's rollout is "
           "complete on 2f9c1e7", objects=_pod_runs_another_image)
DRIFTS.add("postgres-pod-orphaned", "the Postgres pod's ReplicaSet deleted with --cascade=orphan",
           objects=_postgres_pod_orphaned)
DRIFTS.add("api-service-deletion-stuck", "the NLB Service is being deleted, held by the load balancer finalizer",
           objects=_service_deletion_stuck)
DRIFTS.add("api-pod-secret-mount-failing", "the kubelet warns that an API pod's Secret volume cannot be mounted",
           objects=_secret_mount_failing)


def _completed_job_pod(objs: Objects) -> None:
    """A health-sync run's pod, finished a minute ago: Succeeded, not Ready by design, owned by its Job."""
    template = _pods(objs, API)[0]
    cj = objs.get("CronJob", "icepack-health-sync")
    spec = copy.deepcopy(cj["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    now = _now(objs)
    job = f"icepack-health-sync-{int(now.timestamp()) // 60 // 15 * 15}"
    spec["nodeName"] = template["spec"]["nodeName"]
    c = spec["containers"][0]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": f"{job}-k2x9q", "namespace": template["metadata"]["namespace"],
        "uid": uid(job + "-pod"), "resourceVersion": "48250001",
        "creationTimestamp": chart.ts(now - timedelta(minutes=2)),
        "labels": {**cj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"],
                   "batch.kubernetes.io/job-name": job},
        "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job, "controller": True,
                             "blockOwnerDeletion": True, "uid": uid(job)}]},
        "spec": spec,
        "status": {"phase": "Succeeded", "startTime": chart.ts(now - timedelta(minutes=2)),
                   "conditions": [{"type": t, "status": s, **({"reason": "PodCompleted"} if s == "False" else {})}
                                  for t, s in [("PodScheduled", "True"), ("Initialized", "True"),
                                               ("ContainersReady", "False"), ("Ready", "False")]],
                   "containerStatuses": [{"name": c["name"], "image": c["image"], "ready": False, "started": False,
                                          "restartCount": 0, "imageID": "sha256:" + "1" * 64,
                                          "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}}
    objs.append(pod)
    finished = chart.ts(now - timedelta(minutes=1))
    objs.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": {  # its Job, kept by successfulJobsHistoryLimit
        "name": job, "namespace": pod["metadata"]["namespace"], "uid": pod["metadata"]["ownerReferences"][0]["uid"],
        "resourceVersion": "48250000", "creationTimestamp": chart.ts(now - timedelta(minutes=2)),
        "labels": dict(pod["metadata"]["labels"]), "ownerReferences": [{
            "apiVersion": "batch/v1", "kind": "CronJob", "name": cj["metadata"]["name"], "uid": cj["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}]},
        "spec": {**copy.deepcopy(cj["spec"]["jobTemplate"]["spec"]), "template": {
            "metadata": {"labels": dict(pod["metadata"]["labels"])},
            "spec": copy.deepcopy(cj["spec"]["jobTemplate"]["spec"]["template"]["spec"])}},
        "status": {"succeeded": 1, "startTime": chart.ts(now - timedelta(minutes=2)), "completionTime": finished,
                   "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": finished}]}})


def _job_retried_after_a_failed_pod(objs: Objects) -> None:
    """That health-sync run's first pod failed (exit 1) and the Job retried it (backoffLimit): the Job completed
    with one failure and keeps the failed pod beside the one that succeeded, as Kubernetes does."""
    _completed_job_pod(objs)
    done = next(p for p in objs.of_kind("Pod") if p["status"].get("phase") == "Succeeded")
    failed = copy.deepcopy(done)
    failed["metadata"].update(name=done["metadata"]["name"][:-5] + "f8j2n", uid=uid(done["metadata"]["name"] + "-1st"))
    failed["status"]["phase"] = "Failed"
    failed["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 1, "reason": "Error"}}
    objs.append(failed)
    job = objs.get("Job", done["metadata"]["ownerReferences"][0]["name"])
    job["status"]["failed"] = 1


def _past_warnings(objs: Objects) -> None:
    """Warnings that mean nothing now: a back-off two hours ago, a failed mount of a pod since replaced
    (same name, another uid), and a readiness probe failing during a start."""
    pod = _pods(objs, API)[0]
    now = _now(objs)
    warn(objs, pod, "BackOff", "Back-off restarting failed container api", "kubelet", count=3,
         age=timedelta(hours=2))["lastTimestamp"] = chart.ts(now - timedelta(hours=2))
    gone = renamed_copy(pod, pod["metadata"]["name"], "replaced-pod")  # same name, another uid
    warn(objs, gone, "FailedMount", 'MountVolume.SetUp failed for volume "db"', "kubelet", age=timedelta(minutes=2))
    warn(objs, pod, "Unhealthy", "Readiness probe failed: connection refused", "kubelet", age=timedelta(minutes=2))


PROBES.add("job-pod-completed", "a finished health-sync pod: Succeeded, Ready False (PodCompleted), owned by its Job",
           objects=_completed_job_pod)
PROBES.add("job-retried-after-a-failed-pod", "a health-sync run completed on its second pod; the first, Failed "
           "(exit 1), kept beside it", objects=_job_retried_after_a_failed_pod)
PROBES.add("past-and-benign-warnings", "Warnings of two hours ago, about a pod since replaced, and a start's "
           "readiness failure", objects=_past_warnings)


# --- the Helm history ----------------------------------------------------------------------

def _revision(objs: Objects, version: int) -> dict:
    return next(s for s in chart.release_secrets(objs) if s["metadata"]["labels"]["version"] == str(version))


def _two_deployed(objs: Objects) -> None:
    chart.set_release_status(_revision(objs, chart.REVISION - 1), "deployed")


def _rollback_target_pruned(objs: Objects) -> None:
    objs.remove(_revision(objs, chart.REVISION - 1))


def _label_disagrees(objs: Objects) -> None:
    """The deployed revision's label says superseded: Helm (which finds the deployed release by label) sees none."""
    _revision(objs, chart.REVISION)["metadata"]["labels"]["status"] = "superseded"


def _failed_upgrade_between(objs: Objects) -> None:
    """v5 superseded, v6 a failed upgrade, v7 deployed: the rollback target is v5, kept."""
    v6 = _revision(objs, chart.REVISION - 1)
    record = chart.decode_release(v6)
    record.update(version=chart.REVISION - 2)
    record["chart"]["metadata"]["version"] = PREVIOUS_CHART_VERSION
    v5 = renamed_copy(v6, f"sh.helm.release.v1.{record['name']}.v{chart.REVISION - 2}", "helm-v5")
    v5["data"]["release"] = chart.encode_release(record)
    v5["metadata"]["labels"]["version"] = str(chart.REVISION - 2)
    objs.append(v5)
    chart.set_release_status(v6, "failed")


DRIFTS.add("helm-two-revisions-deployed", "Helm revisions 6 and 7 both deployed (label and record)",
           objects=_two_deployed)
DRIFTS.add("helm-rollback-target-pruned", "Helm revision 6 (the previous chart version) deleted",
           objects=_rollback_target_pruned)
DRIFTS.add("helm-deployed-label-disagrees", "the deployed revision's Secret is labelled status=superseded",
           objects=_label_disagrees)
PROBES.add("helm-history-with-a-failed-upgrade", "v5 superseded, v6 a failed upgrade, v7 deployed",
           objects=_failed_upgrade_between)


# --- status bookkeeping: the times inside an object in causal order, a claim as its
# controllers leave it settled, KEDA's lastActiveTime while Active (live_state.order_findings,
# _claim_bookkeeping, scaledjob_findings) ----------------------------------------------------------------

def _container_started_before_its_pod(objs: Objects) -> None:
    """An API pod's status rewritten by hand (or a kubelet with a broken clock): its container reports
    having started ten minutes before the kubelet acknowledged the pod."""
    pod = _pods(objs, API)[0]
    pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] = chart.ts(
        _started(pod) - timedelta(minutes=10))


def _started(pod: dict) -> datetime:
    return datetime.fromisoformat(pod["status"]["startTime"].replace("Z", "+00:00"))


def _postgres_restarted_once(objs: Objects) -> None:
    """Postgres restarted once, long after its pod started, in order: the last run finished before this
    one started; one restart is within checks.max_restarts."""
    pod = _pods(objs, PG)[0]
    began = _started(pod)
    now = _now(objs)
    mid = began + (now - began) / 2
    cs = pod["status"]["containerStatuses"][0]
    cs.update(restartCount=1, state={"running": {"startedAt": chart.ts(mid + timedelta(seconds=2))}},
              lastState={"terminated": {"exitCode": 0, "reason": "Completed",
                                        "startedAt": cs["state"]["running"]["startedAt"],
                                        "finishedAt": chart.ts(mid)}})
    for cond in pod["status"]["conditions"]:  # not ready while it restarted, ready again after
        if cond["type"] in ("ContainersReady", "Ready"):
            cond["lastTransitionTime"] = chart.ts(mid + timedelta(seconds=12))


def _claim(objs: Objects) -> dict:
    return internal_postgres(objs, "PersistentVolumeClaim")


def _claim_resize_infeasible(objs: Objects) -> None:
    """Someone asked the Postgres volume to grow past what the EBS volume allows: the resizer marks the
    resize infeasible and the claim keeps its old size (its request, as the release applied it)."""
    st = _claim(objs)["status"]
    st["allocatedResourceStatuses"] = {"storage": "ControllerResizeInfeasible"}
    st["allocatedResources"] = {"storage": "70Ti"}


def _claim_on_a_read_only_volume(objs: Objects) -> None:
    """The Postgres claim bound (pre-bound by hand) to a volume that offers only ReadOnlyMany."""
    _claim(objs)["status"]["accessModes"] = ["ReadOnlyMany"]


def _claim_resized_and_settled(objs: Objects) -> None:
    """The Postgres volume was resized once and the resize finished: the resizer leaves what it allocated,
    equal to the capacity, and no status of the resize."""
    st = _claim(objs)["status"]
    st["allocatedResources"] = {"storage": st["capacity"]["storage"]}


def _scaledjob_active_without_last_active_time(objs: Objects) -> None:
    """The worker ScaledJob reports Active, but not when it was last active: a status KEDA did not write."""
    st = objs.get("ScaledJob", "icepack-worker")["status"]
    st.pop("lastActiveTime", None)
    for c in st["conditions"]:
        if c["type"] == "Active":
            c.update(status="True", reason="ScalerActive", message="Scaling is performed because triggers are active")


def _restarted_from_a_clock_ahead(objs: Objects) -> None:
    """`kubectl rollout restart deployment/icepack-api` from a laptop whose clock runs ten minutes ahead:
    kubectl stamps kubectl.kubernetes.io/restartedAt with its own clock on the template, and the pods made
    from it carry it. A client's time, not one the cluster stamped: healthy."""
    stamp = {"kubectl.kubernetes.io/restartedAt": chart.ts(_now(objs) + timedelta(minutes=10))}
    dep = objs.get("Deployment", API)
    replicasets = [rs for rs in objs.of_kind("ReplicaSet") if rs["metadata"]["name"].startswith(API)]
    for meta in ([dep["spec"]["template"]["metadata"]] + [rs["spec"]["template"]["metadata"] for rs in replicasets]
                 + [pod["metadata"] for pod in _pods(objs, API)]):
        meta["annotations"] = {**(meta.get("annotations") or {}), **stamp}


def _postgres_observed_generation_ahead(objs: Objects) -> None:
    """The Postgres Deployment's status says it observed a generation its spec never had (a status written
    back from a backup, or by hand)."""
    dep = internal_postgres(objs)
    dep["status"]["observedGeneration"] = dep["metadata"]["generation"] + 1


DRIFTS.add("postgres-observed-generation-ahead", "the Postgres Deployment reports observing generation 2 of a spec "
           "at generation 1", objects=_postgres_observed_generation_ahead)
DRIFTS.add("api-container-started-before-its-pod", "an API container reports starting 10 minutes before its pod's "
           "status.startTime", objects=_container_started_before_its_pod)
DRIFTS.add("postgres-claim-resize-infeasible", "the Postgres claim reports a resize the resizer found infeasible",
           objects=_claim_resize_infeasible)
DRIFTS.add("postgres-claim-on-a-read-only-volume", "the Postgres claim is bound to a volume offering only "
           "ReadOnlyMany", objects=_claim_on_a_read_only_volume)
DRIFTS.add("worker-scaledjob-active-without-last-active-time", "the worker ScaledJob is Active without a "
           "lastActiveTime", objects=_scaledjob_active_without_last_active_time)
PROBES.add("postgres-restarted-once-in-order", "Postgres restarted once, its times in order",
           objects=_postgres_restarted_once)
PROBES.add("postgres-claim-resized-and-settled", "the Postgres claim resized once and settled (allocatedResources "
           "equal to its capacity)", objects=_claim_resized_and_settled)
PROBES.add("api-restarted-from-a-clock-ahead", "the API restarted with kubectl from a clock ten minutes ahead "
           "(restartedAt ahead, on the template and the pods)", objects=_restarted_from_a_clock_ahead)
