"""Drifts of the generic rules helper "kubegen2" added: webhooks mutate Pods, not templates
(release vs live); a node port only on a NodePort/LoadBalancer Service; an object the suite
reads being deleted (a hosting node, the release record); a CronJob's status.active naming its
Jobs (the references walk); a ReplicaSet's ready and available counts (the derivation chain)."""
from __future__ import annotations

import uuid

from icepack_twin import chart
from icepack_twin.drifts.base import DriftList
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
DELETED_AT = "2026-01-01T00:00:00Z"


def _worker_template_env_added(objs: Objects) -> None:
    """`kubectl edit scaledjob` added a variable to the worker's job template: every Job KEDA starts
    from now on runs with it, while the release says nothing of it (no webhook writes templates)."""
    spec = objs.get("ScaledJob", "icepack-worker")["spec"]["jobTargetRef"]["template"]["spec"]
    spec["containers"][0].setdefault("env", []).append({"name": "ICEPACK_DEBUG", "value": "1"})


def _postgres_node_port(objs: Objects) -> None:
    """A node port written into the ClusterIP Postgres Service: no API server allocates one there."""
    svc = objs.get("Service", "icepack-postgres")
    svc["spec"]["ports"][0]["nodePort"] = 31432


def _api_node_draining(objs: Objects) -> None:
    """The node hosting an API pod is being deleted (a scale-in holds it with a finalizer)."""
    api = next(p for p in objs.of_kind("Pod") if p["metadata"]["name"].startswith("icepack-api-"))
    node = objs.get("Node", api["spec"]["nodeName"])
    node["metadata"].update(deletionTimestamp=DELETED_AT, finalizers=["karpenter.sh/termination"])


def _record_being_deleted(objs: Objects) -> None:
    """The deployed revision's record is being deleted (a cleanup job's finalizer holds it)."""
    secret = chart.release_secrets(objs)[0]
    secret["metadata"].update(deletionTimestamp=DELETED_AT, finalizers=["cleanup.example.com/hold"])


def _orchestrator_active_job_gone(objs: Objects) -> None:
    """The orchestrator's status.active names a Job that is gone (deleted by hand): the CronJob
    controller believes a run is active, and with concurrencyPolicy Forbid skips every schedule."""
    cron = objs.get("CronJob", "icepack-orchestrator")
    cron.setdefault("status", {})["active"] = [{
        "apiVersion": "batch/v1", "kind": "Job", "namespace": cron["metadata"]["namespace"],
        "name": "icepack-orchestrator-29400000", "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, "kubegen2/gone-job"))}]


def _postgres_replicaset_unavailable(objs: Objects) -> None:
    """The Postgres ReplicaSet counts its ready pod as neither ready nor available (its controller
    stalled), while the pod is Ready: the Deployment sums a count no pod backs."""
    rs = next(r for r in objs.of_kind("ReplicaSet") if r["metadata"]["name"].startswith("icepack-postgres-"))
    rs["status"]["readyReplicas"] = 0
    rs["status"]["availableReplicas"] = 0


DRIFTS.add("worker-template-env-added-live", "an env var only live in the ScaledJob's job template (kubectl edit)",
           objects=_worker_template_env_added)
DRIFTS.add("postgres-service-node-port", "a nodePort on the ClusterIP Postgres Service", objects=_postgres_node_port)
DRIFTS.add("api-node-being-deleted", "the node hosting an API pod has a deletionTimestamp (draining)",
           objects=_api_node_draining)
DRIFTS.add("release-record-being-deleted", "the deployed Helm record's Secret has a deletionTimestamp",
           objects=_record_being_deleted)
DRIFTS.add("orchestrator-active-job-gone", "the orchestrator CronJob's status.active names a Job that is gone",
           objects=_orchestrator_active_job_gone)
DRIFTS.add("postgres-replicaset-counts-no-ready-pod", "the Postgres ReplicaSet reports 0 ready and available "
           "while its pod is Ready", objects=_postgres_replicaset_unavailable)
