"""The deployed Helm release against the live namespace: every object of its manifest, field by field.

Argo CD shows a release OutOfSync when a live field differs from the desired manifest, once
what Kubernetes and its controllers fill in is set aside (gitops-engine, pkg/diff). The same
here, over the one cluster snapshot, shown as `kubectl diff` would: path, desired, live.

Findings:
* a field the manifest sets that the live object holds differently (or not at all);
* an object of the manifest missing live;
* a live object carrying the release's instance label or `meta.helm.sh/release-name`, or
  matching one of its selectors, that is not in the manifest.

* a field the manifest leaves out that the live object holds, unless it is the API server's
  default for that field (DEFAULTS, KIND_DEFAULTS, written from Kubernetes' defaulting:
  pkg/apis/core/v1, apps/v1, batch/v1 defaults.go; KEDA's documented defaults), a value it
  allocates (SERVER_SET: a Service's cluster IPs, the node ports of a NodePort or LoadBalancer
  Service, a claim's volume), or a whole item an admission webhook injects into a Pod
  (WEBHOOK_LISTS: a sidecar container, a volume, an env var, a mount): one rule for every kind.
  Webhooks mutate Pods as they are created, never the pod templates of Deployments, Jobs,
  CronJobs or ScaledJobs (Kubernetes "Dynamic Admission Control": a webhook sees the CREATE of
  the Pod; the template is stored as applied): an item only live in a template is drift;

* a label or annotation the manifest leaves out, unless its key is in a domain controllers and
  tools own (`checks.controller_metadata_domains`: kubernetes.io, k8s.io and their subdomains,
  Helm's meta.helm.sh ...): `kubectl annotate` or a console edit outside the release;

Not findings, each for a reason:
* what admission webhooks and controllers add to labels and annotations under their own
  domains (above), and whole items they inject into a Pod's lists (WEBHOOK_LISTS; a Pod of the
  manifest only: controllers' Pods are the derivation chain's);
* a field the manifest sets to its known default that the live object leaves out (DEFAULTS,
  KIND_DEFAULTS, and CONDITIONAL where the default depends on a sibling: imagePullPolicy on the
  image's tag, a Job's completions on its parallelism; the API server does not default custom
  resources such as KEDA's). A live object never lacks a defaulted field, so "left out live" reads
  as "holds the default": set to another value in the manifest, it is a finding naming that default
  (selftest/test_release_diff.py checks the tables against the schemas kubernetes-validate ships);
* what controllers own: status; metadata other than labels, annotations and owner references
  (uid, resourceVersion, generation, managedFields...: an owner reference on an object of the
  manifest is a finding, as the garbage collector deletes it with that owner); the annotations
  controllers and kubectl write (OWNED_ANNOTATIONS); spec.replicas of an object an HPA or a
  KEDA ScaledObject scales; objects a controller made (any ownerReference: ReplicaSets,
  Pods, Jobs are their controllers' children, not extras);
* the equal forms `semantics` knows: quantities by value, images by what a runtime pulls,
  a CronJob's schedule together with its spec.timeZone by the instants it fires (no spec.timeZone:
  the kube-controller-manager's zone, checks.controller_time_zone; '' is no zone, which the API
  server's validation refuses);
* order in lists of named items (containers, env, ports, volumes: matched by their merge key,
  as a strategic merge patch does), except env order where a value expands an earlier
  variable: `$(VAR)` only sees the variables listed before it.

Secrets are compared redacted, on both sides (redaction.redacted_secret): their metadata, type,
immutable flag and key names, never a value. Not compared: kinds the snapshot does not list
(`not_compared` names them), Secrets among them when the suite may not list them.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

import yaml

from icepack_verify.diagnosis import Said
from icepack_verify.redaction import redacted_secret
from icepack_verify.semantics import (fire_times, next_fires, parse_image, same_image, same_quantity, same_schedule,
                                      valid_schedule, zone)

ABSENT = Said("absent")
NONE = Said("no default")  # a field Kubernetes leaves unset when it is left out
NEVER_COMPARED = {"Event": "", "Node": ""}  # Events and Nodes are no release's objects
OWNED_ANNOTATIONS = frozenset({
    "deployment.kubernetes.io/revision", "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas", "kubectl.kubernetes.io/last-applied-configuration",
    "pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller",
    "volume.kubernetes.io/storage-provisioner", "volume.beta.kubernetes.io/storage-provisioner",
})
RELEASE_LABEL, RELEASE_ANNOTATION = "app.kubernetes.io/instance", "meta.helm.sh/release-name"
# Hand changes that are an operational state, not a chart change: resume it, nothing to roll back.
OPERATIONAL = frozenset({"spec.suspend", "spec.paused", 'metadata.annotations["autoscaling.keda.sh/paused"]'})

_PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
# Suffixes of a field's path (list items as "[]") -> the value Kubernetes fills in when it is left out.
DEFAULTS: dict[tuple[str, ...], Any] = {
    ("containers", "[]", "terminationMessagePath"): "/dev/termination-log",
    ("containers", "[]", "terminationMessagePolicy"): "File",
    ("ports", "[]", "protocol"): "TCP",
    ("httpGet", "scheme"): "HTTP",
    **{(p, k): v for p in _PROBES for k, v in
       (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3))},
    ("template", "spec", "dnsPolicy"): "ClusterFirst",
    ("template", "spec", "schedulerName"): "default-scheduler",
    ("template", "spec", "terminationGracePeriodSeconds"): 30,
    ("template", "spec", "securityContext"): {},
    ("template", "spec", "enableServiceLinks"): True,
    ("template", "metadata", "creationTimestamp"): None,  # served as null in every template
    ("jobTemplate", "metadata", "creationTimestamp"): None,
    ("containers", "[]", "resources"): {},
    ("env", "[]", "valueFrom", "fieldRef", "apiVersion"): "v1",
    **{("volumes", "[]", source, "defaultMode"): 420 for source in ("secret", "configMap", "projected", "downwardAPI")},
}
# A Job made from a template is defaulted (batch/v1 SetDefaults_Job): a CronJob's or ScaledJob's template holding
# these values makes the very Jobs one leaving them out does. completions: CONDITIONAL.
_JOB = {("backoffLimit",): 6, ("parallelism",): 1}
# Whole paths from the object's root, per kind.
KIND_DEFAULTS: dict[str, dict[tuple[str, ...], Any]] = {
    # an unset automountServiceAccountToken mounts the token (the ServiceAccount admission plugin)
    "ServiceAccount": {("automountServiceAccountToken",): True},
    "Secret": {("immutable",): False},
    "Deployment": {("spec", "revisionHistoryLimit"): 10, ("spec", "progressDeadlineSeconds"): 600, ("spec", "paused"): False,
                   ("spec", "strategy", "type"): "RollingUpdate",
                   ("spec", "strategy", "rollingUpdate", "maxSurge"): "25%",
                   ("spec", "strategy", "rollingUpdate", "maxUnavailable"): "25%",
                   ("spec", "template", "spec", "restartPolicy"): "Always"},
    "Service": {("spec", "sessionAffinity"): "None", ("spec", "internalTrafficPolicy"): "Cluster",
                ("spec", "externalTrafficPolicy"): "Cluster", ("spec", "ipFamilyPolicy"): "SingleStack"},
    "CronJob": {("spec", "concurrencyPolicy"): "Allow", ("spec", "suspend"): False,
                ("spec", "successfulJobsHistoryLimit"): 3, ("spec", "failedJobsHistoryLimit"): 1,
                **{("spec", "jobTemplate", "spec", *k): v for k, v in _JOB.items()}},
    "Job": {("spec", *k): v for k, v in _JOB.items()},
    "ScaledJob": {("spec", "pollingInterval"): 30, ("spec", "maxReplicaCount"): 100,
                  ("spec", "successfulJobsHistoryLimit"): 100, ("spec", "failedJobsHistoryLimit"): 100,
                  ("spec", "scalingStrategy", "strategy"): "default",
                  **{("spec", "jobTargetRef", *k): v for k, v in _JOB.items()}},
    "PersistentVolumeClaim": {("spec", "volumeMode"): "Filesystem"},
}
# Defaults that depend on a sibling field: suffix -> (the sibling's dict -> the value filled in, or None: none).
CONDITIONAL: dict[tuple[str, ...], Callable[[dict], Any]] = {
    # core/v1 SetDefaults_Container: Always for the tag latest (or neither tag nor digest), else IfNotPresent
    **{(c, "[]", "imagePullPolicy"): lambda ctr: "Always" if getattr(parse_image(ctr.get("image")), "tag", None)
       == "latest" else "IfNotPresent" for c in ("containers", "initContainers")},
    # batch/v1 SetDefaults_Job: completions is 1 when parallelism is left out (left out beside a parallelism of 1,
    # the one pod's success is the Job's: the same Job); beside a larger parallelism it stays unset (a work queue)
    ("completions",): lambda job: 1 if job.get("parallelism") in (None, 1) else None,
}
# Fields the API server (or an admission plugin) sets to a value of its own when the manifest leaves
# them out: root paths per kind, any value (a Service's node ports: NODE_PORTS).
SERVER_SET: dict[str, frozenset[tuple[str, ...]]] = {
    "Service": frozenset({("spec", "clusterIP"), ("spec", "clusterIPs"), ("spec", "ipFamilies"),
                          ("spec", "ipFamilyPolicy"), ("spec", "allocateLoadBalancerNodePorts"),
                          ("spec", "loadBalancerClass")}),  # the AWS Load Balancer Controller's webhook sets it
    "PersistentVolumeClaim": frozenset({("spec", "volumeName"), ("spec", "storageClassName")}),  # binding, DefaultStorageClass
    "ServiceAccount": frozenset({("secrets",)}),  # the token controller, before Kubernetes 1.24
}
# A Service's node ports: the API server allocates them only for type NodePort or LoadBalancer, from
# --service-node-port-range (default 30000-32767; EKS keeps the default). On a ClusterIP Service a
# nodePort is rejected by validation; live, it is drift. (Kubernetes "Service": type NodePort.)
NODE_PORTS = frozenset({("spec", "ports", "[]", "nodePort"), ("spec", "healthCheckNodePort")})
NODE_PORT_TYPES = frozenset({"NodePort", "LoadBalancer"})
NODE_PORT_RANGE = range(30000, 32768)
# Lists of a Pod whose items an admission webhook may inject whole at the Pod's creation (a sidecar, its
# volume, an agent's env var or mount): an item only live there is the webhook's. Pods only: webhooks
# do not rewrite the templates of Deployments, Jobs, CronJobs or ScaledJobs.
WEBHOOK_LISTS = frozenset({"containers", "initContainers", "volumes", "env", "envFrom", "volumeMounts"})
# Lists of named items, matched by the key a strategic merge patch uses, not by index.
MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
              "volumes": "name", "volumeMounts": "mountPath", "imagePullSecrets": "name", "ports": "name",
              "hostAliases": "ip"}
_QUANTITY_PARENTS = frozenset({"requests", "limits", "capacity", "hard"})
_VAR = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where installed: the same documents, faster


class BadManifest(Exception):
    """The release's manifest could not be read; the message is one sentence."""


@dataclass(frozen=True)
class Finding:
    kind: str
    name: str
    path: str          # 'spec.template.spec.containers[api].env[AWS_REGION].value'; '' for the object itself
    desired: Any       # what the manifest says
    live: Any          # what the cluster holds
    note: str | None = None

    @property
    def field(self) -> str:
        return f"{self.kind} {self.name}" + (f" {self.path}" if self.path else "")

    @property
    def operational(self) -> bool:
        return self.path in OPERATIONAL


@dataclass
class ReleaseDiff:
    changed: list[Finding] = field(default_factory=list)   # fields the manifest sets, held differently live
    missing: list[Finding] = field(default_factory=list)   # objects of the manifest absent live
    extra: list[Finding] = field(default_factory=list)     # the release's objects live, not in the manifest
    not_compared: list[str] = field(default_factory=list)  # 'TriggerAuthentication icepack-postgres-auth (...)'


def comparable_kinds(cluster) -> list[str]:
    """The kinds the snapshot lists in full (a Secret listing holds only the release records)."""
    return [kind for kind in cluster.listings if kind not in NEVER_COMPARED and kind != "Secret"]


def comparable_live(cluster, objects) -> dict[str, list[dict]]:
    """kind -> every live object of that kind the release is compared with: the kinds listed in full, and
    the Secrets redacted, when the suite may list them (read_release_secrets)."""
    live = {kind: objects.all(kind) for kind in comparable_kinds(cluster)}
    if getattr(cluster, "redacted_secrets", None) is not None:
        live["Secret"] = cluster.redacted_secrets
    return live


def manifest_objects(release: dict) -> list[dict]:
    """The objects of a decoded release record's `manifest` (multi-document YAML, `List`s flattened)."""
    text = release.get("manifest")
    if not isinstance(text, str):
        raise BadManifest("the release record has no manifest")
    try:
        docs = list(yaml.load_all(text, Loader=_LOADER))
    except yaml.YAMLError as exc:
        raise BadManifest(f"its manifest is not valid YAML ({type(exc).__name__})") from None
    flat = [i for d in docs if isinstance(d, dict)
            for i in (d.get("items") or [] if str(d.get("kind", "")).endswith("List") else [d])]
    return [d for d in flat if isinstance(d, dict) and d.get("kind") and (d.get("metadata") or {}).get("name")]


def controller_key(key: str, domains: tuple[str, ...]) -> bool:
    """A label or annotation key under one of these domains or a subdomain of one
    ('deployment.kubernetes.io/revision' is under kubernetes.io); a key with no prefix is no one's."""
    prefix = key.rpartition("/")[0]
    return bool(prefix) and any(prefix == d or prefix.endswith("." + d) for d in domains)


def diff_release(manifest: list[dict], live: dict[str, list[dict]], release: str,
                 metadata_domains: tuple[str, ...] = (), controller_zone: str = "UTC") -> ReleaseDiff:
    """Compare the manifest with `live` (kind -> every object of that kind in the namespace, for the
    kinds the snapshot lists in full) for the release named `release`. A label or annotation only live
    is drift unless its key is under one of `metadata_domains` (controller_key); a CronJob without
    spec.timeZone fires in `controller_zone` (checks.controller_time_zone)."""
    out = ReleaseDiff()
    index = {(kind, o["metadata"]["name"]): o for kind, objs in live.items() for o in objs}
    scaled = _autoscaled(manifest, live)
    manifest = [redacted_secret(m) if m["kind"] == "Secret" else m for m in manifest]  # values never compared
    for m in manifest:
        kind, name = m["kind"], m["metadata"]["name"]
        if kind in NEVER_COMPARED or kind not in live:
            out.not_compared.append(f"{kind} {name} ({NEVER_COMPARED.get(kind) or 'its kind is not listed'})")
            continue
        obj = index.get((kind, name))
        if obj is None:
            present = ", ".join(sorted(o["metadata"]["name"] for o in live[kind])) or "none"
            out.missing.append(Finding(kind, name, "", Said("present (in the manifest)"),
                                       Said(f"absent (the {kind}s in the namespace: {present})")))
        else:
            out.changed += _Walk(kind, name, obj, metadata_domains, controller_zone).object(m, obj, (kind, name) in scaled)
    desired = {(m["kind"], m["metadata"]["name"]) for m in manifest}
    selectors = _selectors(manifest)
    for kind, objs in live.items():
        for o in objs if kind not in NEVER_COMPARED else ():
            meta = o["metadata"]
            if (kind, meta["name"]) in desired or meta.get("ownerReferences"):
                continue  # the release's own, or a controller's child
            if why := _belongs(meta, release, selectors):
                out.extra.append(Finding(kind, meta["name"], "", Said("not in the manifest"), Said(f"present, {why}")))
    return out


def _autoscaled(manifest: list[dict], live: dict[str, list[dict]]) -> set[tuple[str, str]]:
    """(kind, name) of every object an HPA or a KEDA ScaledObject scales: its spec.replicas is theirs."""
    scalers = [o for o in manifest if o["kind"] in ("HorizontalPodAutoscaler", "ScaledObject")]
    scalers += [o for k in ("HorizontalPodAutoscaler", "ScaledObject") for o in live.get(k, ())]
    refs = ((o.get("spec") or {}).get("scaleTargetRef") or {} for o in scalers)
    return {(ref.get("kind") or "Deployment", ref.get("name")) for ref in refs}


def _selectors(manifest: list[dict]) -> list[tuple[str, dict]]:
    found = []
    for m in manifest:
        spec = m.get("spec") or {}
        sel = spec.get("selector") if m["kind"] == "Service" else (spec.get("selector") or {}).get("matchLabels")
        if isinstance(sel, dict) and sel:
            found.append((f"{m['kind']} {m['metadata']['name']}", sel))
    return found


def _belongs(meta: dict, release: str, selectors: list[tuple[str, dict]]) -> str | None:
    """Why a live object is the release's (its label, its annotation, a selector it matches), or None."""
    labels = meta.get("labels") or {}
    if labels.get(RELEASE_LABEL) == release:
        return f"labelled {RELEASE_LABEL}={release}"
    if (meta.get("annotations") or {}).get(RELEASE_ANNOTATION) == release:
        return f"annotated {RELEASE_ANNOTATION}={release}"
    return next((f"its labels match {owner}'s selector" for owner, sel in selectors if sel.items() <= labels.items()),
                None)


def _show(value: Any) -> Any:
    """A value for a message: scalars as they are, structures as compact JSON (cut at 120 characters)."""
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
        return Said(text if len(text) <= 120 else text[:117] + "...")
    return value


def _token(key: str) -> str:
    return f'["{key}"]' if "." in key or "/" in key else f".{key}"


class _Walk:
    """One object's comparison: every field the manifest sets, against the live object."""

    def __init__(self, kind: str, name: str, live: dict | None = None, metadata_domains: tuple[str, ...] = (),
                 controller_zone: str = "UTC"):
        self.kind, self.name, self.domains, self.controller_zone = kind, name, metadata_domains, controller_zone
        self.service_type = ((live or {}).get("spec") or {}).get("type") or "ClusterIP"
        self.found: list[Finding] = []

    def differ(self, path: str, desired: Any, live: Any, note: str | None = None) -> None:
        self.found.append(Finding(self.kind, self.name, path.lstrip("."), _show(desired), _show(live), note))

    def object(self, m: dict, live: dict, autoscaled: bool) -> list[Finding]:
        meta_m, meta_l = m.get("metadata") or {}, live.get("metadata") or {}
        for key in ("labels", "annotations"):
            wanted = {k: v for k, v in (meta_m.get(key) or {}).items() if k not in OWNED_ANNOTATIONS}
            got = meta_l.get(key) or {}
            self.walk(wanted, got, f"metadata.{key}", ("metadata", key))
            for k in sorted(got.keys() - (meta_m.get(key) or {}).keys()) if isinstance(got, dict) else ():
                if k not in OWNED_ANNOTATIONS and not controller_key(k, self.domains):
                    self.differ(f"metadata.{key}{_token(k)}", ABSENT, got[k],
                                f"the manifest leaves it out and its key is in no controller's domain "
                                f"({', '.join(self.domains) or 'none'}): written outside the release")
        if meta_l.get("ownerReferences") and not meta_m.get("ownerReferences"):
            self.differ("metadata.ownerReferences", ABSENT, meta_l["ownerReferences"],
                        "an owner the release does not declare: deleting that owner deletes this object (K8s garbage "
                        "collection)")
        for key, value in m.items():
            if key in ("apiVersion", "kind", "metadata", "status"):
                continue
            got = live.get(key, ABSENT)
            if key == "spec" and isinstance(value, dict) and isinstance(got, dict):
                value, got = dict(value), dict(got)
                if autoscaled:  # the autoscaler's, not the chart's
                    value.pop("replicas", None)
                    got.pop("replicas", None)
                if self.kind == "CronJob" and "schedule" in value:
                    self.schedule(value.pop("schedule"), value.pop("timeZone", None), got)
                    got.pop("schedule", None)
                    got.pop("timeZone", None)
            self.walk(value, got, key, (key,))
        for key in live.keys() - m.keys() - {"apiVersion", "kind", "metadata", "status"}:
            self.extra(live[key], key, (key,), live)  # set live, left out of the manifest (a Secret made immutable)
        return self.found

    def schedule(self, schedule: Any, time_zone: Any, live: dict) -> None:
        """A schedule is judged with its time zone, by the instants it fires; no spec.timeZone is the
        controller's zone, and '' is no zone at all (the API server's validation refuses it)."""
        got, got_zone = live.get("schedule"), live.get("timeZone")
        want_tz, got_tz = (self.controller_zone if z is None else z for z in (time_zone, got_zone))
        if not _same_fires(schedule, want_tz, got, got_tz):
            note = (f"spec.timeZone {got_zone!r} is no time zone: the API server refuses it (batch/v1 CronJob "
                    "validation: nil or a tz database name)" if zone(got_tz) is None and got_zone is not None else
                    f"desired fires {next_fires(schedule, want_tz)}; live fires {next_fires(got, got_tz)}")
            self.differ("spec.schedule (in spec.timeZone)", Said(f"{schedule!r} in {_zone_said(time_zone, want_tz)}"),
                        Said(f"{got!r} in {_zone_said(got_zone, got_tz)}"), note)

    def walk(self, m: Any, live: Any, path: str, shape: tuple[str, ...], parent: dict | None = None) -> None:
        if m is None or m == {} or m == []:
            return  # the manifest sets nothing here (the API server drops empty fields)
        if live is ABSENT:
            if not self.defaulted(m, shape, parent or {}):
                default = self.default(shape, parent or {})
                self.differ(path, m, ABSENT, None if default is NONE else
                            f"left out live, it holds Kubernetes' default {default!r}")
        elif isinstance(m, dict):
            if not isinstance(live, dict):
                self.differ(path, m, live)
                return
            for key, value in m.items():
                self.walk(value, live.get(key, ABSENT), path + _token(key), shape + (key,), m)
            for key in live.keys() - m.keys():
                self.extra(live[key], path + _token(key), shape + (key,), live)
        elif isinstance(m, list):
            if not isinstance(live, list):
                self.differ(path, m, live)
            elif key := _merge_key(shape[-1], m):
                self.named(m, live, key, path, shape)
            elif any(isinstance(i, (dict, list)) for i in m):
                if len(m) != len(live):
                    self.differ(path, m, live, f"{len(m)} items desired, {len(live)} live")
                    return
                for i, (mi, li) in enumerate(zip(m, live)):
                    self.walk(mi, li, f"{path}[{i}]", shape + ("[]",))
            elif len(m) != len(live) or not all(map(lambda a, b: _same(shape, a, b), m, live)):
                self.differ(path, m, live)
        elif not _same(shape, m, live):
            self.differ(path, m, live)

    def named(self, m: list, live: list, key: str, path: str, shape: tuple[str, ...]) -> None:
        """Items matched by their merge key; items only live (a webhook's) are not the manifest's business."""
        by_key = {i.get(key): i for i in live if isinstance(i, dict)}
        for item in m:
            self.walk(item, by_key.get(item[key], ABSENT), f"{path}[{item[key]}]", shape + ("[]",))
        if not self.webhook_list(shape):
            wanted = {item[key] for item in m}
            for name, item in by_key.items():
                if name not in wanted:
                    self.extra(item, f"{path}[{name}]", shape + ("[]",), {})
        if shape[-1] == "env":
            self.env_order(m, live, path)

    def env_order(self, m: list, live: list, path: str) -> None:
        """$(VAR) in an env value expands only variables listed before it: there, order is meaning."""
        before = {e["name"]: i for i, e in enumerate(m)}
        position = {e.get("name"): i for i, e in enumerate(live) if isinstance(e, dict)}
        for item in m:
            for ref in _VAR.findall(str(item.get("value") or "")):
                if (before.get(ref, len(m)) < before[item["name"]] and ref in position and item["name"] in position
                        and position[ref] > position[item["name"]]):
                    self.differ(f"{path}[{item['name']}] order", Said(f"{ref} listed before {item['name']}"),
                                Said(f"{ref} listed after {item['name']}"), f"$({ref}) in its value stays unexpanded")

    def extra(self, live: Any, path: str, shape: tuple[str, ...], parent: dict) -> None:
        """A field (or item) only live: its default, a value the API server allocates, or drift."""
        if shape[0] == "metadata" or shape in SERVER_SET.get(self.kind, ()):
            return  # labels and annotations: judged in object(), by their keys' domains
        # an empty value is a default only where Kubernetes writes that very value (a pod's securityContext {})
        if self.default_of(live, shape, parent) if live in (None, {}, []) else self.defaulted(live, shape, parent):
            return
        if shape[-1] == "targetPort" and live == parent.get("port"):
            return  # a Service port's targetPort defaults to its port
        if shape[-3:-1] in (("metadata", "labels"), ("metadata", "annotations")) and controller_key(shape[-1], self.domains):
            return  # a template's key a tool writes (kubectl rollout restart's restartedAt): the object's own rule
        if self.webhook_list(shape) and isinstance(live, list):
            return  # a list of the Pod the manifest leaves out: every item a webhook's
        if self.kind == "Service" and shape in NODE_PORTS and self.allocated_node_port(live):
            return
        if isinstance(live, dict) and live and shape[-1] != "[]":
            for key, value in live.items():
                self.extra(value, path + _token(key), shape + (key,), live)
            return
        self.differ(path, ABSENT, live, "the manifest leaves it out, and it is not what Kubernetes fills in")

    def webhook_list(self, shape: tuple[str, ...]) -> bool:
        """A list an admission webhook may add items to: a Pod's, never a controller's template."""
        return self.kind == "Pod" and shape[-1] in WEBHOOK_LISTS

    def allocated_node_port(self, port: Any) -> bool:
        """A node port the API server allocated: a NodePort/LoadBalancer Service's, inside the range."""
        return (self.service_type in NODE_PORT_TYPES and isinstance(port, int) and not isinstance(port, bool)
                and port in NODE_PORT_RANGE)

    def default(self, shape: tuple[str, ...], parent: dict) -> Any:
        """What Kubernetes (or KEDA) fills in for this field left out (`parent`: the object holding it);
        NONE where it fills in nothing."""
        for suffix, rule in CONDITIONAL.items():
            if shape[-len(suffix):] == suffix and (suffix != ("completions",) or _job_spec(self.kind, shape)):
                return NONE if (value := rule(parent)) is None else value
        if shape in KIND_DEFAULTS.get(self.kind, {}):
            return KIND_DEFAULTS[self.kind][shape]
        return next((v for suffix, v in DEFAULTS.items() if shape[-len(suffix):] == suffix), NONE)

    def default_of(self, value: Any, shape: tuple[str, ...], parent: dict) -> bool:
        """The value is the one the defaults tables name for this very field."""
        default = self.default(shape, parent)
        return default is not NONE and _same(shape, value, default)

    def defaulted(self, m: Any, shape: tuple[str, ...], parent: dict) -> bool:
        """The manifest's value is what Kubernetes (or KEDA) would fill in for a field left out."""
        if isinstance(m, dict):
            return all(self.defaulted(v, shape + (k,), m) for k, v in m.items())
        if m is None or m == [] or m == {}:
            return True
        return self.default_of(m, shape, parent)


def _job_spec(kind: str, shape: tuple[str, ...]) -> bool:
    """The path is a JobSpec's own field: a Job's spec, a CronJob's job template's, a ScaledJob's jobTargetRef."""
    return shape[:-1] == {"Job": ("spec",), "CronJob": ("spec", "jobTemplate", "spec"),
                          "ScaledJob": ("spec", "jobTargetRef")}.get(kind)


def _merge_key(field_name: str, items: list) -> str | None:
    key = MERGE_KEYS.get(field_name)
    if field_name == "ports" and not all(isinstance(i, dict) and "name" in i for i in items):
        key = "containerPort" if all(isinstance(i, dict) and "containerPort" in i for i in items) else "port"
    if key is None and all(isinstance(i, dict) and "name" in i for i in items):
        key = "name"
    return key if key and all(isinstance(i, dict) and key in i for i in items) else None


def _same(shape: tuple[str, ...], desired: Any, live: Any) -> bool:
    if isinstance(desired, bool) or isinstance(live, bool):
        return type(desired) is type(live) and desired == live  # True is not 1
    if desired == live:
        return True
    if len(shape) >= 2 and shape[-2] in _QUANTITY_PARENTS or shape[-1] == "sizeLimit":
        return same_quantity(desired, live)
    if shape[-1] == "image":
        return same_image(desired, live)
    return False


_REFERENCE = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _zone_said(given: Any, used: str) -> str:
    return f"{used} (no spec.timeZone: the controller's zone)" if given is None \
        else repr(given) if not given else str(given)


def _same_fires(schedule: Any, time_zone: Any, got: Any, got_zone: Any) -> bool:
    """The same fire instants: '0 */2 * * *' in UTC is '0 0-22/2 * * *', and '*/15 * * * *' in Asia/Kolkata."""
    if not all(isinstance(s, str) and valid_schedule(s) for s in (schedule, got)):
        return schedule == got and time_zone == got_zone
    tz, got_tz = zone(time_zone), zone(got_zone)
    if tz is None or got_tz is None:
        return schedule == got and time_zone == got_zone
    if tz == timezone.utc:
        return same_schedule(schedule, got, time_zone=got_zone)
    if got_tz == timezone.utc:
        return same_schedule(got, schedule, time_zone=time_zone)
    return fire_times(schedule, _REFERENCE, 800, tz) == fire_times(got, _REFERENCE, 800, got_tz)
