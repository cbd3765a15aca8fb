"""The chains of what controllers make (icepack_verify.derivation), on objects written here: each rule
fails on the form it exists to catch and passes on the forms a real cluster serves."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from pathlib import Path

from icepack_verify import environments
from icepack_verify.derivation import Chains, Injected, differences, duplicates, pod_spec_differences

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
SKEW = timedelta(minutes=2)


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec() -> dict:
    return {"serviceAccountName": "icepack", "containers": [{
        "name": "api", "image": "r.example/icepack:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}}}]}


def _meta(name: str, uid: str, owner: dict | None = None, **annotations) -> dict:
    meta = {"name": name, "namespace": "icepack", "uid": uid, "creationTimestamp": _ts(NOW - timedelta(days=1)),
            "annotations": annotations}
    if owner:
        meta["ownerReferences"] = [{"kind": owner["kind"], "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True}]
    return meta


def _world(replicas: int = 2) -> dict[str, list[dict]]:
    labels = {"app": "api"}
    dep = {"kind": "Deployment", "metadata": _meta("api", "d1", **{"deployment.kubernetes.io/revision": "4"}),
           "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": _spec()}},
           "status": {"replicas": replicas, "updatedReplicas": replicas, "observedGeneration": 1}}
    rs = {"kind": "ReplicaSet", "metadata": {**_meta("api-abc", "r1", dep, **{"deployment.kubernetes.io/revision": "4",
                                                  "deployment.kubernetes.io/desired-replicas": str(replicas)}),
                                             "labels": {**labels, "pod-template-hash": "abc"}},
          "spec": {"replicas": replicas, "selector": {"matchLabels": {**labels, "pod-template-hash": "abc"}},
                   "template": {"metadata": {"labels": {**labels, "pod-template-hash": "abc"}},
                                                      "spec": _spec()}},
          "status": {"replicas": replicas, "fullyLabeledReplicas": replicas}}
    pods = [{"kind": "Pod", "metadata": {**_meta(f"api-abc-{i}", f"p{i}", rs), "labels": {**labels, "pod-template-hash": "abc"}},
             "spec": {**_spec(), "nodeName": "n1"}, "status": {"phase": "Running"}} for i in range(replicas)]
    return {"Deployment": [dep], "ReplicaSet": [rs], "Pod": pods}


def _run(world: dict[str, list[dict]]) -> list[tuple[str, str]]:
    chains = Chains(world, NOW, SKEW, timedelta(hours=2))
    workloads = [(k, o) for k in ("Deployment", "CronJob", "ScaledJob") for o in world.get(k, [])]
    return [(f.resource, f.field) for f in chains.run(workloads, lambda dep: True)]


def test_named_items_compare_by_name_in_any_order_and_both_ways():
    a = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    b = {"env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}, {"name": "C", "value": "3"}]}
    assert [p for p, *_ in differences(a, b)] == ["env[C]"]
    assert [p for p, *_ in differences(b, a)] == ["env[C]"]


def test_what_the_control_plane_adds_to_a_pod_is_not_a_difference_a_field_added_to_its_items_is():
    pod = copy.deepcopy(_spec())
    pod.update(nodeName="n1", serviceAccount="icepack", priority=0, enableServiceLinks=True, securityContext={},
               tolerations=[{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300}],
               volumes=[{"name": "kube-api-access-x1", "projected": {"sources": []}}])
    api = pod["containers"][0]
    api.update(terminationMessagePath="/dev/termination-log", imagePullPolicy="IfNotPresent", volumeMounts=[
        {"name": "kube-api-access-x1", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}])
    irsa = Injected(("AWS_ROLE_ARN", "AWS_CONTAINER_*"), ("aws-iam-token",))
    api["env"] += [{"name": "AWS_ROLE_ARN", "value": "x"}, {"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "y"}]
    api["volumeMounts"].append({"name": "aws-iam-token", "mountPath": "/var/run/secrets/eks.amazonaws.com"})
    pod["volumes"].append({"name": "aws-iam-token", "projected": {"sources": []}})
    pod["containers"].append({"name": "istio-proxy", "image": "istio/proxyv2:1"})  # a sidecar: a whole item
    assert list(pod_spec_differences(_spec(), pod, irsa)) == []
    assert sorted(p for p, *_ in pod_spec_differences(_spec(), pod)) == [  # a copy nothing injects into
        "containers[api].env[AWS_CONTAINER_CREDENTIALS_FULL_URI]", "containers[api].env[AWS_ROLE_ARN]",
        "containers[api].volumeMounts", "containers[istio-proxy]", "volumes"]  # lists the template leaves out
    api["env"].append({"name": "DD_AGENT_HOST", "value": "x"})  # no known webhook's
    api["env"][0]["valueFrom"] = {"secretKeyRef": {"name": "s", "key": "k"}}
    pod["hostIPC"] = True
    pod["serviceAccount"] = "someone-else"
    assert sorted(p for p, *_ in pod_spec_differences(_spec(), pod, irsa)) == [
        "containers[api].env[A].valueFrom", "containers[api].env[DD_AGENT_HOST]", "hostIPC", "serviceAccount"]


def test_the_shipped_defaults_allow_what_irsa_and_eks_pod_identity_inject():
    """IRSA projects the aws-iam-token volume, EKS Pod Identity the eks-pod-identity-token volume, each
    with its env (AWS_ROLE_ARN...; AWS_CONTAINER_*): both are EKS's, a pod may carry either."""
    checks = environments.load(Path(__file__).parents[1] / "environments.toml", "local", environ={}).checks
    injected = Injected(checks.injected_env, checks.injected_volumes)
    for volume, env in (("aws-iam-token", "AWS_WEB_IDENTITY_TOKEN_FILE"),
                        ("eks-pod-identity-token", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")):
        pod = copy.deepcopy(_spec())
        pod["volumes"] = [{"name": volume, "projected": {"sources": []}}]
        pod["containers"][0]["volumeMounts"] = [{"name": volume, "mountPath": "/var/run/secrets/x"}]
        pod["containers"][0]["env"].append({"name": env, "value": "/var/run/secrets/x/token"})
        assert list(pod_spec_differences(_spec(), pod, injected)) == [], volume
        assert list(pod_spec_differences(_spec(), pod, Injected())) != []  # the check can fail


def test_a_healthy_chain_has_no_finding():
    assert _run(_world()) == []


def test_a_replicaset_template_edited_by_hand_is_a_finding_and_so_are_the_pods_it_no_longer_describes():
    world = _world()
    world["ReplicaSet"][0]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] = ""
    found = _run(world)
    assert ("ReplicaSet icepack/api-abc", "spec.template.spec.containers[api].readinessProbe.httpGet.path") in found
    assert ("Pod icepack/api-abc-0", "spec.containers[api].readinessProbe.httpGet.path") in found


def test_a_second_replicaset_scaled_up_and_a_missing_revision_are_findings():
    world = _world()
    old = copy.deepcopy(world["ReplicaSet"][0])
    old["metadata"].update(name="api-old", uid="r0", annotations={})
    world["ReplicaSet"].append(old)
    found = _run(world)
    assert ("ReplicaSet icepack/api-old", "spec.replicas, status.replicas") in found
    assert ("ReplicaSet icepack/api-old", "metadata.annotations['deployment.kubernetes.io/revision']") in found
    old["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "3"}
    old["spec"]["replicas"], old["status"] = 0, {"replicas": 0}  # no pods: no fully labeled ones (a zero count left out)
    assert _run(world) == []  # history kept by revisionHistoryLimit
    del world["Deployment"][0]["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    assert ("Deployment icepack/api", "metadata.annotations['deployment.kubernetes.io/revision']") in _run(world)


def test_a_pod_its_replicaset_does_not_count_is_a_finding():
    world = _world()
    copy_ = copy.deepcopy(world["Pod"][0])
    copy_["metadata"].update(name="api-abc-0-copy", uid="p9")
    world["Pod"].append(copy_)
    assert _run(world) == [("ReplicaSet icepack/api-abc", "status.replicas"),
                           ("ReplicaSet icepack/api-abc", "status.fullyLabeledReplicas")]


def _job_world(started: datetime, deadline: int | None) -> dict[str, list[dict]]:
    template = {"backoffLimit": 2, "template": {"metadata": {"labels": {"app": "worker"}}, "spec": _spec()}}
    if deadline:
        template["activeDeadlineSeconds"] = deadline
    sj = {"kind": "ScaledJob", "metadata": _meta("worker", "s1"), "spec": {"jobTargetRef": template}}
    job_spec = copy.deepcopy(template)
    job_spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": "j1"}}
    job_spec["template"]["metadata"]["labels"]["batch.kubernetes.io/job-name"] = "worker-1"
    job = {"kind": "Job", "metadata": _meta("worker-1", "j1", sj), "spec": job_spec,
           "status": {"active": 1, "startTime": _ts(started)}}
    pod = {"kind": "Pod", "metadata": {**_meta("worker-1-x", "p1", job), "labels": job_spec["template"]["metadata"]["labels"]},
           "spec": {**_spec(), "nodeName": "n1"}, "status": {"phase": "Running"}}
    return {"ScaledJob": [sj], "Job": [job], "Pod": [pod]}


def test_a_job_active_past_its_deadline_is_stuck_within_it_is_not():
    assert _run(_job_world(NOW - timedelta(minutes=50), 3600)) == []
    assert _run(_job_world(NOW - timedelta(hours=3), 3600)) == [("Job icepack/worker-1", "status.active, status.startTime")]
    assert _run(_job_world(NOW - timedelta(hours=1), None)) == []  # checks.max_job_runtime: 2 h here
    assert _run(_job_world(NOW - timedelta(hours=3), None)) == [("Job icepack/worker-1", "status.active, status.startTime")]


def test_a_job_that_differs_from_its_owners_template_is_a_finding():
    world = _job_world(NOW - timedelta(minutes=5), 3600)
    world["Job"][0]["spec"]["parallelism"] = 4
    assert _run(world) == [("Job icepack/worker-1", "spec.parallelism")]


def test_named_items_listed_twice_are_found_at_any_depth():
    obj = {"spec": {"template": {"spec": {"containers": [{"name": "api", "env": [
        {"name": "A", "value": "1"}, {"name": "A", "value": "1"}]}]}}},
           "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Ready", "status": "True"}]}}
    assert list(duplicates(obj)) == [("spec.template.spec.containers[api].env[A]", 2), ("status.conditions[Ready]", 2)]
    assert list(duplicates(_world()["Deployment"][0])) == []


def test_a_replicaset_selects_by_its_deployments_selector_plus_the_hash():
    world = _world()
    rs = world["ReplicaSet"][0]
    rs["spec"]["selector"] = {"matchLabels": {"pod-template-hash": "abc"}}  # an entry of the Deployment's removed
    assert _run(world) == [("ReplicaSet icepack/api-abc", "spec.selector.matchLabels.app")]
    rs["spec"]["selector"] = {"matchLabels": {"app": "api"}}  # the hash the controller adds, missing
    assert _run(world) == [("ReplicaSet icepack/api-abc", "spec.selector.matchLabels.pod-template-hash")]


# --- ready and available counts ---------------------------------------------------------
def _ready_world(min_ready: int = 0, since: timedelta = timedelta(hours=1)) -> dict[str, list[dict]]:
    world = _world()
    for pod in world["Pod"]:
        pod["status"]["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": _ts(NOW - since)}]
    for workload in (world["ReplicaSet"][0], world["Deployment"][0]):  # the controller copies it onto the ReplicaSet
        workload["spec"]["minReadySeconds"] = min_ready
    counts = {"readyReplicas": 2, "availableReplicas": 2}
    world["ReplicaSet"][0]["status"].update(counts)
    world["Deployment"][0]["status"].update(counts)
    return world


def test_ready_and_available_counts_are_the_ready_pods_and_the_deployment_sums_them():
    assert _run(_ready_world()) == []
    world = _ready_world()
    del world["ReplicaSet"][0]["status"]["availableReplicas"]  # a zero count is left out: this one says 0
    assert _run(world) == [("ReplicaSet icepack/api-abc", "status.availableReplicas"),
                           ("Deployment icepack/api", "status.availableReplicas")]
    world = _ready_world()
    world["Pod"][1]["status"]["conditions"][0]["status"] = "False"
    assert _run(world) == [("ReplicaSet icepack/api-abc", "status.readyReplicas"),
                           ("ReplicaSet icepack/api-abc", "status.availableReplicas")]


def test_a_pod_ready_for_less_than_min_ready_seconds_is_ready_not_available():
    world = _ready_world(min_ready=600, since=timedelta(minutes=1))
    assert _run(world) == [("ReplicaSet icepack/api-abc", "status.availableReplicas")]
    assert _run(_ready_world(min_ready=600, since=timedelta(minutes=20))) == []


# --- lastScheduleTime is an instant the schedule fires, in its zone ---------------------------

def _cronjob(schedule: str, scheduled: str, time_zone: str | None = None) -> dict:
    spec = {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": _spec()}}}}
    if time_zone is not None:
        spec["timeZone"] = time_zone
    return {"kind": "CronJob", "metadata": _meta("cj", "c1"), "spec": spec, "status": {"lastScheduleTime": scheduled}}


def _schedule_findings(cj: dict, controller_zone: str = "UTC") -> list[str]:
    chains = Chains({}, NOW, SKEW, timedelta(hours=2), controller_zone)
    return [f.field for f in chains.run([("CronJob", cj)], lambda dep: True)]


def test_last_schedule_time_is_a_fire_instant_in_the_cronjobs_zone():
    assert _schedule_findings(_cronjob("0 */2 * * *", "2026-11-29T10:00:00Z")) == []
    assert _schedule_findings(_cronjob("0 */2 * * *", "2026-11-29T11:00:00Z")) == ["status.lastScheduleTime"]
    assert _schedule_findings(_cronjob("0 */2 * * *", "2026-11-29T09:50:00Z")) == ["status.lastScheduleTime"]
    # the same UTC instants written for Asia/Kolkata (UTC+5:30); an hour off in Europe/Berlin (UTC+1 in November)
    assert _schedule_findings(_cronjob("30 1-23/2 * * *", "2026-11-29T10:00:00Z", "Asia/Kolkata")) == []
    assert _schedule_findings(_cronjob("0 */2 * * *", "2026-11-29T10:00:00Z", "Europe/Berlin")) == [
        "status.lastScheduleTime"]
    # no spec.timeZone: the controller's zone
    assert _schedule_findings(_cronjob("0 */2 * * *", "2026-11-29T09:00:00Z"), "Europe/Berlin") == []
    # '@every' fires at any instant; '' is no zone (the spec test and release vs live report it)
    assert _schedule_findings(_cronjob("@every 7m", "2026-11-29T09:03:11Z")) == []
    assert _schedule_findings(_cronjob("0 */2 * * *", "2026-11-29T11:00:00Z", "")) == []


def test_a_run_due_before_the_last_apply_is_not_judged_by_the_schedule_that_apply_set():
    """The apply may have changed the schedule (the chart's every-2h default vs hourly at :30): the run due
    before it fired on the old one; the next run, after the apply, is judged."""
    cj = _cronjob("30 * * * *", "2026-11-29T10:00:00Z")  # a fire of '0 */2 * * *', not of the new schedule

    def found(deployed):
        return [f.field for f in Chains({}, NOW, SKEW, timedelta(hours=2), "UTC", deployed=deployed).run(
            [("CronJob", cj)], lambda dep: True)]
    assert found(datetime(2026, 11, 29, 10, 20, tzinfo=timezone.utc)) == []
    assert found(datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc)) == ["status.lastScheduleTime"]
    assert found(None) == ["status.lastScheduleTime"]
