"""Drifts and probes of pods against the nodes they run on and the templates they were made from
(tests/infra/test_derivation.py: only what admission webhooks are known to inject, checks.injected_env and
checks.injected_volumes); of pods against the nodes they run on (tests/infra/test_live_state.py, node
findings): a node's kubelet labels against what it reports, and every hosted pod's nodeSelector and
required node affinity against its node's labels; and of identities unique across the objects of a
kind (tests/infra/test_identities.py)."""
from __future__ import annotations

from datetime import timedelta

from icepack_twin.drifts.base import DriftList, released
from icepack_twin.drifts.live import _completed_job_pod
from icepack_twin.drifts.shared import now, pods, renamed_copy
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")
API = "icepack-api"


def _api_node_relabelled(objs: Objects) -> None:
    """`kubectl label node <n> kubernetes.io/arch- kubernetes.io/os=` on an API pod's node: the pod runs
    on, but no longer matches its own nodeSelector; its next restart or reschedule does not land."""
    labels = _api_node(objs)["metadata"]["labels"]
    labels.pop("kubernetes.io/arch")
    labels["kubernetes.io/os"] = ""


def _api_selects_by_ored_terms(objs: Objects) -> None:
    """The chart binds the API by two ORed node affinity terms: one no node satisfies (an amd64 node
    group), one the arm64 nodes do (arch In, node group Exists, a name NotIn), beside its nodeSelector."""
    for spec in objs.pod_specs("api"):  # the templates and the live pods alike
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "eks.amazonaws.com/nodegroup", "operator": "In",
                                   "values": ["icepack-amd64"]}]},
            {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]},
                                  {"key": "eks.amazonaws.com/nodegroup", "operator": "Exists"}],
             "matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["ip-10-40-99-9.ec2.internal"]}]},
        ]}}}


def _node_registered_twice(objs: Objects) -> None:
    """An API pod's node registered a second time under another name (a stale Node object of the same
    instance): one providerID and one InternalIP for two nodes."""
    node = _api_node(objs)
    objs.append(renamed_copy(node, "ip-10-40-11-23.us-east-1.compute.internal", "node-registered-twice"))


def _api_node_uninitialized(objs: Objects) -> None:
    """An API pod's node joined without the cloud controller initializing it (a hand-joined or stale node
    object): no spec.providerID, so no load balancer registers it and no EBS volume attaches to it."""
    _api_node(objs)["spec"].pop("providerID")


def _api_node(objs: Objects) -> dict:
    return objs.get("Node", pods(objs, API)[0]["spec"]["nodeName"])


def _tainted(key: str, effect: str, value: str | None = None):
    def edit(objs: Objects) -> None:
        added = now(objs) - timedelta(minutes=10)
        taint = {"key": key, "effect": effect, "timeAdded": added.strftime("%Y-%m-%dT%H:%M:%SZ")}
        _api_node(objs)["spec"].setdefault("taints", []).append({**taint, **({"value": value} if value else {})})
    return edit


def _api_node_cordoned(objs: Objects) -> None:
    """`kubectl cordon` of an API pod's node, left behind after maintenance: spec.unschedulable and the
    node controller's node.kubernetes.io/unschedulable:NoSchedule taint; the pod runs on, a restart lands elsewhere."""
    _api_node(objs)["spec"]["unschedulable"] = True
    _tainted("node.kubernetes.io/unschedulable", "NoSchedule")(objs)


def _api_node_taints_tolerated(objs: Objects) -> None:
    """Taints an API pod's node may carry: PreferNoSchedule (a preference), and a dedicated-node NoSchedule
    and NoExecute taint the API pods tolerate by key (any value) and by value, with no time limit."""
    for key, effect, value in (("spot", "PreferNoSchedule", None), ("dedicated", "NoSchedule", "icepack"),
                               ("team", "NoExecute", "data")):
        _tainted(key, effect, value)(objs)
    released(_api_tolerations)(objs)


def _api_tolerations(objs: Objects) -> None:
    for spec in objs.pod_specs("api"):  # the chart's tolerations: templates and live pods alike
        spec["tolerations"] = [{"key": "dedicated", "operator": "Exists"},
                               {"key": "team", "operator": "Equal", "value": "data", "effect": "NoExecute"}]


def _api_node_hostname_emptied(objs: Objects) -> None:
    """An API pod's node reports an empty Hostname address (a broken hostname-override in its user data): the API
    server, which dials the Hostname first for logs and exec by default, reaches nothing."""
    node = _api_node(objs)
    next(a for a in node["status"]["addresses"] if a["type"] == "Hostname")["address"] = ""


def _finished_pod_shares_an_address(objs: Objects) -> None:
    """A finished health-sync pod (Succeeded) still reports the podIP of an API pod: the address of a
    pod that no longer runs is free for the CNI to hand out; only running pods hold theirs."""
    _completed_job_pod(objs)
    finished = next(p for p in objs.of_kind("Pod") if p["status"].get("phase") == "Succeeded")
    finished["status"]["podIP"] = pods(objs, API)[0]["status"]["podIP"]


def _finished_pods_beyond_allocatable(objs: Objects) -> None:
    """A finished health-sync pod (Succeeded, kept with its Job by the history limit) on a node whose
    allocatable pods, cpu and memory are exactly what its running pods hold: a finished pod holds no slot
    and no requests (the scheduler counts pods not Succeeded or Failed), so the node is full, not over."""
    from kubernetes.utils import parse_quantity

    _completed_job_pod(objs)
    finished = next(p for p in objs.of_kind("Pod") if p["status"].get("phase") == "Succeeded")
    node = objs.get("Node", finished["spec"]["nodeName"])
    running = [p for p in objs.of_kind("Pod") if (p.get("spec") or {}).get("nodeName") == node["metadata"]["name"]
               and p["status"].get("phase") not in ("Succeeded", "Failed")]
    asked = {r: sum(parse_quantity(c.get("resources", {}).get("requests", {}).get(r, "0"))
                    for p in running for c in p["spec"]["containers"]) for r in ("cpu", "memory")}
    node["status"]["allocatable"].update(pods=str(len(running)), cpu=f"{int(asked['cpu'] * 1000)}m",
                                         memory=str(int(asked["memory"])))


def _unknown_webhook_injects(objs: Objects) -> None:
    """An unknown mutating webhook (a proxy injector) gave an API pod an env var, a volume and a mount its
    template does not have, none of them what the known webhooks inject: the pod runs through a proxy."""
    spec = pods(objs, API)[0]["spec"]
    spec.setdefault("volumes", []).append({"name": "proxy-ca", "emptyDir": {}})
    api = next(c for c in spec["containers"] if c["name"] == "api")
    api["env"].append({"name": "HTTPS_PROXY", "value": "http://proxy.corp.internal:3128"})
    api.setdefault("volumeMounts", []).append({"name": "proxy-ca", "mountPath": "/etc/ssl/proxy", "readOnly": True})


DRIFTS.add("unknown-webhook-injects-a-proxy", "an API pod has an env var, volume and mount no known webhook injects",
           objects=_unknown_webhook_injects)
DRIFTS.add("node-registered-twice", "an API pod's node also registered under a second name (same instance, same address)",
           objects=_node_registered_twice)
DRIFTS.add("api-node-not-a-cloud-instance", "an API pod's node has no spec.providerID (not initialized by the "
           "cloud controller)", objects=_api_node_uninitialized)
DRIFTS.add("api-node-relabelled", "an API pod's node lost its arch label and its os label was emptied",
           objects=_api_node_relabelled)
DRIFTS.add("api-node-cordoned", "an API pod's node cordoned (spec.unschedulable and its NoSchedule taint)",
           objects=_api_node_cordoned)
DRIFTS.add("api-node-disrupted-by-karpenter", "an API pod's node tainted karpenter.sh/disrupted:NoSchedule "
           "(a consolidation draining it)", objects=_tainted("karpenter.sh/disrupted", "NoSchedule"))
DRIFTS.add("api-node-out-of-service", "an API pod's node tainted node.kubernetes.io/out-of-service=nodeshutdown:"
           "NoExecute, which the pod does not tolerate", objects=_tainted(
               "node.kubernetes.io/out-of-service", "NoExecute", "nodeshutdown"))
DRIFTS.add("api-node-hostname-address-empty", "an API pod's node reports an empty Hostname address",
           objects=_api_node_hostname_emptied)
PROBES.add("api-node-taints-its-pods-tolerate", "an API pod's node tainted PreferNoSchedule, and NoSchedule and "
           "NoExecute by taints the API pods tolerate", objects=_api_node_taints_tolerated)
PROBES.add("api-selects-nodes-by-ored-terms", "API pods bound by two ORed node affinity terms, one of them unmet",
           objects=released(_api_selects_by_ored_terms))
PROBES.add("finished-pod-shares-an-address", "a Succeeded health-sync pod reporting a running API pod's podIP",
           objects=_finished_pod_shares_an_address)
PROBES.add("finished-pods-beyond-allocatable", "a Succeeded health-sync pod on a node whose allocatable pods, cpu and "
           "memory are exactly its running pods'", objects=_finished_pods_beyond_allocatable)
