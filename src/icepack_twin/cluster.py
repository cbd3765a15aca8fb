"""A Kubernetes API emulator for the twin, served over HTTP for the official client.

Built on kmock's ``KubernetesEmulator`` (an in-memory object store with a K8s-shaped
REST surface), through ``kmock_adapter`` (the only module touching kmock's private API):

* ``/version/``, ``/apis/``, ``/api/`` (the client's spelling) and ``/api/v1/namespaces[/<ns>]`` are routed;
* lists of every built-in kind (and KEDA's) exist even when empty, as on a real
  cluster; only truly unknown resources answer 404;
* lists honour ``labelSelector`` and ``fieldSelector``;
* pods serve their log; every request is logged, so self-tests can prove the suite only reads.
"""
from __future__ import annotations

import re
import threading
from typing import Any

import aiohttp.web
import kmock

from icepack_twin.kmock_adapter import Emulator
from icepack_twin.objects import LOG_ANNOTATION

# (apiVersion, plural, kind, namespaced): what a cluster with KEDA installed serves.
BUILTINS: list[tuple[str, str, str, bool]] = [
    *[("v1", p, k, True) for p, k in [
        ("pods", "Pod"), ("services", "Service"), ("configmaps", "ConfigMap"), ("secrets", "Secret"),
        ("serviceaccounts", "ServiceAccount"), ("events", "Event"), ("endpoints", "Endpoints"),
        ("persistentvolumeclaims", "PersistentVolumeClaim"), ("resourcequotas", "ResourceQuota"),
        ("limitranges", "LimitRange"), ("replicationcontrollers", "ReplicationController")]],
    ("v1", "nodes", "Node", False),
    ("v1", "namespaces", "Namespace", False),
    ("v1", "persistentvolumes", "PersistentVolume", False),
    *[("apps/v1", p, k, True) for p, k in [
        ("deployments", "Deployment"), ("replicasets", "ReplicaSet"), ("statefulsets", "StatefulSet"),
        ("daemonsets", "DaemonSet"), ("controllerrevisions", "ControllerRevision")]],
    ("batch/v1", "jobs", "Job", True),
    ("batch/v1", "cronjobs", "CronJob", True),
    ("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True),
    ("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", True),
    ("networking.k8s.io/v1", "ingresses", "Ingress", True),
    ("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", True),
    ("events.k8s.io/v1", "events", "Event", True),
    ("discovery.k8s.io/v1", "endpointslices", "EndpointSlice", True),
    ("coordination.k8s.io/v1", "leases", "Lease", True),
    ("storage.k8s.io/v1", "storageclasses", "StorageClass", False),
    ("rbac.authorization.k8s.io/v1", "roles", "Role", True),
    ("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", True),
    ("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", False),
    ("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", False),
    ("keda.sh/v1alpha1", "scaledjobs", "ScaledJob", True),
    ("keda.sh/v1alpha1", "scaledobjects", "ScaledObject", True),
    ("keda.sh/v1alpha1", "triggerauthentications", "TriggerAuthentication", True),
    ("keda.sh/v1alpha1", "clustertriggerauthentications", "ClusterTriggerAuthentication", False),
]
_VERBS = {"get", "list", "watch", "create", "update", "patch", "delete"}
# So that `kubectl get deploy,po,cj,sj` works against the twin, as against a cluster.
SHORT_NAMES = {"pods": ("po",), "services": ("svc",), "serviceaccounts": ("sa",), "events": ("ev",),
               "persistentvolumeclaims": ("pvc",), "nodes": ("no",), "namespaces": ("ns",), "deployments": ("deploy",),
               "replicasets": ("rs",), "cronjobs": ("cj",), "scaledjobs": ("sj",), "configmaps": ("cm",)}
_PLURALS = {(api, kind): plural for api, plural, kind, _ in BUILTINS if api != "events.k8s.io/v1"}
_KINDS = {(api, plural): kind for api, plural, kind, _ in BUILTINS}
_NAMESPACED = {(api, kind): ns for api, _, kind, ns in BUILTINS}
SERVER_VERSION = {
    "major": "1", "minor": "30+", "gitVersion": "v1.30.4-eks-a737599",
    "gitCommit": "a737599f8b2ee8c5a1b7b8bb4a1f6b4a5b8f0a3e", "gitTreeState": "clean",
    "buildDate": "2024-08-26T21:27:41Z", "goVersion": "go1.22.5", "compiler": "gc", "platform": "linux/arm64",
}


def _resource(api_version: str, plural: str) -> kmock.resource:
    group, _, version = api_version.rpartition("/")
    return kmock.resource(group=group, version=version, plural=plural)


def _api_version(res) -> str:
    return f"{res.group}/{res.version}" if res.group else res.version


# --- selectors ---------------------------------------------------------------------------

def _split(selector: str) -> list[str]:
    """Split on commas outside ``in (a,b)`` parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


_SET_RE = re.compile(r"^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$")
_EQ_RE = re.compile(r"^([^\s!=]+)\s*(==|!=|=)\s*(.*)$")


def matches_labels(labels: dict, selector: str) -> bool:
    for req in _split(selector):
        if m := _SET_RE.match(req):
            key, op, vals = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
            ok = (key in labels and labels[key] in vals) if op == "in" else labels.get(key) not in vals
        elif m := _EQ_RE.match(req):
            key, op, val = m.groups()
            ok = (labels.get(key) == val.strip()) if op != "!=" else labels.get(key) != val.strip()
        elif req.startswith("!"):
            ok = req[1:].strip() not in labels
        else:
            ok = req in labels
        if not ok:
            return False
    return True


def _field(obj: dict, path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def matches_fields(obj: dict, selector: str) -> bool:
    for req in _split(selector):
        m = _EQ_RE.match(req)
        if not m:
            raise ValueError(f"unsupported field selector {req!r}")
        key, op, val = m.groups()
        if (_field(obj, key) == val) == (op == "!="):
            return False
    return True


# --- the emulator ----------------------------------------------------------------------------

HEALTHY_LOG = "INFO:     Started server process [1]\nINFO:     Uvicorn running on http://0.0.0.0:8000\n"

class _Emulator(Emulator):
    """The twin's routes on top of the adapted emulator: version, namespaces, pod logs, a request log."""

    def setup(self) -> None:
        for api, plural, kind, namespaced in BUILTINS:
            self.resources[_resource(api, plural)] = kmock.ResourceInfo(
                kind=kind, namespaced=namespaced, verbs=_VERBS, singular=kind.lower(),
                shortnames=SHORT_NAMES.get(plural, ()))
        self.log: list[dict] = []
        self.log_lock = threading.Lock()
        self.namespaces: list[dict] = []

    def filter_list(self, items: list[dict], params) -> list[dict]:
        return _select(items, params)

    def list_kind(self, api_version: str, plural: str) -> str | None:
        return _KINDS.get((api_version, plural))

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        with self.log_lock:
            self.log.append({"method": raw_request.method, "path": raw_request.path,
                             "query": raw_request.query_string})
        path = raw_request.path.rstrip("/") or "/"
        if raw_request.method == "GET":
            if path == "/version":
                return aiohttp.web.json_response(SERVER_VERSION)
            if path in ("/apis", "/api"):  # the client asks for "/apis/", which kmock does not route
                return aiohttp.web.json_response(await self.serve_discovery(path))
            if path == "/api/v1/namespaces":  # kmock cannot parse a namespace list URL
                return aiohttp.web.json_response({"apiVersion": "v1", "kind": "NamespaceList",
                                                  "metadata": {"resourceVersion": "1"},
                                                  "items": _select(self.namespaces, raw_request.query)})
            if m := re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/log", path):
                return self._pod_log(m.group(1), m.group(2))
            if m := re.fullmatch(r"/api/v1/namespaces/([^/]+)", path):
                for ns in self.namespaces:
                    if ns["metadata"]["name"] == m.group(1):
                        return aiohttp.web.json_response(ns)
                return aiohttp.web.json_response(
                    {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure", "code": 404,
                     "reason": "NotFound", "message": f'namespaces "{m.group(1)}" not found',
                     "details": {"name": m.group(1), "kind": "namespaces"}}, status=404)
        return await super().__call__(raw_request)

    def _pod_log(self, namespace: str, name: str) -> aiohttp.web.Response:
        """A pod's log: what the twin wrote into its LOG_ANNOTATION, or a healthy start-up line."""
        for res, ns, n, raw in self.live_objects():
            if res.plural == "pods" and ns == namespace and n == name:
                text = (raw["metadata"].get("annotations") or {}).get(LOG_ANNOTATION, HEALTHY_LOG)
                return aiohttp.web.Response(text=text, content_type="text/plain")
        return aiohttp.web.json_response(
            {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure", "code": 404,
             "reason": "NotFound", "message": f'pods "{name}" not found'}, status=404)


def _select(items: list[dict], query) -> list[dict]:
    if sel := query.get("labelSelector"):
        items = [o for o in items if matches_labels(o.get("metadata", {}).get("labels") or {}, sel)]
    if sel := query.get("fieldSelector"):
        items = [o for o in items if matches_fields(o, sel)]
    return items


def resource_of(obj: dict) -> tuple[kmock.resource, bool]:
    """The REST resource an object lives under, and whether it is namespaced."""
    api, kind = obj["apiVersion"], obj["kind"]
    plural = _PLURALS.get((api, kind)) or kind.lower() + "s"
    return _resource(api, plural), _NAMESPACED.get((api, kind), "namespace" in obj["metadata"])


class TwinCluster:
    """The twin's Kubernetes API: load objects, serve them, log every request."""

    def __init__(self) -> None:
        self._emulator = _Emulator()
        self._server: kmock.Server | None = None
        self._url: str | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        # entering the handler makes kmock render errors as K8s Status, not bare 500s
        await self._emulator.__aenter__()
        self._server = kmock.Server(self._emulator, host=host, port=port or None)
        await self._server.__aenter__()
        self._url = f"http://{self._server.host}:{self._server.port}"
        return self._url

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.__aexit__(None, None, None)
            self._server = None
            await self._emulator.__aexit__(None, None, None)

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("TwinCluster is not started")
        return self._url

    def load(self, objects: list[dict]) -> None:
        """Replace all stored objects; the swap is one assignment, so serving never sees half."""
        fresh = {}
        namespaces = {}
        for obj in objects:
            res, namespaced = resource_of(obj)
            meta = obj["metadata"]
            ns = meta.get("namespace") if namespaced else None
            fresh[res, ns, meta["name"]] = obj
            if ns:
                namespaces.setdefault(ns, {
                    "apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns},
                                 "creationTimestamp": meta.get("creationTimestamp")},
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"},
                })
        self._emulator.replace_objects(fresh)
        self._emulator.namespaces = list(namespaces.values())

    def request_log(self) -> list[dict]:
        with self._emulator.log_lock:
            return list(self._emulator.log)

    def clear_request_log(self) -> None:
        with self._emulator.log_lock:
            self._emulator.log.clear()

    def write_kubeconfig(self, path: str, context: str = "icepack-twin", namespace: str = "icepack",
                         server: str | None = None) -> None:
        import yaml

        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": context, "preferences": {},
            "clusters": [{"name": context, "cluster": {"server": server or self.url}}],
            "users": [{"name": context, "user": {}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context, "namespace": namespace}}],
        }
        with open(path, "w") as f:
            yaml.safe_dump(config, f, sort_keys=False)
