"""Equivalence probes: healthy environments written in another form, which the whole suite must pass.

Each is a form Kubernetes, KEDA, AWS, a container runtime or an HTTP client treats as the
same as the twin's usual one; a check that compares strings would fail it. A form the chart
itself would write (`released`) is in the Helm release's manifest too; the others are live
only, as the API server, a controller or a webhook leaves them.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from icepack_twin.drifts.base import DriftList, released, switch
from icepack_twin.drifts.contracts import ONE_TABLE, one_table
from icepack_twin.objects import Objects
from icepack_twin.store import POLICY

DRIFTS = DriftList("equivalent")
SSL_PORTS = "service.beta.kubernetes.io/aws-load-balancer-ssl-ports"


def _api_containers(objs: Objects):
    return [s["containers"][0] for s in objs.pod_specs("api")]


def _api_resources_in_other_units(objs: Objects) -> None:
    for c in _api_containers(objs):
        c["resources"] = {"requests": {"cpu": "0.25", "memory": "268435456"},  # 250m, 256Mi
                          "limits": {"cpu": "0.5", "memory": "536870912"}}     # 500m, 512Mi


def _api_arch_by_affinity(objs: Objects) -> None:
    for spec in objs.pod_specs("api"):  # a template may be shared by the Deployment and its ReplicaSet
        arch = spec.pop("nodeSelector", {}).get("kubernetes.io/arch", "arm64")
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": [arch]},
                                  {"key": "eks.amazonaws.com/capacityType", "operator": "In",
                                   "values": ["ON_DEMAND"]}]}]}}}


def _api_metrics_port(objs: Objects) -> None:
    for c in _api_containers(objs):
        if all(p["name"] != "metrics" for p in c["ports"]):  # templates may be shared: add once
            c["ports"].append({"name": "metrics", "containerPort": 9090, "protocol": "TCP"})


def _cronjob(objs: Objects, name: str, **spec) -> None:
    objs.get("CronJob", name)["spec"].update(spec)


def _pinned_by_digest(objs: Objects) -> None:
    for spec in objs.pod_specs():
        for c in spec["containers"]:
            if c["name"] != "postgres" and "@" not in c["image"]:  # templates may be shared: pin once
                c["image"] += "@sha256:" + hashlib.sha256(c["image"].encode()).hexdigest()


def _postgres_image_qualified(objs: Objects) -> None:
    for c in (c for s in objs.pod_specs("postgres") for c in s["containers"]):
        if not c["image"].startswith("docker.io/"):  # templates may be shared: qualify once
            c["image"] = f"docker.io/library/{c['image']}"


def _service_annotation(value: str | None):
    def edit(objs: Objects) -> None:
        notes = objs.get("Service", "icepack-api")["metadata"]["annotations"]
        if value is None:
            notes.pop(SSL_PORTS)
        else:
            notes[SSL_PORTS] = value
    return edit


def _keda_polling_default(objs: Objects) -> None:
    objs.get("ScaledJob", "icepack-worker")["spec"].pop("pollingInterval")


def _pvc_class_by_annotation(objs: Objects) -> None:
    pvc = objs.get("PersistentVolumeClaim", "icepack-postgres")
    pvc["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"] = pvc["spec"].pop("storageClassName")


def _role_with_path(values: dict) -> None:
    """Terraform passes a role with a path: the chart renders it into the annotation (and the release records it)."""
    sa = values["serviceAccount"]
    sa["roleArn"] = sa["roleArn"].replace(":role/", ":role/service-role/")



# --- infra: Kubernetes, KEDA, AWS, registries ---------------------------------------------
DRIFTS.add("api-resources-in-other-units", "API cpu 0.25/0.5 and memory in bytes (250m/500m, 256Mi/512Mi)",
           objects=_api_resources_in_other_units)
DRIFTS.add("api-arch-by-node-affinity", "API pods bound to arm64 by required node affinity, not nodeSelector",
           objects=released(_api_arch_by_affinity))
DRIFTS.add("api-extra-metrics-port", "the API container also exposes a metrics port 9090 (the chart's)",
           objects=released(_api_metrics_port))
DRIFTS.add("assessments-read-while-a-run-commits", "the first read of each table's /health and recommendation lands "
           "while a health-sync run commits: it names the previous status (15 min older); asked again, the newest",
           behaviour=switch(assessments_race_a_run=True, health_sync_running=False))
DRIFTS.add("health-sync-schedule-as-a-list", "health-sync scheduled '0,15,30,45 * * * *'",
           objects=lambda objs: _cronjob(objs, "icepack-health-sync", schedule="0,15,30,45 * * * *"))
DRIFTS.add("orchestrator-schedule-as-a-range", "orchestrator scheduled '0 0-22/2 * * *' (every 2h)",
           objects=lambda objs: _cronjob(objs, "icepack-orchestrator", schedule="0 0-22/2 * * *"))
DRIFTS.add("health-sync-in-kolkata-time", "health-sync '*/15 * * * *' in spec.timeZone Asia/Kolkata (UTC+5:30)",
           objects=lambda objs: _cronjob(objs, "icepack-health-sync", timeZone="Asia/Kolkata"))
DRIFTS.add("cronjobs-without-time-zone", "no spec.timeZone: the controller's zone, UTC",
           objects=lambda objs: [cj["spec"].pop("timeZone") for cj in objs.of_kind("CronJob")])
DRIFTS.add("images-pinned-by-tag-and-digest", "Icepack images referenced as <repo>:<tag>@sha256:<digest>",
           objects=_pinned_by_digest)
DRIFTS.add("postgres-image-fully-qualified", "Postgres image docker.io/library/postgres:17-alpine",
           objects=_postgres_image_qualified)
DRIFTS.add("ssl-ports-by-name", "TLS ports named by the Service port's name 'https'", objects=released(_service_annotation("https")))
DRIFTS.add("ssl-ports-unset", "no ssl-ports annotation: the controller terminates TLS on every port",
           objects=released(_service_annotation(None)))
DRIFTS.add("keda-polling-interval-defaulted", "pollingInterval left out: KEDA's default, 30s",
           objects=_keda_polling_default)
DRIFTS.add("pvc-class-by-legacy-annotation", "PVC class in volume.beta.kubernetes.io/storage-class",
           objects=released(_pvc_class_by_annotation))
DRIFTS.add("irsa-role-with-a-path", "IRSA role arn:aws:iam::<account>:role/service-role/<name>",
           values=_role_with_path)
# --- contracts, smoke, data: the API's wire forms -------------------------------------------
DRIFTS.add("timestamps-with-z", "timestamps written '...Z' instead of '+00:00'", behaviour=switch(timestamp_offset="Z"))
DRIFTS.add("timestamps-in-another-offset", "timestamps written in +02:00 (the same instants)",
           behaviour=switch(timestamp_offset="+02:00"))
DRIFTS.add("json-with-charset", "read contracts served as 'application/json; charset=utf-8'",
           behaviour=switch(json_media_type="application/json; charset=utf-8"))
DRIFTS.add("errors-as-problem-json", "an untracked table's 404 served as application/problem+json (RFC 9457)",
           behaviour=switch(error_media_type="application/problem+json"))
# --- bodies: forms the recorded schema admits (tests/contracts/test_schema.py), on one known table
# that is not the served spec's example, or on every table where Schemathesis must admit them too.
DRIFTS.add("nested-objects-grow-keys", f"/status of {ONE_TABLE}: source and partitions carry a key more (branch, "
           "spec_fields): nested objects the schema leaves open", behaviour=one_table("status", lambda p: {
               "source": {**p["source"], "branch": "main"}, "partitions": {**p["partitions"], "spec_fields": 2}}))
DRIFTS.add("counts-as-integral-floats", f"/status of {ONE_TABLE}: partition and manifest counts written 84.0 (the "
           "same JSON number as 84)", behaviour=one_table("status", lambda p: {
               "partitions": {k: float(v) for k, v in p["partitions"].items()},
               "manifests": {k: float(v) for k, v in p["manifests"].items()}}))
DRIFTS.add("policy-numbers-as-floats", "every recommendation's policy written with floats (max_snapshots 120.0)",
           behaviour=switch(override_values={"recommendation": {"policy": {k: float(v) for k, v in POLICY.items()}}}))
DRIFTS.add("policy-grows-a-threshold", "every recommendation's policy carries one threshold more (min_input_files)",
           behaviour=switch(override_values={"recommendation": {"policy": {**POLICY, "min_input_files": 5}}}))
DRIFTS.add("history-with-a-running-job", f"the recommendation of {ONE_TABLE} lists a job still running: "
           "finished_at null", behaviour=one_table("recommendation", lambda p: {"history": [{
               "job_id": "5b0e7c1e-0000-4000-8000-000000000002", "action": "expire_snapshots", "state": "running",
               "dry_run": True, "submitted_at": datetime.now(timezone.utc).isoformat(), "finished_at": None}]}))


def _table_refs_with_catalog(b) -> None:
    for endpoint in ("status", "health", "recommendation"):
        one_table(endpoint, lambda p: {"table": {"database": "sales", "name": "orders",
                                                 "catalog": p["source"]["catalog"]}})(b)


DRIFTS.add("table-refs-name-their-catalog", f"every contract of {ONE_TABLE} names its table with one key more "
           "({database, name, catalog}): an open nested object", behaviour=_table_refs_with_catalog)
