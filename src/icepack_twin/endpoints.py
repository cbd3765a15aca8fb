"""The twin's EndpointSlice controller: each Service's slice, made from the pods its selector picks.

Kubernetes' EndpointSlice controller (pkg/controller/endpointslice) keeps, for every Service with a
selector, slices labelled `kubernetes.io/service-name` and owned by the Service, listing each
selected pod that has an IP: its address, its targetRef (kind, name, namespace, uid), its node,
and conditions (ready when the pod is Ready and not being deleted, serving when Ready, terminating
when being deleted; ready and serving whatever the pod's state when the Service sets
spec.publishNotReadyAddresses); a Service port's targetPort is resolved to the number (a named one through
the pod's container ports). The slice carries the Service's labels beside its own.

`sync` runs after the drifts (a cluster settles them: a pod made not Ready moves to not ready)
and before the mutation layers, which edit what is served, as a hand edit or a lying kubelet would.
"""
from __future__ import annotations

import hashlib
import uuid

from icepack_twin.objects import Objects

SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER = "endpointslice-controller.k8s.io"


def _selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and selector.items() <= labels.items()


def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _port(svc_port: dict, pods: list[dict]):
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int):
        return target
    for pod in pods:
        for c in (pod.get("spec") or {}).get("containers") or []:
            for p in c.get("ports") or []:
                if p.get("name") == target:
                    return p.get("containerPort")
    return None


def slice_name(service: str) -> str:
    """The slice's name: generateName `<service>-` plus a suffix (here stable, for drifts and ids)."""
    return f"{service}-{hashlib.sha1(service.encode()).hexdigest()[:5]}"


def _slice(svc: dict, pods: list[dict]) -> dict:
    meta = svc["metadata"]
    name = slice_name(meta["name"])
    endpoints = []
    for pod in pods:
        ip = (pod.get("status") or {}).get("podIP")
        if not ip:
            continue
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        publish = (svc.get("spec") or {}).get("publishNotReadyAddresses") is True
        serving = publish or _ready(pod)
        endpoints.append({
            "addresses": [ip],
            "conditions": {"ready": publish or (serving and not terminating), "serving": serving,
                           "terminating": terminating},
            "nodeName": (pod.get("spec") or {}).get("nodeName"),
            "targetRef": {"kind": "Pod", "namespace": pod["metadata"].get("namespace"),
                          "name": pod["metadata"]["name"], "uid": pod["metadata"].get("uid")},
        })
    # a named targetPort no pod declares is left out, as the controller leaves out a port it cannot resolve
    ports = [{"name": p.get("name", ""), "port": number, "protocol": p.get("protocol", "TCP")}
             for p in (svc.get("spec") or {}).get("ports") or [] if (number := _port(p, pods)) is not None]
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {
            "name": name, "namespace": meta.get("namespace"), "generateName": f"{meta['name']}-",
            "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"icepack-twin/EndpointSlice/{meta.get('uid')}")),
            "resourceVersion": meta.get("resourceVersion", "1"), "creationTimestamp": meta.get("creationTimestamp"),
            "labels": {**(meta.get("labels") or {}), SERVICE_NAME: meta["name"], MANAGED_BY: CONTROLLER},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": meta["name"], "uid": meta.get("uid"),
                                 "controller": True, "blockOwnerDeletion": True}],
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": ports,
    }


def sync(objs: Objects) -> None:
    """Replace every EndpointSlice by the slices the controller would keep for the Services now served."""
    objs[:] = [o for o in objs if o["kind"] != "EndpointSlice"]
    pods = list(objs.of_kind("Pod"))
    for svc in list(objs.of_kind("Service")):
        selector = (svc.get("spec") or {}).get("selector") or {}
        if selector:
            chosen = [p for p in pods if _selects(selector, p["metadata"].get("labels") or {})]
            objs.append(_slice(svc, chosen))
