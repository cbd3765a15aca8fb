"""A read-only snapshot of the Icepack namespace, through the official kubernetes client.

Each kind is listed once per session (concurrently); tests look objects up in the
snapshot. The wrapper offers no write call at all: read-only by construction.
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import kubernetes
import urllib3
import yaml
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from icepack_verify import bounded_json
from icepack_verify.environments import Environment
from icepack_verify.errors import ConfigError, NotFound, Unreachable, Unreadable
from icepack_verify.inventory import event_line, rows
from icepack_verify.redaction import redacted_secret


LOG_CAP = 256 * 1024  # a log tail of 20 lines: anything longer is not a tail


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:160]


@dataclass
class Listing:
    items: list[dict] = field(default_factory=list)
    error: str | None = None  # why the kind could not be read


def kubeconfig_secrets() -> set[str]:
    """Every credential in the kubeconfig files (tokens, passwords, key data), for the redactor."""
    found: set[str] = set()
    for path in filter(None, os.environ.get("KUBECONFIG", str(Path.home() / ".kube" / "config")).split(os.pathsep)):
        try:
            doc = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        for user in _dicts(doc.get("users") if isinstance(doc, dict) else None):
            creds = user.get("user") if isinstance(user.get("user"), dict) else {}
            found |= {str(creds[k]) for k in ("token", "password", "client-key-data") if creds.get(k)}
            plugin = creds.get("exec") if isinstance(creds.get("exec"), dict) else {}
            found |= {str(e["value"]) for e in _dicts(plugin.get("env")) if e.get("value")}
    return {s for s in found if len(s) >= 4}


def _dicts(value) -> list[dict]:
    """The mappings of a YAML list (a hand-written kubeconfig may hold anything there)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def api_client(env: Environment) -> kubernetes.client.ApiClient:
    """An ApiClient for the environment's kube context, or one clear sentence why not."""
    path = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or str(Path.home() / ".kube" / "config")
    if not Path(path).exists():
        if os.environ.get("KUBERNETES_SERVICE_HOST"):  # the scheduled check runs as a pod
            try:
                kubernetes.config.load_incluster_config()
            except (ConfigException, OSError, ValueError) as exc:
                raise ConfigError("Kubernetes", f"the in-cluster service account is unusable: {exc}") from None
            return kubernetes.client.ApiClient()
        raise ConfigError("Kubernetes", f"no kubeconfig at {path}: set KUBECONFIG (context {env.kube_context!r})")
    try:
        contexts, _ = kubernetes.config.list_kube_config_contexts(config_file=path)
        names = [c["name"] for c in contexts]
    except (ConfigException, OSError, ValueError, TypeError, KeyError, AttributeError, yaml.YAMLError) as exc:
        raise ConfigError("Kubernetes", f"kubeconfig {path} is unusable: {exc}") from None
    if env.kube_context not in names:
        raise ConfigError(
            "Kubernetes", f"kube context {env.kube_context!r} is not in {path} "
            f"(set ICEPACK_KUBE_CONTEXT; known: {', '.join(names) or 'none'})"
        )
    configuration = kubernetes.client.Configuration()
    exec_errors = _ExecErrors()
    logging.getLogger().addHandler(exec_errors)
    try:
        kubernetes.config.load_kube_config(config_file=path, context=env.kube_context,
                                           client_configuration=configuration)
    except (ConfigException, OSError, ValueError, TypeError, KeyError, AttributeError, yaml.YAMLError) as exc:
        raise ConfigError("Kubernetes", f"kube context {env.kube_context!r} is unusable: {exc}") from None
    finally:
        logging.getLogger().removeHandler(exec_errors)
    if exec_errors.messages:  # the client logs a failed credential plugin and carries on without credentials
        raise ConfigError("Kubernetes", f"kube context {env.kube_context!r}: its credential plugin failed: "
                                        f"{' '.join(exec_errors.messages)[:300]}")
    # As for the API: connection errors and 502/503/504 retried with backoff, a read timeout not
    # (honoured only when set before the client is built). One list per kind, once per run, so
    # the retries a run can spend here are bounded by kinds x attempts.
    configuration.retries = urllib3.util.Retry(total=env.checks.http_attempts - 1, read=0, backoff_factor=0.2,
                                               status_forcelist=(502, 503, 504), allowed_methods=("GET",),
                                               raise_on_status=False)
    # urllib3 logs every retry as a warning; the listing's own error says what failed.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    return kubernetes.client.ApiClient(configuration)


class _ExecErrors(logging.Handler):
    """Collects what the kubernetes client logs when a kubeconfig exec plugin fails ("exec: ...")."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.startswith("exec:"):
            self.messages.append(text.removeprefix("exec:").strip())


@dataclass(frozen=True)
class Kind:
    """Where the API serves a kind."""
    api_version: str
    plural: str
    namespaced: bool = True


# Every kind the suite may list. The snapshot lists the inventory's kinds and SUPPORTING ones.
KINDS = {
    "Pod": Kind("v1", "pods"),
    "Service": Kind("v1", "services"),
    "ServiceAccount": Kind("v1", "serviceaccounts"),
    "PersistentVolumeClaim": Kind("v1", "persistentvolumeclaims"),
    "ConfigMap": Kind("v1", "configmaps"),
    "Secret": Kind("v1", "secrets"),
    "Event": Kind("v1", "events"),
    "Node": Kind("v1", "nodes", namespaced=False),
    "Deployment": Kind("apps/v1", "deployments"),
    "ReplicaSet": Kind("apps/v1", "replicasets"),
    "StatefulSet": Kind("apps/v1", "statefulsets"),
    "CronJob": Kind("batch/v1", "cronjobs"),
    "Job": Kind("batch/v1", "jobs"),
    "HorizontalPodAutoscaler": Kind("autoscaling/v2", "horizontalpodautoscalers"),
    "PodDisruptionBudget": Kind("policy/v1", "poddisruptionbudgets"),
    "Ingress": Kind("networking.k8s.io/v1", "ingresses"),
    "NetworkPolicy": Kind("networking.k8s.io/v1", "networkpolicies"),
    "ScaledJob": Kind("keda.sh/v1alpha1", "scaledjobs"),
    "ScaledObject": Kind("keda.sh/v1alpha1", "scaledobjects"),
    "TriggerAuthentication": Kind("keda.sh/v1alpha1", "triggerauthentications"),
    "EndpointSlice": Kind("discovery.k8s.io/v1", "endpointslices"),
}
# What the references between objects need beside the inventory (object_refs.REFERENCES): the
# objects they name (ReplicaSets and Jobs own the pods, ConfigMaps, TriggerAuthentications) and the
# kinds whose selectors or scale targets may pick the release's pods and workloads.
REFERENCED = ("ReplicaSet", "ConfigMap", "TriggerAuthentication", "HorizontalPodAutoscaler", "ScaledObject",
              "PodDisruptionBudget", "NetworkPolicy", "Job")


def supporting(env: Environment) -> dict[str, str | None]:
    """Kinds the checks read beside the inventory: kind -> label selector."""
    kinds: dict[str, str | None] = {
        "Pod": None, "Event": None,
        "Node": None,  # cluster-scoped: where pods really ran; may be forbidden
        "EndpointSlice": None,  # where the Services send traffic (bookkeeping.endpoint_findings)
    }
    kinds |= dict.fromkeys(REFERENCED)
    if env.read_release_secrets:  # the Helm release records, and of the others only their keys (secret_keys)
        kinds["Secret"] = None
    return kinds


def list_path(kind: str, namespace: str) -> str:
    """Where the API server lists a kind: /api/v1/namespaces/<ns>/pods, /apis/apps/v1/namespaces/<ns>/deployments,
    /apis/keda.sh/v1alpha1/namespaces/<ns>/scaledjobs, /api/v1/nodes."""
    k = KINDS[kind]
    base = "/api/v1" if k.api_version == "v1" else f"/apis/{k.api_version}"
    return f"{base}/namespaces/{quote(namespace, safe='')}/{k.plural}" if k.namespaced else f"{base}/{k.plural}"


class TooLarge(Exception):
    """A Kubernetes answer over the cap once decoded: not read further."""


def get(client: kubernetes.client.ApiClient, path: str, query: list[tuple[str, str]] | None = None,
        timeout: float = 10.0, accept: str = "application/json", cap: int = 10 * 1024 * 1024) -> bytes:
    """One GET (the only method this module sends) through the official client's ApiClient: its
    kubeconfig auth, TLS, proxy and retry policy. `param_serialize` and `call_api` are the request
    path of the generated client (kubernetes 37, written against 37.0.2), which asks urllib3 not to
    preload the body: it is read here from `RESTResponse.response` (the urllib3 response), decoded,
    at most `cap` bytes (TooLarge past it). The typed API classes (CoreV1Api, AppsV1Api, ...) are
    not loaded, since importing them costs ~0.65 s and ~29 MiB here for lists the suite reads as
    JSON anyway. A non-2xx answer raises ApiException, as they do."""
    request = client.param_serialize("GET", path, query_params=query or [], header_params={"Accept": accept},
                                     auth_settings=["BearerToken"])
    response = client.call_api(*request, _request_timeout=timeout)
    raw, chunks, seen = response.response, [], 0
    try:
        for chunk in raw.stream(64 * 1024, decode_content=True):
            seen += len(chunk)
            if seen > cap:
                raw.close()  # the rest stays unread: the connection is not reused
                raise TooLarge(f"answered more than {cap:,} bytes once decoded, over the cap "
                               "(checks.max_body_bytes): not read further")
            chunks.append(chunk)
    finally:
        raw.release_conn()
    body = b"".join(chunks)
    if not 200 <= response.status <= 299:
        raise ApiException.from_response(http_resp=response, body=body.decode("utf-8", "replace"), data=None)
    return body


def parse_list(body: bytes, max_depth: int = bounded_json.MAX_DEPTH) -> list[dict]:
    """The items of a Kubernetes list, each an object with a metadata.name; ValueError (one
    sentence) for anything else: JSON too deep, not JSON, or not a list of named objects."""
    try:
        doc = bounded_json.loads(body, max_depth)
    except bounded_json.TooDeep as exc:
        raise ValueError(f"answered JSON {exc}: not parsed") from None
    except bounded_json.InvalidJson as exc:
        raise ValueError(f"answered a body that is not JSON ({exc})") from None
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list) and not (isinstance(doc, dict) and items is None):
        raise ValueError(f"answered {type(doc).__name__ if not isinstance(doc, dict) else 'an object'} "
                         "that is not a Kubernetes list (no items list)")
    for item in items or []:
        meta = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
            raise ValueError("answered a list with an item that is not a named Kubernetes object "
                             "(no metadata.name)")
    return items or []


def _keys_only(listings: dict[str, Listing], release: str) -> tuple[dict[str, list[str]], list[dict]] | None:
    """Keeps the Helm release records as listed and, of every other Secret, the names of its keys and the
    Secret redacted (redacted_secret): their values are dropped as soon as they are read, never kept,
    compared or printed."""
    listing = listings["Secret"]
    if listing.error:
        return None
    keys, records, redacted = {}, [], []
    for item in listing.items:
        labels = item["metadata"].get("labels") or {}
        if labels.get("owner") == "helm" and labels.get("name") == release:
            records.append(item)
        else:
            data = item.get("data") or {}
            keys[item["metadata"]["name"]] = sorted(data) if isinstance(data, dict) else []
            redacted.append(redacted_secret(item))
    listing.items[:] = records
    return keys, redacted


def named(objs: list[dict], kind: str, name: str, namespace: str, among: str, looked_in: str = "") -> dict:
    """The object of this name in a listing; else NotFound naming the ones there are (the live
    snapshot and the rendered manifests alike)."""
    for obj in objs:
        if obj["metadata"]["name"] == name:
            return obj
    present = ", ".join(sorted(o["metadata"]["name"] for o in objs)) or "none"
    raise NotFound(f"{kind} {namespace}/{name}", f"not found{looked_in} (the {kind}s {among}: {present})")


class ClusterSnapshot:
    """Everything the infra suite looks at, read once."""

    def __init__(self, env: Environment, listings: dict[str, Listing], client: kubernetes.client.ApiClient,
                 secrets: tuple[dict[str, list[str]], list[dict]] | None = None):
        self.env = env
        self.listings = listings
        self._client = client
        # every Secret but the release records, by name -> the names of its keys, and each redacted
        # (redacted_secret); None: not read
        self.secret_keys, self.redacted_secrets = secrets if secrets is not None else (None, None)

    @classmethod
    def collect(cls, env: Environment, timeout: float = 10.0) -> "ClusterSnapshot":
        client = api_client(env)
        wanted = {row.kind: None for row in rows(env)} | supporting(env)
        cap = env.checks.max_body_bytes

        def one(kind: str) -> Listing:
            query = [("labelSelector", wanted[kind])] if wanted[kind] else []
            # Every way a list can fail is that kind's Listing error, never an exception: the
            # snapshot is still taken for the other kinds.
            try:
                return Listing(items=parse_list(get(client, list_path(kind, env.namespace), query, timeout, cap=cap)))
            except ApiException as exc:
                return Listing(error=f"{exc.status} {exc.reason}")
            except urllib3.exceptions.DecodeError as exc:
                return Listing(error=f"answered a body whose content-encoding does not decode ({_first_line(exc)})")
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                return Listing(error=f"unreachable ({type(exc).__name__})")
            except (TooLarge, ValueError) as exc:
                return Listing(error=str(exc))
            except Exception as exc:  # noqa: BLE001 - the client's own surprises too: that kind unreadable, not a crash
                return Listing(error=f"unreadable ({type(exc).__name__}: {_first_line(exc)})")

        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            listings = dict(zip(wanted, pool.map(one, wanted)))
        secrets = _keys_only(listings, env.names.release) if "Secret" in listings else None
        errors = {l.error for l in listings.values()}
        if None not in errors:  # nothing could be read: the API is down or refuses us, not the deploy
            what = ("unreachable" if all(e.startswith("unreachable") for e in errors)
                    else f"refused every list: {', '.join(sorted(errors))}" if all(e[:1].isdigit() for e in errors)
                    else f"could not read any list: {'; '.join(sorted(errors))}")
            raise Unreachable(f"Kubernetes API {client.configuration.host}", f"{what} (context {env.kube_context!r})")
        return cls(env, listings, client, secrets)

    def list(self, kind: str) -> list[dict]:
        listing = self.listings[kind]
        if listing.error:
            where = f" in namespace {self.env.namespace}" if KINDS[kind].namespaced else ""
            raise Unreadable(f"{kind}s{where}",
                             f"could not list: {listing.error} (the check cannot pass without them)")
        return listing.items

    def get(self, kind: str, name: str) -> dict:
        return named(self.list(kind), kind, name, self.env.namespace, among=f"in namespace {self.env.namespace}")

    def readable(self, kind: str) -> bool:
        return self.listings[kind].error is None

    def events_of(self, kind: str, name: str) -> list[dict]:
        """The object's events, oldest first ([] when events cannot be read)."""
        if not self.readable("Event"):
            return []
        events = [e for e in self.list("Event")
                  if e.get("involvedObject", {}).get("kind") == kind and e["involvedObject"].get("name") == name]
        return sorted(events, key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")

    def events_for(self, kind: str, name: str, limit: int = 5) -> list[str]:
        """The object's most recent events, newest last, as one line each."""
        return [event_line(e) for e in self.events_of(kind, name)[-limit:]]

    def pod_log_tail(self, pod: str, container: str | None = None, lines: int = 20) -> str:
        """The last lines of a failing pod's log (a read-only GET), or why it is unavailable."""
        path = f"{list_path('Pod', self.env.namespace)}/{quote(pod, safe='')}/log"
        query = [("tailLines", str(lines))] + ([("container", container)] if container else [])
        try:
            return get(self._client, path, query, timeout=5, accept="*/*", cap=LOG_CAP).decode("utf-8", "replace")
        except (ApiException, urllib3.exceptions.HTTPError, OSError, TooLarge) as exc:
            return f"(log unavailable: {getattr(exc, 'status', '')} {getattr(exc, 'reason', type(exc).__name__)})"
