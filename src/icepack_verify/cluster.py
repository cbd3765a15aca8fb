"""A read-only snapshot of the Icepack namespace, through the official kubernetes client.

Each kind is listed once per session (concurrently); tests look objects up in the
snapshot. The wrapper offers no write call at all: read-only by construction.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from icepack_verify.environments import Environment
from icepack_verify.errors import ConfigError, Unreachable


class NotFound(Exception):
    """The kind was readable and the object is not there."""


class Unreadable(Exception):
    """The kind could not be read (forbidden, API error); we do not know what is there."""


@dataclass
class Listing:
    items: list[dict] = field(default_factory=list)
    error: str | None = None  # why the kind could not be read


def api_client(env: Environment) -> kubernetes.client.ApiClient:
    """An ApiClient for the environment's kube context, or one clear sentence why not."""
    path = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or str(Path.home() / ".kube" / "config")
    if not Path(path).exists():
        if os.environ.get("KUBERNETES_SERVICE_HOST"):  # the scheduled check runs as a pod
            kubernetes.config.load_incluster_config()
            return kubernetes.client.ApiClient()
        raise ConfigError(f"[{env.name}] no kubeconfig at {path}: set KUBECONFIG (context {env.kube_context!r})")
    try:
        contexts, _ = kubernetes.config.list_kube_config_contexts(config_file=path)
    except (ConfigException, OSError, ValueError) as exc:
        raise ConfigError(f"[{env.name}] kubeconfig {path} is unusable: {exc}") from None
    names = [c["name"] for c in contexts]
    if env.kube_context not in names:
        raise ConfigError(
            f"[{env.name}] kube context {env.kube_context!r} is not in {path} "
            f"(set ICEPACK_KUBE_CONTEXT; known: {', '.join(names) or 'none'})"
        )
    try:
        client = kubernetes.config.new_client_from_config(config_file=path, context=env.kube_context)
    except (ConfigException, OSError, ValueError) as exc:
        raise ConfigError(f"[{env.name}] kube context {env.kube_context!r} is unusable: {exc}") from None
    client.configuration.retries = 1
    return client


# kind -> how to list it; namespaced unless noted
def _listers(client: kubernetes.client.ApiClient, env: Environment) -> dict:
    core = kubernetes.client.CoreV1Api(client)
    apps = kubernetes.client.AppsV1Api(client)
    batch = kubernetes.client.BatchV1Api(client)
    custom = kubernetes.client.CustomObjectsApi(client)
    ns = env.namespace
    return {
        "Deployment": lambda **kw: apps.list_namespaced_deployment(ns, **kw),
        "Pod": lambda **kw: core.list_namespaced_pod(ns, **kw),
        "Service": lambda **kw: core.list_namespaced_service(ns, **kw),
        "PersistentVolumeClaim": lambda **kw: core.list_namespaced_persistent_volume_claim(ns, **kw),
        "ServiceAccount": lambda **kw: core.list_namespaced_service_account(ns, **kw),
        # Only the Helm release records: the suite has no business reading other secrets.
        "Secret": lambda **kw: core.list_namespaced_secret(
            ns, label_selector=f"owner=helm,name={env.names.release}", **kw),
        "Event": lambda **kw: core.list_namespaced_event(ns, **kw),
        "CronJob": lambda **kw: batch.list_namespaced_cron_job(ns, **kw),
        "ScaledJob": lambda **kw: custom.list_namespaced_custom_object("keda.sh", "v1alpha1", ns, "scaledjobs", **kw),
        "Node": lambda **kw: core.list_node(**kw),  # cluster-scoped; may be forbidden
    }


class ClusterSnapshot:
    """Everything the infra suite looks at, read once."""

    def __init__(self, env: Environment, listings: dict[str, Listing], client: kubernetes.client.ApiClient):
        self.env = env
        self.listings = listings
        self._core = kubernetes.client.CoreV1Api(client)

    @classmethod
    def collect(cls, env: Environment, timeout: float = 10.0) -> "ClusterSnapshot":
        client = api_client(env)
        listers = _listers(client, env)

        def one(kind: str) -> Listing:
            try:
                raw = listers[kind](_preload_content=False, _request_timeout=timeout)
                return Listing(items=json.loads(raw.data).get("items") or [])
            except ApiException as exc:
                return Listing(error=f"{exc.status} {exc.reason}")
            except urllib3.exceptions.HTTPError as exc:
                return Listing(error=f"unreachable ({type(exc).__name__})")

        with ThreadPoolExecutor(max_workers=len(listers)) as pool:
            listings = dict(zip(listers, pool.map(one, listers)))
        if all(l.error and l.error.startswith("unreachable") for l in listings.values()):
            raise Unreachable(
                f"[{env.name}] Kubernetes API {client.configuration.host} unreachable (context {env.kube_context!r})")
        return cls(env, listings, client)

    def list(self, kind: str) -> list[dict]:
        listing = self.listings[kind]
        if listing.error:
            raise Unreadable(f"[{self.env.name}] could not list {kind} in namespace {self.env.namespace}: {listing.error}")
        return listing.items

    def get(self, kind: str, name: str) -> dict:
        for obj in self.list(kind):
            if obj["metadata"]["name"] == name:
                return obj
        present = ", ".join(sorted(o["metadata"]["name"] for o in self.list(kind))) or "none"
        raise NotFound(f"[{self.env.name}] {kind} {self.env.namespace}/{name} not found "
                       f"(the {kind}s in namespace {self.env.namespace}: {present})")

    def readable(self, kind: str) -> bool:
        return self.listings[kind].error is None

    def events_for(self, kind: str, name: str, limit: int = 5) -> list[str]:
        """The object's most recent events, newest last, as one line each."""
        if not self.readable("Event"):
            return []
        events = [e for e in self.list("Event")
                  if e.get("involvedObject", {}).get("kind") == kind and e["involvedObject"].get("name") == name]
        events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
        return [f"{e.get('lastTimestamp') or e.get('eventTime')} {e.get('type')} {e.get('reason')}: {e.get('message')}"
                for e in events[-limit:]]

    def pod_log_tail(self, pod: str, container: str | None = None, lines: int = 20) -> str:
        """The last lines of a failing pod's log (a read-only GET), or why it is unavailable."""
        try:
            return self._core.read_namespaced_pod_log(pod, self.env.namespace, container=container,
                                                      tail_lines=lines, _request_timeout=5)
        except (ApiException, urllib3.exceptions.HTTPError) as exc:
            return f"(log unavailable: {getattr(exc, 'status', '')} {getattr(exc, 'reason', type(exc).__name__)})"
