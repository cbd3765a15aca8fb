"""Release vs live, rule by rule: each normalization passes its equal form and still sees a real change;
each equivalence probe of drifts/generic.py differs from the manifest field by field (a plain comparison
would flag it) and still matches the release."""
from __future__ import annotations

import copy
import re
from datetime import datetime, timezone

import pytest

from icepack_twin import chart
from icepack_twin.drifts import generic
from icepack_twin.values import values_for
from icepack_verify.cron_schedules import zone
from icepack_verify.release_diff import BadManifest, diff_release, manifest_objects

NOW = datetime(2025, 6, 3, 10, 7, 30, tzinfo=timezone.utc)
SNAPSHOT_KINDS = ("Pod", "Service", "ServiceAccount", "PersistentVolumeClaim", "Deployment", "CronJob", "ScaledJob")


def deployment(**container) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "labels": {"app.kubernetes.io/instance": "rel"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
                     "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [
                         {"name": "api", "image": "repo/api:1", **container}]}}}}


def diff(manifest: list[dict], live: list[dict]):
    by_kind: dict[str, list[dict]] = {k: [] for k in SNAPSHOT_KINDS}
    for o in live:
        by_kind.setdefault(o["kind"], []).append(o)
    return diff_release(manifest, by_kind, "rel")


def changed(manifest: dict, live: dict) -> list[str]:
    return [f"{f.path}: {f.desired!r} -> {f.live!r}" for f in diff([manifest], [live]).changed]


def edited(obj: dict, edit) -> dict:
    live = copy.deepcopy(obj)
    edit(live)
    return live


def container(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("desired, same, other", [
    ({"cpu": "1", "memory": "1Gi"}, {"cpu": "1000m", "memory": "1024Mi"}, {"cpu": "500m", "memory": "1Gi"}),
    ({"cpu": "0.25"}, {"cpu": "250m"}, {"cpu": "25m"}),
])
def test_quantities_compare_by_value(desired, same, other):
    m = deployment(resources={"limits": desired})
    assert changed(m, edited(m, lambda o: container(o)["resources"].update(limits=same))) == []
    assert changed(m, edited(m, lambda o: container(o)["resources"].update(limits=other)))


def test_images_compare_by_what_a_runtime_pulls():
    m = deployment(image="postgres:17-alpine")
    for same in ("docker.io/library/postgres:17-alpine", "postgres:17-alpine@sha256:" + "a" * 64):
        assert changed(m, edited(m, lambda o: container(o).update(image=same))) == []
    assert changed(m, edited(m, lambda o: container(o).update(image="postgres:16-alpine")))


def cronjob(schedule: str, time_zone: str | None = None) -> dict:
    spec = {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}
    if time_zone:
        spec["timeZone"] = time_zone
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"}, "spec": spec}


@pytest.mark.parametrize("live, same", [
    (cronjob("*/15 * * * *", "Asia/Kolkata"), True), (cronjob("0,15,30,45 * * * *"), True),
    (cronjob("*/15 * * * *", "Etc/UTC"), True), (cronjob("*/30 * * * *"), False),
])
def test_a_schedule_is_judged_with_its_time_zone_by_its_instants(live, same):
    assert (changed(cronjob("*/15 * * * *", "Etc/UTC"), live) == []) is same
    azores = changed(cronjob("0 */2 * * *"), cronjob("0 */2 * * *", "Atlantic/Azores"))
    assert azores == ["spec.schedule (in spec.timeZone): '0 */2 * * *' in UTC (no spec.timeZone: the controller's zone)"
                      " -> '0 */2 * * *' in Atlantic/Azores"]


def test_a_known_default_written_in_the_manifest_matches_a_field_left_out_live():
    sj = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "metadata": {"name": "w"},
          "spec": {"pollingInterval": 30, "scalingStrategy": {"strategy": "default"}, "jobTargetRef": {"parallelism": 1}}}
    assert changed(sj, edited(sj, lambda o: o.update(spec={"jobTargetRef": {}}))) == []
    sixty = edited(sj, lambda o: o["spec"].update(pollingInterval=60))
    assert changed(sixty, edited(sj, lambda o: o.update(spec={"jobTargetRef": {}}))) == ["spec.pollingInterval: 60 -> absent"]


def test_controller_owned_fields_are_set_aside_and_labels_and_annotations_are_not():
    m = deployment()
    m["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "4", "team": "lake"}

    def churn(o):
        o["metadata"].update(uid="u", resourceVersion="99", generation=7, managedFields=[{"manager": "helm"}],
                             ownerReferences=[])
        o["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "9"
        o["status"] = {"replicas": 2}
    assert changed(m, edited(m, churn)) == []
    assert changed(m, edited(m, lambda o: o["metadata"]["annotations"].update(team="ops"))) == [
        "metadata.annotations.team: 'lake' -> 'ops'"]


def test_a_template_key_a_tool_writes_is_not_drift_one_in_no_controllers_domain_is():
    """`kubectl rollout restart` stamps the template's kubectl.kubernetes.io/restartedAt (Helm's three-way merge
    keeps it); a key in no controller's domain on the template is a hand edit, as on the object itself."""
    m = deployment()
    domains = ("kubernetes.io", "k8s.io")

    def stamped(key):
        return edited(m, lambda o: o["spec"]["template"]["metadata"].setdefault("annotations", {}).update(
            {key: "2026-11-29T12:10:00Z"}))
    by_kind = lambda o: {k: [] for k in SNAPSHOT_KINDS} | {"Deployment": [o]}  # noqa: E731
    assert diff_release([m], by_kind(stamped("kubectl.kubernetes.io/restartedAt")), "rel", domains).changed == []
    found = diff_release([m], by_kind(stamped("ops.example.com/restartedAt")), "rel", domains).changed
    assert [f.path for f in found] == ['spec.template.metadata.annotations["ops.example.com/restartedAt"]']
    relabelled = edited(m, lambda o: o["spec"]["template"]["metadata"]["labels"].update(team="ops"))
    assert [f.path for f in diff_release([m], by_kind(relabelled), "rel", domains).changed] == [
        "spec.template.metadata.labels.team"]


def test_replicas_belong_to_an_autoscaler_that_targets_the_object():
    m = deployment()
    three = edited(m, lambda o: o["spec"].update(replicas=3))
    assert changed(m, three) == ["spec.replicas: 2 -> 3"]
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "api"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}}}
    found = diff([m, hpa], [three])
    assert found.changed == [] and found.not_compared == ["HorizontalPodAutoscaler api (its kind is not listed)"]


def test_named_lists_match_by_name_and_what_only_lives_in_a_pod_is_a_webhooks():
    m = deployment(env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                   ports=[{"name": "http", "containerPort": 8000}])
    assert changed(m, edited(m, lambda o: container(o)["env"].reverse())) == []

    def webhook(o):
        spec = o["spec"]["template"]["spec"] if o["kind"] == "Deployment" else o["spec"]
        spec["containers"][0]["env"].append({"name": "DD_AGENT_HOST", "value": "x"})
        spec["containers"].insert(0, {"name": "istio-proxy", "image": "istio/proxyv2:1"})
    # webhooks mutate Pods at their creation, never a controller's template: there, items only live are drift
    assert [f.path for f in diff([m], [edited(m, webhook)]).changed] == [
        "spec.template.spec.containers[api].env[DD_AGENT_HOST]", "spec.template.spec.containers[istio-proxy]"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"app.kubernetes.io/instance": "rel"}},
           "spec": copy.deepcopy(m["spec"]["template"]["spec"])}
    assert changed(pod, edited(pod, webhook)) == []
    # a port is no webhook's item: one only live is a field the manifest leaves out, and not a default
    assert [f.path for f in diff([m], [edited(m, lambda o: container(o)["ports"].insert(
        0, {"name": "metrics", "containerPort": 9090}))]).changed] == ["spec.template.spec.containers[api].ports[metrics]"]
    assert [f.path for f in diff([m], [edited(m, lambda o: container(o)["env"].pop(0))]).changed] == [
        "spec.template.spec.containers[api].env[A]"]


def test_a_node_port_is_the_api_servers_only_on_a_node_port_service():
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
           "spec": {"selector": {"app": "db"}, "ports": [{"name": "pg", "port": 5432}]}}
    as_type = lambda t, port: edited(svc, lambda o: (o["spec"].update(type=t) if t else None,  # noqa: E731
                                                     o["spec"]["ports"][0].update(nodePort=port)))
    assert changed({**svc, "spec": {**svc["spec"], "type": "NodePort"}}, as_type("NodePort", 31432)) == []
    assert changed(svc, as_type(None, 31432)) == ["spec.ports[pg].nodePort: absent -> 31432"]
    assert [f.path for f in diff([{**svc, "spec": {**svc["spec"], "type": "NodePort"}}], [as_type("NodePort", 1)]).changed
            ] == ["spec.ports[pg].nodePort"]


def test_env_order_matters_only_where_a_value_expands_an_earlier_variable():
    m = deployment(env=[{"name": "HOST", "value": "db"}, {"name": "URL", "value": "pg://$(HOST)/x"}])
    reversed_env = edited(m, lambda o: container(o)["env"].reverse())
    assert [f.path for f in diff([m], [reversed_env]).changed] == ["spec.template.spec.containers[api].env[URL] order"]
    plain = deployment(env=[{"name": "HOST", "value": "db"}, {"name": "URL", "value": "pg://db/x"}])
    assert changed(plain, edited(plain, lambda o: container(o)["env"].reverse())) == []


def test_a_boolean_is_not_a_number():
    m = deployment()
    m["spec"]["paused"] = False
    assert changed(m, edited(m, lambda o: o["spec"].update(paused=0))) == ["spec.paused: False -> 0"]


def test_missing_and_extra_objects_but_not_the_controllers_children():
    m = deployment()
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}, "spec": {"selector": {"app": "api"}}}
    child = {"kind": "Pod", "metadata": {"name": "api-7d9-x", "labels": {"app": "api"},
                                         "ownerReferences": [{"kind": "ReplicaSet", "name": "api-7d9"}]}}
    bare = {"kind": "Pod", "metadata": {"name": "debug", "labels": {"app": "api"}}}
    labelled = edited(m, lambda o: o["metadata"].update(name="api-canary"))
    annotated = {"kind": "ServiceAccount", "metadata": {"name": "sa", "annotations": {"meta.helm.sh/release-name": "rel"}}}
    unrelated = {"kind": "ServiceAccount", "metadata": {"name": "default"}}
    found = diff([m, service], [m, child, bare, labelled, annotated, unrelated])
    assert [f.field for f in found.missing] == ["Service api"]
    assert sorted(f"{f.field}: {f.live}" for f in found.extra) == [
        "Deployment api-canary: present, labelled app.kubernetes.io/instance=rel",
        "Pod debug: present, its labels match Deployment api's selector",
        "ServiceAccount sa: present, annotated meta.helm.sh/release-name=rel"]


def test_secrets_are_compared_redacted_and_no_value_is_ever_shown():
    from icepack_verify.redaction import redacted_secret

    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "c2VjcmV0"}}
    assert diff([secret], []).not_compared == ["Secret db (its kind is not listed)"]  # read_release_secrets = false
    live = redacted_secret({**secret, "data": {"password": "b3RoZXI=", "user": "aWNl"}, "immutable": True})
    found = diff([secret], [live])
    assert sorted(f"{f.path}: {f.desired} -> {f.live}" for f in found.changed) == [
        "data.user: absent -> (a value, not read)", "immutable: absent -> True"]  # the password's value differs unseen
    assert "c2VjcmV0" not in repr(found) and "b3RoZXI" not in repr(found)


def test_a_manifest_that_is_not_yaml_is_one_sentence():
    with pytest.raises(BadManifest, match="not valid YAML"):
        manifest_objects({"manifest": "kind: [unclosed"})
    with pytest.raises(BadManifest, match="no manifest"):
        manifest_objects({})
    listed = manifest_objects({"manifest": "---\nkind: List\nitems:\n- {kind: Service, metadata: {name: a}}\n---\n"})
    assert [o["metadata"]["name"] for o in listed] == ["a"]


# --- the probes of drifts/generic.py, without a twin ---------------------------------------------

def _sets(desired, live) -> bool:
    """A plain comparison: every field the manifest sets holds the same value live (lists equal as lists)."""
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(_sets(v, live.get(k)) for k, v in desired.items())
    return desired == live


def _release_and_live(objs):
    manifest = manifest_objects(chart.decode_release(chart.release_secrets(objs)[0]))
    live = {k: [o for o in objs if o["kind"] == k and o["metadata"].get("namespace") == "icepack"]
            for k in SNAPSHOT_KINDS}
    return manifest, live


# webhook-injected-sidecar edits Pods only (no release object): the derivation chain's probe
@pytest.mark.parametrize("probe", [p for p in generic.PROBES if p.name != "webhook-injected-sidecar"],
                         ids=lambda p: p.name)
def test_each_probe_differs_from_the_manifest_and_matches_the_release(probe):
    objs = chart.render(values_for("local"), NOW)
    probe.objects(objs)
    manifest, live = _release_and_live(objs)
    index = {(o["kind"], o["metadata"]["name"]): o for objs_ in live.values() for o in objs_}
    plain = [(m["kind"], m["metadata"]["name"]) for m in manifest if (m["kind"], m["metadata"]["name"]) in index
             and not _sets({k: v for k, v in m.items() if k not in ("apiVersion", "kind", "status")},
                           index[m["kind"], m["metadata"]["name"]])]
    assert plain, f"{probe.name} leaves every object as the manifest has it: it probes nothing"
    found = diff_release(manifest, live, "icepack")
    assert not (found.changed or found.missing or found.extra), found


def test_the_healthy_chart_matches_its_release_in_every_environment():
    for env in ("dev", "stage", "preprod", "prod", "local"):
        manifest, live = _release_and_live(chart.render(values_for(env), NOW))
        found = diff_release(manifest, live, "icepack")
        assert len(manifest) >= 8 and not (found.changed or found.missing or found.extra), (env, found)


# --- a field left out live is its Kubernetes default; a CronJob's zone is the controller's ---

def _cron_manifest(**spec) -> dict:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
            "spec": {"schedule": "0 */2 * * *", "timeZone": "Etc/UTC", "suspend": False, "jobTemplate": {"spec": {
                "template": {"spec": {"terminationGracePeriodSeconds": 30, "containers": [
                    {"name": "c", "image": "repo/c:2f9c1e7", "imagePullPolicy": "IfNotPresent"}]}}}}, **spec}}


def _drop(path: tuple):
    def edit(o):
        *parents, leaf = path
        node = o
        for key in parents:
            node = node[key]
        del node[leaf]
    return edit


CJ_POD = ("spec", "jobTemplate", "spec", "template", "spec")


@pytest.mark.parametrize("path, rendered, drift_words", [
    (("spec", "suspend"), True, "left out live, it holds Kubernetes' default False"),
    ((*CJ_POD, "terminationGracePeriodSeconds"), 60, "default 30"),
    ((*CJ_POD, "containers", 0, "imagePullPolicy"), "Always", "default 'IfNotPresent'"),
])
def test_a_field_left_out_live_is_its_default_equal_or_not_to_the_rendered_value(path, rendered, drift_words):
    """Left out live (a live object never lacks a defaulted field: this models 'live holds the default'):
    equal to the rendered value, no finding; another rendered value, a finding naming the default."""
    m = _cron_manifest()
    assert changed(m, edited(m, _drop(path))) == []
    *parents, leaf = path

    def render(o):
        node = o
        for key in parents:
            node = node[key]
        node[leaf] = rendered
    other = edited(m, render)
    found = diff([other], [edited(m, _drop(path))]).changed
    assert [f.note for f in found] and drift_words in found[0].note, found


def test_image_pull_policy_defaults_by_tag_and_completions_only_without_parallelism():
    latest = _cron_manifest()
    latest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0].update(image="repo/c:latest",
                                                                                        imagePullPolicy="Always")
    assert changed(latest, edited(latest, _drop((*CJ_POD, "containers", 0, "imagePullPolicy")))) == []
    pinned = edited(latest, lambda o: o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0].update(
        image="repo/c:2f9c1e7"))  # the same 'Always' rendered, a pinned tag: left out live is IfNotPresent
    assert changed(pinned, edited(pinned, _drop((*CJ_POD, "containers", 0, "imagePullPolicy"))))
    m = _cron_manifest()
    with_one = edited(m, lambda o: o["spec"]["jobTemplate"]["spec"].update(completions=1))
    assert changed(m, with_one) == []  # the Job made from either is defaulted to completions 1 (SetDefaults_Job)
    assert changed(m, edited(m, lambda o: o["spec"]["jobTemplate"]["spec"].update(completions=3))) == [
        "spec.jobTemplate.spec.completions: absent -> 3"]
    queue = edited(m, lambda o: o["spec"]["jobTemplate"]["spec"].update(parallelism=3))
    assert changed(queue, edited(queue, lambda o: o["spec"]["jobTemplate"]["spec"].update(completions=1))) == [
        "spec.jobTemplate.spec.completions: absent -> 1"]  # with parallelism 3, 1 completion is not a work queue's


def test_no_time_zone_is_the_controllers_and_an_empty_one_is_none():
    m = _cron_manifest()
    no_zone = edited(m, _drop(("spec", "timeZone")))
    assert changed(m, no_zone) == []  # the controller's zone is UTC (checks.controller_time_zone default)
    by_kind = {k: [] for k in SNAPSHOT_KINDS} | {"CronJob": [no_zone]}
    berlin = diff_release([m], by_kind, "rel", controller_zone="Europe/Berlin").changed
    assert [f.path for f in berlin] == ["spec.schedule (in spec.timeZone)"]
    assert "Europe/Berlin (no spec.timeZone: the controller's zone)" in str(berlin[0].live)
    every_15 = _cron_manifest(schedule="*/15 * * * *")
    assert diff_release([every_15], {**by_kind, "CronJob": [edited(every_15, _drop(("spec", "timeZone")))]}, "rel",
                        controller_zone="Europe/Berlin").changed == []  # whole-hour offsets: the same quarter hours
    empty = diff([m], [edited(m, lambda o: o["spec"].update(timeZone=""))]).changed
    assert len(empty) == 1 and "the API server refuses it" in empty[0].note
    assert zone("") is None and zone(None) == timezone.utc  # callers pass the controller's zone for an unset one


# Where the schemas carry no "Defaults to" sentence, the defaulting function that sets it (k8s.io/kubernetes).
DEFAULTED_IN_CODE = {
    ("Deployment", ("spec", "paused")): "a bool left out is false (apps/v1 DeploymentSpec.paused)",
    ("CronJob", ("spec", "concurrencyPolicy")): "batch/v1 SetDefaults_CronJob: Allow (the schema: '\"Allow\" (default)')",
    ("Service", ("spec", "ipFamilyPolicy")): "core/v1 Service REST strategy: SingleStack on a single-stack cluster",
    ("Service", ("spec", "externalTrafficPolicy")): "core/v1 SetDefaults_Service: Cluster for NodePort/LoadBalancer",
    **{(k, (*p, "parallelism")): "batch/v1 SetDefaults_Job: parallelism 1" for k, p in
       (("CronJob", ("spec", "jobTemplate", "spec")), ("Job", ("spec",)), ("ScaledJob", ("spec", "jobTargetRef")))},
    ("template", "spec", "schedulerName"): "core/v1 SetDefaults_PodSpec: default-scheduler",
    ("template", "spec", "securityContext"): "core/v1 SetDefaults_PodSpec: an empty PodSecurityContext",
    ("containers", "[]", "resources"): "the API server serves an unset ResourceRequirements as {}",
    ("env", "[]", "valueFrom", "fieldRef", "apiVersion"): "core/v1 SetDefaults_ObjectFieldSelector: v1",
    ("volumes", "[]", "projected", "defaultMode"): "core/v1 SetDefaults_ProjectedVolumeSource: 0644",
    ("template", "metadata", "creationTimestamp"): "a template's metadata is served with creationTimestamp null",
    ("jobTemplate", "metadata", "creationTimestamp"): "a template's metadata is served with creationTimestamp null",
}
# A concrete field of a kind for each suffix of release_diff.DEFAULTS (the first match in a Pod or a Deployment).
_SUFFIX_AT = {"containers": ("v1", "Pod", ("spec",)), "ports": ("v1", "Pod", ("spec", "containers", "[]")),
              "httpGet": ("v1", "Pod", ("spec", "containers", "[]", "readinessProbe")),
              "template": ("apps/v1", "Deployment", ("spec",)), "env": ("v1", "Pod", ("spec", "containers", "[]")),
              "volumes": ("v1", "Pod", ("spec",)),
              **{p: ("v1", "Pod", ("spec", "containers", "[]")) for p in ("readinessProbe", "livenessProbe", "startupProbe")}}
_API_VERSIONS = {"Deployment": "apps/v1", "CronJob": "batch/v1", "Job": "batch/v1", "Service": "v1",
                 "PersistentVolumeClaim": "v1"}


def _description(api_version: str, kind: str, path: tuple) -> str:
    from icepack_twin.mutate import kube_schema as ks
    schema = ks.kind_schema(api_version, kind)
    for key in path:
        schema = ks.items(schema) if key == "[]" else ks.child(schema, key)
        assert schema is not None, f"{kind} {'.'.join(path)}: no such field in the shipped schema"
    return schema.get("description") or (ks.resolve(schema) or {}).get("description") or ""


def _states(description: str, value) -> bool:
    text = {True: "true", False: "false"}.get(value, str(value)) if isinstance(value, bool) else str(value)
    v = re.escape(text)
    return bool(re.search(rf"default(?:s| is| to| value)?,?[^.]*?\"?{v}\"?(?:s| seconds?)?(?!\w)|\"?{v}\"? \(default\)|"
                          rf"Value of {v} is implied", description, re.I))


def test_every_default_is_the_one_the_shipped_schemas_or_kubernetes_defaulting_state():
    """release_diff's tables against kubernetes-validate's schemas (the emulator's Kubernetes version): each
    default is the one the field's description states, or one a named defaulting function sets."""
    from icepack_verify.release_diff import DEFAULTS, KIND_DEFAULTS
    unstated = []
    for kind, table in KIND_DEFAULTS.items():
        for path, value in table.items():
            if kind in _API_VERSIONS and (kind, path) not in DEFAULTED_IN_CODE and not _states(
                    _description(_API_VERSIONS[kind], kind, path), value):
                unstated.append(f"{kind} {'.'.join(path)} = {value!r}")
    for suffix, value in DEFAULTS.items():
        if suffix in DEFAULTED_IN_CODE:
            continue
        api_version, kind, prefix = _SUFFIX_AT[suffix[0]]
        path = (*prefix, *suffix)
        if suffix[0] == "volumes":
            value = "0644" if value == 420 else value  # the schema writes the mode in octal
        if not _states(_description(api_version, kind, path), value):
            unstated.append(f"{kind} {'.'.join(path)} = {value!r}")
    assert not unstated, "defaults no schema description states:\n" + "\n".join(unstated)
