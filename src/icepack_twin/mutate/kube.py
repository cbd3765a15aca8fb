"""Mutation layer `kube`: the Kubernetes objects as the cluster serves them (spec, metadata, status;
Pods, ReplicaSets, Events, the Helm release Secrets of every revision).

Rules, applied to every leaf of every served object:

    remove          a field, a map entry, a subtree
    add-field       a field the kind's published schema allows and the object leaves out
    add-entry       an entry of a map (labels, annotations, selectors, data, requests, ...)
    value           a scalar changed to another of its type and form: numbers x0 / x2 / -1, bools
                    flipped, times moved (-1h, -1d, +1h), another name / image tag / quantity /
                    cron / uid / enum member, an empty string
    list            an item removed or duplicated, an item added, the list reversed
    object          deleted; copied under another name
    related         an object that selects, targets or refers to a release workload: a stray Pod
                    with its labels, a Service, an HPA, a PDB, a deny-ingress NetworkPolicy, a
                    ScaledObject, a second ReplicaSet; a failed and a stuck Job of a CronJob or
                    ScaledJob

Inside Secret data the rules see the decoded value (an Opaque entry's text; a Helm release's
record, base64(base64(gzip(json))), whose manifest is a list of YAML documents), and the edit
is encoded back. Ids name objects by kind/name (an Event by what it is about and its reason,
as its name carries a hash of a message that changes with time; a Helm release record by its role,
`Secret/sh.helm.release.v1.icepack@current` or `@previous`, as its name carries the revision number)
and list items by their key field (`containers[api]`), so they are stable across runs. Edits of values that change per
configure (times, epoch seconds) are transforms applied at prepare time to the value then
served, never a literal captured at generation.

The Namespace object is synthesised by the emulator from the objects' namespaces and is
not generated here (no mutation could reach it through the rendered objects).
"""
from __future__ import annotations

import base64
import copy
import gzip
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import yaml

from icepack_twin.mutate import register
from icepack_twin.mutate.model import BaseLayer, Mutation

_ROOT_FIXED = {"apiVersion", "kind"}  # changing these is deleting the object (delete-object does that)
# The metadata fields only the API server sets (kube_schema.system_set) are served in one form; a
# mutation serving them otherwise describes no environment anyone can meet, so none is generated:
#  - never added: a kind the server leaves them off never has them (generation on a Node or Pod,
#    selfLink since 1.20), nor does a template's metadata (the server sets them on objects only);
#    the exception is deletionTimestamp on an object: an object being deleted (held by a finalizer)
#  - where the server serves them, never removed, and changed only within their form: these
#    operators would leave it (resourceVersion and generation are positive integers, uid a UUID,
#    creationTimestamp a time; "0", "-1" or "" are none of these)
# Likewise a negative observedGeneration (an object's status, a condition's): the API server's status
# validation rejects it (ValidateNonnegativeField on apps/v1 and batch/v1 status, pod conditions), so
# minus-1 is never generated for it.
_SERVER_ADDABLE = {"deletionTimestamp"}
_SERVER_FORMLESS = {"remove", "empty", "nonempty", "minus-1", "scale-x0", "set-1"}
_ITEM_KEYS = ("name", "type", "parameter", "key", "mountPath", "containerPort")
_ENUMS = [
    {"True", "False", "Unknown"}, {"Pending", "Running", "Succeeded", "Failed"}, {"Bound", "Lost"},
    {"Always", "OnFailure", "Never"}, {"IfNotPresent"}, {"Allow", "Forbid", "Replace"}, {"TCP", "UDP", "SCTP"},
    {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"}, {"RollingUpdate", "Recreate"}, {"Normal", "Warning"},
    {"HTTP", "HTTPS"}, {"None", "ClientIP"}, {"Cluster", "Local"}, {"SingleStack", "PreferDualStack"},
    {"IPv4", "IPv6"}, {"internet-facing", "internal"}, {"Guaranteed", "Burstable", "BestEffort"},
    {"Filesystem", "Block"}, {"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"},
    {"deployed", "superseded", "failed", "pending-upgrade", "uninstalled"}, {"arm64", "amd64"},
    {"linux", "windows"}, {"disable", "require", "verify-full"}, {"default", "custom", "accurate", "eager"},
    {"InternalIP", "ExternalIP", "Hostname"}, {"Opaque", "helm.sh/release.v1"}, {"Etc/UTC", "Europe/Berlin"},
]
_ENUMS = [sorted(s) for s in _ENUMS]
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_INT = re.compile(r"^-?\d+$")
_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|k|Ki|Mi|Gi|Ti|M|G|T|%)$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_IMAGE = re.compile(r"^([a-z0-9.\-]+(?::\d+)?/[\w.\-/]+):([\w.\-]+)$")
_DIGEST = re.compile(r"^(.+)@sha256:([0-9a-f]{64})$")
_SEMVER = re.compile(r"^(v?)(\d+)\.(\d+)\.(\d+)(.*)$")
_CRON = re.compile(r"^(\S+ ){4}\S+$")
_HEX = re.compile(r"^[0-9a-f]{7,}$")
_IP = re.compile(r"^(\d+\.\d+\.\d+\.)(\d+)$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DOTTED = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def _schema():
    from icepack_twin.mutate import kube_schema  # engine side only: the twin never needs the schemas
    return kube_schema


# --- naming -----------------------------------------------------------------------------------

def object_key(obj: dict, peers: list[dict] = ()) -> str:
    """The stable name of an object in ids: Kind/name; an Event by what it is about and its reason; a
    Helm release record by its release and its role among `peers` (`@current`, `@previous`, `@current-2`
    ...), as its name carries a revision number that grows with every deploy."""
    if obj["kind"] == "Event":
        about = obj.get("involvedObject") or {}
        return f"Event/{about.get('kind')}/{about.get('name')}/{obj.get('reason')}"
    if (role := _helm_role(obj, peers)) is not None:
        return f"Secret/sh.helm.release.v1.{obj['metadata']['labels']['name']}@{role}"
    return f"{obj['kind']}/{obj['metadata']['name']}"


def _helm_revision(obj: dict) -> int | None:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if obj.get("kind") != "Secret" or obj.get("type") != "helm.sh/release.v1" or labels.get("owner") != "helm":
        return None
    return int(labels["version"]) if str(labels.get("version", "")).isdigit() and labels.get("name") else None


def _helm_role(obj: dict, peers: list[dict]) -> str | None:
    if (version := _helm_revision(obj)) is None:
        return None
    name = obj["metadata"]["labels"]["name"]
    newest = max((v for p in peers if (v := _helm_revision(p)) is not None and p["metadata"]["labels"]["name"] == name),
                 default=version)
    back = newest - version
    return "current" if back == 0 else "previous" if back == 1 else f"current-{back}"


def _key_label(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_\-]+", key) else f"'{key}'"


def _join(label: str, key: str) -> str:
    return f"{label}.{_key_label(key)}" if label else _key_label(key)


def _item_field(items: list, schema_keys: list[str]) -> str | None:
    """The field that names a list's items: present, a string, unique in every item."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for field in (*_ITEM_KEYS, *schema_keys):
        values = [i.get(field) for i in items]
        if all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values) and len(set(values)) == len(values):
            return field
    return None


def _segment(item, index: int, field: str | None):
    """(JSON path segment, id label) of one list item."""
    if field is None:
        return {"i": index}, f"[#{index}]"
    return {"k": field, "v": item[field]}, f"[{item[field]}]"


# --- value operators -------------------------------------------------------------------------

def _other_cron(schedule: str) -> str:
    fields = schedule.split()
    minute = fields[0]
    if m := re.fullmatch(r"\*/(\d+)", minute):
        fields[0] = f"*/{min(int(m.group(1)) * 2, 59)}" if int(m.group(1)) * 2 <= 59 else "*/5"
    elif minute.isdigit():
        fields[0] = str((int(minute) + 7) % 60)
    else:
        fields[0] = "7"
    return " ".join(fields)


def _string_ops(value: str) -> list[tuple[str, dict, str]]:
    """(operator, edit, what it does) for a string: another string of the same form, and empty."""
    ops: list[tuple[str, dict, str]] = []

    def put(op: str, new: str):
        if new != value:
            ops.append((op, {"op": "set", "value": new}, f"{value!r} -> {new!r}"))

    if _TIME.match(value):
        for op, seconds in (("earlier-1h", -3600), ("earlier-1d", -86400), ("later-1h", 3600)):
            ops.append((op, {"op": "shift", "seconds": seconds}, f"moved {seconds:+d}s"))
    elif _INT.match(value):
        for op, factor in (("scale-x0", 0), ("scale-x2", 2)):
            if int(value) * factor != int(value):
                ops.append((op, {"op": "scale", "factor": factor}, f"{value} x{factor}"))
        put("minus-1", "-1")
    elif value in ("true", "false"):
        ops.append(("flip", {"op": "flip"}, f"{value} flipped"))
    elif _QUANTITY.match(value):
        for op, factor in (("scale-x0", 0), ("scale-x2", 2)):
            ops.append((op, {"op": "scale", "factor": factor}, f"{value} x{factor}"))
    elif _UUID.match(value):
        put("other-uid", str(uuid.uuid5(uuid.NAMESPACE_URL, "mutant/" + value)))
    elif m := _DIGEST.match(value):
        put("other-digest", f"{m.group(1)}@sha256:{'0' * 64}")
    elif m := _IMAGE.match(value):
        put("other-tag", f"{m.group(1)}:{m.group(2)}-mutant")
        put("other-repository", f"{m.group(1)}-mutant:{m.group(2)}")
    elif m := _IP.match(value):
        put("other-ip", f"{m.group(1)}{(int(m.group(2)) + 1) % 256}")
    elif m := _SEMVER.match(value):
        put("other-patch", f"{m.group(1)}{m.group(2)}.{m.group(3)}.{int(m.group(4)) + 1}{m.group(5)}")
        put("other-major", f"{m.group(1)}{int(m.group(2)) + 1}.{m.group(3)}.{m.group(4)}{m.group(5)}")
    elif _CRON.match(value) and all(re.fullmatch(r"[\d*/,\-?LW#]+|[A-Z]{3}(-[A-Z]{3})?", f) for f in value.split()):
        put("other-schedule", _other_cron(value))
    elif value.startswith("arn:"):
        put("other-arn", re.sub(r":\d{12}:", ":000000000000:", value) if re.search(r":\d{12}:", value)
            else value + "-mutant")
    elif enum := next((e for e in _ENUMS if value in e), None):
        for other in enum:
            put(f"to-{other}", other)
    elif _HEX.match(value):
        put("other-hex", value[:-1] + ("0" if value[-1] != "0" else "1"))
    elif _NAME.match(value):
        put("other-name", f"{value}-mutant")
    elif _DOTTED.match(value):
        put("other-name", f"mutant-{value}")
    elif value.startswith("/"):
        put("other-path", value.rstrip("/") + "-mutant")
    elif value:
        put("other-text", f"{value} (mutant)")
    if value:
        put("empty", "")
    else:
        put("nonempty", "mutant")
    return ops


def value_ops(value) -> list[tuple[str, dict, str]]:
    if isinstance(value, bool):
        return [("flip", {"op": "flip"}, f"{value} -> {not value}")]
    if isinstance(value, (int, float)):
        ops = [(op, {"op": "scale", "factor": f}, f"{value} x{f}") for op, f in (("scale-x0", 0), ("scale-x2", 2))
               if value * f != value]
        if value != -1:
            ops.append(("minus-1", {"op": "set", "value": -1}, f"{value} -> -1"))
        if value == 0:
            ops.append(("set-1", {"op": "set", "value": 1}, "0 -> 1"))
        return ops
    if isinstance(value, str):
        return _string_ops(value)
    return []


# --- decoding inside Secret data ---------------------------------------------------------------

def _helm_load(raw: str) -> dict:
    return json.loads(gzip.decompress(base64.b64decode(base64.b64decode(raw))))


def _helm_dump(record: dict) -> str:
    blob = base64.b64encode(gzip.compress(json.dumps(record).encode(), mtime=0)).decode()
    return base64.b64encode(blob.encode()).decode()


def _yaml_docs_load(text: str) -> list:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def _yaml_docs_dump(docs: list) -> str:
    return "---\n" + "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs) if docs else ""


_CODECS = {
    "helm": (_helm_load, _helm_dump),
    "b64": (lambda raw: base64.b64decode(raw).decode(), lambda text: base64.b64encode(text.encode()).decode()),
    "yaml": (_yaml_docs_load, _yaml_docs_dump),
}


# --- generation ----------------------------------------------------------------------------

class _Generator:
    def __init__(self):
        self.out: list[Mutation] = []

    def emit(self, target: str, label: str, operator: str, change: dict, description: str) -> None:
        self.out.append(Mutation("kube", target, label, operator, {"target": target, **change}, description))

    def object(self, obj: dict, peers: list[dict]) -> None:
        ks = _schema()
        target = object_key(obj, peers)
        schema = ks.kind_schema(obj["apiVersion"], obj["kind"])
        self.emit(target, "", "delete-object", {"op": "delete-object"}, f"{target} deleted")
        self.emit(target, "", "copy-object", {"op": "copy-object"}, f"{target} copied as {obj['metadata']['name']}-copy")
        for op, what in _RELATED.get(obj["kind"], {}).items():
            self.emit(target, "", op, {"op": "add-related", "related": op}, f"{what[1]} of {target} added")
        secret = obj["kind"] == "Secret"
        self.node(target, obj, schema, [], "", root=True, secret=secret)

    def node(self, target, node, schema, segs, label, root=False, secret=False, docs=False):
        ks = _schema()
        if isinstance(node, dict):
            is_map = ks.is_map(schema)
            in_metadata = label == "metadata" or label.endswith(".metadata")
            for key, value in node.items():
                if root and key in _ROOT_FIXED:
                    continue
                sub, sub_label, sub_schema = [*segs, key], _join(label, key), ks.child(schema, key)
                if in_metadata and ks.system_set(sub_schema):
                    if segs == ["metadata"]:  # the object's own: served by the server, changed within its form
                        for op, edit, what in value_ops(value):
                            if op not in _SERVER_FORMLESS:
                                self.emit(target, sub_label, op, {**edit, "path": sub}, f"{sub_label}: {what}")
                    continue
                if not (root and key == "metadata") and not (label == "metadata" and key == "name"):
                    self.emit(target, sub_label, "remove", {"op": "remove", "path": sub}, f"{sub_label} removed")
                if secret and label == "data" and isinstance(value, str):
                    self.secret_value(target, key, value, sub, sub_label)
                    continue
                self.value(target, value, sub_schema, sub, sub_label, secret=secret)
            if is_map:
                key = "mutant.icepack.dev/added"
                sample = ks.sample(ks.child(schema, key), "entry")
                self.emit(target, _join(label, key), "add-entry", {"op": "set", "path": [*segs, key], "value": sample},
                          f"{label} gains the entry {key}={sample!r}")
            else:
                for key, prop in ks.properties(schema).items():
                    if in_metadata and ks.system_set(prop) and not (segs == ["metadata"] and key in _SERVER_ADDABLE):
                        continue
                    if key not in node and not (root and key == "status"):
                        value = ks.sample(prop, key)
                        self.emit(target, _join(label, key), "add-field",
                                  {"op": "set", "path": [*segs, key], "value": value}, f"{_join(label, key)} added: {value!r}")
        elif isinstance(node, list):
            self.list(target, node, schema, segs, label, secret=secret, docs=docs)

    def value(self, target, value, schema, segs, label, secret=False):
        if isinstance(value, (dict, list)):
            self.node(target, value, schema, segs, label, secret=secret)
            return
        for op, edit, what in value_ops(value):
            if op == "minus-1" and segs[-1:] == ["observedGeneration"]:
                continue  # never served: the API server's status validation keeps it non-negative
            self.emit(target, label, op, {**edit, "path": segs}, f"{label}: {what}" if not secret else f"{label}: {op}")

    def list(self, target, items, schema, segs, label, secret=False, docs=False):
        ks = _schema()
        item_schema = ks.items(schema)
        field = "__doc__" if docs else _item_field(items, ks.list_keys(schema))
        for i, item in enumerate(items):
            seg, item_label = ({"doc": _doc_name(item)}, f"[{_doc_name(item)}]") if docs else _segment(item, i, field)
            sub, sub_label = [*segs, seg], label + item_label
            self.emit(target, sub_label, "remove-item", {"op": "remove", "path": sub}, f"{sub_label} removed")
            self.emit(target, sub_label, "duplicate-item", {"op": "duplicate-item", "path": sub}, f"{sub_label} duplicated")
            if not docs:
                self.value(target, item, item_schema, sub, sub_label, secret=secret)
        if not docs and (field or not items or not isinstance(items[-1], dict)):
            sample = None if items else ks.sample(item_schema, label.rsplit(".", 1)[-1])
            self.emit(target, label, "add-item", {"op": "add-item", "path": segs, "key": field, "value": sample},
                      f"{label} gains an item" + (f" ({field}=mutant-{field})" if field else ""))
        if len(items) > 1:
            self.emit(target, label, "reverse", {"op": "reverse", "path": segs}, f"{label} reversed")

    def secret_value(self, target, key, raw, segs, label):
        if key == "release":
            try:
                record = _helm_load(raw)
            except (ValueError, OSError):
                return
            rec_segs, rec_label = [*segs, {"decode": "helm"}], label + "{helm}"
            for k, v in record.items():
                sub, sub_label = [*rec_segs, k], _join(rec_label, k)
                self.emit(target, sub_label, "remove", {"op": "remove", "path": sub}, f"{sub_label} removed")
                if k == "manifest" and isinstance(v, str):
                    self.node(target, _yaml_docs_load(v), None, [*sub, {"decode": "yaml"}], sub_label + "{yaml}", docs=True)
                    for op, edit, what in value_ops(v)[-1:]:  # the whole manifest emptied
                        self.emit(target, sub_label, op, {**edit, "path": sub}, f"{sub_label}: {op}")
                else:
                    self.value(target, v, None, sub, sub_label)
            return
        try:
            text = base64.b64decode(raw).decode()
        except (ValueError, UnicodeDecodeError):
            return
        for op, edit, _ in value_ops(text):
            self.emit(target, label, op, {**edit, "path": [*segs, {"decode": "b64"}]}, f"{label} (decoded): {op}")


def _doc_name(doc) -> str:
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}" if isinstance(doc, dict) else "?"


# --- objects that select, target or refer to the release's workloads (built at prepare time) -------

def _selector(obj: dict) -> dict:
    return dict(((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})


def _meta(name: str, ns: str, labels: dict | None = None, owner: dict | None = None, created: str | None = None) -> dict:
    meta = {"name": name, "namespace": ns, "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mutant/{ns}/{name}")),
            "resourceVersion": "48299999", "creationTimestamp": created, "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                    "name": owner["metadata"]["name"], "uid": owner["metadata"].get("uid"),
                                    "controller": True, "blockOwnerDeletion": True}]
    return meta


def _stray_pod(obj, now):
    spec = copy.deepcopy(obj["spec"]["template"]["spec"])
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": _meta(f"{obj['metadata']['name']}-stray", obj["metadata"]["namespace"],
                              dict(obj["spec"]["template"]["metadata"].get("labels") or {}), created=_ts(now - timedelta(hours=1))),
            "spec": spec, "status": {"phase": "Running", "startTime": _ts(now - timedelta(hours=1)),
                                     "conditions": [{"type": "Ready", "status": "True"}]}}


def _second_replicaset(obj, now):
    labels = {**(obj["spec"]["template"]["metadata"].get("labels") or {}), "pod-template-hash": "6f5e4d3c2"}
    template = copy.deepcopy(obj["spec"]["template"])
    template["metadata"]["labels"] = labels
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": _meta(f"{obj['metadata']['name']}-6f5e4d3c2", obj["metadata"]["namespace"], labels, owner=obj,
                              created=_ts(now - timedelta(minutes=10))),
            "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": template},
            "status": {"replicas": 1, "readyReplicas": 0, "availableReplicas": 0}}


def _service(obj, now):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": _meta(f"{obj['metadata']['name']}-extra", obj["metadata"]["namespace"], created=_ts(now - timedelta(days=1))),
            "spec": {"type": "ClusterIP", "selector": _selector(obj), "clusterIP": "172.20.200.9",
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}


def _hpa(obj, now):
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": _meta(obj["metadata"]["name"], obj["metadata"]["namespace"], created=_ts(now - timedelta(days=1))),
            "spec": {"scaleTargetRef": {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"]},
                     "minReplicas": 1, "maxReplicas": 10,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                                             "averageUtilization": 80}}}]}}


def _pdb(obj, now):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": _meta(obj["metadata"]["name"], obj["metadata"]["namespace"], created=_ts(now - timedelta(days=1))),
            "spec": {"maxUnavailable": 0, "selector": {"matchLabels": _selector(obj)}}}


def _deny_ingress(obj, now):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": _meta(f"{obj['metadata']['name']}-deny-ingress", obj["metadata"]["namespace"],
                              created=_ts(now - timedelta(days=1))),
            "spec": {"podSelector": {"matchLabels": _selector(obj)}, "policyTypes": ["Ingress"], "ingress": []}}


def _scaled_object(obj, now):
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": _meta(obj["metadata"]["name"], obj["metadata"]["namespace"], created=_ts(now - timedelta(days=1))),
            "spec": {"scaleTargetRef": {"name": obj["metadata"]["name"]}, "minReplicaCount": 0, "maxReplicaCount": 4,
                     "triggers": [{"type": "cpu", "metricType": "Utilization", "metadata": {"value": "80"}}]}}


def _job_template(obj) -> dict:
    return obj["spec"]["jobTargetRef"] if obj["kind"] == "ScaledJob" else obj["spec"]["jobTemplate"]["spec"]


def _job(obj, now, failed: bool):
    spec = copy.deepcopy(_job_template(obj))
    labels = dict((spec.get("template", {}).get("metadata") or {}).get("labels") or {})
    started = now - (timedelta(minutes=20) if failed else timedelta(hours=6))
    status = ({"failed": 2, "startTime": _ts(started),
               "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                               "message": "Job has reached the specified backoff limit",
                               "lastTransitionTime": _ts(started + timedelta(minutes=3))}]}
              if failed else {"active": 1, "startTime": _ts(started)})
    suffix = "failed" if failed else "stuck"
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": _meta(f"{obj['metadata']['name']}-{suffix}", obj["metadata"]["namespace"], labels, owner=obj,
                              created=_ts(started)),
            "spec": spec, "status": status}


_WORKLOAD = {
    "add-stray-pod": (_stray_pod, "a Pod with its pod labels, owned by nothing"),
    "add-second-replicaset": (_second_replicaset, "a second, unready ReplicaSet"),
    "add-selecting-service": (_service, "another Service selecting its pods"),
    "add-hpa": (_hpa, "an HPA targeting it"),
    "add-pdb": (_pdb, "a PodDisruptionBudget (maxUnavailable 0) selecting its pods"),
    "add-deny-ingress-policy": (_deny_ingress, "a NetworkPolicy denying ingress to its pods"),
    "add-scaledobject": (_scaled_object, "a KEDA ScaledObject targeting it"),
}
_JOBS = {
    "add-failed-job": (lambda o, now: _job(o, now, True), "a failed Job"),
    "add-stuck-job": (lambda o, now: _job(o, now, False), "a Job active for 6 hours"),
}
_RELATED = {"Deployment": _WORKLOAD, "CronJob": _JOBS, "ScaledJob": _JOBS}


# --- applying one mutation ------------------------------------------------------------------

def _ts(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _index(container, seg):
    if isinstance(seg, str):
        if not isinstance(container, dict):
            raise ValueError(f"not a mapping at {seg!r}")
        return seg
    if not isinstance(container, list):
        raise ValueError(f"not a list at {seg!r}")
    if "i" in seg:
        if seg["i"] >= len(container):
            raise ValueError(f"no item #{seg['i']}")
        return seg["i"]
    for i, item in enumerate(container):
        if ("doc" in seg and _doc_name(item) == seg["doc"]) or (
                "k" in seg and isinstance(item, dict) and item.get(seg["k"]) == seg["v"]):
            return i
    raise ValueError(f"no item {seg}")


def _scaled(value, factor):
    if isinstance(value, bool):
        raise ValueError("cannot scale a bool")
    if isinstance(value, (int, float)):
        return type(value)(value * factor)
    if _INT.match(value):
        return str(int(value) * factor)
    if m := _QUANTITY.match(value):
        number = float(m.group(1)) * factor
        return f"{int(number) if number == int(number) else number}{m.group(2)}"
    raise ValueError(f"cannot scale {value!r}")


def _edit_leaf(container, key, change: dict) -> None:
    op = change["op"]
    if op == "remove":
        del container[key]
    elif op == "set":
        container[key] = copy.deepcopy(change["value"])
    elif op == "scale":
        container[key] = _scaled(container[key], change["factor"])
    elif op == "flip":
        v = container[key]
        container[key] = (not v) if isinstance(v, bool) else {"true": "false", "false": "true"}[v]
    elif op == "shift":
        t = datetime.strptime(container[key][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        container[key] = _ts(t + timedelta(seconds=change["seconds"]))
    elif op == "duplicate-item":
        container.insert(key + 1, copy.deepcopy(container[key]))
    elif op == "add-item":
        items = container[key]
        if change.get("key") and items:
            new = copy.deepcopy(items[-1])
            field = change["key"]
            new[field] = f"mutant-{field}" if isinstance(new[field], str) else new[field] + 1
        elif items:
            new = copy.deepcopy(items[-1])
            if isinstance(new, str):
                new = f"{new}-mutant"
            elif isinstance(new, (int, float)) and not isinstance(new, bool):
                new = new + 1
        else:
            new = copy.deepcopy(change["value"])
        items.append(new)
    elif op == "reverse":
        container[key].reverse()
    else:
        raise ValueError(f"unknown kube edit {op!r}")


def _apply(node, segs: list, change: dict) -> None:
    """Apply the edit at the path; a decode segment edits the decoded value and encodes it back."""
    key = _index(node, segs[0])
    rest = segs[1:]
    if rest and isinstance(rest[0], dict) and "decode" in rest[0]:
        load, dump = _CODECS[rest[0]["decode"]]
        decoded = load(node[key])
        if len(rest) == 1:
            box = [decoded]
            _edit_leaf(box, 0, change)
            decoded = box[0]
        else:
            _apply(decoded, rest[1:], change)
        node[key] = dump(decoded)
    elif rest:
        _apply(node[key], rest, change)
    else:
        _edit_leaf(node, key, change)


def _copy_object(obj: dict) -> dict:
    new = copy.deepcopy(obj)
    meta = new["metadata"]
    meta["name"] = f"{meta['name']}-copy"
    if meta.get("uid"):
        meta["uid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "copy/" + meta["uid"]))
    return new


class _Kube(BaseLayer):
    name = "kube"

    def world(self, twin) -> dict:
        """Every object the emulator serves, read over its HTTP API as any client would (the Namespace
        aside, which it synthesises; events.k8s.io aside, which serves no Event the core group lacks)."""
        import httpx

        from icepack_twin.cluster import BUILTINS

        objects = []
        with httpx.Client(base_url=twin.cluster.url, timeout=10) as http:
            for api, plural, kind, _ in BUILTINS:
                if kind == "Namespace" or api == "events.k8s.io/v1":
                    continue
                url = f"/api/{api}/{plural}" if "/" not in api else f"/apis/{api}/{plural}"
                objects += http.get(url).raise_for_status().json().get("items") or []
        return {"objects": objects}

    def generate(self, world: dict) -> list[Mutation]:
        gen = _Generator()
        objects = world.get("objects", [])
        for obj in sorted(objects, key=lambda o: object_key(o, objects)):
            gen.object(obj, objects)
        return gen.out

    def prepare(self, objects, behaviour, mutation: dict) -> None:
        change = mutation["change"]
        target = change.get("target")
        index = next((i for i, o in enumerate(objects) if object_key(o, objects) == target), None)
        if index is None:
            raise ValueError(f"{mutation.get('id')}: no object {target} is served")
        # a copy through JSON: the chart shares dicts between objects and fields (a ReplicaSet's selector
        # is its template's labels), and an edit must land on one field only
        obj = objects[index] = json.loads(json.dumps(objects[index]))
        op = change.get("op")
        now = getattr(objects, "now", None) or datetime.now(timezone.utc)
        try:
            if op == "delete-object":
                del objects[index]
            elif op == "copy-object":
                objects.append(_copy_object(obj))
            elif op == "add-related":
                build = {**_WORKLOAD, **_JOBS}[change["related"]][0]
                objects.append(build(obj, now))
            else:
                _apply(obj, list(change["path"]), change)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"{mutation.get('id')}: cannot apply ({type(exc).__name__}: {exc})") from None


LAYER = register(_Kube())
