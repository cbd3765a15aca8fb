"""What the drift modules reach for alike: the twin's clock, the release's pods and internal Postgres,
a stable uid, an object copied under another name, a status condition set, a values key set, a Warning
event, an object's controller, and a pod gone unready as its controllers count it."""
from __future__ import annotations

import copy
import uuid
from datetime import datetime, timezone
from typing import Callable

from icepack_twin import chart
from icepack_twin.objects import Objects

PG = "icepack-postgres"
NEEDS_INTERNAL_PG = "this drift needs the internal Postgres (dev, local); this environment uses RDS"


def now(objs: Objects) -> datetime:
    """The moment the objects were rendered at (events and timestamps are relative to it)."""
    return objs.now or datetime.now(timezone.utc)


def pods(objs: Objects, prefix: str) -> list[dict]:
    """The pods of the workload (or ReplicaSet) named `prefix` (icepack-api, icepack-postgres)."""
    found = [p for p in objs.of_kind("Pod") if p["metadata"]["name"].startswith(prefix + "-")]
    if not found:
        raise ValueError(f"no {prefix} pod in this environment: {NEEDS_INTERNAL_PG}")
    return found


def internal_postgres(objs: Objects, kind: str = "Deployment") -> dict:
    """The internal Postgres' object of this kind; an environment on RDS has none: the drift does not apply."""
    if not any(o["kind"] == kind and o["metadata"]["name"] == PG for o in objs):
        raise ValueError(NEEDS_INTERNAL_PG)
    return objs.get(kind, PG)


def uid(seed: str) -> str:
    """A uid that is the same on every render (a drift's objects compare equal across runs)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


def renamed_copy(obj: dict, name: str, uid_seed: str) -> dict:
    """A deep copy of `obj` under another name and uid (its other metadata kept)."""
    twin = copy.deepcopy(obj)
    twin["metadata"].update(name=name, uid=uid(uid_seed))
    return twin


def set_conditions(obj: dict, *types: str, **fields) -> None:
    """Update the status conditions of these types with `fields` (status, reason, message, ...)."""
    for cond in obj["status"]["conditions"]:
        if cond["type"] in types:
            cond.update(fields)


def set_value(*path: str, value) -> Callable[[dict], None]:
    """A values edit: the key at this path set to `value`."""
    def edit(values: dict) -> None:
        node = values
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


def warn(objs: Objects, obj: dict, reason: str, message: str, component: str, **when) -> dict:
    """A Warning event about `obj` added at the render clock (`when`: count, age); returned to adjust."""
    objs.append(event := chart.event(now(objs), obj, "Warning", reason, message, component, **when))
    return event


def controller(objs: Objects, obj: dict) -> dict:
    """The object that controls `obj` (its ownerReference), as rendered."""
    ref = obj["metadata"]["ownerReferences"][0]
    return objs.get(ref["kind"], ref["name"])


def unready(objs: Objects, pod: dict, since: datetime) -> None:
    """The pod's first container not ready since `since`, and counted so by its controllers: its
    ReplicaSet's and their Deployment's ready and available counts one lower, one unavailable."""
    pod["status"]["containerStatuses"][0]["ready"] = False
    name = pod["spec"]["containers"][0]["name"]
    set_conditions(pod, "Ready", "ContainersReady", status="False", reason="ContainersNotReady",
                   message=f"containers with unready status: [{name}]", lastTransitionTime=chart.ts(since))
    rs = controller(objs, pod)
    dep = controller(objs, rs)
    for counts in (rs["status"], dep["status"]):
        counts.update(readyReplicas=counts["readyReplicas"] - 1, availableReplicas=counts["availableReplicas"] - 1)
    dep["status"]["unavailableReplicas"] = dep["status"].get("unavailableReplicas", 0) + 1
