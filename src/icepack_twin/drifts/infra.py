"""Infra drifts: the Kubernetes side gone wrong, caught by the suite's tests/infra."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from icepack_twin import chart
from icepack_twin.drifts.base import DriftList
from icepack_twin.drifts.shared import (NEEDS_INTERNAL_PG, internal_postgres, now as _now, pods, set_conditions,
                                        set_value, unready, warn)
from icepack_twin.objects import LOG_ANNOTATION, Objects
from icepack_twin.values import ACCOUNTS, CHART_DEFAULTS, PREVIOUS_CHART_VERSION

DRIFTS = DriftList("infra")

API, WORKER = "icepack-api", "icepack-worker"
ORCH, HEALTH, PG = "icepack-orchestrator", "icepack-health-sync", "icepack-postgres"


def _internal_pg(values: dict) -> dict:
    if not values["postgres"]["internal"]["enabled"]:
        raise ValueError(NEEDS_INTERNAL_PG)
    return values["postgres"]["internal"]


# --- API Deployment ----------------------------------------------------------------------

DRIFTS.add("api-replicas-1", "API Deployment scaled to 1 replica", values=set_value("api", "replicas", value=1))
DRIFTS.add("api-amd64-selector", "API pods select amd64 nodes",
      objects=lambda objs: [s["nodeSelector"].update({"kubernetes.io/arch": "amd64"})
                            for s in objs.pod_specs() if s["containers"][0]["name"] == "api"])
DRIFTS.add("api-port-8080", "API listens on 8080 (container port, probes' named port, Service targetPort)",
      values=set_value("api", "port", value=8080))
DRIFTS.add("dev-requests-not-overridden", "values-dev.yaml resource override lost: chart defaults in dev",
      values=set_value("api", "resources", value=CHART_DEFAULTS["api"]["resources"]))
DRIFTS.add("api-limits-wrong", "API memory limit 256Mi instead of the expected one",
      values=lambda v: v["api"]["resources"]["limits"].update({"memory": "256Mi"}))


def _rollout_stuck(objs: Objects) -> None:
    dep = objs.get("Deployment", API)
    dep["metadata"]["generation"] += 1
    dep["status"].update(observedGeneration=dep["metadata"]["generation"], updatedReplicas=1)
    now = _now(objs)
    unready(objs, pods(objs, API)[-1], since=now - timedelta(minutes=12))  # the updated pod never turned ready
    set_conditions(dep, "Progressing", status="False", reason="ProgressDeadlineExceeded",
                   message='ReplicaSet "icepack-api-5f6b8d9c7" has timed out progressing.',
                   lastUpdateTime=chart.ts(now - timedelta(minutes=2)),
                   lastTransitionTime=chart.ts(now - timedelta(minutes=2)))
    warn(objs, dep, "ProgressDeadlineExceeded", 'ReplicaSet "icepack-api-5f6b8d9c7" has timed out progressing.',
         "deployment-controller")


DRIFTS.add("rollout-stuck", "API rollout stuck: 1 of 2 updated, Progressing False (ProgressDeadlineExceeded)",
      objects=_rollout_stuck)


def _crash_looping(objs: Objects) -> None:
    pod = pods(objs, API)[0]
    now = _now(objs)
    cs = pod["status"]["containerStatuses"][0]
    cs.update(started=False, restartCount=14,
              state={"waiting": {"reason": "CrashLoopBackOff",
                                 "message": f"back-off 5m0s restarting failed container=api pod={pod['metadata']['name']}"}},
              lastState={"terminated": {"exitCode": 1, "reason": "Error",
                                        "startedAt": chart.ts(now - timedelta(minutes=4)),
                                        "finishedAt": chart.ts(now - timedelta(minutes=3, seconds=50)),
                                        "containerID": cs["containerID"]}})
    pod["metadata"].setdefault("annotations", {})[LOG_ANNOTATION] = (
        "INFO:     Started server process [1]\n"
        "ERROR:    Exception in 'lifespan' startup: create_tables failed\n"
        "psycopg.errors.UndefinedColumn: column \"status_collected_at\" does not exist\n"
        "ERROR:    Application startup failed. Exiting.\n")
    unready(objs, pod, since=now - timedelta(minutes=50))
    warn(objs, pod, "BackOff", "Back-off restarting failed container api in pod "
         f"{pod['metadata']['name']}_icepack({pod['metadata']['uid']})", "kubelet", count=14, age=timedelta(minutes=50))


DRIFTS.add("pod-crash-looping", "one API pod in CrashLoopBackOff, 14 restarts, not Ready",
      objects=_crash_looping)

# --- Service -------------------------------------------------------------------------------


def _cluster_ip(objs: Objects) -> None:
    svc = objs.get("Service", API)
    svc["spec"]["type"] = "ClusterIP"
    for key in ("externalTrafficPolicy", "loadBalancerClass", "allocateLoadBalancerNodePorts"):
        svc["spec"].pop(key, None)
    svc["status"] = {"loadBalancer": {}}


DRIFTS.add("service-cluster-ip", "API Service is ClusterIP: no NLB", objects=_cluster_ip)
DRIFTS.add("tls-annotation-missing", "NLB Service lost its ACM ssl-cert annotation",
      objects=lambda objs: objs.get("Service", API)["metadata"]["annotations"].pop(
          "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"))
DRIFTS.add("hostname-wrong", "external-dns hostname points at another name",
      values=lambda v: v["service"].update(hostname=v["service"]["hostname"].replace("icepack-api.", "icepack.")))

# --- worker, CronJobs ------------------------------------------------------------------------


def _redis(objs: Objects) -> None:
    trigger = objs.get("ScaledJob", WORKER)["spec"]["triggers"][0]
    trigger.update(type="redis", metadata={"address": "icepack-redis:6379", "listName": "icepack-jobs",
                                           "listLength": "1"})
    trigger.pop("authenticationRef", None)


DRIFTS.add("worker-trigger-redis", "worker ScaledJob triggers on redis, not postgresql", objects=_redis)


def _scaled_job_not_ready(objs: Objects) -> None:
    sj = objs.get("ScaledJob", WORKER)
    message = "error getting scaler for trigger #0: postgresql: failed to connect: connection refused"
    set_conditions(sj, "Ready", status="False", reason="ScaledJobCheckFailed", message=message)
    warn(objs, sj, "KEDAScalerFailed", message, "keda-operator", count=9)


DRIFTS.add("worker-scaledjob-not-ready", "KEDA cannot reach the worker's postgresql trigger: ScaledJob not Ready",
      objects=_scaled_job_not_ready)
DRIFTS.add("worker-default-service-account", "the worker's job template runs under the default ServiceAccount",
      objects=lambda objs: objs.get("ScaledJob", WORKER)["spec"]["jobTargetRef"]["template"]["spec"].update(
          serviceAccountName="default"))
DRIFTS.add("orchestrator-in-default-namespace", "the orchestrator CronJob was applied to namespace default",
      objects=lambda objs: objs.get("CronJob", "icepack-orchestrator")["metadata"].update(namespace="default"))
DRIFTS.add("worker-polling-60", "worker polls every 60s",
      values=set_value("worker", "keda", "pollingInterval", value=60))
DRIFTS.add("worker-max-replicas-10", "worker max 10 replicas",
      values=set_value("worker", "keda", "maxReplicaCount", value=10))
DRIFTS.add("orchestrator-hourly-at-00", "orchestrator hourly at :00",
      values=set_value("orchestrator", "schedule", value="0 * * * *"))
DRIFTS.add("health-sync-every-30-min", "health-sync every 30 minutes",
      values=set_value("healthSync", "schedule", value="*/30 * * * *"))
DRIFTS.add("cronjob-concurrency-allow", "orchestrator concurrencyPolicy Allow",
      values=set_value("orchestrator", "concurrencyPolicy", value="Allow"))
DRIFTS.add("cronjob-left-suspended", "health-sync left suspended after a maintenance window",
      values=set_value("healthSync", "suspend", value=True))


def _health_sync_stale(objs: Objects) -> None:
    objs.get("CronJob", HEALTH)["status"]["lastSuccessfulTime"] = chart.ts(_now(objs) - timedelta(hours=2))


DRIFTS.add("health-sync-last-success-2h-ago", "health-sync last succeeded 2h ago (runs failing)",
      objects=_health_sync_stale)

# --- internal Postgres ---------------------------------------------------------------------------

DRIFTS.add("postgres-16", "internal Postgres runs postgres:16-alpine",
      values=lambda v: _internal_pg(v).update(image="postgres:16-alpine"))
DRIFTS.add("postgres-rolling-update", "internal Postgres Deployment uses RollingUpdate (two pods, one PVC)",
      values=lambda v: _internal_pg(v).update(strategy="RollingUpdate"))
DRIFTS.add("pvc-gp2", "Postgres PVC on gp2", values=lambda v: _internal_pg(v).update(storageClassName="gp2"))

# --- identity, Helm release ---------------------------------------------------------------------


def _other_account(values: dict) -> None:
    env = values["global"]["env"]
    other = ACCOUNTS["stage" if env == "prod" else "prod"]
    sa = values["serviceAccount"]
    sa["roleArn"] = sa["roleArn"].replace(f"::{values['global']['accountId']}:", f"::{other}:")


DRIFTS.add("role-arn-other-account", "IRSA role ARN from another environment's account", values=_other_account)
DRIFTS.add("release-status-failed", "newest Helm release revision failed",
      objects=lambda objs: chart.set_release_status(chart.release_secrets(objs)[0], "failed"))


def _chart_not_bumped(objs: Objects) -> None:
    chart.edit_release(chart.release_secrets(objs)[0],
                       lambda release: release["chart"]["metadata"].update(version=PREVIOUS_CHART_VERSION))


DRIFTS.add("chart-version-not-bumped", "deployed release still carries chart 1.4.1 (version not bumped)",
      objects=_chart_not_bumped)
DRIFTS.add("image-tag-not-expected", "every workload runs image tag 0ddba11",
      values=set_value("image", "tag", value="0ddba11"))
DRIFTS.add("namespace-empty", "nothing deployed in namespace icepack (the kube context points at another cluster)",
      objects=lambda objs: objs.__setitem__(slice(None), [o for o in objs if o["kind"] == "Node"]))


# --- drifts a shallow check would pass: the same strings, another meaning -------------------

def _arch_affinity_allows_amd64(objs: Objects) -> None:
    for spec in objs.pod_specs("api"):  # a template may be shared by the Deployment and its ReplicaSet
        spec.pop("nodeSelector", None)
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64", "amd64"]}]}]}}}


def _orchestrator_in_azores_time(objs: Objects) -> None:
    """'0 */2 * * *' read in UTC-1: it fires at odd UTC hours. Status as the controller would keep it."""
    cj = objs.get("CronJob", ORCH)
    cj["spec"]["timeZone"] = "Atlantic/Azores"
    fired = croniter(cj["spec"]["schedule"], _now(objs).astimezone(ZoneInfo("Atlantic/Azores"))).get_prev(datetime)
    if fired + timedelta(minutes=1, seconds=4) > _now(objs):
        fired = croniter(cj["spec"]["schedule"], fired).get_prev(datetime)
    cj["status"].update(lastScheduleTime=chart.ts(fired), lastSuccessfulTime=chart.ts(fired + timedelta(minutes=1, seconds=4)))


def _orchestrator_image_from_docker_hub(objs: Objects) -> None:
    spec = objs.get("CronJob", ORCH)["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    tag = spec["containers"][0]["image"].rsplit(":", 1)[1]
    spec["containers"][0]["image"] = f"docker.io/icepack/icepack:{tag}"


def _tls_port_not_exposed(objs: Objects) -> None:
    objs.get("Service", API)["spec"]["ports"] = [{"name": "http", "port": 80, "targetPort": 8000, "protocol": "TCP"}]


def _trigger_other_database(objs: Objects) -> None:
    objs.get("ScaledJob", WORKER)["spec"]["triggers"][0]["metadata"]["dbName"] = "icepack_legacy"


def _postgres_not_ready(objs: Objects) -> None:
    dep = internal_postgres(objs)
    unready(objs, pods(objs, PG)[0], since=_now(objs) - timedelta(minutes=12))  # its one pod: none ready
    set_conditions(dep, "Available", status="False", reason="MinimumReplicasUnavailable",
                   message="Deployment does not have minimum availability.")
    warn(objs, dep, "FailedMount", 'MountVolume.SetUp failed for volume "data": volume is already attached to '
         "another node", "kubelet", count=12)


def _lb_sync_failing(objs: Objects) -> None:
    failed = warn(objs, objs.get("Service", API), "FailedDeployModel", "Failed deploy model due to AccessDenied: "
                  "User is not authorized to perform: elasticloadbalancing:ModifyListener", "service", count=7,
                  age=timedelta(minutes=20))
    failed["lastTimestamp"] = chart.ts(_now(objs) - timedelta(seconds=5))  # after the last success


def _scaledjob_paused(objs: Objects) -> None:
    sj = objs.get("ScaledJob", WORKER)
    sj["metadata"].setdefault("annotations", {})["autoscaling.keda.sh/paused"] = "true"
    set_conditions(sj, "Paused", status="True", reason="ScaledJobPaused", message="ScaledJob is paused")


def _scaledjob_in_fallback(objs: Objects) -> None:
    """KEDA reports a trigger of the worker failing and its fallback in use: Fallback True, all else as healthy."""
    set_conditions(objs.get("ScaledJob", WORKER), "Fallback", status="True", reason="FallbackExists",
                   message="At least one trigger is falling back on this scaled object")


def _rollout_paused(objs: Objects) -> None:
    dep = objs.get("Deployment", API)
    dep["spec"]["paused"] = True
    set_conditions(dep, "Progressing", status="Unknown", reason="DeploymentPaused", message="Deployment is paused")


DRIFTS.add("api-arch-affinity-allows-amd64", "API pods' required node affinity admits arm64 and amd64",
           objects=_arch_affinity_allows_amd64)
DRIFTS.add("orchestrator-in-azores-time", "orchestrator '0 */2 * * *' with spec.timeZone Atlantic/Azores: odd UTC hours",
           objects=_orchestrator_in_azores_time)
DRIFTS.add("orchestrator-image-from-docker-hub", "the orchestrator runs docker.io/icepack/icepack with the right tag",
           objects=_orchestrator_image_from_docker_hub)
DRIFTS.add("acm-cert-in-another-region", "the NLB's ACM certificate is in eu-west-1 (same account)",
           values=lambda v: v["service"].update(certificateArn=v["service"]["certificateArn"].replace(":us-east-1:", ":eu-west-1:")))
DRIFTS.add("irsa-role-in-another-partition", "the IRSA role ARN names the aws-cn partition",
           values=lambda v: v["serviceAccount"].update(roleArn=v["serviceAccount"]["roleArn"].replace("arn:aws:", "arn:aws-cn:")))
DRIFTS.add("service-tls-port-not-exposed", "the Service exposes only port 80; the ssl-ports annotation still says 443",
           objects=_tls_port_not_exposed)
DRIFTS.add("ssl-ports-on-another-port", "the ssl-ports annotation names 8443; the Service's 443 is plain TCP",
           objects=lambda objs: objs.get("Service", API)["metadata"]["annotations"].update(
               {"service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "8443"}))
DRIFTS.add("worker-trigger-other-database", "the ScaledJob's postgresql trigger reads dbName icepack_legacy",
           objects=_trigger_other_database)
DRIFTS.add("postgres-not-ready", "the Postgres Deployment's spec is right, its pod is not ready (volume attached elsewhere)",
           objects=_postgres_not_ready)
DRIFTS.add("load-balancer-sync-failing", "the NLB keeps its old hostname; the controller's latest reconcile failed",
           objects=_lb_sync_failing)
DRIFTS.add("worker-scaledjob-paused", "the ScaledJob is Ready and right, and paused (autoscaling.keda.sh/paused)",
           objects=_scaledjob_paused)
DRIFTS.add("worker-scaledjob-in-fallback", "KEDA reports the worker's trigger failing, its fallback in use "
           "(Fallback True)", objects=_scaledjob_in_fallback)
DRIFTS.add("api-rollout-paused", "the API Deployment is paused: the applied template never rolls out",
           objects=_rollout_paused)
