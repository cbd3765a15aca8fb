"""`python -m icepack_twin render`: the release's objects as `helm template` writes them, before apply.

The same values, phase and drifts the twin deploys (server.configure), rendered by the same
chart, then written as multi-document YAML the way Helm renders a chart: only what the chart
itself writes, so no status, none of what the API server sets (uid, resourceVersion,
creationTimestamp, generation, a Service's clusterIP, a claim's volumeName), none of what
controllers add (ReplicaSets, Pods, Events, their annotations), and no release record.
"""
from __future__ import annotations

from datetime import datetime, timezone

import yaml

from icepack_twin import chart, drifts
from icepack_twin.objects import Objects
from icepack_twin.values import CHART_NAME, values_for

NOT_RENDERED = {"Node", "Pod", "ReplicaSet", "Event"}  # made by controllers and the kubelet, never by the chart
SERVER_SET = {"Service": ("clusterIP", "clusterIPs"), "PersistentVolumeClaim": ("volumeName",)}
# set on apply: by controllers, or by Helm itself when it installs (helm template leaves them out)
CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/", "pv.kubernetes.io/", "volume.kubernetes.io/", "meta.helm.sh/")
TEMPLATES = {"ServiceAccount": "serviceaccount", "Secret": "secret", "Deployment": "deployment", "Service": "service",
             "ScaledJob": "worker-scaledjob", "TriggerAuthentication": "worker-triggerauth", "CronJob": "cronjob",
             "PersistentVolumeClaim": "postgres-pvc"}


def objects(env: str, drift_names: list[str], now: datetime | None = None) -> Objects:
    """The environment's objects with these drifts, as the twin deploys them in phase live (server.configure)."""
    chosen = drifts.lookup(drift_names)
    values = values_for(env)
    for d in chosen:
        if d.values:
            d.values(values)
    objs = chart.render(values, now or datetime.now(timezone.utc))
    for d in chosen:
        if d.objects:
            d.objects(objs)
    return objs


def _as_rendered(obj: dict) -> dict:
    meta = obj["metadata"]
    notes = {k: v for k, v in (meta.get("annotations") or {}).items() if not k.startswith(CONTROLLER_ANNOTATIONS)}
    rendered_meta = {"name": meta["name"], **({"labels": meta["labels"]} if meta.get("labels") else {}),
                     **({"annotations": notes} if notes else {})}
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata", "status")}
    if "spec" in body:
        body["spec"] = {k: v for k, v in body["spec"].items() if k not in SERVER_SET.get(obj["kind"], ())}
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": rendered_meta, **body}


def manifests(objs: Objects) -> str:
    """Multi-document YAML, each document headed by the template it came from, as `helm template` prints it."""
    docs = []
    for obj in objs:
        if obj["kind"] in NOT_RENDERED or obj.get("type") == "helm.sh/release.v1":
            continue
        template = TEMPLATES.get(obj["kind"], obj["kind"].lower())
        if obj["kind"] in ("Deployment", "Service") and obj["metadata"]["name"].endswith("postgres"):
            template = f"postgres-{template}"
        docs.append(f"---\n# Source: {CHART_NAME}/templates/{template}.yaml\n"
                    + yaml.safe_dump(_as_rendered(obj), sort_keys=False))
    return "".join(docs)
