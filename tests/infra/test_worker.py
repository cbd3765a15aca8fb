"""Worker: a KEDA ScaledJob scaling on the job queue."""
from __future__ import annotations

# KEDA's own defaults for a ScaledJob: an omitted field means these.
KEDA_DEFAULTS = {"pollingInterval": 30, "maxReplicaCount": 100}


def test_worker_scaled_job_spec(objects, environment, expect, diagnose):
    sj = objects.get("worker")
    spec = sj.get("spec") or {}
    d = diagnose(objects.resource("worker"))
    d.expect("spec.triggers[].type", f"includes {expect.worker.trigger!r}",
             [t.get("type") for t in spec.get("triggers") or []], environment.source("expect.worker.trigger"),
             same=lambda _, got: expect.worker.trigger in got)
    spec = {**KEDA_DEFAULTS, **spec}
    d.expect("spec.pollingInterval", expect.worker.polling_interval, spec["pollingInterval"],
             environment.source("expect.worker.polling_interval"))
    d.expect("spec.maxReplicaCount", expect.worker.max_replicas, spec["maxReplicaCount"],
             environment.source("expect.worker.max_replicas"))
    d.conclude()


def test_worker_scaled_job_ready(objects, cluster, diagnose):
    sj = objects.get("worker")
    ready = objects.condition(sj, "Ready")
    d = diagnose(objects.resource("worker") + " (KEDA)")
    d.expect("status.conditions[Ready]", "True",
             ready.get("status") if ready.get("status") in (None, "True")
             else f"{ready.get('status')} ({ready.get('reason')}: {ready.get('message')})",
             "KEDA accepts the ScaledJob")
    if d.mismatches:
        d.attach("recent events", cluster.events_for("ScaledJob", sj["metadata"]["name"]))
    d.conclude()
