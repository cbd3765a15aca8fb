"""The rendered Kubernetes objects of one twin environment, with lookups by kind and name.

The bottom layer of the twin: the chart renders these, drifts edit them, the cluster
emulator serves them. Nothing here imports another twin module.
"""
from __future__ import annotations

from typing import Iterator

LOG_ANNOTATION = "twin.icepack.dev/log"  # where a drift leaves the log lines a failing pod would print


class Objects(list):
    """The rendered objects of one environment, with lookups by kind and name; `now` is the instant they were
    rendered at (the twin's clock for what drifts stamp), None for objects read back from a manifest."""

    now = None

    def get(self, kind: str, name: str) -> dict:
        for obj in self:
            if obj["kind"] == kind and obj["metadata"]["name"] == name:
                return obj
        raise KeyError(f"{kind}/{name} not rendered")

    def of_kind(self, kind: str) -> Iterator[dict]:
        return (obj for obj in self if obj["kind"] == kind)

    def pod_specs(self, component: str | None = None) -> Iterator[dict]:
        """Every pod spec of a workload (templates and live pods), of one component if named."""
        for o in self:
            labels = o["metadata"].get("labels") or {}
            if component and labels.get("app.kubernetes.io/component") != component:
                continue
            spec = o.get("spec", {})
            if o["kind"] == "Pod":
                yield spec
            elif o["kind"] in {"Deployment", "ReplicaSet"}:
                yield spec["template"]["spec"]
            elif o["kind"] == "CronJob":
                yield spec["jobTemplate"]["spec"]["template"]["spec"]
            elif o["kind"] == "ScaledJob":
                yield spec["jobTargetRef"]["template"]["spec"]
