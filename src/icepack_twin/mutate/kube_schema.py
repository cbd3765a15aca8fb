"""The published schemas of the Kubernetes kinds, for the kube layer's "add a field the schema
allows" operator and for naming list items and telling maps from structs.

The schemas are the JSON schemas kubernetes-validate ships (written against kubernetes-validate
1.37, which carries 1.25 to 1.37): the version nearest the emulator's 1.30 is used. Its data
files are read directly; its Python API only validates whole objects. KEDA's kinds have no
published schema there: ScaledJob and TriggerAuthentication get a short hand-written one from
KEDA's documentation (keda.sh/docs/latest/reference/scaledjob-spec), whose job template is
Kubernetes' own JobSpec.
"""
from __future__ import annotations

import functools
import json
import re
from importlib import resources

KUBERNETES_VERSION = (1, 30)  # the emulator's server version (icepack_twin.cluster.SERVER_VERSION)
_DEFS = "#/$defs/"


def _ref(name: str) -> dict:
    return {"$ref": _DEFS + name}


_INT, _STR, _OBJ = {"type": "integer"}, {"type": "string"}, {"type": "object"}
# KEDA's kinds, from its documentation (ScaledJob spec, TriggerAuthentication spec).
_KEDA = {
    "ScaledJob": {"properties": {
        "apiVersion": _STR, "kind": _STR, "metadata": _ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
        "spec": {"properties": {
            "jobTargetRef": _ref("io.k8s.api.batch.v1.JobSpec"), "pollingInterval": _INT,
            "successfulJobsHistoryLimit": _INT, "failedJobsHistoryLimit": _INT, "envSourceContainerName": _STR,
            "minReplicaCount": _INT, "maxReplicaCount": _INT,
            "rollout": {"properties": {"strategy": _STR, "propagationPolicy": _STR}},
            "scalingStrategy": {"properties": {
                "strategy": _STR, "customScalingQueueLengthDeduction": _INT, "customScalingRunningJobPercentage": _STR,
                "pendingPodConditions": {"type": "array", "items": _STR}, "multipleScalersCalculation": _STR}},
            "triggers": {"type": "array", "items": {"properties": {
                "type": _STR, "name": _STR, "metadata": {"additionalProperties": _STR},
                "authenticationRef": {"properties": {"name": _STR, "kind": _STR}}, "useCachedMetrics": {"type": "boolean"}}}},
        }},
        "status": {"properties": {"lastActiveTime": {"type": "string", "format": "date-time"},
                                  "conditions": {"type": "array", "x-kubernetes-list-map-keys": ["type"],
                                                 "items": {"properties": {"type": _STR, "status": _STR,
                                                                          "reason": _STR, "message": _STR}}}}},
    }},
    "TriggerAuthentication": {"properties": {
        "apiVersion": _STR, "kind": _STR, "metadata": _ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
        "spec": {"properties": {
            "secretTargetRef": {"type": "array", "items": {"properties": {"parameter": _STR, "name": _STR, "key": _STR}}},
            "configMapTargetRef": {"type": "array", "items": {"properties": {"parameter": _STR, "name": _STR, "key": _STR}}},
            "env": {"type": "array", "items": {"properties": {"parameter": _STR, "name": _STR, "containerName": _STR}}},
            "podIdentity": {"properties": {"provider": _STR, "roleArn": _STR, "identityOwner": _STR}},
        }},
    }},
}


@functools.cache
def _folder() -> str:
    """The schema folder of the shipped version nearest the emulator's (not the -strict variant)."""
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    versions = []
    for entry in root.iterdir():
        if m := re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local", entry.name):
            versions.append((abs(int(m.group(1)) * 100 + int(m.group(2)) - (KUBERNETES_VERSION[0] * 100 + KUBERNETES_VERSION[1])),
                             entry.name))
    return min(versions)[1]


def _read(name: str) -> dict | None:
    path = resources.files("kubernetes_validate") / "kubernetes-json-schema" / _folder() / name
    return json.loads(path.read_text()) if path.is_file() else None


@functools.cache
def _definitions() -> dict:
    return _read("_definitions.json")["$defs"]


def version() -> str:
    return _folder().split("-")[0]


@functools.cache
def kind_schema(api_version: str, kind: str) -> dict | None:
    """The schema of a kind, or None when neither Kubernetes nor the KEDA list above has one."""
    if kind in _KEDA:
        return _KEDA[kind]
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)  # rbac.authorization.k8s.io/v1 -> rbac-v1
    return _read(f"{kind.lower()}-{group_version}.json")


def resolve(schema: dict | None) -> dict | None:
    """Follow $ref; of a oneOf (Quantity, IntOrString) the first alternative."""
    while schema:
        if "$ref" in schema:
            schema = _definitions().get(schema["$ref"].rsplit("/", 1)[-1])
        elif "oneOf" in schema:
            schema = schema["oneOf"][0]
        else:
            return schema
    return None


def child(schema: dict | None, key: str) -> dict | None:
    schema = resolve(schema)
    if not schema:
        return None
    if key in schema.get("properties", {}):
        return schema["properties"][key]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def items(schema: dict | None) -> dict | None:
    schema = resolve(schema)
    return schema.get("items") if schema else None


def is_map(schema: dict | None) -> bool:
    """A string-keyed map (labels, data, resources.requests), not a struct with named fields."""
    schema = resolve(schema)
    return bool(schema) and isinstance(schema.get("additionalProperties"), dict) and not schema.get("properties")


def list_keys(schema: dict | None) -> list[str]:
    """The fields that name a list's items (x-kubernetes-list-map-keys), if the schema says."""
    schema = resolve(schema)
    return list(schema.get("x-kubernetes-list-map-keys", [])) if schema else []


def system_set(prop: dict | None) -> bool:
    """A metadata field only the API server sets: the schema says "Read-only." (ObjectMeta's uid,
    resourceVersion, generation, creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds),
    or that it is "no longer populated by the system" (selfLink, unset since 1.20)."""
    description = (prop or {}).get("description", "")
    return "Read-only." in description or "no longer populated by the system" in description


def properties(schema: dict | None) -> dict[str, dict]:
    schema = resolve(schema)
    return dict(schema.get("properties", {})) if schema else {}


def sample(schema: dict | None, name: str, depth: int = 0) -> object:
    """A plausible value for a field the object leaves out, of the type the schema says."""
    schema = resolve(schema) or {}
    types = schema.get("type", "string")
    kind = next((t for t in ([types] if isinstance(types, str) else types) if t != "null"), "string")
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(schema.get("items"), name, depth + 1)] if depth < 4 else []
    if kind == "object":
        if isinstance(schema.get("additionalProperties"), dict):
            return {"mutant.icepack.dev/added": sample(schema["additionalProperties"], name, depth + 1)}
        if depth >= 4:
            return {}
        required = [r for r in schema.get("required", []) if r in schema.get("properties", {})]
        return {r: sample(schema["properties"][r], r, depth + 1) for r in required}
    if schema.get("format") == "byte":
        return "bXV0YW50"  # base64("mutant")
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00Z"
    return f"mutant-{name.lower()}"
