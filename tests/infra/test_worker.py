"""Worker: a KEDA ScaledJob scaling on Icepack's own job queue."""
from __future__ import annotations

from icepack_verify import ROWS, Said

# KEDA's own defaults for a ScaledJob: an omitted field means these.
KEDA_DEFAULTS = {"pollingInterval": 30, "maxReplicaCount": 100}
PAUSED = "autoscaling.keda.sh/paused"
WORKER = ROWS["worker"].citation


def _env(container: dict, name: str) -> str | None:
    return next((e.get("value") for e in container.get("env") or [] if e.get("name") == name), None)


def test_worker_scaled_job_spec(objects, environment, expect, diagnose):
    sj = objects.get("worker")
    spec = {**KEDA_DEFAULTS, **(sj.get("spec") or {})}
    d = diagnose(objects.resource("worker"))
    d.expect("spec.triggers[].type", f"includes {expect.worker.trigger!r}",
             [t.get("type") for t in spec.get("triggers") or []], environment.source("expect.worker.trigger"),
             same=lambda _, got: expect.worker.trigger in got)
    d.expect("spec.pollingInterval", expect.worker.polling_interval, spec["pollingInterval"],
             environment.source("expect.worker.polling_interval"))
    d.expect("spec.maxReplicaCount", expect.worker.max_replicas, spec["maxReplicaCount"],
             environment.source("expect.worker.max_replicas"))
    d.conclude()


def test_worker_trigger_reads_the_api_database(objects, expect, diagnose):
    """A trigger on another database never sees Icepack's queue: the worker would never scale."""
    sj = objects.get("worker")
    api = objects.get("api")["spec"]["template"]["spec"]["containers"][0]
    d = diagnose(objects.resource("worker"))
    for i, trigger in enumerate((sj.get("spec") or {}).get("triggers") or []):
        meta = trigger.get("metadata") or {}
        if trigger.get("type") != expect.worker.trigger:
            continue
        for key, env in (("host", "PGHOST"), ("dbName", "PGDATABASE")):
            if key in meta and _env(api, env) is not None:  # a trigger reading a connection string is not judged here
                d.expect(f"spec.triggers[{i}].metadata.{key}", _env(api, env), meta[key],
                         f"the API container's {env} ({objects.resource('api')}): {WORKER} scales on Icepack's queue")
    d.conclude()


def test_worker_scaled_job_ready(objects, cluster, diagnose):
    sj = objects.get("worker")
    d = diagnose(objects.resource("worker") + " (KEDA)")
    why_paused = f"{WORKER}: a paused ScaledJob runs no job however long the queue"
    # the annotation first: it is spec, judged on a render too (a status read ends the check there)
    d.expect(f"annotations[{PAUSED}]", Said("not paused"), (sj["metadata"].get("annotations") or {}).get(PAUSED),
             why_paused, same=lambda _, got: got != "true")
    ready = objects.condition(sj, "Ready")
    d.expect("status.conditions[Ready]", "True",
             ready.get("status") if ready.get("status") in (None, "True")
             else f"{ready.get('status')} ({ready.get('reason')}: {ready.get('message')})",
             "KEDA accepts the ScaledJob")
    paused = objects.condition(sj, "Paused")
    d.expect("status.conditions[Paused]", Said("not paused"), paused.get("status"), why_paused,
             same=lambda _, got: got != "True")
    if d.mismatches:
        d.attach("recent events", cluster.events_for("ScaledJob", sj["metadata"]["name"]))
    d.conclude()
