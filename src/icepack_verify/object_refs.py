"""References between the objects of the namespace: every one followed, each must resolve and be usable.

Popeye and kube-linter walk every reference in a namespace and report those that do not resolve.
The same here, over the one cluster snapshot: REFERENCES is the table of reference kinds (who
refers, through which field, to what, and what "usable" means), walked generically over every
object the snapshot lists. Two families of findings:

* a reference that does not resolve, or resolves to something unusable: a Service that selects
  no pod, or pods of two workloads; a port no container of its pods declares; a Secret or
  ConfigMap key that is not there; an owner that is gone or was replaced (another uid);
* an object that is not the release's but selects or targets the release's pods or workloads
  (an HPA on the API, a PodDisruptionBudget, a NetworkPolicy that shuts the API's port, another
  Service): a finding unless `expected_related` declares it. The reverse direction, objects
  that carry the release's labels, is release vs live's (release_diff).

Not followed, each for a reason: Events' involvedObject (events outlive their objects by the
API server's --event-ttl, 1 h by default, so a pod replaced in a rollout leaves events about a
name that is gone); the `default` ServiceAccount (its controller creates it in every namespace);
references to kinds the snapshot cannot read (Secrets with `read_release_secrets = false`, a
ClusterTriggerAuthentication): `unchecked` names them. Secrets are read for their keys only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from icepack_verify.inventory import CRONJOB_POD, DEPLOYMENT_POD, SCALEDJOB_POD

RELEASE_LABEL, RELEASE_ANNOTATION = "app.kubernetes.io/instance", "meta.helm.sh/release-name"
POD_SPECS = {"Pod": ("spec",), "Deployment": DEPLOYMENT_POD, "ReplicaSet": DEPLOYMENT_POD,
             "StatefulSet": DEPLOYMENT_POD, "CronJob": CRONJOB_POD, "ScaledJob": SCALEDJOB_POD}
_PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
_VALUE_SOURCES = ("secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef")
ALWAYS_THERE = {("ServiceAccount", "default")}  # created by the ServiceAccount controller in every namespace


@dataclass(frozen=True)
class Finding:
    referrer: str  # 'Service/icepack-postgres'
    field: str     # 'spec.selector'
    target: str    # 'Pods app.kubernetes.io/component=postgres,...'
    usable: str    # what the reference needs (the message's expected)
    actual: str    # what the snapshot holds

    @property
    def source(self) -> str:
        return f"{self.referrer} {self.field} refers to {self.target}"


@dataclass
class Walk:
    broken: list[Finding] = field(default_factory=list)   # references that do not resolve or are unusable
    related: list[Finding] = field(default_factory=list)  # others' objects that select or target the release's
    unchecked: set[str] = field(default_factory=set)      # 'Secret icepack-db (Secrets are not read)'


# --- the namespace, indexed ------------------------------------------------------------------------

def _name(o: dict) -> str:
    return o["metadata"]["name"]


def _at(obj: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj if isinstance(obj, dict) else {}


def _items(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def selects(selector: dict | None, labels: dict, *, set_based: bool = True) -> bool:
    """A label selector (a Service's map, or matchLabels/matchExpressions) against labels."""
    if not isinstance(selector, dict):
        return False
    if not set_based:
        return bool(selector) and selector.items() <= labels.items()
    ok = (selector.get("matchLabels") or {}).items() <= labels.items()
    for e in _items(selector.get("matchExpressions")):
        key, values = e.get("key"), set(e.get("values") or ())
        ok &= {"In": lambda: labels.get(key) in values, "NotIn": lambda: labels.get(key) not in values,
               "Exists": lambda: key in labels, "DoesNotExist": lambda: key not in labels}.get(
            e.get("operator"), lambda: False)()
    return ok


def show_selector(selector: dict, set_based: bool = True) -> str:
    labels = (selector.get("matchLabels") or {}) if set_based else selector
    parts = [f"{k}={v}" for k, v in sorted(labels.items())]
    parts += [f"{e.get('key')} {e.get('operator')} {e.get('values') or ''}".strip()
              for e in _items(selector.get("matchExpressions"))] if set_based else []
    return ",".join(parts) or "everything"


class Namespace:
    """The snapshot's objects by kind and name, with their owners and the release they belong to."""

    def __init__(self, live: dict[str, list[dict]], secret_keys: dict[str, list[str]] | None, release: str,
                 api_versions: dict[str, str]):
        self.live, self.secret_keys, self.release, self.api_versions = live, secret_keys, release, api_versions
        self.by_name = {(k, _name(o)): o for k, objs in live.items() for o in objs}

    def readable(self, kind: str) -> bool:
        return kind in self.live or (kind == "Secret" and self.secret_keys is not None)

    def exists(self, kind: str, name: str) -> bool:
        if kind == "Secret":
            return name in (self.secret_keys or {})
        return (kind, name) in self.by_name or (kind, name) in ALWAYS_THERE

    def keys(self, kind: str, name: str) -> set[str]:
        if kind == "Secret":
            return set((self.secret_keys or {}).get(name) or ())
        data = self.by_name[(kind, name)]
        return set(data.get("data") or ()) | set(data.get("binaryData") or ())

    def controller(self, obj: dict) -> dict | None:
        ref = next((r for r in _items(obj["metadata"].get("ownerReferences")) if r.get("controller")), None)
        owner = self.by_name.get((ref.get("kind"), ref.get("name"))) if ref else None
        return owner if owner is not None and owner["metadata"].get("uid") == ref.get("uid") else None

    def workload(self, obj: dict) -> dict:
        """The top of an object's controller chain (a Pod's Deployment through its ReplicaSet)."""
        seen = set()
        while (owner := self.controller(obj)) is not None and id(owner) not in seen:
            seen.add(id(obj))
            obj = owner
        return obj

    def is_release(self, obj: dict) -> bool:
        top = self.workload(obj)["metadata"]
        return ((top.get("labels") or {}).get(RELEASE_LABEL) == self.release
                or (top.get("annotations") or {}).get(RELEASE_ANNOTATION) == self.release)

    def pods(self, selector: dict | None, set_based: bool = True) -> list[dict]:
        return [p for p in self.live.get("Pod", ()) if selects(selector, p["metadata"].get("labels") or {},
                                                                 set_based=set_based)]


def _label(kind: str, obj: dict) -> str:
    return f"{kind}/{_name(obj)}"


# --- the reference kinds: who refers, through which field, to what, what "usable" means -------------
# Each `follow` yields (field, target kind, target name, what it needs, the problem or None).
Use = tuple[str, str, str, str, "str | None"]


def _named(ns: Namespace, kind: str, name: str, optional: bool = False, key: str | None = None,
           what: str = "") -> str | None:
    """The problem with a reference to an object (and a key of it) by name, or None."""
    if not ns.exists(kind, name):
        if optional:
            return None
        present = sorted(ns.secret_keys or ()) if kind == "Secret" else sorted(
            _name(o) for o in ns.live.get(kind, ()))
        return f"no {kind} {name} (the {kind}s in the namespace: {', '.join(present) or 'none'})"
    if key is not None and key not in ns.keys(kind, name) and not optional:
        return f"{kind} {name} has no key {key} (its keys: {', '.join(sorted(ns.keys(kind, name))) or 'none'})"
    return None


def _pod_spec_refs(ns: Namespace, kind: str, obj: dict) -> Iterator[Use]:
    path = POD_SPECS[kind]
    spec, at = _at(obj, path), ".".join(path)
    if sa := spec.get("serviceAccountName"):
        yield f"{at}.serviceAccountName", "ServiceAccount", sa, "an existing ServiceAccount", _named(
            ns, "ServiceAccount", sa)
    for v in _items(spec.get("volumes")):
        where = f"{at}.volumes[{v.get('name')}]"
        if claim := (v.get("persistentVolumeClaim") or {}).get("claimName"):
            problem = _named(ns, "PersistentVolumeClaim", claim)
            phase = ((ns.by_name.get(("PersistentVolumeClaim", claim)) or {}).get("status") or {}).get("phase")
            if problem is None and phase not in (None, "Bound"):
                problem = f"PersistentVolumeClaim {claim} is {phase}, not Bound"
            yield f"{where}.persistentVolumeClaim.claimName", "PersistentVolumeClaim", claim, "a Bound claim", problem
        for source, kind_, key in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "secretName")):
            ref = v.get(source) or {}
            if name := ref.get(key):
                keys = [i.get("key") for i in _items(ref.get("items"))] or [None]
                for k in keys:
                    yield (f"{where}.{source}", kind_, name, f"an existing {kind_}" + (f" with key {k}" if k else ""),
                           _named(ns, kind_, name, bool(ref.get("optional")), k))
    for c in _items(spec.get("containers")) + _items(spec.get("initContainers")):
        where = f"{at}.containers[{c.get('name')}]"
        for e in _items(c.get("env")):
            if "valueFrom" in e and not any((e.get("valueFrom") or {}).get(k) for k in _VALUE_SOURCES):
                yield (f"{where}.env[{e.get('name')}].valueFrom", "value source", "", "one of " + ", ".join(
                    _VALUE_SOURCES), "names no source")
            for ref_field, kind_ in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                ref = (e.get("valueFrom") or {}).get(ref_field)
                if isinstance(ref, dict):
                    yield (f"{where}.env[{e.get('name')}].valueFrom.{ref_field}", kind_, str(ref.get("name")),
                           f"{kind_} {ref.get('name')} with key {ref.get('key')}",
                           f"names no {' and no '.join(k for k in ('name', 'key') if not ref.get(k))}"
                           if not (ref.get("name") and ref.get("key")) else
                           _named(ns, kind_, ref["name"], bool(ref.get("optional")), ref["key"]))
        for e in _items(c.get("envFrom")):
            for ref_field, kind_ in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                ref = e.get(ref_field)
                if isinstance(ref, dict) and ref.get("name"):
                    yield (f"{where}.envFrom.{ref_field}", kind_, ref["name"], f"an existing {kind_}",
                           _named(ns, kind_, ref["name"], bool(ref.get("optional"))))
        declared = {p.get("name") for p in _items(c.get("ports"))}
        named = ", ".join(sorted(filter(None, declared))) or "no named port"
        for probe in _PROBES:
            for handler in ("httpGet", "tcpSocket", "grpc"):
                if not isinstance((c.get(probe) or {}).get(handler), dict):
                    continue
                port = c[probe][handler].get("port")
                if port in (None, ""):
                    yield (f"{where}.{probe}.{handler}.port", "container port", "", "a port, by number or name",
                           "names no port")
                elif isinstance(port, str) and not port.isdigit():
                    yield (f"{where}.{probe}.{handler}.port", "container port", port,
                           f"a port named {port} declared by container {c.get('name')}",
                           None if port in declared else f"container {c.get('name')} declares {named}")


def _ports_of(pod: dict) -> tuple[set[str], set[int]]:
    ports = [p for c in _items(pod.get("spec", {}).get("containers")) for p in _items(c.get("ports"))]
    return {p.get("name") for p in ports if p.get("name")}, {p.get("containerPort") for p in ports}


def _service_refs(ns: Namespace, kind: str, obj: dict) -> Iterator[Use]:
    selector = (obj.get("spec") or {}).get("selector")
    if not selector:
        return  # endpoints managed by hand (or an ExternalName): nothing to follow
    pods = ns.pods(selector, set_based=False)
    target = f"Pods {show_selector(selector, set_based=False)}"
    workloads = sorted({_label(w["kind"], w) for w in map(ns.workload, pods) if "kind" in w})
    problem = ("no pod in the namespace carries these labels" if not pods else
               f"its pods belong to {len(workloads)} workloads: {', '.join(workloads)}" if len(workloads) > 1 else None)
    yield "spec.selector", "", target, "the pods of one workload", problem
    for p in _items((obj.get("spec") or {}).get("ports")):
        port = p.get("targetPort", p.get("port"))
        missing = [_name(pod) for pod in pods
                   if port not in (_ports_of(pod)[0] if isinstance(port, str) else _ports_of(pod)[1])]
        yield (f"spec.ports[{p.get('name') or p.get('port')}].targetPort", "container port", f"{port} of {target}",
               f"port {port} declared by a container of every selected pod",
               f"not declared by a container of {', '.join(missing)}" if missing else None)


def _workload_selector_refs(ns: Namespace, kind: str, obj: dict) -> Iterator[Use]:
    selector = (obj.get("spec") or {}).get("selector")
    if not isinstance(selector, dict):
        return
    labels = _at(obj, ("spec", "template", "metadata")).get("labels") or {}
    yield ("spec.selector", "", f"its pod template ({show_selector(selector)})", "its own pod template's labels",
           None if selects(selector, labels) else
           f"the template's labels {show_selector({'matchLabels': labels})} do not match")
    children = [o for objs in ns.live.values() for o in objs if ns.controller(o) is obj]
    stray = [_name(o) for o in children if not selects(selector, o["metadata"].get("labels") or {})]
    if children:
        yield ("spec.selector", "", "the objects it controls", "every object it controls",
               f"it controls {', '.join(stray)}, which it does not select" if stray else None)


API_VERSION = re.compile(r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+((alpha|beta)[0-9]+)?")



# The kinds of the API groups that own the release's objects (Kubernetes API reference; KEDA's CRDs): a kind outside
# its group's is a resource no API server serves.
SERVED_KINDS = {
    "v1": frozenset({"Binding", "ConfigMap", "Endpoints", "Event", "LimitRange", "Namespace", "Node", "PersistentVolume",
                     "PersistentVolumeClaim", "Pod", "PodTemplate", "ReplicationController", "ResourceQuota", "Secret",
                     "Service", "ServiceAccount"}),
    "apps/v1": frozenset({"ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"}),
    "batch/v1": frozenset({"CronJob", "Job"}),
    "keda.sh/v1alpha1": frozenset({"ClusterTriggerAuthentication", "ScaledJob", "ScaledObject", "TriggerAuthentication"}),
}


def _owner_refs(ns: Namespace, kind: str, obj: dict) -> Iterator[Use]:
    for r in _items(obj["metadata"].get("ownerReferences")):
        owner_kind, owner = r.get("kind"), r.get("name")
        lacks = [k for k in ("apiVersion", "kind", "name", "uid") if not r.get(k)]
        if lacks:  # the garbage collector cannot find an owner it cannot name
            yield (f"metadata.ownerReferences[{owner_kind or '?'}/{owner or '?'}]", str(owner_kind or ""),
                   str(owner or ""), "an owner named by apiVersion, kind, name and uid", f"no {', '.join(lacks)}")
            continue
        if not API_VERSION.fullmatch(str(r["apiVersion"])):  # no API serves it: the collector cannot look it up
            yield (f"metadata.ownerReferences[{owner_kind}/{owner}]", owner_kind, owner,
                   "an owner of a served kind (apiVersion [group/]version)", f"apiVersion {r['apiVersion']!r}")
            continue
        if owner_kind in ns.api_versions and r["apiVersion"] != ns.api_versions[owner_kind]:
            yield (f"metadata.ownerReferences[{owner_kind}/{owner}]", owner_kind, owner,
                   f"its owner, served as {ns.api_versions[owner_kind]}", f"apiVersion {r['apiVersion']!r}")
            continue
        served = SERVED_KINDS.get(r["apiVersion"])
        if served is not None and owner_kind not in served:  # no such resource: the collector cannot look it up
            yield (f"metadata.ownerReferences[{owner_kind}/{owner}]", owner_kind, owner,
                   f"an owner of a kind {r['apiVersion']} serves ({', '.join(sorted(served))})", f"kind {owner_kind!r}")
            continue
        if owner_kind not in ns.live:
            yield "metadata.ownerReferences", owner_kind, owner, "", "unchecked"
            continue
        found = ns.by_name.get((owner_kind, owner))
        # an owner younger than what it owns is no finding: controllers adopt orphans (a Deployment
        # re-created after `kubectl delete --cascade=orphan` adopts the old ReplicaSets and their pods)
        problem = (_named(ns, owner_kind, owner) if found is None else
                   f"{owner_kind} {owner} is another object now (uid {found['metadata'].get('uid')}, "
                   f"the reference names {r.get('uid')})" if found["metadata"].get("uid") != r.get("uid") else None)
        yield f"metadata.ownerReferences[{owner_kind}/{owner}]", owner_kind, owner, "its owner, same uid", problem


def _trigger_auth_refs(ns: Namespace, kind: str, obj: dict) -> Iterator[Use]:
    for i, t in enumerate(_items((obj.get("spec") or {}).get("triggers"))):
        ref = t.get("authenticationRef")
        if isinstance(ref, dict) and ref.get("name"):
            auth_kind = ref.get("kind") or "TriggerAuthentication"
            if auth_kind not in ns.live:
                yield "spec.triggers.authenticationRef", auth_kind, ref["name"], "", "unchecked"
                continue
            yield (f"spec.triggers[{i}].authenticationRef", auth_kind, ref["name"], f"an existing {auth_kind}",
                   _named(ns, auth_kind, ref["name"]))


def _secret_target_refs(ns: Namespace, kind: str, obj: dict) -> Iterator[Use]:
    for r in _items((obj.get("spec") or {}).get("secretTargetRef")):
        yield (f"spec.secretTargetRef[{r.get('parameter')}]", "Secret", str(r.get("name")),
               f"Secret {r.get('name')} with key {r.get('key')}",
               f"names no {' and no '.join(k for k in ('parameter', 'name', 'key') if not r.get(k))}"
               if not (r.get("parameter") and r.get("name") and r.get("key")) else
               _named(ns, "Secret", r["name"], key=r["key"]))


def _scale_target_refs(ns: Namespace, kind: str, obj: dict) -> Iterator[Use]:
    ref = (obj.get("spec") or {}).get("scaleTargetRef") or {}
    if ref.get("name"):
        target = ref.get("kind") or "Deployment"
        if target not in ns.live:
            yield "spec.scaleTargetRef", target, ref["name"], "", "unchecked"
        else:
            yield "spec.scaleTargetRef", target, ref["name"], f"an existing {target}", _named(ns, target, ref["name"])


# --- references in status ---------------------------------------------------------------
def _active_refs(ns: Namespace, kind: str, obj: dict) -> Iterator[Use]:
    """A CronJob's status.active: ObjectReferences to the Jobs it runs now (the CronJob controller
    writes kind, name, namespace and uid of each, and drops the Job once it finishes or is gone)."""
    for i, r in enumerate(_items(_at(obj, ("status",)).get("active"))):
        name, uid = r.get("name"), r.get("uid")
        where = f"status.active[{name or i}]"
        lacks = [k for k in ("kind", "name", "uid") if not r.get(k)]
        if lacks or r.get("kind") != "Job":
            yield (where, "Job", str(name or ""), "a Job named by kind, name and uid",
                   f"no {', '.join(lacks)}" if lacks else f"kind {r.get('kind')!r}")
        elif "Job" not in ns.live:
            yield where, "Job", name, "", "unchecked"
        else:
            found = ns.by_name.get(("Job", name))
            yield (where, "Job", name, "an existing Job of this CronJob, same uid", _named(ns, "Job", name)
                   if found is None else None if found["metadata"].get("uid") == uid else
                   f"Job {name} is another object now (uid {found['metadata'].get('uid')}, the reference names {uid})")


@dataclass(frozen=True)
class Reference:
    kinds: tuple[str, ...]  # the kinds that refer
    field: str              # the field, as documented
    names: str              # what it names
    resolves: str           # how it is followed
    usable: str             # what "usable" means
    follow: Callable[[Namespace, str, dict], Iterator[Use]]


REFERENCES: tuple[Reference, ...] = (
    Reference(tuple(POD_SPECS), "<pod spec>.serviceAccountName, .volumes[], .containers[].env[].valueFrom, "
              ".envFrom[], probes' ports", "ServiceAccount, PersistentVolumeClaim, ConfigMap, Secret, container port",
              "by name in the namespace; a probe's named port among its container's ports",
              "exists (unless optional), the claim Bound, the key present, the port declared", _pod_spec_refs),
    Reference(("Service",), "spec.selector, spec.ports[].targetPort", "Pods, their container ports",
              "equality selector over the namespace's pods; a port by name or number",
              "at least one pod, all of one workload; the port declared by a container of each", _service_refs),
    Reference(("Deployment", "ReplicaSet", "StatefulSet"), "spec.selector", "its template and its children",
              "matchLabels and matchExpressions", "selects its own template and every object it controls",
              _workload_selector_refs),
    Reference(("*",), "metadata.ownerReferences[]", "the owner", "by kind and name", "exists with the same uid",
              _owner_refs),
    Reference(("ScaledJob", "ScaledObject"), "spec.triggers[].authenticationRef", "TriggerAuthentication",
              "by name (kind TriggerAuthentication unless given)", "exists", _trigger_auth_refs),
    Reference(("TriggerAuthentication",), "spec.secretTargetRef[]", "a Secret's key", "by name, then key",
              "the key present", _secret_target_refs),
    Reference(("HorizontalPodAutoscaler", "ScaledObject"), "spec.scaleTargetRef", "a workload", "by kind and name",
              "exists", _scale_target_refs),
    Reference(("CronJob",), "status.active[]", "the Jobs it runs now", "by kind, name and uid",
              "exists with the same uid", _active_refs),
)


# --- others' objects that pick the release's pods or workloads -----------------------------------------

def _picks(ns: Namespace, kind: str, obj: dict) -> tuple[str, list[dict]]:
    """What an object selects or targets: (the field, the objects it picks)."""
    spec = obj.get("spec") or {}
    if kind == "Service" and spec.get("selector"):
        return "spec.selector", ns.pods(spec["selector"], set_based=False)
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "PodDisruptionBudget") and isinstance(
            spec.get("selector"), dict):
        return "spec.selector", ns.pods(spec["selector"])
    if kind == "NetworkPolicy" and isinstance(spec.get("podSelector"), dict):
        return "spec.podSelector", ns.pods(spec["podSelector"])  # {} selects every pod of the namespace
    if kind in ("HorizontalPodAutoscaler", "ScaledObject"):
        ref = spec.get("scaleTargetRef") or {}
        found = ns.by_name.get((ref.get("kind") or "Deployment", ref.get("name")))
        return "spec.scaleTargetRef", [found] if found else []
    return "", []


def _number(pod: dict, port) -> object:
    """A port by name as the number a container of the pod declares under it (unknown names stay names)."""
    if isinstance(port, str) and not port.isdigit():
        return next((p.get("containerPort") for c in _items(pod.get("spec", {}).get("containers"))
                     for p in _items(c.get("ports")) if p.get("name") == port), port)
    return int(port) if isinstance(port, str) else port


def _shut(ns: Namespace, policy: dict, pod: dict) -> set:
    """The ports of a release pod that the release's Services send to and the policy's ingress rules
    do not admit (none when the policy restricts no ingress, or a rule admits every port)."""
    spec = policy.get("spec") or {}
    if "Ingress" not in (spec.get("policyTypes") or ["Ingress"]):  # left out, Ingress is always a type
        return set()
    labels = pod["metadata"].get("labels") or {}
    served = {_number(pod, p.get("targetPort", p.get("port"))) for s in ns.live.get("Service", ())
              if ns.is_release(s) and selects((s.get("spec") or {}).get("selector"), labels, set_based=False)
              for p in _items(s["spec"].get("ports"))}
    admitted = set()
    for rule in _items(spec.get("ingress")):
        if not rule.get("ports"):
            return set()  # every port, from the peers it names
        admitted |= {_number(pod, p.get("port")) for p in _items(rule["ports"])}
    return served - admitted


def _related(ns: Namespace, kind: str, obj: dict, expected: set[str]) -> Finding | None:
    if _label(kind, obj) in expected or ns.is_release(obj) or ns.controller(obj) is not None:
        return None
    where, picked = _picks(ns, kind, obj)
    picked = [p for p in picked if ns.is_release(p)]
    if not picked:
        return None
    owners = sorted({_label(w["kind"], w) for w in map(ns.workload, picked)})
    mine = ", ".join(owners) if where == "spec.scaleTargetRef" else f"pods of {', '.join(owners)}"
    if kind == "NetworkPolicy":
        shut = set().union(*(_shut(ns, obj, p) for p in picked))
        if not shut:
            return None  # it admits every port the release's Services send to
        actual = f"restricts ingress to the {mine} and admits none of port {', '.join(map(str, sorted(shut, key=str)))}"
    else:
        actual = f"{'targets' if where == 'spec.scaleTargetRef' else 'selects'} the release's {mine}"
    return Finding(_label(kind, obj), where, f"the release's {mine}", "nothing outside the release selects or targets "
                   "its objects (environments.toml expected_related lists those meant to)", actual)


def walk_references(live: dict[str, list[dict]], secret_keys: dict[str, list[str]] | None, release: str,
                    expected_related: list[str] = (), api_versions: dict[str, str] | None = None) -> Walk:
    """Every reference of every object in `live` (kind -> its objects), followed; `api_versions`:
    the apiVersion each kind is served as (an owner reference must name it)."""
    for kind, objs in live.items():  # the list items carry no kind: the snapshot's lists are by kind
        for o in objs:
            o.setdefault("kind", kind)
    ns, out, expected = Namespace(live, secret_keys, release, api_versions or {}), Walk(), set(expected_related)
    for kind, objs in sorted(live.items()):
        for obj in sorted(objs, key=_name):
            for ref in REFERENCES:
                if kind not in ref.kinds and "*" not in ref.kinds:
                    continue
                for at, target_kind, target, usable, problem in ref.follow(ns, kind, obj):
                    if problem == "unchecked" or (target_kind in ("Secret", "ConfigMap")
                                                  and not ns.readable(target_kind)):
                        out.unchecked.add(f"{target_kind} {target} (its kind is not read)")
                    elif problem:
                        out.broken.append(Finding(_label(kind, obj), at, f"{target_kind} {target}".strip(),
                                                  usable, problem))
            if finding := _related(ns, kind, obj, expected):
                out.related.append(finding)
    out.broken = _once_per_workload(ns, out.broken)
    return out


def _once_per_workload(ns: Namespace, findings: list[Finding]) -> list[Finding]:
    """A pod spec's broken reference is the same in the Deployment, its ReplicaSet and every pod:
    said once, by the top of the controller chain, naming how many of its children repeat it."""
    def key(f: Finding):
        kind, _, name = f.referrer.partition("/")
        obj = ns.by_name[(kind, name)]
        field = f.field.removeprefix(".".join(POD_SPECS.get(kind, ())) + ".")
        top = ns.workload(obj)
        return _label(top["kind"], top), field, f.target, f.actual
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        groups.setdefault(key(f), []).append(f)
    out = []
    for (top, *_), same in groups.items():
        first = next((f for f in same if f.referrer == top), same[0])
        others = len(same) - 1
        out.append(first if not others else Finding(
            first.referrer, first.field, first.target, first.usable,
            f"{first.actual} (the same in {others} objects it controls)"))
    return out
