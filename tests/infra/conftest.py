"""Glue for the infrastructure checklist: look objects up in the one cluster snapshot.

Three outcomes stay distinct in every message: "not found" (the kind was read, the
object is absent), "could not read" (the kind was not readable: we do not know) and a
wrong value (a Diagnosis). None of them passes.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from icepack_verify.cluster import NotFound, Unreadable
from icepack_verify.diagnosis import fail


@dataclass(frozen=True)
class Workload:
    """An Icepack workload and the pod spec it runs its pods with."""
    kind: str
    name: str
    obj: dict
    pod_spec: dict

    @property
    def label(self) -> str:
        return f"{self.kind} {self.obj['metadata'].get('namespace', '?')}/{self.name}"


class Objects:
    """The snapshot seen by the checklist: lookups that fail with one sentence."""

    def __init__(self, cluster, environment):
        self.cluster = cluster
        self.env = environment

    def require(self, kind: str, name: str) -> dict:
        return _or_fail(self.cluster.get, kind, name)

    def all(self, kind: str) -> list[dict]:
        return _or_fail(self.cluster.list, kind)

    def resource(self, kind: str, name: str) -> str:
        return f"{kind} {self.env.namespace}/{name}"

    @staticmethod
    def condition(obj: dict, type_: str) -> dict:
        """A status condition by type, or an empty dict."""
        return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == type_), {})

    def workloads(self) -> list[Workload]:
        """Every Icepack workload: API Deployment, worker ScaledJob, both CronJobs."""
        names = self.env.names
        api = self.require("Deployment", names.api)
        worker = self.require("ScaledJob", names.worker)
        orch = self.require("CronJob", names.orchestrator)
        health = self.require("CronJob", names.health_sync)
        return [
            Workload("Deployment", names.api, api, api["spec"]["template"]["spec"]),
            Workload("ScaledJob", names.worker, worker, worker["spec"]["jobTargetRef"]["template"]["spec"]),
            Workload("CronJob", names.orchestrator, orch, orch["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
            Workload("CronJob", names.health_sync, health,
                     health["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
        ]


@pytest.fixture(scope="session")
def objects(cluster, environment) -> Objects:
    return Objects(cluster, environment)


def _or_fail(read, *args):
    """The object(s), or a failure that says "not found" or "could not read" (never a pass)."""
    try:
        return read(*args)
    except NotFound as exc:
        fail(str(exc))
    except Unreadable as exc:
        fail(f"{exc} (could not read: the check cannot pass without it)")
