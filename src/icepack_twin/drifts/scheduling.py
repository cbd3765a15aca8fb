"""Drifts and probes of pods against the nodes they run on (tests/infra/test_live_state.py, node
findings): a node's kubelet labels against what it reports, and every hosted pod's nodeSelector and
required node affinity against its node's labels."""
from __future__ import annotations

from icepack_twin.drifts.base import DriftList, released
from icepack_twin.drifts.shared import pods
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")
API = "icepack-api"


def _api_node_relabelled(objs: Objects) -> None:
    """`kubectl label node <n> kubernetes.io/arch- kubernetes.io/os=` on an API pod's node: the pod runs
    on, but no longer matches its own nodeSelector; its next restart or reschedule does not land."""
    labels = objs.get("Node", pods(objs, API)[0]["spec"]["nodeName"])["metadata"]["labels"]
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


DRIFTS.add("api-node-relabelled", "an API pod's node lost its arch label and its os label was emptied",
           objects=_api_node_relabelled)
PROBES.add("api-selects-nodes-by-ored-terms", "API pods bound by two ORed node affinity terms, one of them unmet",
           objects=released(_api_selects_by_ored_terms))
