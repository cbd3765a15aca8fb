"""Identities that must be unique across the objects of a kind: one rule over every object.

Two Nodes with one providerID or one InternalIP are one machine registered twice (a node object
left behind by a replaced instance, a hand-made copy): the cloud controller and the pods' hostIP
cannot tell which is real. Two running pods with one podIP, or two Services with one clusterIP,
are an address the network hands to one of them only (Kubernetes: the CNI gives every pod sandbox
its own address; the service IP allocator gives each Service its own). Headless Services
(clusterIP None) and pods on the host's network (their podIP is the node's) share by design.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterator


def _internal_ips(node: dict) -> list[str]:
    return [a.get("address") for a in (node.get("status") or {}).get("addresses") or []
            if isinstance(a, dict) and a.get("type") == "InternalIP" and a.get("address")]


def _pod_ip(pod: dict) -> list[str]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    running = status.get("phase") == "Running" and not spec.get("hostNetwork")
    return [status["podIP"]] if running and status.get("podIP") else []


def _cluster_ips(svc: dict) -> list[str]:
    spec = svc.get("spec") or {}
    ips = {spec.get("clusterIP"), *(spec.get("clusterIPs") or [])}
    return sorted(ip for ip in ips if isinstance(ip, str) and ip and ip != "None")


# kind -> field -> (its values in one object, who hands them out one per object)
UNIQUE_IDENTITIES: dict[str, dict[str, tuple[Callable[[dict], list[str]], str]]] = {
    "Node": {
        "spec.providerID": (lambda n: [v] if (v := (n.get("spec") or {}).get("providerID")) else [],
                            "the cloud provider: one instance, one providerID (K8s Node spec)"),
        "status.addresses[InternalIP]": (_internal_ips, "the VPC: one network interface address per instance"),
    },
    "Pod": {"status.podIP": (_pod_ip, "the CNI gives every running pod's sandbox its own address (K8s networking)")},
    "Service": {"spec.clusterIP": (_cluster_ips, "the service IP allocator gives each Service its own address")},
}


def duplicate_identities(lists: dict[str, list[dict]]) -> Iterator[tuple[str, str, str, list[str], str]]:
    """(kind, field, value, names of the objects that share it, source) of every shared identity."""
    for kind, fields in UNIQUE_IDENTITIES.items():
        for field, (values_of, source) in fields.items():
            holders: dict[str, list[str]] = defaultdict(list)
            for obj in lists.get(kind, []):
                for value in dict.fromkeys(values_of(obj)):
                    holders[value].append((obj.get("metadata") or {}).get("name", "?"))
            for value, names in sorted(holders.items()):
                if len(names) > 1:
                    yield kind, field, value, sorted(names), source

