"""The infra drift catalogue is the infra suite's own test suite: each drift is caught by
exactly the intended test function(s), named by field, expected and actual; the healthy
twin passes for every environment."""
from __future__ import annotations

import os

import pytest

from icepack_twin.drifts import CATALOGUE, lookup

INFRA = "tests/infra/"
API = INFRA + "test_api_deployment.py::"
SVC = INFRA + "test_service.py::"
WORKER = INFRA + "test_worker.py::"
CRON = INFRA + "test_cronjobs.py::"
PG = INFRA + "test_postgres.py::"
SA = INFRA + "test_service_account.py::"
NS = INFRA + "test_namespace.py::"
HELM = INFRA + "test_helm_release.py::"

EXPECTATIONS = ("--expect-chart-version", "1.4.2", "--expect-image-tag", "2f9c1e7")  # the twin's (values.py)
# The whole tree proves "and by nothing else"; ICEPACK_SELFTEST_PATHS narrows it while developing.
PATHS = tuple(os.environ.get("ICEPACK_SELFTEST_PATHS", "tests").split())

# drift -> (twin/suite environment, intended failing test functions, words the message must hold)
CASES = {
    "api-replicas-1": ("local", {API + "test_api_deployment_spec"}, ["spec.replicas", "expected 2", "actual 1"]),
    "api-amd64-selector": ("local", {API + "test_api_deployment_spec", NS + "test_workloads_select_the_expected_arch"},
                           ["nodeSelector[kubernetes.io/arch]", "'arm64'", "'amd64'"]),
    "api-port-8080": ("local", {API + "test_api_deployment_spec"}, ["containerPort", "[8000]", "[8080]"]),
    "dev-requests-not-overridden": ("dev", {API + "test_api_deployment_spec"},
                                    ["resources.requests.cpu", "'500m'", "'250m'", "values-dev.yaml"]),
    "api-limits-wrong": ("local", {API + "test_api_deployment_spec"},
                         ["resources.limits.memory", "'512Mi'", "'256Mi'"]),
    "rollout-stuck": ("local", {API + "test_api_rollout_complete"},
                      ["status.updatedReplicas", "expected 2", "actual 1", "ProgressDeadlineExceeded"]),
    "pod-crash-looping": ("local", {API + "test_api_pods_healthy", API + "test_api_rollout_complete"},
                          ["CrashLoopBackOff", "restartCount", "actual 14", "BackOff"]),
    "service-cluster-ip": ("local", {SVC + "test_api_service_is_a_tls_nlb",
                                     SVC + "test_api_service_load_balancer_provisioned"},
                           ["spec.type", "'LoadBalancer'", "'ClusterIP'", "status.loadBalancer.ingress"]),
    "tls-annotation-missing": ("local", {SVC + "test_api_service_is_a_tls_nlb"},
                               ["aws-load-balancer-ssl-cert", "ACM certificate ARN", "actual None"]),
    "hostname-wrong": ("local", {SVC + "test_api_service_is_a_tls_nlb"},
                       ["external-dns.alpha.kubernetes.io/hostname", "'icepack-api.local.example.com'",
                        "'icepack.local.example.com'"]),
    "worker-trigger-redis": ("stage", {WORKER + "test_worker_scaled_job_spec"},
                             ["spec.triggers[].type", "'postgresql'", "['redis']"]),
    "worker-scaledjob-not-ready": ("local", {WORKER + "test_worker_scaled_job_ready"},
                                   ["status.conditions[Ready]", "'True'", "ScaledJobCheckFailed", "KEDAScalerFailed"]),
    "worker-default-service-account": ("local", {SA + "test_workloads_run_under_the_irsa_service_account"},
                                       ["ScaledJob icepack/icepack-worker serviceAccountName", "'icepack'", "'default'"]),
    # A CronJob applied elsewhere is missing wherever the suite looks for it: each of those checks says so.
    "orchestrator-in-default-namespace": ("local", {
        NS + "test_icepack_resources_live_in_the_namespace", NS + "test_workloads_select_the_expected_arch",
        SA + "test_workloads_run_under_the_irsa_service_account", CRON + "test_cronjob_spec",
        CRON + "test_cronjob_suspension_matches_phase", CRON + "test_cronjob_recent_success",
        HELM + "test_workloads_run_the_expected_image_tag"},
        ["CronJob icepack/icepack-orchestrator not found", "the CronJobs in namespace icepack: icepack-health-sync"]),
    # An empty namespace (a kube context on the wrong cluster) never passes: every infra check says "not found".
    "namespace-empty": ("local", {
        API + "test_api_deployment_spec", API + "test_api_rollout_complete", API + "test_api_pods_healthy",
        SVC + "test_api_service_is_a_tls_nlb", SVC + "test_api_service_load_balancer_provisioned",
        WORKER + "test_worker_scaled_job_spec", WORKER + "test_worker_scaled_job_ready",
        CRON + "test_cronjob_spec", CRON + "test_cronjob_suspension_matches_phase", CRON + "test_cronjob_recent_success",
        PG + "test_postgres_deployment", PG + "test_postgres_pvc", SA + "test_irsa_role_arn",
        SA + "test_workloads_run_under_the_irsa_service_account", NS + "test_icepack_resources_live_in_the_namespace",
        NS + "test_workloads_select_the_expected_arch", HELM + "test_newest_release_is_deployed",
        HELM + "test_release_carries_the_expected_chart_version", HELM + "test_workloads_run_the_expected_image_tag"},
        ["not found", "in namespace icepack: none"]),
    "worker-polling-60": ("stage", {WORKER + "test_worker_scaled_job_spec"}, ["spec.pollingInterval", "expected 30", "actual 60"]),
    "worker-max-replicas-10": ("stage", {WORKER + "test_worker_scaled_job_spec"},
                               ["spec.maxReplicaCount", "expected 3", "actual 10"]),
    "orchestrator-hourly-at-00": ("stage", {CRON + "test_cronjob_spec"}, ["spec.schedule", "'30 * * * *'", "'0 * * * *'"]),
    "health-sync-every-30-min": ("local", {CRON + "test_cronjob_spec"}, ["spec.schedule", "'*/15 * * * *'", "'*/30 * * * *'"]),
    "cronjob-concurrency-allow": ("local", {CRON + "test_cronjob_spec"}, ["spec.concurrencyPolicy", "'Forbid'", "'Allow'"]),
    "cronjob-left-suspended": ("local", {CRON + "test_cronjob_suspension_matches_phase"},
                               ["icepack-health-sync", "spec.suspend", "expected False", "actual True"]),
    "health-sync-last-success-2h-ago": ("local", {CRON + "test_cronjob_recent_success"},
                                        ["status.lastSuccessfulTime", "at or after", "stale by 1h"]),
    "postgres-16": ("local", {PG + "test_postgres_deployment"}, ["image", "'postgres:17-alpine'", "'postgres:16-alpine'"]),
    "postgres-rolling-update": ("local", {PG + "test_postgres_deployment"},
                                ["spec.strategy.type", "'Recreate'", "'RollingUpdate'"]),
    "pvc-gp2": ("local", {PG + "test_postgres_pvc"}, ["spec.storageClassName", "'gp3'", "'gp2'"]),
    "role-arn-other-account": ("local", {SA + "test_irsa_role_arn"},
                               ["eks.amazonaws.com/role-arn", "account", "'123456789012'", "857967394368 (in arn:aws:iam::857967394368:role/"]),
    "release-status-failed": ("local", {HELM + "test_newest_release_is_deployed"}, ["info.status", "'deployed'", "'failed'"]),
    "chart-version-not-bumped": ("local", {HELM + "test_release_carries_the_expected_chart_version"},
                                 ["chart.metadata.version", "'1.4.2'", "'1.4.1'"]),
    "image-tag-not-expected": ("local", {HELM + "test_workloads_run_the_expected_image_tag"},
                               ["image tag", "'2f9c1e7'", "'0ddba11'"]),
}


def test_every_infra_drift_has_a_case():
    lookup([])
    assert {n for n, d in CATALOGUE.items() if d.suite == "infra"} == set(CASES)


@pytest.mark.parametrize("env", ["dev", "stage", "preprod", "prod", "local"])
def test_healthy_twin_passes(twin, env):
    twin.configure(env)
    run = twin.run_suite(env, *EXPECTATIONS, paths=(INFRA,))
    assert not run.failed, run.explain()
    passed = {r["test"] for r in run.results if r["outcome"] == "passed"}
    assert any("test_helm_release.py::test_release_carries" in t for t in passed), "chart version check did not run"
    assert any("test_workloads_run_the_expected_image_tag" in t for t in passed), "image tag check did not run"
    assert run.returncode == 0, run.output[-3000:]


@pytest.mark.parametrize("name", sorted(CASES))
def test_drift_is_caught_by_the_intended_tests_only(twin, name):
    env, intended, words = CASES[name]
    twin.configure(env, drifts=(name,))
    run = twin.run_suite(env, *EXPECTATIONS, paths=PATHS)
    assert run.failed == intended, run.explain()
    for function in intended:
        assert f"[{env}]" in run.messages(function)
        assert "Traceback" not in run.messages(function)
    message = "\n".join(run.messages(f) for f in intended)
    missing = [w for w in words if w not in message]
    assert not missing, f"message lacks {missing}:\n{message}"
