"""Identities unique across the objects of a kind (icepack_verify.identities): a Node's providerID and
InternalIP, a running pod's podIP, a Service's clusterIP, each held by one object only."""
from __future__ import annotations

from icepack_verify import UNIQUE_IDENTITIES, Said, duplicate_identities


def test_identities_are_held_by_one_object_each(objects, cluster, environment, diagnose):
    d = diagnose(f"identities across the objects of namespace {environment.namespace} and the cluster's nodes")
    # Nodes are cluster-scoped, listed through an optional ClusterRole; pods and Services are the namespace's
    lists = {kind: objects.all(kind) for kind in UNIQUE_IDENTITIES if kind != "Node"}
    if cluster.readable("Node"):
        lists["Node"] = cluster.list("Node")
    for kind, field, value, names, source in duplicate_identities(lists):
        d.mismatch(f"{kind} {field} {value}", Said("held by one object"),
                   Said(f"held by {len(names)}: {', '.join(names)}"), source)
    d.conclude()
