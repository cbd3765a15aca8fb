"""Which Kubernetes objects make up an Icepack environment (deployment document, "Infrastructure inventory").

One row per resource: its role (the key of its name in environments.toml [names] and of
its expectations in [expect]), its kind, and where its pod spec lives if it runs pods.
The namespace check, the workload list (node arch, image tag, IRSA service account) and
the kinds the cluster snapshot lists all derive from this table.

Adding a row: a name (and expectations) in environments.toml and its model, one entry
here, one test module under tests/infra/, the object in the twin's chart, and a drift.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from icepack_verify.diagnosis import Diagnosis
from icepack_verify.environments import Environment
from icepack_verify.errors import NotFound

DOCUMENT = "deployment document, infrastructure inventory"
DEPLOYMENT_POD = ("spec", "template", "spec")
CRONJOB_POD = ("spec", "jobTemplate", "spec", "template", "spec")
SCALEDJOB_POD = ("spec", "jobTargetRef", "template", "spec")


def _always(env: Environment) -> bool:
    return True


def _internal_postgres(env: Environment) -> bool:
    return env.expect.postgres.internal


@dataclass(frozen=True)
class Row:
    role: str                      # its name is environments.toml [names].<role>
    kind: str
    document: str                  # the row's name in the deployment document
    pod_spec: tuple[str, ...] = ()  # where the pod template's spec lives; () when it runs no pods
    icepack_image: bool = False    # runs Icepack's own image: image tag, arch and IRSA account apply
    deployed: Callable[[Environment], bool] = _always  # does this environment run it at all?

    @property
    def citation(self) -> str:
        return f"{DOCUMENT}: {self.document}"


INVENTORY: tuple[Row, ...] = (
    Row("api", "Deployment", "API", DEPLOYMENT_POD, icepack_image=True),
    Row("service", "Service", "NLB Service"),
    Row("worker", "ScaledJob", "Worker", SCALEDJOB_POD, icepack_image=True),
    Row("orchestrator", "CronJob", "Orchestrator", CRONJOB_POD, icepack_image=True),
    Row("health_sync", "CronJob", "Health Sync", CRONJOB_POD, icepack_image=True),
    Row("postgres", "Deployment", "Postgres", DEPLOYMENT_POD, deployed=_internal_postgres),
    Row("postgres_pvc", "PersistentVolumeClaim", "Postgres (PVC-backed)", deployed=_internal_postgres),
    Row("service_account", "ServiceAccount", "IRSA ServiceAccount"),
)
ROWS = {row.role: row for row in INVENTORY}


def rows(env: Environment) -> list[Row]:
    """The inventory rows this environment deploys."""
    return [row for row in INVENTORY if row.deployed(env)]


def name_of(env: Environment, role: str) -> str:
    return getattr(env.names, role)


@dataclass(frozen=True)
class Workload:
    """An Icepack workload and the pod spec it runs its pods with."""
    row: Row
    name: str
    obj: dict
    pod_spec: dict
    label: str  # "CronJob icepack/icepack-orchestrator"


class Objects:
    """The inventory as observed in the cluster snapshot: lookups that fail as diagnoses.

    Three outcomes stay distinct in every message: "not found" (the kind was read, the
    object is absent: a failure), "could not list" (we do not know what is there: not run)
    and a wrong value (the test's own Diagnosis). None of them passes.
    """

    def __init__(self, cluster, env: Environment):
        self.cluster = cluster
        self.env = env

    def resource(self, role: str) -> str:
        """'Deployment icepack/icepack-api' for a role (judging a render: '... (rendered.yaml document 4)')."""
        kind, name = ROWS[role].kind, name_of(self.env, role)
        origin = getattr(self.cluster, "origin", None)  # the rendered manifests' collection knows where each came from
        where = origin(kind, name) if origin else None
        return f"{kind} {self.env.namespace}/{name}" + (f" ({where})" if where else "")

    def get(self, role: str) -> dict:
        """The object playing this role, or the test fails saying it is not there."""
        row = ROWS[role]
        return self._or_fail(self.cluster.get, row.kind, name_of(self.env, role))

    def all(self, kind: str) -> list[dict]:
        return self._or_fail(self.cluster.list, kind)

    def workloads(self) -> list[Workload]:
        """Every deployed workload that runs Icepack's image, with its pod spec."""
        found = []
        for row in rows(self.env):
            if row.icepack_image:
                obj = self.get(row.role)
                found.append(Workload(row, name_of(self.env, row.role), obj, _at(obj, row.pod_spec),
                                      self.resource(row.role)))
        return found

    @staticmethod
    def condition(obj: dict, type_: str) -> dict:
        """A status condition by type, or an empty dict."""
        return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == type_), {})

    def _or_fail(self, read, *args):
        """Not found fails (observed); a kind that could not be listed (Unreadable) is raised: the
        test observed nothing and is not run."""
        try:
            return read(*args)
        except NotFound as exc:
            Diagnosis(self.env.name, exc.subject).cannot(exc.reason)


def _at(obj: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        obj = obj.get(key) or {}
    return obj


def event_line(e: dict) -> str:
    """One Kubernetes event as a line of a failure message (here, not in cluster.py: a test module
    that formats events need not load the kubernetes client at collection)."""
    return f"{e.get('lastTimestamp') or e.get('eventTime')} {e.get('type')} {e.get('reason')}: {e.get('message')}"
