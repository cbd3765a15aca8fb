"""What controllers make from the release's workloads, judged against what they were made from.

The chains: Deployment -> its current ReplicaSet -> its Pods; CronJob (spec.jobTemplate) and
KEDA ScaledJob (spec.jobTargetRef) -> their Jobs -> their Pods. Each link is a copy, so each is
compared in full, both ways:

* a Deployment's pod template is its current ReplicaSet's, plus the pod-template-hash label the
  deployment controller adds (apps/v1 deployment controller: the ReplicaSet's template is the
  Deployment's, the hash label added); exactly one of its ReplicaSets carries its revision
  (annotation deployment.kubernetes.io/revision, which the controller writes on both); after a
  complete rollout every other one is scaled to 0 (they are kept as history, revisionHistoryLimit);
* a Job's spec is its owner's job template, plus what the API server generates for a Job
  (JOB_ADDITIONS) and defaults;
* a Pod's spec is its controller's template, plus what the API server's defaulting, admission and
  the scheduler add (POD_ADDITIONS, POD_DEFAULTS): any other field it has, lacks or holds otherwise
  is a pod that runs a spec its owner does not have. Whole items admission webhooks inject (a
  sidecar container, its volumes, an agent's env var or mount) are theirs, as in release vs live;
  a field added to, or changed in, an item of the template is not;
* a controller counts its children: a ReplicaSet's status.replicas is the number of its pods, a
  Job's status.active the number of its running pods (a pod it does not count is not its own);
* a Job of the release that is active longer than its spec.activeDeadlineSeconds (the Job
  controller stops it then) or, with none, checks.max_job_runtime, is stuck; the newest Job of an
  owner that failed is a run that failed.

Besides, no list of named items holds a name twice (containers, env, volumes, ports, conditions
by type...): Kubernetes keys these lists by that name (strategic merge patch keys, `listMapKey`),
a second item of a name is either rejected or silently shadows the first.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from icepack_verify.cron_schedules import Spec, fire_times, parse_schedule, previous_fire, zone
from icepack_verify.diagnosis import Said
from icepack_verify.release_diff import MERGE_KEYS, _same
from icepack_verify.semantics import utc_instant

ABSENT = Said("absent")
REVISION = "deployment.kubernetes.io/revision"
HASH = "pod-template-hash"
DESIRED = "deployment.kubernetes.io/desired-replicas"
K8S_DEFAULTS = "Kubernetes API defaulting (pkg/apis/core/v1/defaults.go, apps/v1, batch/v1 defaults.go)"
DEPLOYMENT_CONTROLLER = "the Kubernetes deployment controller (the current ReplicaSet's template is the Deployment's)"
# Lists keyed by a field other than "name" (the API's listMapKey / patchMergeKey).
KEYED = {**MERGE_KEYS, "conditions": "type", "ownerReferences": "uid", "addresses": "address"}

_ANY = object()
# Pod spec fields the API server defaults when a template leaves them out, as paths below spec
# ("[]" an item of a list): SetDefaults_PodSpec, SetDefaults_Container, SetDefaults_Probe,
# SetDefaults_HTTPGetAction, SetDefaults_ContainerPort, SetDefaults_*VolumeSource,
# SetDefaults_ObjectFieldSelector in pkg/apis/core/v1/defaults.go.
POD_DEFAULTS: dict[tuple[str, ...], Any] = {
    ("dnsPolicy",): "ClusterFirst", ("restartPolicy",): "Always", ("terminationGracePeriodSeconds",): 30,
    ("schedulerName",): "default-scheduler", ("securityContext",): {}, ("enableServiceLinks",): True,
    **{(group, "[]", *path): value for group in ("containers", "initContainers") for path, value in {
        ("terminationMessagePath",): "/dev/termination-log", ("terminationMessagePolicy",): "File",
        ("imagePullPolicy",): "IfNotPresent", ("resources",): {}, ("ports", "[]", "protocol"): "TCP",
        ("env", "[]", "valueFrom", "fieldRef", "apiVersion"): "v1",
        **{(probe, *k): v for probe in ("readinessProbe", "livenessProbe", "startupProbe") for k, v in (
            (("timeoutSeconds",), 1), (("periodSeconds",), 10), (("successThreshold",), 1),
            (("failureThreshold",), 3), (("httpGet", "scheme"), "HTTP"))},
    }.items()},
    **{("volumes", "[]", source, "defaultMode"): 420 for source in ("secret", "configMap", "projected",
                                                                     "downwardAPI")},
}


def _token_volume(item: Any, spec: dict) -> bool:
    return isinstance(item, dict) and str(item.get("name", "")).startswith("kube-api-access-") and "projected" in item


def _token_mount(item: Any, spec: dict) -> bool:
    return isinstance(item, dict) and item.get("mountPath") == "/var/run/secrets/kubernetes.io/serviceaccount"


def _default_toleration(item: Any, spec: dict) -> bool:
    return isinstance(item, dict) and item.get("key") in (
        "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable") and item.get("effect") == "NoExecute"


# What the control plane adds to a pod beyond its template: path below spec -> (does this value
# qualify, who adds it). Checked only for fields and items the template leaves out.
POD_ADDITIONS: dict[tuple[str, ...], tuple[Callable[[Any, dict], bool], str]] = {
    ("nodeName",): (lambda v, s: isinstance(v, str) and bool(v), "the scheduler binds the pod to a node"),
    ("serviceAccount",): (lambda v, s: v == s.get("serviceAccountName", "default"),
                          "the API server mirrors serviceAccountName into the deprecated serviceAccount"),
    ("serviceAccountName",): (lambda v, s: v == "default", "ServiceAccount admission: 'default' when none is named"),
    ("priority",): (lambda v, s: isinstance(v, int) and not isinstance(v, bool), "Priority admission"),
    ("preemptionPolicy",): (lambda v, s: v in ("PreemptLowerPriority", "Never"), "Priority admission"),
    ("tolerations", "[]"): (_default_toleration, "DefaultTolerationSeconds admission (not-ready, unreachable)"),
    ("volumes", "[]"): (_token_volume, "ServiceAccount admission: the projected API token volume"),
    **{(group, "[]", "volumeMounts", "[]"): (_token_mount, "ServiceAccount admission: the API token mount")
       for group in ("containers", "initContainers")},
}


@dataclass(frozen=True)
class Injected:
    """What admission webhooks may add to a Pod beyond its template, as whole items: a sidecar container
    (a mesh's proxy), env vars whose names match checks.injected_env, volumes named in
    checks.injected_volumes and their mounts (EKS's pod identity webhook: AWS_ROLE_ARN,
    AWS_WEB_IDENTITY_TOKEN_FILE... and the aws-iam-token volume). Webhooks touch Pods only: a Job's
    template is its owner's, nothing injected."""
    env: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()

    def allows(self, shape: tuple[str, ...], item: Any) -> bool:
        name = item.get("name") if isinstance(item, dict) else None
        if shape in (("containers",), ("initContainers",)):
            return True
        if shape[-1:] == ("env",):
            return isinstance(name, str) and any(fnmatch.fnmatchcase(name, p) for p in self.env)
        return shape[-1:] in (("volumes",), ("volumeMounts",)) and name in self.volumes

    def source(self) -> str:
        return (f"admission webhooks inject whole items only: env vars matching {', '.join(self.env) or 'none'}, "
                f"volumes and mounts named {', '.join(self.volumes) or 'none'} (checks.injected_env, "
                "checks.injected_volumes), sidecar containers")


# Labels the API server puts on a Job's pod template (batch/v1 Job: generated selector).
JOB_LABELS = frozenset({"controller-uid", "job-name", "batch.kubernetes.io/controller-uid",
                        "batch.kubernetes.io/job-name"})
# Job spec fields the API server generates or defaults when its owner's template leaves them out
# (pkg/apis/batch/v1/defaults.go SetDefaults_Job; the generated selector, Job API reference).
JOB_DEFAULTS: dict[tuple[str, ...], Any] = {
    ("selector",): _ANY, ("manualSelector",): False, ("parallelism",): 1, ("completions",): 1, ("backoffLimit",): 6,
    ("completionMode",): "NonIndexed", ("suspend",): False, ("podReplacementPolicy",): "TerminatingOrFailed",
}


@dataclass(frozen=True)
class Finding:
    resource: str   # 'ReplicaSet icepack/icepack-api-7d9f8c6b5'
    field: str      # 'spec.template.spec.containers[api].readinessProbe.httpGet.path'
    expected: Any
    actual: Any
    source: str


# --- comparing two descriptions ------------------------------------------------------------

def _key_of(field: str, items: list) -> str | None:
    key = KEYED.get(field)
    if key is None and all(isinstance(i, dict) and "name" in i for i in items):
        key = "name"
    if field == "ports" and not all(isinstance(i, dict) and "name" in i for i in items):
        key = "containerPort"
    return key if items and all(isinstance(i, dict) and key in i for i in items) else None


def _label(key: str) -> str:
    return f'["{key}"]' if "." in key or "/" in key else f".{key}"


def differences(want: Any, got: Any, path: str = "", shape: tuple[str, ...] = ()) -> Iterator[
        tuple[str, tuple[str, ...], Any, Any]]:
    """(path, shape, wanted, got) of every place two descriptions differ, both ways; named lists
    matched by their key (order aside), other lists by position; ABSENT where one has nothing."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in list(want) + [k for k in got if k not in want]:
            yield from differences(want.get(key, ABSENT), got.get(key, ABSENT), path + _label(key), shape + (key,))
    elif isinstance(want, list) and isinstance(got, list) and (
            key := _key_of(shape[-1] if shape else "", want + got)):
        mine = {i[key]: i for i in want}
        theirs = {i[key]: i for i in got}
        for name in list(mine) + [n for n in theirs if n not in mine]:
            yield from differences(mine.get(name, ABSENT), theirs.get(name, ABSENT), f"{path}[{name}]",
                                   shape + ("[]",))
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got) and any(
            isinstance(i, (dict, list)) for i in want + got):
        for i, (a, b) in enumerate(zip(want, got)):
            yield from differences(a, b, f"{path}[{i}]", shape + ("[]",))
    elif want is ABSENT or got is ABSENT or not _same(shape or ("",), want, got):
        yield path.lstrip("."), shape, want, got


def _matches(table: dict[tuple[str, ...], Any], shape: tuple[str, ...], value: Any) -> bool:
    """The value is the table's default for exactly this field (paths from the spec's root)."""
    return shape in table and (table[shape] is _ANY or _same(shape, table[shape], value))


def pod_spec_differences(template: dict, spec: dict, injected: Injected | None = None) -> Iterator[
        tuple[str, Any, Any]]:
    """Where a pod's spec is not its template's: what the control plane adds (POD_ADDITIONS,
    POD_DEFAULTS) and whole items webhooks may inject (`injected`; None: a copy nothing injects into) aside."""
    def added(shape: tuple[str, ...], value: Any) -> bool:
        addition = POD_ADDITIONS.get(shape)
        return (_matches(POD_DEFAULTS, shape, value) or bool(addition and addition[0](value, spec))
                or (injected is not None and shape[-1:] == ("[]",) and injected.allows(shape[:-1], value)))

    for path, shape, want, got in differences(template, spec):
        if want is ABSENT and (added(shape, got) or isinstance(got, list) and got and all(
                added(shape + ("[]",), item) for item in got)):
            continue  # the field, or every item of a list the template leaves out, is the control plane's
        yield path, want, got


# --- the chains ---------------------------------------------------------------------------------

def _meta(o: dict) -> dict:
    return o.get("metadata") or {}


def _name(o: dict) -> str:
    return _meta(o).get("name", "?")


def _status(o: dict) -> dict:
    return o.get("status") if isinstance(o.get("status"), dict) else {}


def _controller_uid(o: dict) -> str | None:
    ref = next((r for r in _meta(o).get("ownerReferences") or [] if isinstance(r, dict) and r.get("controller")),
               None)
    return ref.get("uid") if ref else None


def _children(owner: dict, objs: list[dict]) -> list[dict]:
    uid = _meta(owner).get("uid")
    return [o for o in objs if uid and _controller_uid(o) == uid]


def _stamp(value: Any) -> datetime | None:
    return utc_instant(str(value))


class Chains:
    """The release's workloads and what their controllers made, from the snapshot's lists."""

    def __init__(self, lists: dict[str, list[dict]], now: datetime, skew: timedelta, max_job_runtime: timedelta,
                 controller_zone: str = "UTC", injected: Injected = Injected(), deployed: datetime | None = None):
        self.lists, self.now, self.skew, self.max_job_runtime = lists, now, skew, max_job_runtime
        self.deployed = deployed  # the release's last apply (its Helm record), None when not read
        self.injected = injected  # what admission webhooks may add to a Pod
        self.controller_zone = controller_zone  # a CronJob without spec.timeZone fires in it
        self.found: list[Finding] = []

    def of(self, kind: str) -> list[dict]:
        return self.lists.get(kind) or []

    def add(self, kind: str, obj: dict, field: str, expected: Any, actual: Any, source: str) -> None:
        ns = _meta(obj).get("namespace")
        self.found.append(Finding(f"{kind} {ns}/{_name(obj)}" if ns else f"{kind} {_name(obj)}", field, expected,
                                  actual, source))

    def run(self, workloads: list[tuple[str, dict]], complete: Callable[[dict], bool]) -> list[Finding]:
        for kind, obj in workloads:
            if kind == "Deployment":
                self.deployment(obj, complete(obj))
            elif kind in ("CronJob", "ScaledJob"):
                self.jobs_of(kind, obj)
        for rs in self.of("ReplicaSet"):
            if any(_controller_uid(rs) == _meta(d).get("uid") for k, d in workloads if k == "Deployment"):
                self.pods_of("ReplicaSet", rs, (rs.get("spec") or {}).get("template") or {})
                self.ready_counts(rs)
        for kind, obj in workloads:
            if kind == "Deployment":
                self.deployment_counts(obj)
        return self.found

    def deployment(self, dep: dict, complete: bool) -> None:
        revision = (_meta(dep).get("annotations") or {}).get(REVISION)
        sets = _children(dep, self.of("ReplicaSet"))
        if revision is None:
            self.add("Deployment", dep, f"metadata.annotations['{REVISION}']", "the revision of its current "
                     "ReplicaSet", ABSENT, "the deployment controller writes it on the Deployment and its ReplicaSets")
        current = [rs for rs in sets if (_meta(rs).get("annotations") or {}).get(REVISION) == revision]
        if revision is not None and len(current) != 1:
            self.add("Deployment", dep, "its current ReplicaSet", f"exactly one ReplicaSet of revision {revision}",
                     Said(", ".join(_name(rs) for rs in current) or "none"), DEPLOYMENT_CONTROLLER)
        for rs in sets:
            if rs in current:
                self.template(dep, rs)
                want = (dep.get("spec") or {}).get("replicas", 1)
                if complete and (rs.get("spec") or {}).get("replicas") != want:
                    self.add("ReplicaSet", rs, "spec.replicas", want, (rs.get("spec") or {}).get("replicas"),
                             f"Deployment {_name(dep)} spec.replicas: its rollout is complete ({DEPLOYMENT_CONTROLLER})")
                continue
            if (_meta(rs).get("annotations") or {}).get(REVISION) is None:
                self.add("ReplicaSet", rs, f"metadata.annotations['{REVISION}']", "the revision it was made for",
                         ABSENT, "the deployment controller writes it on every ReplicaSet of a Deployment")
            replicas = ((rs.get("spec") or {}).get("replicas"), _status(rs).get("replicas", 0))
            if complete and replicas != (0, 0):
                self.add("ReplicaSet", rs, "spec.replicas, status.replicas", Said(
                    f"0, 0 (an old ReplicaSet of Deployment {_name(dep)}, kept as history: its rollout to revision "
                    f"{revision} is complete)"), Said(f"{replicas[0]}, {replicas[1]}"), DEPLOYMENT_CONTROLLER)

    def template(self, dep: dict, rs: dict) -> None:
        rs_template = (rs.get("spec") or {}).get("template") or {}
        labels = (rs_template.get("metadata") or {}).get("labels") or {}
        want = _with_labels((dep.get("spec") or {}).get("template") or {}, {HASH: labels.get(HASH)})
        if labels.get(HASH) is None or _name(rs) != f"{_name(dep)}-{labels.get(HASH)}":
            self.add("ReplicaSet", rs, f"metadata.name, spec.template.metadata.labels.{HASH}",
                     f"{_name(dep)}-<its {HASH} label>", Said(f"{_name(rs)}, {labels.get(HASH)!r}"),
                     DEPLOYMENT_CONTROLLER)
        # the controller adds the hash to the Deployment's selector: the ReplicaSet selects its revision's pods only
        dep_selector = (dep.get("spec") or {}).get("selector") or {}
        want_selector = {**dep_selector, "matchLabels": {**(dep_selector.get("matchLabels") or {}),
                                                         **({HASH: labels[HASH]} if labels.get(HASH) else {})}}
        for path, _, wanted, got in differences(want_selector, (rs.get("spec") or {}).get("selector") or {},
                                                "spec.selector"):
            self.add("ReplicaSet", rs, path, wanted, got, f"Deployment {_name(dep)} spec.selector plus {HASH}: "
                     f"{DEPLOYMENT_CONTROLLER}")
        # what else the controller copies onto the ReplicaSet: its template's labels (hash and all), the
        # Deployment's minReadySeconds, and its replicas as the desired-replicas annotation
        held = _meta(rs).get("labels") or {}  # labels others add (a policy engine's) aside: the template's are copied
        copies = {"metadata.labels": (labels, {k: held[k] for k in labels if k in held},
                                      "its spec.template.metadata.labels"),
                  "spec.minReadySeconds": ((dep.get("spec") or {}).get("minReadySeconds", 0),
                                           (rs.get("spec") or {}).get("minReadySeconds", 0),
                                           f"Deployment {_name(dep)} spec.minReadySeconds"),
                  f"metadata.annotations['{DESIRED}']": (str((dep.get("spec") or {}).get("replicas", 1)),
                                                         (_meta(rs).get("annotations") or {}).get(DESIRED, ABSENT),
                                                         f"Deployment {_name(dep)} spec.replicas")}
        for field, (wanted, got, source) in copies.items():
            if wanted != got:
                self.add("ReplicaSet", rs, field, wanted, got, f"{source}: {DEPLOYMENT_CONTROLLER} copies it")
        for path, _, wanted, got in differences(want, rs_template, "spec.template"):
            self.add("ReplicaSet", rs, path, wanted, got, f"Deployment {_name(dep)} spec.template "
                     f"(revision {(_meta(rs).get('annotations') or {}).get(REVISION)}): {DEPLOYMENT_CONTROLLER}")

    def jobs_of(self, kind: str, owner: dict) -> None:
        spec = owner.get("spec") or {}
        template = spec.get("jobTargetRef") if kind == "ScaledJob" else (spec.get("jobTemplate") or {}).get("spec")
        where = "spec.jobTargetRef" if kind == "ScaledJob" else "spec.jobTemplate.spec"
        jobs = _children(owner, self.of("Job"))
        if kind == "CronJob":
            self.schedule_times(owner, template or {})
        for job in jobs:
            want = dict(template or {})
            job_spec = dict(job.get("spec") or {})
            want_pod, got_pod = want.pop("template", {}) or {}, job_spec.pop("template", {}) or {}
            for path, shape, wanted, got in differences(want, job_spec, "spec"):
                if not (wanted is ABSENT and _matches(JOB_DEFAULTS, shape, got)):
                    self.add("Job", job, path, wanted, got, f"{kind} {_name(owner)} {where}: the Job is made from it")
            extra = {k: v for k, v in ((got_pod.get("metadata") or {}).get("labels") or {}).items() if k in JOB_LABELS}
            found = [*differences(_with_labels(want_pod, extra).get("metadata") or {}, got_pod.get("metadata") or {},
                                  "spec.template.metadata")]
            found += [(f"spec.template.spec.{p}".rstrip("."), (), w, g) for p, w, g in pod_spec_differences(
                want_pod.get("spec") or {}, got_pod.get("spec") or {})]
            for path, _, wanted, got in found:
                self.add("Job", job, path, wanted, got, f"{kind} {_name(owner)} {where}.template: the Job is made "
                         "from it (fields the API server adds aside)")
            self.job_state(kind, owner, job, jobs)
            self.pods_of("Job", job, got_pod)

    def schedule_times(self, cronjob: dict, template: dict) -> None:
        """A CronJob's last success is a run of a schedule at or before its last schedule, finished
        within that run's activeDeadlineSeconds: the CronJob controller writes both times."""
        st = _status(cronjob)
        scheduled, succeeded = _stamp(st.get("lastScheduleTime")), _stamp(st.get("lastSuccessfulTime"))
        deadline = template.get("activeDeadlineSeconds")
        self.scheduled_at_a_fire(cronjob, scheduled)
        if succeeded is not None and scheduled is None:
            self.add("CronJob", cronjob, "status.lastScheduleTime", Said("the time of its last schedule (it has run: "
                     f"status.lastSuccessfulTime {st['lastSuccessfulTime']})"), st.get("lastScheduleTime", ABSENT),
                     "the CronJob controller writes lastScheduleTime whenever it starts a Job")
        elif succeeded is not None and isinstance(deadline, int) and succeeded > scheduled + timedelta(
                seconds=deadline) + self.skew:
            self.add("CronJob", cronjob, "status.lastScheduleTime, status.lastSuccessfulTime", Said(
                f"a success within spec.jobTemplate.spec.activeDeadlineSeconds ({deadline}s) of a schedule at or before "
                "the last"), Said(f"scheduled {st['lastScheduleTime']}, succeeded {st['lastSuccessfulTime']}"),
                "the CronJob controller: a run succeeds within its deadline")

    def scheduled_at_a_fire(self, cronjob: dict, scheduled: datetime | None) -> None:
        """lastScheduleTime is the instant a run was due, not when it started (cronjob_controllerv2 writes the
        scheduled time): one of the instants its schedule fires in its zone. A zone or schedule that is none
        is release vs live's and the spec test's to report; '@every' fires at any instant. A run due before
        the release's last apply is not judged (the apply may have changed the schedule: the next run is)."""
        spec = cronjob.get("spec") or {}
        given = spec.get("timeZone")
        tz = zone(self.controller_zone if given is None else given)
        if scheduled is None or tz is None or not isinstance(parse_schedule(spec.get("schedule")), Spec):
            return
        if scheduled > self.now + self.skew:  # a time ahead of now is the live state's finding, once
            return
        if self.deployed is not None and scheduled < self.deployed + self.skew:
            return  # a run due before the last apply fired on the schedule that apply may have replaced
        fire = previous_fire(spec["schedule"], scheduled, tz)
        if fire is not None and fire != scheduled:  # None: a 'TZ=' schedule with a zone too, the spec test's
            where = f"spec.timeZone {given}" if given else f"no spec.timeZone: the controller's zone {self.controller_zone}"
            after = fire_times(spec["schedule"], scheduled, 1, tz)
            around = ", ".join(f"{t:%Y-%m-%dT%H:%M:%SZ}" for t in (fire, *after))
            self.add("CronJob", cronjob, "status.lastScheduleTime",
                     Said(f"an instant {spec['schedule']!r} fires ({where})"),
                     Said(f"{_status(cronjob).get('lastScheduleTime')}, not one (its fires around it: {around})"),
                     "the CronJob controller (cronjob_controllerv2): lastScheduleTime is the scheduled time of its "
                     "last run")

    def job_state(self, kind: str, owner: dict, job: dict, jobs: list[dict]) -> None:
        st = _status(job)
        started = _stamp(st.get("startTime"))
        deadline = (job.get("spec") or {}).get("activeDeadlineSeconds")
        bound = timedelta(seconds=deadline) if isinstance(deadline, int) and deadline > 0 else self.max_job_runtime
        why = ("its spec.activeDeadlineSeconds: the Job controller stops it then" if bound != self.max_job_runtime
               else "checks.max_job_runtime")
        if st.get("active") and started and self.now - started > bound + self.skew:
            self.add("Job", job, "status.active, status.startTime", Said(f"no pod active after {bound} ({why})"),
                     Said(f"{st['active']} active since {st['startTime']} ({self.now - started} ago): stuck"),
                     f"{kind} {_name(owner)}'s runs finish")
        newest = max(jobs, key=lambda j: str(_status(j).get("startTime") or _meta(j).get("creationTimestamp") or ""))
        failed = [c for c in st.get("conditions") or [] if isinstance(c, dict) and c.get("type") == "Failed"
                  and c.get("status") == "True"]
        if job is newest and failed:
            self.add("Job", job, "status.conditions[Failed]", Said("absent or False (its newest run did not fail)"),
                     Said(f"True ({failed[0].get('reason')}: {failed[0].get('message')})"),
                     f"{kind} {_name(owner)}'s newest run")

    def pods_of(self, kind: str, owner: dict, template: dict) -> None:
        pods = [p for p in _children(owner, self.of("Pod")) if not _meta(p).get("deletionTimestamp")]
        counted = _status(owner).get("replicas" if kind == "ReplicaSet" else "active", 0)
        running = pods if kind == "ReplicaSet" else [p for p in pods if _status(p).get("phase") in ("Pending", "Running")]
        if len(running) != (counted or 0):
            self.add(kind, owner, "status." + ("replicas" if kind == "ReplicaSet" else "active"),
                     Said(f"the number of its {'pods' if kind == 'ReplicaSet' else 'running pods'} ({len(running)}: "
                          f"{', '.join(sorted(map(_name, running))) or 'none'})"), counted,
                     f"the {kind} controller counts the pods it controls")
        labels = (template.get("metadata") or {}).get("labels") or {}
        for pod in pods:
            have = _meta(pod).get("labels") or {}
            if not labels.items() <= have.items():
                self.add("Pod", pod, "metadata.labels", Said(f"includes {labels}"), have,
                         f"{kind} {_name(owner)} spec.template.metadata.labels")
            for path, want, got in pod_spec_differences(template.get("spec") or {}, pod.get("spec") or {},
                                                        self.injected):
                self.add("Pod", pod, f"spec.{path}".rstrip("."), want, got,
                         f"{kind} {_name(owner)} spec.template.spec: the pod is made from it (fields the "
                         f"control plane adds aside; {self.injected.source()})")

    # --- ready and available counts -------------------------------------------------
    def ready_counts(self, rs: dict) -> None:
        """A ReplicaSet's readyReplicas are its ready pods, its availableReplicas those ready for
        spec.minReadySeconds (the ReplicaSet controller counts them; a zero count is left out)."""
        pods = [p for p in _children(rs, self.of("Pod")) if not _meta(p).get("deletionTimestamp")]
        ready = {_name(p): _ready_since(p) for p in pods if _ready_since(p) is not None}
        hold = timedelta(seconds=(rs.get("spec") or {}).get("minReadySeconds") or 0)
        available = [n for n, since in ready.items() if since + hold <= self.now + self.skew]
        labels = (((rs.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
        fully = sorted(_name(p) for p in pods if labels.items() <= (_meta(p).get("labels") or {}).items())
        for key, names in (("readyReplicas", sorted(ready)), ("availableReplicas", sorted(available)),
                           ("fullyLabeledReplicas", fully)):
            if _status(rs).get(key, 0) != len(names):
                self.add("ReplicaSet", rs, f"status.{key}", Said(f"the number of its {key[:-8]} pods ({len(names)}: "
                         f"{', '.join(names) or 'none'})"), _status(rs).get(key, ABSENT),
                         "the ReplicaSet controller counts the pods it controls: ready, available, and carrying "
                         "every label of its template (fullyLabeled)")
        generation, seen = _meta(rs).get("generation"), _status(rs).get("observedGeneration")
        if isinstance(generation, int) and seen != generation:
            self.add("ReplicaSet", rs, "status.observedGeneration", Said(f"{generation} (metadata.generation: the "
                     "controller has acted on its spec)"), ABSENT if seen is None else seen,
                     "the ReplicaSet controller records the generation it last synced (K8s ReplicaSetStatus)")

    def deployment_counts(self, dep: dict) -> None:
        """A Deployment's replicas, readyReplicas and availableReplicas are the sums of its
        ReplicaSets' (the deployment controller's syncRolloutStatus)."""
        sets = _children(dep, self.of("ReplicaSet"))
        for key in ("replicas", "readyReplicas", "availableReplicas"):
            total = sum(_status(rs).get(key) or 0 for rs in sets)
            if _status(dep).get(key, 0) != total:
                self.add("Deployment", dep, f"status.{key}", Said(f"the sum of its ReplicaSets' status.{key} ({total}: "
                         + (", ".join(f"{_name(rs)} {_status(rs).get(key) or 0}" for rs in sets) or "none") + ")"),
                         _status(dep).get(key, ABSENT), "the deployment controller sums its ReplicaSets' counts")


def _ready_since(pod: dict) -> datetime | None:
    """When a pod became Ready (condition Ready True), or None when it is not ready."""
    cond = next((c for c in _status(pod).get("conditions") or [] if isinstance(c, dict) and c.get("type") == "Ready"),
                {})
    if cond.get("status") != "True":
        return None
    return _stamp(cond.get("lastTransitionTime")) or datetime.min.replace(tzinfo=timezone.utc)


def _with_labels(template: dict, labels: dict) -> dict:
    meta = dict(template.get("metadata") or {})
    meta["labels"] = {**(meta.get("labels") or {}), **{k: v for k, v in labels.items() if v is not None}}
    return {**template, "metadata": meta}


# --- named items listed twice ---------------------------------------------------------------------

def duplicates(obj: Any, path: str = "", field: str = "") -> Iterator[tuple[str, int]]:
    """(path of the repeated item, list[name], how many times) in every keyed list of an object."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from duplicates(value, path + _label(key), key)
    elif isinstance(obj, list):
        key = KEYED.get(field) or ("name" if obj and all(isinstance(i, dict) and "name" in i for i in obj) else None)
        if key:
            seen: dict[Any, int] = {}
            for item in obj:
                if isinstance(item, dict) and item.get(key) is not None:
                    seen[item[key]] = seen.get(item[key], 0) + 1
            for name, count in seen.items():
                if count > 1:
                    yield f"{path.lstrip('.')}[{name}]", count
        for i, item in enumerate(obj):
            label = item.get(key) if key and isinstance(item, dict) and item.get(key) is not None else i
            yield from duplicates(item, f"{path}[{label}]", "")
