"""Drifts only the generic mechanisms catch, and the forms they must take as equal.

Release vs live (tests/infra/test_release_matches_live.py): each drift is a hand change since
the release on a field no expectation check reads (nothing in environments.toml fixes it, only
the release's manifest does); each probe is a form the API server, a controller or a webhook
leaves live, or the chart writes otherwise, which still matches the release.
"""
from __future__ import annotations

import copy

from icepack_twin.drifts.base import DriftList, in_manifest
from icepack_twin.drifts.shared import internal_postgres, pods, renamed_copy, uid
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")

API, HEALTH, WORKER = "icepack-api", "icepack-health-sync", "icepack-worker"


def _template(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def _container(pod_spec: dict, name: str) -> dict:
    return next(c for c in pod_spec["containers"] if c["name"] == name)


def _once(specs):
    """Each pod spec once: a Deployment and its ReplicaSet may share one template."""
    seen = set()
    for spec in specs:
        if id(spec) not in seen:
            seen.add(id(spec))
            yield spec


# --- release vs live: hand changes no other check reads ------------------------------------------

def _env_by_hand(objs: Objects) -> None:
    env = _container(_template(objs.get("Deployment", API)), "api")["env"]
    next(e for e in env if e["name"] == "AWS_REGION")["value"] = "us-west-2"


def _probe_path(objs: Objects) -> None:
    _container(_template(objs.get("Deployment", API)), "api")["readinessProbe"]["httpGet"]["path"] = "/healthz"


def _mount_removed(objs: Objects) -> None:
    _container(_template(internal_postgres(objs)), "postgres").pop("volumeMounts")


def _stray_deployment(objs: Objects) -> None:
    """A debug copy of the API left running: the release's labels, not its manifest."""
    stray = renamed_copy(objs.get("Deployment", API), "icepack-api-debug", "icepack-api-debug")
    meta = stray["metadata"]
    meta["labels"]["app.kubernetes.io/component"] = "api-debug"
    for labels in (stray["spec"]["selector"]["matchLabels"], stray["spec"]["template"]["metadata"]["labels"]):
        labels["app.kubernetes.io/component"] = "api-debug"
    stray["spec"]["replicas"] = 0
    stray["status"] = {"observedGeneration": meta["generation"], "replicas": 0}
    objs.append(stray)


def _bare_pod(objs: Objects) -> None:
    """A pod run by hand with the API's labels: the Service sends it traffic, no controller owns it."""
    pod = renamed_copy(pods(objs, API)[0], "icepack-api-debug", "icepack-api-debug-pod")
    pod["metadata"].pop("ownerReferences")
    pod["metadata"]["labels"].pop("pod-template-hash")
    pod["status"]["podIP"] = "10.40.12.250"  # its own sandbox's address
    objs.append(pod)


def _service_removed(objs: Objects) -> None:
    objs.remove(internal_postgres(objs, "Service"))


DRIFTS.add("api-env-changed-by-hand", "AWS_REGION of the API Deployment set to us-west-2 by hand (kubectl set env)",
           objects=_env_by_hand)
DRIFTS.add("api-readiness-probe-path-changed", "the API's readiness probe checks /healthz (liveness), not /readyz",
           objects=_probe_path)
DRIFTS.add("postgres-data-mount-removed", "the Postgres container lost its volumeMount: data on the container's "
           "own filesystem, gone with the pod", objects=_mount_removed)
DRIFTS.add("service-target-type-changed", "the NLB Service's aws-load-balancer-nlb-target-type set to instance by hand",
           objects=lambda objs: objs.get("Service", API)["metadata"]["annotations"].update(
               {"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance"}))
DRIFTS.add("worker-job-label-changed", "the ScaledJob's job template labels its pods component=maintenance",
           objects=lambda objs: objs.get("ScaledJob", WORKER)["spec"]["jobTargetRef"]["template"]["metadata"][
               "labels"].update({"app.kubernetes.io/component": "maintenance"}))
DRIFTS.add("cronjob-history-limit-changed", "health-sync keeps no failed job (failedJobsHistoryLimit 0): "
           "their logs are gone", objects=lambda objs: objs.get("CronJob", HEALTH)["spec"].update(
               failedJobsHistoryLimit=0))
DRIFTS.add("stray-deployment-with-release-labels", "a Deployment icepack-api-debug carries the release's labels, "
           "not in its manifest", objects=_stray_deployment)
DRIFTS.add("bare-pod-behind-the-api-service", "a pod run by hand with the API's labels: no owner, the Service "
           "routes to it", objects=_bare_pod)
DRIFTS.add("postgres-service-deleted", "the internal Postgres Service of the release was deleted",
           objects=_service_removed)
DRIFTS.add("cronjob-suspended-by-hand", "health-sync suspended by hand (the release says suspend: false)",
           objects=lambda objs: objs.get("CronJob", HEALTH)["spec"].update(suspend=True))


# --- release vs live: forms that still match the release ---------------------------------------------

def _other_unit(quantity: str) -> str:
    """'250m' -> '0.25', '1' -> '1000m', '256Mi' -> '268435456': the same value, written otherwise."""
    if quantity.endswith("m"):
        return str(int(quantity[:-1]) / 1000)
    for suffix, factor in (("Mi", 2 ** 20), ("Gi", 2 ** 30)):
        if quantity.endswith(suffix):
            return str(int(quantity[:-2]) * factor)
    return f"{int(quantity) * 1000}m" if quantity.isdigit() else quantity


def _quantities_otherwise(objs: Objects) -> None:
    for spec in _once(objs.pod_specs()):
        for c in spec["containers"]:
            for section in (c.get("resources") or {}).values():
                section.update({k: _other_unit(v) for k, v in section.items()})
    for pvc in objs.of_kind("PersistentVolumeClaim"):
        requests = pvc["spec"]["resources"]["requests"]
        requests["storage"] = _other_unit(requests["storage"])


def _defaults_left_out(objs: Objects) -> None:
    """The chart writes no field Kubernetes defaults."""
    for spec in _once(objs.pod_specs()):
        spec.pop("terminationGracePeriodSeconds", None)
        for c in spec["containers"]:
            c.pop("imagePullPolicy", None)
            for probe in (c.get(p) for p in ("readinessProbe", "livenessProbe")):
                for key in ("periodSeconds", "successThreshold", "failureThreshold"):
                    (probe or {}).pop(key, None)
    for dep in objs.of_kind("Deployment"):
        for key in ("revisionHistoryLimit", "progressDeadlineSeconds"):
            dep["spec"].pop(key, None)
    for svc in objs.of_kind("Service"):
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "sessionAffinity",
                    "externalTrafficPolicy", "allocateLoadBalancerNodePorts"):
            svc["spec"].pop(key, None)


def _defaults_filled(objs: Objects) -> None:
    """The API server fills what the chart left out."""
    filled = {"dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler", "securityContext": {}}
    for spec in _once(objs.pod_specs()):
        for key, value in filled.items():
            spec.setdefault(key, copy.deepcopy(value))
        for c in spec["containers"]:
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
    for svc in objs.of_kind("Service"):
        svc["spec"].setdefault("internalTrafficPolicy", "Cluster")


def _keda_defaults_left_out(objs: Objects) -> None:
    """The manifest writes KEDA's defaults; the custom resource, not defaulted by the API server, leaves them out."""
    spec = objs.get("ScaledJob", WORKER)["spec"]
    spec.pop("scalingStrategy")
    for key in ("parallelism", "completions"):
        spec["jobTargetRef"].pop(key)


def _controller_churn(objs: Objects) -> None:
    """What controllers and kubectl write: status, managedFields, resourceVersion, generation, annotations."""
    for obj in objs:
        if obj["kind"] not in {"Deployment", "Service", "CronJob", "ScaledJob", "ServiceAccount", "PersistentVolumeClaim"}:
            continue
        meta = obj["metadata"]
        meta["resourceVersion"] = str(int(meta["resourceVersion"]) + 1000)
        meta["managedFields"] = [{"manager": "helm", "operation": "Update", "apiVersion": obj["apiVersion"],
                                  "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}},
                                 {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
                                  "apiVersion": obj["apiVersion"], "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}]
        notes = meta.setdefault("annotations", {})
        notes["kubectl.kubernetes.io/last-applied-configuration"] = '{"apiVersion":"v1","kind":"%s"}' % obj["kind"]
        if obj["kind"] == "Deployment":
            meta["generation"] += 1
            obj["status"]["observedGeneration"] = meta["generation"]
            notes["deployment.kubernetes.io/revision"] = "5"
            for rs in objs.of_kind("ReplicaSet"):  # the controller writes a revision on its current ReplicaSet too
                if any(r.get("uid") == meta.get("uid") for r in rs["metadata"].get("ownerReferences") or []):
                    rs["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = "5"


def _hpa(objs: Objects) -> dict:
    dep = objs.get("Deployment", API)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": API, "labels": dict(dep["metadata"]["labels"])},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": API},
                     "minReplicas": dep["spec"]["replicas"], "maxReplicas": 6,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                         "type": "Utilization", "averageUtilization": 70}}}]}}


def _chart_with_hpa(docs: Objects) -> None:
    """The chart's Deployment says replicas 1, its HPA scales it (to the same count the environment expects)."""
    docs.append(_hpa(docs))
    docs.get("Deployment", API)["spec"]["replicas"] = 1


def _hpa_live(objs: Objects) -> None:
    hpa = _hpa(objs)
    hpa["metadata"].update(namespace="icepack", uid=uid("icepack-api-hpa"),
                           resourceVersion="48219999", creationTimestamp="2026-01-01T00:00:00Z")
    replicas = objs.get("Deployment", API)["spec"]["replicas"]
    hpa["status"] = {"currentReplicas": replicas, "desiredReplicas": replicas}
    objs.append(hpa)
    in_manifest(_chart_with_hpa)(objs)


def _pod_specs(objs: Objects, component: str) -> list[dict]:
    """The specs of a component's live Pods (not its controllers' templates)."""
    return [p["spec"] for p in objs.of_kind("Pod")
            if (p["metadata"].get("labels") or {}).get("app.kubernetes.io/component") == component]


def _webhook_injected(objs: Objects) -> None:
    """A service mesh's sidecar in the Postgres pods; the EKS pod identity webhook's env, volume and mount
    in the API's (IRSA). Pods only: a webhook mutates a Pod at its creation, never its controller's template."""
    for spec in _pod_specs(objs, "postgres"):
        spec["containers"].append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3",
                                   "args": ["proxy", "sidecar"]})
    for pod in (p for p in objs.of_kind("Pod") if p["metadata"]["name"].startswith("icepack-postgres-")):
        statuses = pod["status"]["containerStatuses"]  # the kubelet runs and reports the injected container too
        statuses.append({**statuses[0], "name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3",
                         "imageID": "docker.io/istio/proxyv2@sha256:" + "7a" * 32,
                         "containerID": "containerd://" + "1b" * 32})
    role = next(a for sa in objs.of_kind("ServiceAccount")
                if (a := (sa["metadata"].get("annotations") or {}).get("eks.amazonaws.com/role-arn")))
    for spec in _pod_specs(objs, "api"):
        spec.setdefault("volumes", []).append({"name": "aws-iam-token", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"audience": "sts.amazonaws.com", "expirationSeconds": 86400,
                                     "path": "token"}}]}})
        api = _container(spec, "api")
        api["env"] += [{"name": "AWS_ROLE_ARN", "value": role},
                       {"name": "AWS_WEB_IDENTITY_TOKEN_FILE",
                        "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
                       {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"}]
        api.setdefault("volumeMounts", []).append({"name": "aws-iam-token", "readOnly": True,
                                                   "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount"})


def _env_reversed(objs: Objects) -> None:
    """No env value of the chart expands another ($(VAR)): their order changes nothing."""
    for spec in _once(objs.pod_specs()):
        for c in spec["containers"]:
            c["env"].reverse()


PROBES.add("manifest-quantities-in-other-units", "the chart writes cpu '0.25' / '1000m' and memory in bytes; "
           "live reads back 250m, 1, 256Mi", objects=in_manifest(_quantities_otherwise))
PROBES.add("apiserver-defaults-filled-live", "the chart leaves out what Kubernetes defaults (imagePullPolicy, "
           "revisionHistoryLimit, sessionAffinity...); live holds those and more (dnsPolicy, terminationMessagePath)",
           objects=lambda objs: (in_manifest(_defaults_left_out)(objs), _defaults_filled(objs)))
PROBES.add("keda-defaults-left-out-live", "the chart writes KEDA's defaults (scalingStrategy default, parallelism 1, "
           "completions 1); the ScaledJob live leaves them out", objects=_keda_defaults_left_out)
PROBES.add("controller-churn", "managedFields, resourceVersion, generation, status, a newer deployment revision and "
           "kubectl's last-applied-configuration annotation", objects=_controller_churn)
PROBES.add("replicas-under-an-hpa", "the chart's API Deployment says replicas 1 and its HPA scales it to 2",
           objects=_hpa_live)
PROBES.add("webhook-injected-sidecar", "an istio-proxy sidecar in the Postgres pods, the EKS pod identity "
           "webhook's env vars, token volume and mount in the API's", objects=_webhook_injected)
PROBES.add("env-reordered", "every container's env listed in reverse order", objects=_env_reversed)
