"""Drifts only the references walk catches, and the forms it must take as sound.

References resolve (tests/infra/test_object_references.py, icepack_verify.object_refs). Broken
references are `released`: the chart itself rendered them so (a key renamed in one template
and not the other), so release vs live sees nothing changed by hand and no expectation check
reads the field. Related objects are applied in the namespace beside the release, without its
labels: an HPA, a PodDisruptionBudget, a NetworkPolicy, another Service.
"""
from __future__ import annotations


from icepack_twin.drifts.base import DriftList, released
from icepack_twin.drifts.shared import internal_postgres, pods, uid
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")

API, WORKER, AUTH = "icepack-api", "icepack-worker", "icepack-postgres-auth"
NAMESPACE = "icepack"


def _outside(kind: str, api_version: str, name: str, spec: dict) -> dict:
    """An object applied beside the release (kubectl apply by another team): none of its labels."""
    return {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": name, "namespace": NAMESPACE, "uid": uid(name),
                         "resourceVersion": "48400001", "creationTimestamp": "2026-01-05T10:00:00Z"},
            "spec": spec}


def _api_selector(objs: Objects) -> dict:
    return dict(objs.get("Deployment", API)["spec"]["selector"]["matchLabels"])


# --- references that do not resolve -----------------------------------------------------------------

def _pg_selector_matches_nothing(objs: Objects) -> None:
    internal_postgres(objs, "Service")["spec"]["selector"]["app.kubernetes.io/component"] = "database"


def _pg_target_port_undeclared(objs: Objects) -> None:
    internal_postgres(objs, "Service")["spec"]["ports"][0]["targetPort"] = "pg"


def _api_password_key_renamed(objs: Objects) -> None:
    for spec in objs.pod_specs("api"):
        env = next(e for e in spec["containers"][0]["env"] if e["name"] == "PGPASSWORD")
        env["valueFrom"]["secretKeyRef"]["key"] = "db-password"


def _worker_auth_renamed(objs: Objects) -> None:
    objs.get("ScaledJob", WORKER)["spec"]["triggers"][0]["authenticationRef"]["name"] = "icepack-pg-auth"


def _auth_secret_key_renamed(objs: Objects) -> None:
    objs.get("TriggerAuthentication", AUTH)["spec"]["secretTargetRef"][0]["key"] = "pg-password"


def _api_probe_port_undeclared(objs: Objects) -> None:
    for spec in objs.pod_specs("api"):
        spec["containers"][0]["livenessProbe"]["httpGet"]["port"] = "web"


def _pod_owner_replaced(objs: Objects) -> None:
    """An API pod orphaned by a ReplicaSet deleted and recreated with the same name: a new uid."""
    pod = pods(objs, API)[0]
    pod["metadata"]["ownerReferences"] = [dict(r, uid=uid("an-old-replicaset"))
                                          for r in pod["metadata"]["ownerReferences"]]


DRIFTS.add("postgres-service-selects-no-pod", "the chart's Postgres Service selects component=database; its pods "
           "say postgres: the API's database host has no endpoints", objects=released(_pg_selector_matches_nothing))
DRIFTS.add("postgres-service-target-port-undeclared", "the Postgres Service sends to port 'pg', which no container "
           "declares", objects=released(_pg_target_port_undeclared))
DRIFTS.add("api-password-key-renamed", "the API's PGPASSWORD reads key db-password of Secret icepack-db, which holds "
           "password: the pods cannot start (CreateContainerConfigError)", objects=released(_api_password_key_renamed))
DRIFTS.add("worker-trigger-auth-renamed", "the ScaledJob's trigger authenticates with TriggerAuthentication "
           "icepack-pg-auth, which does not exist: KEDA cannot read the queue", objects=released(_worker_auth_renamed))
DRIFTS.add("trigger-auth-secret-key-renamed", "the TriggerAuthentication reads key pg-password of Secret icepack-db, "
           "which holds password", objects=released(_auth_secret_key_renamed))
DRIFTS.add("api-liveness-probe-port-undeclared", "the API's liveness probe checks port 'web', which its container "
           "does not declare: every probe fails, the kubelet restarts the pods",
           objects=released(_api_probe_port_undeclared))
DRIFTS.add("api-pod-owner-replaced", "an API pod's owner ReplicaSet was recreated (another uid): the pod is an "
           "orphan nothing scales or rolls", objects=_pod_owner_replaced)


# --- others' objects that select or target the release's ------------------------------------------------

def _hpa_on_the_api(objs: Objects) -> None:
    objs.append(_outside("HorizontalPodAutoscaler", "autoscaling/v2", "icepack-api-hpa", {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": API},
        "minReplicas": 1, "maxReplicas": 4,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": 70}}}]}))


def _deny_ingress(objs: Objects) -> None:
    objs.append(_outside("NetworkPolicy", "networking.k8s.io/v1", "default-deny-ingress",
                         {"podSelector": {}, "policyTypes": ["Ingress"]}))


def _canary_service(objs: Objects) -> None:
    objs.append(_outside("Service", "v1", "icepack-api-canary", {
        "type": "ClusterIP", "selector": _api_selector(objs), "clusterIP": "172.20.9.14",
        "ports": [{"name": "http", "port": 80, "targetPort": 8000, "protocol": "TCP"}]}))


def _pdb_on_the_api(objs: Objects) -> None:
    objs.append(_outside("PodDisruptionBudget", "policy/v1", "icepack-api-pdb",
                         {"minAvailable": 2, "selector": {"matchLabels": _api_selector(objs)}}))


def _scaled_object_on_the_api(objs: Objects) -> None:
    objs.append(_outside("ScaledObject", "keda.sh/v1alpha1", "icepack-api-rps", {
        "scaleTargetRef": {"name": API}, "minReplicaCount": 1, "maxReplicaCount": 6,
        "triggers": [{"type": "cpu", "metricType": "Utilization", "metadata": {"value": "60"}}]}))


DRIFTS.add("hpa-targets-the-api", "an HPA applied beside the release scales the API Deployment (1 to 4) "
           "against the chart's 2 replicas", objects=_hpa_on_the_api)
DRIFTS.add("deny-ingress-network-policy", "a default-deny-ingress NetworkPolicy selects every pod: the NLB and the "
           "API's clients reach nothing", objects=_deny_ingress)
DRIFTS.add("canary-service-selects-the-api", "a Service icepack-api-canary, not the release's, sends traffic to the "
           "API's pods", objects=_canary_service)
DRIFTS.add("pdb-on-the-api", "a PodDisruptionBudget keeps 2 API pods available of 2: no node drains",
           objects=_pdb_on_the_api)
DRIFTS.add("scaled-object-targets-the-api", "a KEDA ScaledObject beside the release scales the API Deployment",
           objects=_scaled_object_on_the_api)


# --- sound forms ---------------------------------------------------------------------------------------

def _policy_admits_api_port(objs: Objects) -> None:
    objs.append(_outside("NetworkPolicy", "networking.k8s.io/v1", "api-ingress", {
        "podSelector": {"matchLabels": {"app.kubernetes.io/component": "api"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.40.0.0/16"}}],
                     "ports": [{"protocol": "TCP", "port": "http"}]}]}))


def _policy_egress_only(objs: Objects) -> None:
    objs.append(_outside("NetworkPolicy", "networking.k8s.io/v1", "egress-to-vpc", {
        "podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "10.40.0.0/16"}}]}]}))


def _optional_configmap_volume(objs: Objects) -> None:
    for spec in objs.pod_specs("api"):
        volumes = spec.setdefault("volumes", [])
        if not any(v["name"] == "overrides" for v in volumes):
            volumes.append({"name": "overrides", "configMap": {"name": "icepack-overrides", "optional": True}})


def _env_from_configmap_key(objs: Objects) -> None:
    if not any(o["kind"] == "ConfigMap" for o in objs):
        objs.append({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": "icepack-settings", "namespace": NAMESPACE,
                                  "uid": uid("icepack-settings"),
                                  "resourceVersion": "48400002", "creationTimestamp": "2026-01-05T10:00:00Z",
                                  "labels": {"app.kubernetes.io/name": "icepack",
                                             "app.kubernetes.io/instance": "icepack"}},
                     "data": {"LOG_LEVEL": "info"}})
    for spec in objs.pod_specs("api"):
        env = spec["containers"][0]["env"]
        if not any(e["name"] == "LOG_LEVEL" for e in env):
            env.append({"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "icepack-settings",
                                                                               "key": "LOG_LEVEL"}}})


def _pg_target_port_by_number(objs: Objects) -> None:
    internal_postgres(objs, "Service")["spec"]["ports"][0]["targetPort"] = 5432


PROBES.add("network-policy-admits-the-api-port", "a NetworkPolicy on the API pods admits the VPC on port 'http' "
           "(the 8000 the Service targets, by name)", objects=_policy_admits_api_port)
PROBES.add("network-policy-egress-only", "a NetworkPolicy on every pod restricts egress only",
           objects=_policy_egress_only)
PROBES.add("optional-configmap-volume-absent", "the API mounts ConfigMap icepack-overrides, optional and absent",
           objects=released(_optional_configmap_volume))
PROBES.add("api-env-from-a-configmap-key", "the API reads LOG_LEVEL from ConfigMap icepack-settings, which holds it",
           objects=released(_env_from_configmap_key))
PROBES.add("postgres-service-targets-port-by-number", "the Postgres Service targets 5432 by number, not by name",
           objects=released(_pg_target_port_by_number))
