"""The drift catalogue's expectations: one declaration per drift, for all four suites.

Each declaration says which test functions of the whole suite must fail under the drift
(and by nothing else), and which words each one's message must hold (field, expected,
actual). A drift that must warn without failing declares the words of its warning.

Intended overlaps, decided on purpose:
* the served spec forbids extra top-level keys and types every field, so Schemathesis'
  check of every GET operation (it reaches tracked tables through the spec's examples)
  also reports key and type drifts, a /readyz 503 and a missing UI; fuzzed table names
  are unknown tables, so it reports the unknown-table drifts too;
* test_field_types checks `table` against the request, test_endpoints_agree checks it
  across the three endpoints: a wrong `table` on /health is both;
* future timestamps and a cached /status are also wrong on the wire: the contracts'
  agreement check bounds them by now + clock skew and by the assessments' status;
* empty snapshot tables leave runbook step 5 with nothing to show: the read contracts of
  every known table answer 404;
* a CronJob missing from the namespace, or an empty namespace, is "not found" wherever
  the suite looks for it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

C, I, S, D = "tests/contracts/", "tests/infra/", "tests/smoke/", "tests/data/"
KEYS = C + "test_keys.py::test_top_level_keys"
TYPES = C + "test_models.py::test_field_types"
AGREE = C + "test_agreement.py::test_endpoints_agree"
ERRORS = C + "test_errors.py::test_unknown_table_is_json_404"
SPEC = C + "test_openapi.py::test_get_operations_conform"
BASELINE = C + "test_openapi.py::test_no_breaking_change_against_baseline"
API = I + "test_api_deployment.py::"
SVC = I + "test_service.py::"
WORKER = I + "test_worker.py::"
CRON = I + "test_cronjobs.py::"
PG = I + "test_postgres.py::"
SA = I + "test_service_account.py::"
NS = I + "test_namespace.py::"
HELM = I + "test_helm_release.py::"
IMAGES = I + "test_images.py::"
HEADERS = C + "test_headers.py::test_json_is_announced_as_json_in_utf8"
LATENCY = C + "test_headers.py::test_every_read_answers_within_the_latency_budget"
ENCODING = C + "test_headers.py::test_no_content_encoding_the_client_did_not_ask_for"
CACHING = C + "test_headers.py::test_no_shared_cache_may_serve_live_data"
IN_PLACE = C + "test_headers.py::test_every_read_answers_200_where_it_was_asked"
PER_TABLE = D + "test_freshness.py::test_every_tracked_table_is_fresh"
READYZ = S + "test_readiness.py::test_readyz_returns_200"
UI = S + "test_readiness.py::test_ui_answers_with_html"
DRY_RUN = S + "test_dry_run.py::test_dry_run_job_completes_and_changes_nothing"
DRAIN = S + "test_drain.py::test_drain_mode_matches_the_phase"
FRESH = D + "test_freshness.py::test_snapshot_table_is_fresh"
COVERAGE = D + "test_coverage.py::test_every_fresh_status_has_a_fresh_health_snapshot"
COLLAPSE = D + "test_coverage.py::test_tracked_tables_did_not_collapse"
AGREES = D + "test_api_agrees.py::test_api_serves_the_newest_rows"
EVERY_TABLE_KEYS = C + "test_every_tracked_table.py::test_every_tracked_table_has_the_contract_keys"
EVERY_TABLE_TYPES = C + "test_every_tracked_table.py::test_every_tracked_table_has_the_contract_types"
EVERY_TABLE_AGREE = C + "test_every_tracked_table.py::test_every_tracked_tables_contracts_agree"
SCHEMA = C + "test_schema.py::test_body_matches_the_baseline_schema"
SERVICE_SCHEMA = C + "test_schema.py::test_service_body_matches_the_baseline_schema"
EVERY_TABLE_SCHEMA = C + "test_schema.py::test_every_tracked_tables_bodies_match_the_baseline_schema"
REFS = AGREES  # the status an assessment names resolves (tests/data/test_references.py, folded into it)

DRY_RUN_TIMEOUT = "4s"  # the self-tests' environments file: short enough to wait out a hung job


@dataclass(frozen=True)
class Declared:
    drift: str
    fails: dict[str, tuple[str, ...]]  # test function -> words its message must hold
    env: str = "local"                 # whose values the twin deploys and the suite judges
    warns: tuple[str, ...] = ()        # words the run's output must hold (a drift that warns)
    masks: tuple[str, ...] = ()        # tests whose findings it hides (they skip): no sharing with their drifts
    judged_by: tuple[str, ...] = ()    # an equivalence probe: the tests that must run and pass on its form
    alone: bool = False                # hides too much (no fresh data, no objects): never shares a run
    options: tuple[str, ...] = ()      # suite options the run needs to see it (--all-tables)
    mode: str = "live"                 # "manifests": judged on its render; "compare": on the compared twin
    other: str = ""                    # mode "compare": the environment it drifts, compared with `env`

    @property
    def touches(self) -> set[str]:
        return set(self.fails) | set(self.masks) | set(self.judged_by)


def Equivalent(probe: str, *judged_by: str, env: str = "local") -> Declared:
    """A healthy form the whole suite must pass, and the tests that judge it."""
    return Declared(probe, {}, env=env, judged_by=judged_by)


NO_SNAPSHOT = ("expected 200 with a JSON object", "404", "no status snapshot yet")
NOT_FOUND = ("CronJob icepack/icepack-orchestrator: not found", "the CronJobs in namespace icepack: icepack-health-sync")

DECLARED: list[Declared] = [
    # --- contracts ------------------------------------------------------------------------
    Declared("tracked-table-lacks-partitions", {EVERY_TABLE_KEYS: (
        "read contracts of 6 tracked tables (--all-tables): top-level keys: 1 table breaks, in 1 way",
        "status: top-level keys", "missing: partitions", "1 table: ops.job_runs"),
        EVERY_TABLE_SCHEMA: ("bodies against the OpenAPI baseline's schemas: 1 table breaks, in 1 way",
                             "status: partitions: expected present (required)", "1 table: ops.job_runs")},
        options=("--all-tables",)),
    Declared("tracked-table-health-names-another", {
        EVERY_TABLE_TYPES: ("field types: 1 table breaks, in 1 way", "health: table", "expected the requested table "
                            "sales.refunds", "refunds_v0", "1 table: sales.refunds"),
        EVERY_TABLE_AGREE: ("1 table breaks, in 1 way", "health: table", "expected 'sales.refunds'",
                            "actual 'sales.refunds_v0'", "1 table: sales.refunds")}, options=("--all-tables",)),
    Declared("status-missing-key", {KEYS: ("/status", "missing: stale", "step 5"), SPEC: ("stale", "required"),
                                    SCHEMA: ("stale: expected present (required), actual absent", "baselines/local.json")}),
    Declared("status-extra-key", {KEYS: ("/status", "unexpected: cache_hit"), SPEC: ("cache_hit",),
                                  SCHEMA: ("additionalProperties: false", "unexpected: cache_hit")}),
    Declared("status-renamed-key", {KEYS: ("missing: stale; unexpected: staleness",), SPEC: ("staleness",),
                                    SCHEMA: ("stale: expected present (required)", "unexpected: staleness")}),
    Declared("stale-as-string", {TYPES: ("stale: expected a JSON boolean", "actual 'false'"),
                                 SPEC: ('"false" is not of type "boolean"',),
                                 SCHEMA: ("stale: expected a JSON boolean, actual 'false'",)}),
    Declared("naive-timestamps", {TYPES: ("collected_at: expected an ISO-8601 timestamp with a time zone",
                                          "assessed_at", "evaluated_at"), SPEC: ("date-time",),
                                  SCHEMA: ("collected_at: expected an RFC 3339 date-time with a zone", "assessed_at",
                                           "evaluated_at")},
             masks=(AGREE,)),  # timestamps that do not compare: the agreement check skips
    Declared("table-mismatch", {TYPES: ("/health", "table: expected the requested table", "orders_v0"),
                                AGREE: ("health: table", "sales.orders_v0")}),
    Declared("health-based-on-older-status", {AGREE: ("health: status_collected_at",
                                                      "maintenance/recommendation: status_collected_at",
                                                      "older: an assessment of an older status",
                                                      "health-sync every 0:15:00"),
                                              REFS: ("no row of sales.orders collected at that instant",)}),
    Declared("health-assessed-from-stale-status", {AGREE: ("health: status_collected_at", "assessed from stale input",
                                                           "after that status existed"),
                                                   REFS: ("no row of sales.orders collected at that instant",)}),
    Declared("recommendation-from-the-future", {AGREE: ("maintenance/recommendation: evaluated_at",
                                                        "now + clock skew", "[defaults.checks]")}),
    Declared("unknown-table-500", {ERRORS: ("expected 404 with a JSON body", "actual 500"), SPEC: ("500",)}),
    Declared("unknown-table-html", {ERRORS: ("expected 404 with a JSON body", "actual 502 text/html"),
                                    SPEC: ("502",)}),
    Declared("openapi-endpoint-removed", {BASELINE: ("path /tables/{database}/{table}/health removed",
                                                     "baselines/local.json")}),
    # --- infra ----------------------------------------------------------------------------
    Declared("api-replicas-1", {API + "test_api_deployment_spec": ("spec.replicas", "expected 2", "actual 1")}),
    Declared("api-amd64-selector", {API + "test_api_deployment_spec": ("architectures", "'arm64'", "actual amd64"),
                                    NS + "test_workloads_select_the_expected_arch": ("'arm64'", "actual amd64")}),
    Declared("api-port-8080", {API + "test_api_deployment_spec": ("containerPort", "includes 8000", "[8080]")}),
    Declared("dev-requests-not-overridden", {API + "test_api_deployment_spec": (
        "resources.requests.cpu", "'500m'", "'250m'", "values-dev.yaml")}, env="dev"),
    Declared("api-limits-wrong", {API + "test_api_deployment_spec": ("resources.limits.memory", "'512Mi'", "'256Mi'")}),
    Declared("rollout-stuck", {API + "test_api_rollout_complete": ("status.updatedReplicas", "expected 2", "actual 1",
                                                                   "ProgressDeadlineExceeded"),
                               API + "test_api_pods_healthy": ("pod icepack-api-7d9f8c6b5-m4q9w condition Ready",
                                                               "expected 'True', actual 'False'")}),
    Declared("pod-crash-looping", {API + "test_api_pods_healthy": ("CrashLoopBackOff", "restartCount", "actual 14",
                                                                   "BackOff", "UndefinedColumn"),
                                   API + "test_api_rollout_complete": ("status.readyReplicas",)}),
    Declared("service-cluster-ip", {SVC + "test_api_service_is_a_tls_nlb": ("spec.type", "'LoadBalancer'", "'ClusterIP'"),
                                    SVC + "test_api_service_load_balancer_provisioned": ("status.loadBalancer.ingress",)}),
    Declared("tls-annotation-missing", {SVC + "test_api_service_is_a_tls_nlb": ("aws-load-balancer-ssl-cert",
                                                                               "ACM certificate ARN", "actual None")}),
    Declared("hostname-wrong", {SVC + "test_api_service_is_a_tls_nlb": ("external-dns.alpha.kubernetes.io/hostname",
                                                                       "'icepack-api.local.example.com'",
                                                                       "'icepack.local.example.com'")}),
    Declared("worker-trigger-redis", {WORKER + "test_worker_scaled_job_spec": ("spec.triggers[].type", "'postgresql'",
                                                                              "['redis']")}, env="stage"),
    Declared("worker-scaledjob-not-ready", {WORKER + "test_worker_scaled_job_ready": (
        "status.conditions[Ready]", "'True'", "ScaledJobCheckFailed", "KEDAScalerFailed")}),
    Declared("worker-default-service-account", {SA + "test_workloads_run_under_the_irsa_service_account": (
        "ScaledJob icepack/icepack-worker serviceAccountName", "'icepack'", "'default'")}),
    Declared("orchestrator-in-default-namespace", {
        NS + "test_icepack_resources_live_in_the_namespace": ("CronJob icepack-orchestrator", "absent"),
        NS + "test_workloads_select_the_expected_arch": NOT_FOUND,
        SA + "test_workloads_run_under_the_irsa_service_account": NOT_FOUND,
        CRON + "test_cronjob_spec": NOT_FOUND, CRON + "test_cronjob_suspension_matches_phase": NOT_FOUND,
        CRON + "test_cronjob_recent_success": NOT_FOUND, IMAGES + "test_workloads_run_the_expected_image_tag": NOT_FOUND,
        IMAGES + "test_workloads_run_one_image_from_ecr": NOT_FOUND}),
    # A kube context on the wrong cluster never passes: every infra check says "not found".
    Declared("namespace-empty", {t: ("not found", "in namespace icepack: none") for t in (
        API + "test_api_deployment_spec", API + "test_api_rollout_complete", API + "test_api_pods_healthy",
        SVC + "test_api_service_is_a_tls_nlb", SVC + "test_api_service_load_balancer_provisioned",
        WORKER + "test_worker_scaled_job_spec", WORKER + "test_worker_scaled_job_ready",
        CRON + "test_cronjob_spec", CRON + "test_cronjob_suspension_matches_phase", CRON + "test_cronjob_recent_success",
        PG + "test_postgres_deployment", PG + "test_postgres_pvc", PG + "test_postgres_pvc_bound", SA + "test_irsa_role_arn",
        SA + "test_workloads_run_under_the_irsa_service_account", NS + "test_workloads_select_the_expected_arch",
        IMAGES + "test_workloads_run_the_expected_image_tag", IMAGES + "test_workloads_run_one_image_from_ecr")} | {
        NS + "test_icepack_resources_live_in_the_namespace": ("absent (present: none)",),
        HELM + "test_newest_release_is_deployed": ("not found", "no release Secret"),
        PG + "test_postgres_available": ("not found",), WORKER + "test_worker_trigger_reads_the_api_database": ("not found",),
        PG + "test_postgres_mode_matches_the_release": ("not found", "no release Secret"),
        HELM + "test_release_carries_the_expected_chart_version": ("not found", "no release Secret")}, alone=True),
    Declared("worker-polling-60", {WORKER + "test_worker_scaled_job_spec": ("spec.pollingInterval", "expected 30",
                                                                           "actual 60")}, env="stage"),
    Declared("worker-max-replicas-10", {WORKER + "test_worker_scaled_job_spec": ("spec.maxReplicaCount", "expected 3",
                                                                                "actual 10")}, env="stage"),
    Declared("orchestrator-hourly-at-00", {CRON + "test_cronjob_spec": ("spec.schedule", "'30 * * * *'", "'0 * * * *'")},
             env="stage"),
    Declared("health-sync-every-30-min", {CRON + "test_cronjob_spec": ("spec.schedule", "'*/15 * * * *'",
                                                                       "'*/30 * * * *'")}),
    Declared("cronjob-concurrency-allow", {CRON + "test_cronjob_spec": ("spec.concurrencyPolicy", "'Forbid'", "'Allow'")}),
    Declared("cronjob-left-suspended", {CRON + "test_cronjob_suspension_matches_phase": (
        "icepack-health-sync", "spec.suspend", "expected False", "actual True")}),
    Declared("health-sync-last-success-2h-ago", {CRON + "test_cronjob_recent_success": (
        "status.lastSuccessfulTime", "at or after", "stale by 1h")}),
    Declared("postgres-16", {PG + "test_postgres_deployment": ("image", "'postgres:17-alpine'", "'postgres:16-alpine'")}),
    Declared("postgres-rolling-update", {PG + "test_postgres_deployment": ("spec.strategy.type", "'Recreate'",
                                                                          "'RollingUpdate'")}),
    Declared("pvc-gp2", {PG + "test_postgres_pvc": ("spec.storageClassName", "'gp3'", "'gp2'")}),
    Declared("role-arn-other-account", {SA + "test_irsa_role_arn": (
        "eks.amazonaws.com/role-arn", "arn:aws:iam::857967394368:role/", "account '857967394368', expected '123456789012'")}),
    Declared("release-status-failed", {HELM + "test_newest_release_is_deployed": ("info.status", "'deployed'",
                                                                                 "'failed'")}),
    Declared("chart-version-not-bumped", {HELM + "test_release_carries_the_expected_chart_version": (
        "chart.metadata.version", "'1.4.2'", "'1.4.1'")}),
    Declared("image-tag-not-expected", {IMAGES + "test_workloads_run_the_expected_image_tag": (
        "image tag", "'2f9c1e7'", "'0ddba11'")}),
    # --- smoke ----------------------------------------------------------------------------
    Declared("readyz-503", {READYZ: ("/readyz", "expected 200", "503"), SPEC: ("GET /readyz", "503")}),
    Declared("dry-run-rejected", {DRY_RUN: ("expected 202 with a job_id", "actual 422",
                                            "dry-run jobs are not supported")}),
    Declared("dry-run-never-completes", {DRY_RUN: ("state within 0:00:04: expected 'succeeded'",
                                                   "actual 'pending'", "ScaledJob picking up jobs")}),
    Declared("ui-not-served", {UI: ("UI GET", "expected 200 text/html", "actual 404 application/json"),
                               SPEC: ("/ui/", "Received: 404")}),
    Declared("drain-left-on", {DRAIN: ("drain_mode: expected False, actual True", "runbook phase live"),
                               DRY_RUN: ("expected 202", "503", "Drain mode is on")}),
    # --- data -----------------------------------------------------------------------------
    Declared("health-sync-stopped", {FRESH: ("table_status_snapshots", "table_health_snapshots", "stale: newest row",
                                             "expected newest row at most 0:35:00 old"),
                                     PER_TABLE: ("analytics.events newest row", "sales.refunds newest row")}, alone=True),
    Declared("health-sync-late", {}, warns=("SnapshotsLate", "past the warn threshold 0:20:00"), alone=True),
    Declared("health-snapshots-missing", {COVERAGE: ("analytics.sessions assessed_at", "ops.job_runs assessed_at",
                                                     "at most 0:35:00 old", "no row"),
                                          AGREES: ("analytics.sessions status collected at 20",
                                                   "ops.job_runs status collected at 20", "actual none names it")}),
    Declared("empty-snapshot-tables", {FRESH: ("table_status_snapshots", "empty", "no rows", "0:35:00"),
                                       KEYS: NO_SNAPSHOT, TYPES: NO_SNAPSHOT, AGREE: NO_SNAPSHOT, SCHEMA: NO_SNAPSHOT},
             alone=True),
    Declared("snapshot-clock-skew", {FRESH: ("clock skew", "in the database's future", "at most 0:02:00"),
                                     AGREE: ("collected_at", "(now + clock skew)")}, alone=True),
    Declared("api-serving-cached-collected-at", {AGREES: ("analytics.events /status collected_at",
                                                          "newest table_status_snapshots", "actual"),
                                                 AGREE: ("status_collected_at", "not newer than /status collected_at")}),
    Declared("tracked-tables-collapsed", {COLLAPSE: ("distinct tables", "expected at least 4.8", "6 a day before",
                                                     "actual 3"),
                                          PER_TABLE: ("analytics.sessions newest row", "ops.job_runs newest row")},
             masks=(COVERAGE,)),  # the dropped tables have no fresh status for the coverage check to judge
    # --- drifts a shallow check would pass (the same strings, another meaning; a right spec, a broken state) ---
    Declared("api-arch-affinity-allows-amd64", {API + "test_api_deployment_spec": ("architectures", "actual amd64, arm64"),
                                                NS + "test_workloads_select_the_expected_arch": ("actual amd64, arm64",)}),
    Declared("orchestrator-in-azores-time", {CRON + "test_cronjob_spec": (
        "spec.timeZone Atlantic/Azores", "fires Mon 01:00", "expected Mon 02:00")}),
    Declared("orchestrator-image-from-docker-hub", {IMAGES + "test_workloads_run_one_image_from_ecr": (
        "expected an ECR registry", "docker.io/icepack/icepack:2f9c1e7")}),
    Declared("acm-cert-in-another-region", {SVC + "test_api_service_is_a_tls_nlb": (
        "aws-load-balancer-ssl-cert", "region 'eu-west-1', expected 'us-east-1'")}),
    Declared("irsa-role-in-another-partition", {SA + "test_irsa_role_arn": ("partition 'aws-cn', expected 'aws'",)}),
    Declared("service-tls-port-not-exposed", {SVC + "test_api_service_is_a_tls_nlb": (
        "spec.ports[].port", "includes 443", "actual [80]")}),
    Declared("ssl-ports-on-another-port", {SVC + "test_api_service_is_a_tls_nlb": (
        "aws-load-balancer-ssl-ports", "covers port 443", "actual '8443'")}),
    Declared("worker-trigger-other-database", {WORKER + "test_worker_trigger_reads_the_api_database": (
        "metadata.dbName", "'icepack'", "'icepack_legacy'")}),
    Declared("postgres-not-ready", {PG + "test_postgres_available": ("status.readyReplicas", "actual 0", "FailedMount")}),
    Declared("load-balancer-sync-failing", {SVC + "test_api_service_load_balancer_provisioned": (
        "newest load balancer event", "Warning FailedDeployModel", "AccessDenied")}),
    Declared("worker-scaledjob-paused", {WORKER + "test_worker_scaled_job_ready": ("autoscaling.keda.sh/paused", "'true'")}),
    Declared("api-rollout-paused", {API + "test_api_rollout_complete": ("spec.paused", "expected False, actual True")}),
    Declared("status-served-as-text-plain", {HEADERS: ("GET /tables/sales/orders/status", "more routes Content-Type",
                                                       "actual text/plain")}),
    Declared("openapi-nested-type-changed", {
        BASELINE: ("changed types: snapshot.snapshot_count integer -> string",),
        SPEC: ('is not of type "string"',)}),  # the served spec now contradicts the served bodies too
    Declared("one-table-status-slow", {LATENCY: ("/tables/sales/orders/status", "latency", "at most 3s")}),
    Declared("readyz-slow", {LATENCY: ("GET /readyz latency", "at most 3s")}),  # the framing rules judge every read
    Declared("one-tracked-table-stale", {PER_TABLE: ("sales.refunds newest row", "at most 0:35:00 old",
                                                     "stopped collecting these tables")}),
    # --- every body against the recorded baseline's full schema, values defined by another. On sales.orders, a known table the served spec does not give as its example: only these see it.
    Declared("one-table-partition-count-as-string", {SCHEMA: (
        "GET /tables/sales/orders/status", "partitions.partition_count: expected a JSON integer, actual '",
        "OpenAPI baseline tests/contracts/baselines/local.json, GET /tables/{database}/{table}/status 200")}),
    Declared("one-table-health-status-outside-enum", {SCHEMA: (
        "health_status: expected one of 'healthy', 'degraded', 'unhealthy', actual 'warning'",)}),
    Declared("one-table-history-times-in-postgres-text", {SCHEMA: (
        "history[0].submitted_at: expected an RFC 3339 date-time with a zone, actual '2026-11-29 16:20:00+00'",
        "history[0].finished_at: expected a JSON string (an RFC 3339 date-time with a zone) or null")}),
    Declared("one-table-negative-collection-duration", {SCHEMA: (
        "/tables/sales/orders/health", "collection.duration_ms: expected at least 0, actual -1")}),
    Declared("one-table-source-lacks-metadata-location", {SCHEMA: (
        "source.metadata_location: expected present (required), actual absent",)}),
    Declared("one-table-issues-as-codes", {SCHEMA: ("issues[0]: expected a JSON object, actual 'too_many_snapshots'",)}),
    # The served spec changed with its bodies: Schemathesis (judging by the served spec) passes them, the baseline does not.
    Declared("openapi-and-bodies-retyped", {
        BASELINE: ("changed types: partitions.partition_count integer -> string",),
        SCHEMA: ("GET /tables/analytics/events/status", "partitions.partition_count: expected a JSON integer",
                 "actual '212'")}),
    Declared("one-table-evidence-of-another-status", {AGREE: (
        "read contracts of sales.orders", "evidence.snapshot_count: expected", "actual 0",
        "/status snapshot.snapshot_count, the same snapshot", "a recommendation is made of the status it names"),
        AGREES: ("sales.orders /maintenance/recommendation: evidence.snapshot_count: expected",
                 "(the table_status_snapshots row of 20", "actual 0")},
             alone=True),  # a group-mate's edit of the same table's bodies left it unseen in a shared run (CI, 2026-11-30)
    Declared("one-table-stale-while-fresh", {AGREE: (
        "status: stale: expected false for a status", "within one health-sync interval, 0:15:00", "actual True")}),
    Declared("assessments-stamp-their-own-clock", {REFS: (
        "the table_status_snapshots row each assessment names",
        "sales.orders /maintenance/recommendation status_collected_at: expected the collected_at of a "
        "table_status_snapshots row of sales.orders", "no row of sales.orders collected at that instant",
        "environments.toml [defaults.data]")}),
    Declared("snapshots-never-refreshed", {FRESH: ("table_status_snapshots", "table_health_snapshots",
                                                   "never refreshed", "rows from a single run", "at most 0:35:00"),
                                           PER_TABLE: ("analytics.events newest row",)},
             alone=True),
]


# --- one rule set judges every answer the run read (drifts/framing.py) ---
DECLARED += [
    Declared("drain-route-served-as-html", {HEADERS: (
        "GET /admin/drain Content-Type", "expected application/json (or application/<x>+json) in UTF-8",
        "actual text/html; charset=utf-8", "RFC 8259")}),
    Declared("readyz-declares-brotli", {ENCODING: (
        "GET /readyz, GET /admin/drain Content-Encoding", "expected none or one of gzip, deflate", "actual br",
        "RFC 9110 §12.5.3")}),
    Declared("drain-route-slow", {LATENCY: ("GET /admin/drain latency", "expected at most 3s", "checks.latency_fail")}),
    Declared("live-status-cached-for-a-day", {CACHING: (
        "GET /tables/sales/orders/status shared cache lifetime", "expected at most 0:00:00",
        "actual 1 day, 0:00:00 (public, max-age=86400)", "checks.shared_cache_max_age")}),
]

TIMESTAMPS = (TYPES, AGREE, AGREES, SPEC, SCHEMA)
EQUIVALENT: list[Declared] = [
    Equivalent("api-resources-in-other-units", API + "test_api_deployment_spec"),
    Equivalent("api-arch-by-node-affinity", API + "test_api_deployment_spec", NS + "test_workloads_select_the_expected_arch"),
    Equivalent("api-extra-metrics-port", API + "test_api_deployment_spec"),
    Equivalent("assessments-read-while-a-run-commits", AGREE, REFS),
    Equivalent("health-sync-schedule-as-a-list", CRON + "test_cronjob_spec", CRON + "test_cronjob_recent_success"),
    Equivalent("orchestrator-schedule-as-a-range", CRON + "test_cronjob_spec", CRON + "test_cronjob_recent_success"),
    Equivalent("health-sync-in-kolkata-time", CRON + "test_cronjob_spec", CRON + "test_cronjob_recent_success"),
    Equivalent("cronjobs-without-time-zone", CRON + "test_cronjob_spec", CRON + "test_cronjob_recent_success"),
    Equivalent("images-pinned-by-tag-and-digest", IMAGES + "test_workloads_run_the_expected_image_tag",
               IMAGES + "test_workloads_run_one_image_from_ecr"),
    Equivalent("postgres-image-fully-qualified", PG + "test_postgres_deployment"),
    Equivalent("ssl-ports-by-name", SVC + "test_api_service_is_a_tls_nlb"),
    Equivalent("ssl-ports-unset", SVC + "test_api_service_is_a_tls_nlb"),
    Equivalent("keda-polling-interval-defaulted", WORKER + "test_worker_scaled_job_spec"),
    Equivalent("pvc-class-by-legacy-annotation", PG + "test_postgres_pvc"),
    Equivalent("irsa-role-with-a-path", SA + "test_irsa_role_arn"),
    Equivalent("timestamps-with-z", *TIMESTAMPS),
    Equivalent("timestamps-in-another-offset", *TIMESTAMPS),
    Equivalent("json-with-charset", HEADERS, KEYS),
    Equivalent("errors-as-problem-json", ERRORS),
    # --- forms the recorded schema admits ---
    Equivalent("nested-objects-grow-keys", SCHEMA, KEYS, TYPES),
    Equivalent("counts-as-integral-floats", SCHEMA, AGREE),
    Equivalent("policy-numbers-as-floats", SCHEMA, SPEC),
    Equivalent("policy-grows-a-threshold", SCHEMA, SPEC),
    Equivalent("history-with-a-running-job", SCHEMA, AGREE),
    Equivalent("table-refs-name-their-catalog", SCHEMA, TYPES, AGREE),
    # --- framing ---
    Equivalent("answers-gzip-compressed", ENCODING, HEADERS, KEYS, READYZ, DRAIN, SERVICE_SCHEMA),
    Equivalent("live-data-private-or-no-store", CACHING, KEYS),
]


# --- release vs live (tests/infra/test_release_matches_live.py; drifts and probes in drifts/generic.py) ----------
# Every drift that edits the live objects (not the values the release was rendered from) is also a
# hand change the release comparison sees; those that edit only status, events or the release
# record are not (its normalization sets them aside). Probes the chart itself would write so are
# `released` in drifts/equivalent.py (in the manifest too); the others are live-only forms the
# comparison must take as equal, so it joins the tests that judge them.
RELEASE_FIELDS = I + "test_release_matches_live.py::test_live_objects_hold_what_the_release_applied"
RELEASE_OBJECTS = I + "test_release_matches_live.py::test_release_objects_are_live_and_nothing_else_claims_the_release"
HAND = "changed by hand since the release?"
NO_RELEASE = ("not found", "no release Secret")

DECLARED += [
    Declared("api-env-changed-by-hand", {RELEASE_FIELDS: (
        "Deployment icepack-api spec.template.spec.containers[api].env[AWS_REGION].value", "'us-east-1'",
        "'us-west-2'", "Helm release icepack revision 7 manifest", HAND)}),
    Declared("api-readiness-probe-path-changed", {RELEASE_FIELDS: (
        "containers[api].readinessProbe.httpGet.path", "'/readyz'", "'/healthz'", HAND)}),
    Declared("postgres-data-mount-removed", {RELEASE_FIELDS: (
        "Deployment icepack-postgres spec.template.spec.containers[postgres].volumeMounts",
        "/var/lib/postgresql/data", "actual absent", HAND),
        # the running pod still mounts what its ReplicaSet's template no longer holds
        I + "test_derivation.py::test_what_controllers_made_is_what_they_were_made_from": (
            "Pod icepack/icepack-postgres-5c8d7f9b4-q2w7e spec.containers[postgres].volumeMounts", "expected absent",
                 "ReplicaSet icepack-postgres-5c8d7f9b4 spec.template.spec")}),
    Declared("service-target-type-changed", {RELEASE_FIELDS: (
        "Service icepack-api metadata.annotations", "aws-load-balancer-nlb-target-type", "'ip'", "'instance'")}),
    Declared("worker-job-label-changed", {RELEASE_FIELDS: (
        "ScaledJob icepack-worker spec.jobTargetRef.template.metadata.labels", "'worker'", "'maintenance'")}),
    Declared("cronjob-history-limit-changed", {RELEASE_FIELDS: (
        "CronJob icepack-health-sync spec.failedJobsHistoryLimit", "expected 3", "actual 0")}),
    Declared("stray-deployment-with-release-labels", {RELEASE_OBJECTS: (
        "Deployment icepack-api-debug", "not in the manifest", "labelled app.kubernetes.io/instance=icepack")}),
    Declared("bare-pod-behind-the-api-service", {RELEASE_OBJECTS: (
        "Pod icepack-api-debug", "not in the manifest", "present")}),
    Declared("postgres-service-deleted", {RELEASE_OBJECTS: (
        "Service icepack-postgres", "present (in the manifest)", "absent (the Services in the namespace: icepack-api)")}),
    # a more specific check says what it means: suspended, not a chart change (tier 0, below and in the rollback test)
    Declared("cronjob-suspended-by-hand", {
        CRON + "test_cronjob_suspension_matches_phase": ("icepack-health-sync", "spec.suspend", "expected False"),
        RELEASE_FIELDS: ("CronJob icepack-health-sync spec.suspend", "expected False", "actual True")}),
]
EQUIVALENT += [
    Equivalent("manifest-quantities-in-other-units", RELEASE_FIELDS, API + "test_api_deployment_spec",
               PG + "test_postgres_deployment"),
    Equivalent("apiserver-defaults-filled-live", RELEASE_FIELDS, API + "test_api_deployment_spec"),
    Equivalent("keda-defaults-left-out-live", RELEASE_FIELDS, WORKER + "test_worker_scaled_job_spec"),
    Equivalent("controller-churn", RELEASE_FIELDS, RELEASE_OBJECTS, API + "test_api_rollout_complete"),
    Equivalent("replicas-under-an-hpa", RELEASE_FIELDS, API + "test_api_deployment_spec"),
    Equivalent("webhook-injected-sidecar", RELEASE_FIELDS, RELEASE_OBJECTS, PG + "test_postgres_deployment",
               API + "test_api_deployment_spec"),
    Equivalent("env-reordered", RELEASE_FIELDS, WORKER + "test_worker_trigger_reads_the_api_database"),
]
# Existing drifts that edit live objects by hand: the release comparison sees each, with these words.
RELEASE_ALSO_FAILS: dict[str, dict[str, tuple[str, ...]]] = {
    "api-amd64-selector": {RELEASE_FIELDS: ("Deployment icepack-api spec.template.spec.nodeSelector", "'arm64'",
                                            "'amd64'")},
    "api-arch-affinity-allows-amd64": {RELEASE_FIELDS: ("spec.template.spec.nodeSelector", "actual absent")},
    "service-cluster-ip": {RELEASE_FIELDS: ("Service icepack-api spec.type", "'LoadBalancer'", "'ClusterIP'")},
    "tls-annotation-missing": {RELEASE_FIELDS: ("aws-load-balancer-ssl-cert", "actual absent")},
    "service-tls-port-not-exposed": {RELEASE_FIELDS: ("Service icepack-api spec.ports[https]", "actual absent")},
    "ssl-ports-on-another-port": {RELEASE_FIELDS: ("aws-load-balancer-ssl-ports", "'443'", "'8443'")},
    "worker-trigger-redis": {RELEASE_FIELDS: ("ScaledJob icepack-worker spec.triggers[0].type", "'postgresql'",
                                              "'redis'")},
    "worker-trigger-other-database": {RELEASE_FIELDS: ("spec.triggers[0].metadata.dbName", "'icepack'",
                                                       "'icepack_legacy'")},
    "worker-default-service-account": {RELEASE_FIELDS: (
        "ScaledJob icepack-worker spec.jobTargetRef.template.spec.serviceAccountName", "'icepack'", "'default'")},
    "orchestrator-in-azores-time": {RELEASE_FIELDS: ("CronJob icepack-orchestrator spec.schedule (in spec.timeZone)",
                                                     "in Etc/UTC", "in Atlantic/Azores", "live fires Mon 01:00")},
    "orchestrator-image-from-docker-hub": {RELEASE_FIELDS: ("containers[orchestrator].image",
                                                            "'docker.io/icepack/icepack:2f9c1e7'")},
    "orchestrator-in-default-namespace": {RELEASE_OBJECTS: ("CronJob icepack-orchestrator", "present (in the manifest)",
                                                            "absent (the CronJobs in the namespace: icepack-health-sync)")},
    "namespace-empty": {RELEASE_FIELDS: NO_RELEASE, RELEASE_OBJECTS: NO_RELEASE},
}
# Live-only equal forms of existing probes: the release comparison must take them as equal too.
RELEASE_ALSO_JUDGES = {"api-resources-in-other-units", "api-extra-metrics-port", "health-sync-schedule-as-a-list",
                       "orchestrator-schedule-as-a-range", "health-sync-in-kolkata-time", "cronjobs-without-time-zone",
                       "images-pinned-by-tag-and-digest", "postgres-image-fully-qualified",
                       "keda-polling-interval-defaulted", "api-arch-by-node-affinity", "ssl-ports-by-name",
                       "ssl-ports-unset", "pvc-class-by-legacy-annotation", "irsa-role-with-a-path"}
DECLARED[:] = [dataclasses.replace(d, fails={**d.fails, **RELEASE_ALSO_FAILS.get(d.drift, {})}) for d in DECLARED]
EQUIVALENT[:] = [dataclasses.replace(d, judged_by=d.judged_by + (RELEASE_FIELDS,)) if d.drift in RELEASE_ALSO_JUDGES
                 else d for d in EQUIVALENT]


# --- references resolve (tests/infra/test_object_references.py; drifts and probes in drifts/references.py) --------
# Broken references are rendered so by the chart (in the manifest too): release vs live sees no hand
# change. Related objects are applied beside the release without its labels: release vs live does
# not claim them (it looks for objects carrying the release's labels, the reverse direction).
REFS_RESOLVE = I + "test_object_references.py::test_every_reference_resolves_to_something_usable"
REFS_RELATED = I + "test_object_references.py::test_nothing_outside_the_release_selects_or_targets_it"
OUTSIDE = "nothing outside the release selects or targets its objects"
DECLARED += [
    Declared("postgres-service-selects-no-pod", {REFS_RESOLVE: (
        "Service/icepack-postgres spec.selector", "expected the pods of one workload",
        "actual no pod in the namespace carries these labels", "app.kubernetes.io/component=database")}),
    Declared("postgres-service-target-port-undeclared", {REFS_RESOLVE: (
        "Service/icepack-postgres spec.ports[postgres].targetPort", "port pg declared by a container",
        "not declared by a container of icepack-postgres-")}),
    Declared("api-password-key-renamed", {REFS_RESOLVE: (
        "Deployment/icepack-api spec.template.spec.containers[api].env[PGPASSWORD].valueFrom.secretKeyRef",
        "expected Secret icepack-db with key db-password", "Secret icepack-db has no key db-password",
        "refers to Secret icepack-db")}),
    Declared("worker-trigger-auth-renamed", {REFS_RESOLVE: (
        "ScaledJob/icepack-worker spec.triggers[0].authenticationRef", "no TriggerAuthentication icepack-pg-auth",
        "icepack-postgres-auth")}),
    Declared("trigger-auth-secret-key-renamed", {REFS_RESOLVE: (
        "TriggerAuthentication/icepack-postgres-auth spec.secretTargetRef[password]",
        "Secret icepack-db has no key pg-password")}),
    Declared("api-liveness-probe-port-undeclared", {REFS_RESOLVE: (
        "containers[api].livenessProbe.httpGet.port", "a port named web declared by container api",
        "container api declares http")}),
    Declared("api-pod-owner-replaced", {REFS_RESOLVE: (
        "metadata.ownerReferences[ReplicaSet/icepack-api-7d9f8c6b5]", "expected its owner, same uid",
        "is another object now", "Service/icepack-api spec.selector", "its pods belong to 2 workloads")}),
    Declared("hpa-targets-the-api", {REFS_RELATED: (
        "HorizontalPodAutoscaler/icepack-api-hpa spec.scaleTargetRef", OUTSIDE, "expected_related",
        "targets the release's Deployment/icepack-api")}),
    Declared("deny-ingress-network-policy", {REFS_RELATED: (
        "NetworkPolicy/default-deny-ingress spec.podSelector", "restricts ingress to the pods of Deployment/icepack-api, Deployment/icepack-postgres",
        "admits none of port 5432, 8000")}),
    Declared("canary-service-selects-the-api", {REFS_RELATED: (
        "Service/icepack-api-canary spec.selector", "selects the release's", "Deployment/icepack-api")}),
    Declared("pdb-on-the-api", {REFS_RELATED: (
        "PodDisruptionBudget/icepack-api-pdb spec.selector", "selects the release's", "Deployment/icepack-api")}),
    Declared("scaled-object-targets-the-api", {REFS_RELATED: (
        "ScaledObject/icepack-api-rps spec.scaleTargetRef", "targets the release's Deployment/icepack-api")}),
]
EQUIVALENT += [
    Equivalent("network-policy-admits-the-api-port", REFS_RELATED, RELEASE_OBJECTS),
    Equivalent("network-policy-egress-only", REFS_RELATED, RELEASE_OBJECTS),
    Equivalent("optional-configmap-volume-absent", REFS_RESOLVE, RELEASE_FIELDS),
    Equivalent("api-env-from-a-configmap-key", REFS_RESOLVE, RELEASE_FIELDS, RELEASE_OBJECTS),
    Equivalent("postgres-service-targets-port-by-number", REFS_RESOLVE, RELEASE_FIELDS),
]
# Existing drifts the references walk sees too: a bare pod behind the API Service is a second workload it selects.
DECLARED[:] = [dataclasses.replace(d, fails={**d.fails, REFS_RESOLVE: (
    "Service/icepack-api spec.selector", "its pods belong to 2 workloads", "Pod/icepack-api-debug")})
    if d.drift == "bare-pod-behind-the-api-service" else d for d in DECLARED]


def plan(declared: list[Declared]) -> dict[str, str]:
    """drift -> the run it shares: drifts of one environment that touch disjoint tests go
    into one twin run (first fit, biggest first). Disjoint sets keep attribution exact:
    each expected failure can only come from its own drift."""
    groups: list[tuple[str, set[str], list[str]]] = []  # (env, tests touched, drifts)
    for d in sorted(declared, key=lambda d: (d.alone, -len(d.touches), d.drift)):
        # alone drifts sort last, so they never find a home among the shared runs
        where = (d.env, d.options, d.mode, d.other)
        home = None if d.alone else next((g for g in groups if g[0] == where and not g[1] & d.touches), None)
        if home is None:
            groups.append(home := (where, set(), []))
        home[1].update(d.touches)
        home[2].append(d.drift)
    return {drift: f"{mode}:{env}{other}{''.join(options)}:{'+'.join(sorted(drifts))}"
            for (env, options, mode, other), _, drifts in groups for drift in drifts}


# --- live state and Helm history (tests/infra/test_live_state.py, test_helm_history.py;
# drifts and probes in drifts/live.py). Every release object's live status by one table of what healthy
# means, its ownership, recent Warnings that mean wrong now, the Helm revision records. Existing drifts
# that break live state are seen here too, with these words.
LIVE = I + "test_live_state.py::test_release_objects_are_healthy"
OWNED = I + "test_live_state.py::test_release_objects_are_owned_as_their_controllers_made_them"
WARNINGS = I + "test_live_state.py::test_no_recent_warning_means_something_is_wrong_now"
HISTORY = I + "test_helm_history.py::test_helm_history_is_whole_and_has_one_deployed_revision"

DECLARED += [
    Declared("api-node-not-ready", {LIVE: ("Node ip-10-40-11-23.ec2.internal status.conditions[Ready].status",
                                           "expected 'True'", "'Unknown' (NodeStatusUnknown")}),
    Declared("postgres-restarting-repeatedly", {LIVE: (
        "Pod icepack/icepack-postgres-5c8d7f9b4-q2w7e status.containerStatuses[postgres].restartCount",
        "expected '<= 3', actual 9", "[defaults.checks]")}),
    Declared("api-pod-runs-another-image", {}),  # the chains see it (derivation block below)
    Declared("postgres-pod-orphaned", {
        OWNED: ("Pod icepack/icepack-postgres-5c8d7f9b4-q2w7e metadata.ownerReferences (controller)", "an orphan"),
        RELEASE_OBJECTS: ("Pod icepack-postgres-5c8d7f9b4-q2w7e", "not in the manifest")}),
    Declared("api-service-deletion-stuck", {OWNED: (
        "Service icepack/icepack-api metadata.deletionTimestamp", "being deleted", "service.k8s.aws/resources")}),
    Declared("api-pod-secret-mount-failing", {WARNINGS: (
        "Pod icepack/icepack-api-7d9f8c6b5-x7k2p event FailedMount", 'secret "icepack-db" not found',
        "a volume does not mount")}),
    Declared("helm-two-revisions-deployed", {HISTORY: ("revisions deployed", "exactly one, the newest (v7)",
                                                       "actual 'v6, v7'")}),
    Declared("helm-rollback-target-pruned", {HISTORY: ("revisions kept", "Tier 2's rollback target", "missing v6",
                                                       "deployment document, rollback tiers")}),
    Declared("helm-deployed-label-disagrees", {HISTORY: (
        "Secret sh.helm.release.v1.icepack.v7 metadata.labels.status", "expected 'deployed', actual 'superseded'")}),
]
EQUIVALENT += [
    Equivalent("job-pod-completed", LIVE, OWNED),
    Equivalent("job-retried-after-a-failed-pod", LIVE, OWNED),
    Equivalent("past-and-benign-warnings", WARNINGS),
    Equivalent("helm-history-with-a-failed-upgrade", HISTORY, HELM + "test_newest_release_is_deployed"),
]
LIVE_ALSO_FAILS: dict[str, dict[str, tuple[str, ...]]] = {
    "pod-crash-looping": {LIVE: ("status.containerStatuses[api].restartCount", "CrashLoopBackOff",
                                 "Deployment icepack/icepack-api status.readyReplicas"),
                          WARNINGS: ("event BackOff", "a container restarting in back-off")},
    "rollout-stuck": {LIVE: ("Deployment icepack/icepack-api status.updatedReplicas", "ProgressDeadlineExceeded"),
                      WARNINGS: ("Deployment icepack/icepack-api event ProgressDeadlineExceeded",)},
    "postgres-not-ready": {LIVE: ("Deployment icepack/icepack-postgres status.conditions[Available].status",),
                           WARNINGS: ("Deployment icepack/icepack-postgres event FailedMount",)},
    "worker-scaledjob-not-ready": {LIVE: ("ScaledJob icepack/icepack-worker status.conditions[Ready].status",
                                          "ScaledJobCheckFailed"),
                                   WARNINGS: ("ScaledJob icepack/icepack-worker event KEDAScalerFailed",)},
    "load-balancer-sync-failing": {WARNINGS: ("Service icepack/icepack-api event FailedDeployModel", "AccessDenied")},
    "api-rollout-paused": {LIVE: ("Deployment icepack/icepack-api status.conditions[Progressing].status",
                                  "DeploymentPaused")},
    "release-status-failed": {HISTORY: ("revisions deployed", "exactly one, the newest (v7)", "actual 'none'")},
    "stray-deployment-with-release-labels": {LIVE: (
        "Deployment icepack/icepack-api-debug status.conditions[Available]", "absent")},
    "bare-pod-behind-the-api-service": {OWNED: ("Pod icepack/icepack-api-debug metadata.ownerReferences (controller)",
                                                "an orphan")},
    "namespace-empty": {t: ("not found",) for t in (LIVE, OWNED, WARNINGS, HISTORY)},
}
# Equal forms of existing probes the live state must take as healthy too.
LIVE_ALSO_JUDGES = {"webhook-injected-sidecar": (LIVE, OWNED), "images-pinned-by-tag-and-digest": (LIVE, OWNED),
                    "controller-churn": (LIVE, OWNED), "replicas-under-an-hpa": (LIVE,),
                    "api-arch-by-node-affinity": (LIVE, OWNED)}
DECLARED[:] = [dataclasses.replace(d, fails={**d.fails, **LIVE_ALSO_FAILS.get(d.drift, {})}) for d in DECLARED]
EQUIVALENT[:] = [dataclasses.replace(d, judged_by=d.judged_by + LIVE_ALSO_JUDGES.get(d.drift, ())) for d in EQUIVALENT]

# --- the data generic mechanisms (drifts and probes in drifts/data_generic.py) ----------------
ROLE = D + "test_role.py::test_suite_role_can_only_read"
SHAPES = D + "test_baseline.py::test_relations_keep_their_shape"
ROW_REFS = AGREES  # every newest health row's named status resolves (folded into it, as REFS)
CADENCE = D + "test_cadence.py::test_runs_arrive_on_the_health_sync_schedule"
KINDS = D + "test_freshness.py::test_snapshot_tables_hold_what_health_sync_writes"
LEAST = "README \"What it needs (least privilege)\""
DECLARED += [
    Declared("suite-role-can-write", {ROLE: (
        "the suite's own role: 3 fields differ", "INSERT on table_status_snapshots", "expected not held",
        "REVOKE INSERT ON table_status_snapshots FROM icepack_reader", "REVOKE CREATE ON SCHEMA public FROM icepack_reader",
        "member of icepack_writer, which can write", "REVOKE icepack_writer FROM icepack_reader", LEAST,
        "no rollback of Icepack")}),
    Declared("suite-role-is-superuser", {ROLE: ("role attribute SUPERUSER", "ALTER ROLE icepack_reader NOSUPERUSER",
                                                LEAST)}),
    Declared("api-rescales-a-nested-value", {AGREES: (
        "sales.orders /status manifests.total_manifest_bytes", "expected 912000", "actual 1824000",
        "the newest table_status_snapshots row")}),
    Declared("api-serves-another-assessment", {AGREES: (
        "sales.orders /health issues[0].message", "snapshots retained", "the newest table_health_snapshots row")}),
    Declared("older-recommendation-quotes-another-number", {AGREES: (
        "analytics.events /maintenance/recommendation: recommended_actions[0].reason: expected numbers of the status "
        "it names (the table_status_snapshots row of", "is none of them", "a recommendation is made of the status it names",
        'checks.quoted_numbers = "warn"')}),
    Declared("health-row-for-an-untracked-table", {ROW_REFS: (
        "analytics.sessions_untracked status_collected_at of the assessment of",
        "expected the collected_at of a table_status_snapshots row of analytics.sessions_untracked",
        "no row of analytics.sessions_untracked collected then")}),
    Declared("status-table-a-materialized-view", {KINDS: (
        "table_status_snapshots kind", "a plain view over one", "actual 'materialized view'",
        "a materialized view changes only when refreshed"),
        # the twin's health-sync and worker share one loop: the failed insert stops the worker too
        DRY_RUN: ("state within", "'pending'"),
        SHAPES: ("relation public.table_status_snapshots kind", "expected table", "actual materialized view")}),
    Declared("a-table-assessed-every-other-run", {CADENCE: (
        "table table_health_snapshots, column assessed_at", "ops.job_runs runs", "this table was skipped"),
        AGREES: ("ops.job_runs status collected at 20", "expected named by a table_health_snapshots row of ops.job_runs "
                 "(its assessment), actual none names it")}),
    Declared("status-history-lost-behind-its-assessments", {ROW_REFS: (
        "sales.orders status_collected_at of the assessment of", "no row of sales.orders collected then; nor for",
        "earlier assessment(s) of the last", "status rows pruned or lost behind them",
        "expected the collected_at of a table_status_snapshots row of sales.orders")}),
    Declared("health-row-carried-over-from-an-hour-before", {ROW_REFS: (
        "sales.refunds status_collected_at of the assessment of", "the newest table_status_snapshots row of sales.refunds "
        "collected by then", "an assessment of an older run under a fresh time", "checks.assessment_tolerance")}),
    Declared("a-table-collected-every-other-run", {CADENCE: (
        "sales.refunds runs", "expected one at least every 0:20:00", "(0:30:00)", "this table was skipped",
        "data.cadence_intervals"), ROW_REFS: ("sales.refunds status_collected_at of the assessment of",
                                             "no row of sales.refunds collected then")}),
]
EQUIVALENT += [
    Equivalent("suite-role-with-session-settings", ROLE, AGREES, FRESH, ROW_REFS, CADENCE),
    Equivalent("recommendation-of-the-run-before", AGREES, AGREE),
    Equivalent("a-newly-tracked-table", CADENCE, COVERAGE, PER_TABLE, ROW_REFS),
    Equivalent("snapshot-rows-written-twice", AGREES, ROW_REFS, CADENCE, FRESH, COVERAGE, REFS),
    Equivalent("snapshot-tables-behind-plain-views", KINDS, AGREES, ROW_REFS, CADENCE, FRESH, ROLE),
]
# Existing drifts the API-serves-the-rows and cadence checks also see: a value the API serves that the newest
# row does not hold (the contract checks see its form), runs half as often as scheduled (the spec check sees why).
DATA_ALSO_FAILS: dict[str, dict[str, tuple[str, ...]]] = {
    "health-based-on-older-status": {AGREES: ("/health status_collected_at", "the newest table_health_snapshots row")},
    "health-assessed-from-stale-status": {AGREES: ("/health status_collected_at",)},
    "assessments-stamp-their-own-clock": {AGREES: ("/health status_collected_at",)},
    "health-sync-every-30-min": {CADENCE: ("runs less often than every 0:15:00",)},
    "one-table-partition-count-as-string": {AGREES: ("sales.orders /status partitions.partition_count",)},
    "one-table-health-status-outside-enum": {AGREES: ("sales.orders /health health_status", "actual 'warning'")},
    "one-table-negative-collection-duration": {AGREES: ("sales.orders /health collection.duration_ms", "actual -1")},
    "one-table-source-lacks-metadata-location": {AGREES: ("sales.orders /status source.metadata_location",
                                                          "actual absent")},
    "one-table-issues-as-codes": {AGREES: ("sales.orders /health issues[0]", "actual 'too_many_snapshots'")},
    "openapi-and-bodies-retyped": {AGREES: ("/status partitions.partition_count",)},
}
DECLARED[:] = [dataclasses.replace(d, fails={t: d.fails.get(t, ()) + DATA_ALSO_FAILS.get(d.drift, {}).get(t, ())
                                             for t in {**d.fails, **DATA_ALSO_FAILS.get(d.drift, {})}})
               for d in DECLARED]

# --- breaking changes as oasdiff judges them (issue 24) -------------------------------
# The served /openapi.json against the committed baseline: request-side changes fail (only the baseline
# test sees them: Schemathesis judges responses to positive cases, which the API still answers), a WARN
# change warns, and changes oasdiff levels INFO pass.
DECLARED += [
    Declared("openapi-status-requires-a-query-parameter", {BASELINE: (
        "GET /tables/{database}/{table}/status added the new required query request parameter as_of",
        "[new-required-request-parameter, ERR]", "oasdiff's rule new-required-request-parameter")}),
    Declared("openapi-job-request-requires-a-reason", {BASELINE: (
        "POST /tables/{database}/{table}/maintenance/jobs added the new required request property reason",
        "[new-required-request-property, ERR]")}),
    Declared("openapi-health-status-enum-widened", {}, warns=(
        "PotentiallyBreaking", "added the enum value \"unknown\" to the response health_status (status 200)",
        "[response-property-enum-value-added, WARN]")),
]
EQUIVALENT += [
    Equivalent("openapi-optional-query-parameter-added", BASELINE, SPEC),
    Equivalent("openapi-request-property-made-optional", BASELINE),
]
# --- before apply and across environments (issue 25; drifts and probes in
# drifts/promotion.py). Mode "manifests": `python -m icepack_twin render --env stage --drift ...` judged by
# tests/infra with --manifests, nothing live reachable; the same checks and words as live, each line naming
# the rendered document. Mode "compare": stage healthy, prod drifted, tests/compare with --compare-with=prod.
RENDER = "rendered.yaml document"


def Rendered(drift: str, fails: dict[str, tuple[str, ...]], env: str = "stage", **kw) -> Declared:
    """Judged on its render by tests/infra with --manifests."""
    return Declared(drift, fails, env=env, mode="manifests", **kw)


def Promoted(drift: str, fails: dict[str, tuple[str, ...]], **kw) -> Declared:
    """Stage healthy, prod drifted: judged by tests/compare with --compare-with=prod."""
    return Declared(drift, fails, env="stage", other="prod", mode="compare", **kw)


DECLARED += [
    Rendered("render-api-memory-limit-halved", {API + "test_api_deployment_spec": (
        f"Deployment icepack/icepack-api ({RENDER} 3)", "containers[api].resources.limits.memory",
        "expected '512Mi', actual '256Mi'", "[defaults.expect.api.limits]")}),
    Rendered("render-orchestrator-every-hour", {CRON + "test_cronjob_spec": (
        f"CronJob icepack/icepack-orchestrator ({RENDER} 7)", "spec.schedule", "expected '30 * * * *'",
        "actual '0 * * * *'", "values-stage.yaml override")}),
    Rendered("render-worker-max-replicas-10", {WORKER + "test_worker_scaled_job_spec": (
        f"ScaledJob icepack/icepack-worker ({RENDER} 5)", "spec.maxReplicaCount", "expected 3, actual 10")}),
    Rendered("render-image-from-docker-hub", {IMAGES + "test_workloads_run_one_image_from_ecr": (
        f"Deployment icepack/icepack-api ({RENDER} 3) container api image registry", "expected an ECR registry",
        "actual 'docker.io/icepack/icepack:2f9c1e7'", "deployment flow step 3")}),
    Rendered("render-certificate-of-prod", {SVC + "test_api_service_is_a_tls_nlb": (
        f"Service icepack/icepack-api ({RENDER} 4)", "aws-load-balancer-ssl-cert",
        "expected an ACM certificate ARN in account 174558682303", "857967394368")}),
    Rendered("render-orchestrator-suspended", {CRON + "test_cronjob_suspension_matches_phase": (
        f"CronJob icepack/icepack-orchestrator ({RENDER} 7)", "spec.suspend", "expected False, actual True",
        "runbook phase live")}),
    Rendered("render-irsa-role-of-dev", {SA + "test_irsa_role_arn": (
        f"ServiceAccount icepack/icepack ({RENDER} 1)", "expected an IAM role ARN of account 174558682303",
        "arn:aws:iam::411706531007:role/icepack-dev-irsa")}),
    # a spec field in a check that also reads a status: judged first, the rest not run
    Rendered("render-pvc-gp2", {PG + "test_postgres_pvc": (
        f"PersistentVolumeClaim icepack/icepack-postgres ({RENDER} 10)", "spec.storageClassName",
        "expected 'gp3', actual 'gp2'", "[defaults.expect.postgres]")}, env="dev"),
    Rendered("render-worker-paused", {WORKER + "test_worker_scaled_job_ready": (
        f"ScaledJob icepack/icepack-worker ({RENDER} 5)", "annotations[autoscaling.keda.sh/paused]", "actual 'true'",
        "the rest of this check is not run: needs a live environment")}),
    Rendered("render-api-rollout-paused", {API + "test_api_rollout_complete": (
        f"Deployment icepack/icepack-api ({RENDER} 3)", "spec.paused: expected False, actual True",
        "the rest of this check is not run: needs a live environment")}),
    Declared("pvc-pending", {PG + "test_postgres_pvc_bound": (
        "PersistentVolumeClaim icepack/icepack-postgres (live)", "status.phase", "expected 'Bound', actual 'Pending'"),
        I + "test_live_state.py::test_release_objects_are_healthy": (
            "PersistentVolumeClaim icepack/icepack-postgres status.phase", "actual 'Pending'"),
        I + "test_object_references.py::test_every_reference_resolves_to_something_usable": (
            "persistentVolumeClaim.claimName", "is Pending, not Bound")}),
]
EQUIVALENT += [
    Rendered("render-resources-in-other-units", {}, judged_by=(API + "test_api_deployment_spec",)),
    Rendered("render-arch-by-node-affinity", {},
             judged_by=(API + "test_api_deployment_spec", NS + "test_workloads_select_the_expected_arch")),
    Rendered("render-images-pinned-by-digest", {},
             judged_by=(IMAGES + "test_workloads_run_the_expected_image_tag",
                        IMAGES + "test_workloads_run_one_image_from_ecr")),
    Rendered("render-with-explicit-namespace", {},
             judged_by=(NS + "test_icepack_resources_live_in_the_namespace", API + "test_api_deployment_spec",
                        SVC + "test_api_service_is_a_tls_nlb", SA + "test_irsa_role_arn")),
]
P = "tests/compare/test_promotion.py::"
VALUES, TAGS = P + "test_released_values_differ_only_where_declared", P + "test_same_chart_version_and_image_tags"
OBJECT, READS = P + "test_inventory_object_differs_only_where_declared", P + "test_read_contracts_have_the_same_keys_and_schemas"
UNDECLARED = "environments.toml declares no such difference"
DECLARED += [
    Promoted("prod-runs-another-image-tag", {
        VALUES: ("stage vs prod: Helm release icepack values", "values image.tag: expected stage's '2f9c1e7' in prod too",
                 "actual prod '0ddba11'", UNDECLARED),
        TAGS: ("Deployment icepack-api container api image tag", "actual prod '0ddba11'"),
        OBJECT: ("metadata.labels.app.kubernetes.io/version", "containers[api].image", "icepack:0ddba11")}),
    Promoted("prod-worker-polls-every-60s", {
        VALUES: ("values worker.keda.pollingInterval: expected stage's 30 in prod too", "actual prod 60", UNDECLARED),
        OBJECT: ("stage vs prod: ScaledJob icepack/icepack-worker", "spec.pollingInterval", "actual prod 60")}),
    Promoted("prod-status-key-renamed", {READS: (
        "GET /tables/analytics/events/status top-level keys", "actual prod missing: stale; unexpected: staleness",
        UNDECLARED)}),
    # stage and prod are both on RDS: a host differing beyond each one's name is no
    # consequence of a declared Postgres mode ([release.follows]), so still a finding
    Promoted("prod-database-on-another-cluster", {
        VALUES: ("values postgres.external.host", "actual prod 'icepack-prod.cluster-zz9q7w.us-east-1.rds.amazonaws.com'",
                 UNDECLARED),
        OBJECT: ("env[PGHOST].value", "spec.triggers[0].metadata.host", "cluster-zz9q7w")}),
    Promoted("prod-api-readiness-on-healthz", {OBJECT: (
        "stage vs prod: Deployment icepack/icepack-api", "spec.template.spec.containers[api].readinessProbe.httpGet.path",
        "expected stage's '/readyz' in prod too", "actual prod '/healthz'")}),
]
EQUIVALENT += [
    Promoted("prod-resources-in-other-units", {}, judged_by=(OBJECT, VALUES)),
    Promoted("prod-env-reordered", {}, judged_by=(OBJECT, VALUES)),
]
# --- the Helm release record as a whole (tests/infra/test_helm_record.py, drifts and probes in
# drifts/helm_record.py): the released values against the record's manifest and the environment, the chart
# metadata against the labels it wrote, the history's times, the rollback target. Every existing drift of the
# values (rendered from them) is also a released value the environment does not expect.
RECORD = I + "test_helm_record.py::"
VALUES = RECORD + "test_released_values_agree_with_the_manifest_and_the_environment"
CHART_AND_HISTORY = RECORD + "test_release_record_agrees_with_its_chart_and_its_history"
ROLLBACK_TARGET = RECORD + "test_previous_revision_is_a_whole_rollback_target"
DECLARED += [
    Declared("release-values-from-another-account", {VALUES: (
        "values global.accountId", "expected '123456789012'", "actual '411706531007'", "account_id")}),
    Declared("release-app-version-stale", {CHART_AND_HISTORY: (
        "current chart.metadata.appVersion", "expected '2f9c1e7'", "actual '1a2b3c4'", "app.kubernetes.io/version")}),
    Declared("helm-rollback-target-lacks-the-worker", {ROLLBACK_TARGET: (
        "rollback target (Secret sh.helm.release.v1.icepack.v6)", "previous manifest", "ScaledJob/icepack-worker",
        "actual 'absent'", "infrastructure inventory")}),
    # the revision before is labelled by its own chart (1.4.1) in the healthy twin: its record must agree
    Declared("helm-previous-record-names-another-app-version", {ROLLBACK_TARGET: (
        "rollback target (Secret sh.helm.release.v1.icepack.v6)", "previous chart.metadata.appVersion",
        "expected '2f9c1e7'", "actual '1a2b3c4'", "app.kubernetes.io/version")}),
]
EQUIVALENT += [
    Equivalent("release-values-defaults-in-the-chart", VALUES),
    Equivalent("release-values-in-other-forms", VALUES),
]
RECORD_ALSO_FAILS: dict[str, dict[str, tuple[str, ...]]] = {
    **{drift: {VALUES: (f"values {key}",)} for drift, key in (
        ("api-replicas-1", "api.replicas"), ("api-port-8080", "api.port"),
        ("dev-requests-not-overridden", "api.resources.requests"), ("api-limits-wrong", "api.resources.limits"),
        ("hostname-wrong", "service.hostname"), ("worker-polling-60", "worker.keda.pollingInterval"),
        ("worker-max-replicas-10", "worker.keda.maxReplicaCount"), ("orchestrator-hourly-at-00", "orchestrator.schedule"),
        ("health-sync-every-30-min", "healthSync.schedule"), ("cronjob-concurrency-allow", "orchestrator.concurrencyPolicy"),
        ("postgres-16", "postgres.internal.image"), ("postgres-rolling-update", "postgres.internal.strategy"),
        ("pvc-gp2", "postgres.internal.storageClassName"))},
    # the drift changes the record's chart version only: the labels its manifest carries still name 1.4.2
    "chart-version-not-bumped": {CHART_AND_HISTORY: ("chart.metadata.name-version", "expected 'icepack-1.4.2'")},
    "namespace-empty": {t: ("not found",) for t in (VALUES, CHART_AND_HISTORY, ROLLBACK_TARGET)},
}
DECLARED[:] = [dataclasses.replace(d, fails={**d.fails, **RECORD_ALSO_FAILS.get(d.drift, {})}) for d in DECLARED]
# Probes of the Helm history the rollback-target check judges too (v5 superseded, v6 failed: v5 is the target).
EQUIVALENT[:] = [dataclasses.replace(d, judged_by=d.judged_by + (ROLLBACK_TARGET, CHART_AND_HISTORY))
                 if d.drift == "helm-history-with-a-failed-upgrade" else d for d in EQUIVALENT]
# --- what controllers make from the workloads (tests/infra/test_derivation.py; drifts and
# probes in drifts/derivation.py). The chains Deployment -> ReplicaSet -> Pod and CronJob / ScaledJob -> Job ->
# Pod compared link by link, named items listed twice, and the live state's rules of every condition (types,
# times) and of the nodes hosting release pods. Existing drifts these also see are declared below.
DERIVE = I + "test_derivation.py::test_what_controllers_made_is_what_they_were_made_from"
TWICE = I + "test_derivation.py::test_no_object_of_the_release_names_an_item_twice"
API_RS = "icepack-api-7d9f8c6b5"
DECLARED += [
    Declared("api-replicaset-template-edited", {DERIVE: (
        f"ReplicaSet icepack/{API_RS} spec.template.spec.containers[api].readinessProbe.httpGet.path", "expected '/readyz'",
        "actual '/healthz'", "Deployment icepack-api spec.template (revision 4)",
        f"Pod icepack/{API_RS}-x7k2p spec.containers[api].readinessProbe.httpGet.path")}),
    Declared("api-old-replicaset-scaled-up", {DERIVE: (
        "ReplicaSet icepack/icepack-api-5b6c7d8e9 spec.replicas, status.replicas", "expected 0, 0 (an old ReplicaSet",
        "actual 1, 0")}),
    Declared("api-env-listed-twice", {TWICE: (
        "Deployment icepack/icepack-api spec.template.spec.containers[api].env[AWS_REGION]",
        f"Pod icepack/{API_RS}-x7k2p spec.containers[api].env[AWS_REGION]", "expected one item of that name",
        "actual 2 items")}),
    Declared("worker-job-stuck", {DERIVE: (
        "Job icepack/icepack-worker-stuck1 status.active, status.startTime", "expected no pod active after 1:00:00",
        "its spec.activeDeadlineSeconds", "stuck")}),
    Declared("api-node-clock-ahead", {LIVE: (
        "Node ip-10-40-11-23.ec2.internal status.conditions[Ready].lastHeartbeatTime",
        "expected a time not after now + 0:02:00")}),
    Declared("api-pod-rewritten-by-a-webhook", {DERIVE: (
        f"Pod icepack/{API_RS}-x7k2p spec.hostIPC", "expected absent, actual True",
        f"Pod icepack/{API_RS}-x7k2p spec.containers[api].securityContext", "ReplicaSet icepack-api-7d9f8c6b5 spec.template.spec")}),
]
EQUIVALENT += [
    Equivalent("pods-as-the-control-plane-made-them", DERIVE, TWICE, LIVE, OWNED, REFS_RESOLVE),
    Equivalent("jobs-of-the-cronjobs-and-the-worker", DERIVE, TWICE, LIVE, OWNED, REFS_RESOLVE, WARNINGS),
]
DERIVATION_ALSO_JUDGES = {"job-pod-completed": (DERIVE, TWICE, REFS_RESOLVE),
                          "job-retried-after-a-failed-pod": (DERIVE, TWICE, REFS_RESOLVE), "webhook-injected-sidecar": (DERIVE, TWICE),
                          "apiserver-defaults-filled-live": (DERIVE,), "env-reordered": (DERIVE, TWICE)}
# The owner references are the references walk's alone, a pod against its template the chains' alone (they
# were judged by the ownership check too): these drifts of the live state block are seen here.
DERIVATION_ALSO_FAILS: dict[str, dict[str, tuple[str, ...]]] = {
    "api-pod-runs-another-image": {DERIVE: (
        f"Pod icepack/{API_RS}-m4q9w spec.containers[api].image", "icepack:2f9c1e7", "icepack:0ddba11",
        f"ReplicaSet {API_RS} spec.template.spec: the pod is made from it")},
    # a template edited by hand while the twin's pods stay as they were: they run what their owner no longer has
    "api-env-changed-by-hand": {DERIVE: (f"Pod icepack/{API_RS}-x7k2p spec.containers[api].env[AWS_REGION].value",
                                         "expected 'us-west-2'", "actual 'us-east-1'", "the pod is made from it")},
    "api-readiness-probe-path-changed": {DERIVE: (
        f"Pod icepack/{API_RS}-x7k2p spec.containers[api].readinessProbe.httpGet.path", "expected '/healthz'",
        "actual '/readyz'")},
    # its controller reference names another uid: the ReplicaSet counts a pod it does not control
    "api-pod-owner-replaced": {DERIVE: (f"ReplicaSet icepack/{API_RS} status.replicas",
                                        "expected the number of its pods (1", "actual 2")},
    "postgres-pod-orphaned": {DERIVE: ("ReplicaSet icepack/icepack-postgres-5c8d7f9b4 status.replicas",
                                       "expected the number of its pods (0: none), actual 1")},
    "namespace-empty": {DERIVE: ("not found",), TWICE: ("not found",)},
    # a Deployment with the release's labels that no ReplicaSet was ever made from
    "stray-deployment-with-release-labels": {DERIVE: ("Deployment icepack/icepack-api-debug its current ReplicaSet",
                                                      "exactly one ReplicaSet of revision", "actual none")},
    # paused by hand: a field the manifest leaves out, live other than Kubernetes' default (release vs live's rule)
    "api-rollout-paused": {RELEASE_FIELDS: ("Deployment icepack-api spec.paused", "expected absent, actual True")},
}
DECLARED[:] = [dataclasses.replace(d, fails={**d.fails, **DERIVATION_ALSO_FAILS.get(d.drift, {})}) for d in DECLARED]
EQUIVALENT[:] = [dataclasses.replace(d, judged_by=d.judged_by + DERIVATION_ALSO_JUDGES.get(d.drift, ()))
                 for d in EQUIVALENT]
# --- the recorded value rules, media types and shapes (drifts in drifts/data_invariants.py) ---
VALUES = C + "test_schema.py::test_values_match_the_baseline"
SERVICE_VALUES = C + "test_schema.py::test_service_values_match_the_baseline"
MEDIA = C + "test_schema.py::test_media_types_match_the_baseline"
ROW_VALUES = D + "test_baseline.py::test_newest_rows_match_the_baseline"
DECLARED += [
    Declared("recommendation-without-the-actions-its-health-asks", {VALUES: (
        "GET /tables/analytics/events/maintenance/recommendation recommended_actions",
        "expected not empty where health.health_status is 'degraded'", "actual '0 items'",
        "value rules of the OpenAPI baseline tests/contracts/baselines/local.json")}),
    Declared("readyz-status-a-foreign-word", {SERVICE_VALUES: ("GET /readyz (values)", "status", "expected one of 'ready'",
                                                               "actual 'analytics'")}),
    Declared("status-served-as-problem-json", {MEDIA: (
        "GET /tables/sales/orders/status 200 Content-Type", "expected application/json",
        "actual 'application/problem+json'", "OpenAPI baseline tests/contracts/baselines/local.json")}),
    Declared("jobs-finished-at-without-zone", {SHAPES: (
        "column public.maintenance_jobs.finished_at", "expected timestamp with time zone",
        "actual timestamp without time zone", "database baseline tests/data/baselines/local.database.json")}),
    Declared("an-untracked-reads-table-with-no-partitions", {ROW_VALUES: (
        "table_status_snapshots analytics.sessions payload.partitions.partition_count", "expected more than 0",
        "actual 0", "learned from a day of table_status_snapshots rows")}),
]
# Existing drifts the value rules and media types also see: a value no healthy answer held, an answer announced
# as another type than its operation documents.
DATASURV_ALSO_FAILS: dict[str, dict[str, tuple[str, ...]]] = {
    "status-served-as-text-plain": {MEDIA: ("GET /tables/sales/orders/status 200 Content-Type", "actual 'text/plain'")},
    "drain-route-served-as-html": {MEDIA: ("GET /admin/drain 200 Content-Type", "actual 'text/html'")},
    "one-table-negative-collection-duration": {VALUES: ("GET /tables/sales/orders/health collection.duration_ms",
                                                        "expected 0 or more", "actual -1")},
    "one-table-source-lacks-metadata-location": {VALUES: ("GET /tables/sales/orders/status source.metadata_location",
                                                          "expected present")},
    "snapshot-clock-skew": {VALUES: ("evidence.status_age_seconds", "expected 0 or more")},
}
DECLARED[:] = [dataclasses.replace(d, fails={**d.fails, **DATASURV_ALSO_FAILS.get(d.drift, {})}) for d in DECLARED]
# Equal forms of existing probes the value rules, media types and shapes must take as healthy too.
DATASURV_ALSO_JUDGES = {"timestamps-with-z": (VALUES,), "timestamps-in-another-offset": (VALUES,),
                        "answers-gzip-compressed": (VALUES, SERVICE_VALUES, MEDIA),
                        "snapshot-tables-behind-plain-views": (SHAPES, ROW_VALUES),
                        "snapshot-rows-written-twice": (ROW_VALUES,), "a-newly-tracked-table": (ROW_VALUES,),
                        "suite-role-with-session-settings": (SHAPES, ROW_VALUES)}
EQUIVALENT[:] = [dataclasses.replace(d, judged_by=d.judged_by + DATASURV_ALSO_JUDGES.get(d.drift, ()))
                 for d in EQUIVALENT]
# --- the generic rules over every object the suite reads (issue 20; drifts and probes in
# drifts/kube_generic.py): no time ahead (an adopted pod older than its owner is healthy), owners named by a served apiVersion (nodes
# walked too), a ReplicaSet's selector its Deployment's plus the hash, a running pod's kubelet fields, node
# quantities and pod room, finalizers a known controller handles.
DECLARED += [
    Declared("health-sync-last-schedule-ahead", {LIVE: (
        "CronJob icepack/icepack-health-sync status.lastScheduleTime", "expected a time not after now + 0:02:00",
        "checks.clock_skew")}),
    Declared("api-node-owner-unserved", {REFS_RESOLVE: (
        "Node/ip-10-40-11-23.ec2.internal metadata.ownerReferences[NodeClaim/icepack-arm64-x7k2p]",
        "expected an owner of a served kind", "actual apiVersion 'karpenter.sh'")}),
    Declared("postgres-replicaset-selector-narrowed", {DERIVE: (
        "ReplicaSet icepack/icepack-postgres-5c8d7f9b4 spec.selector.matchLabels[\"app.kubernetes.io/component\"]",
        "expected 'postgres', actual absent", "Deployment icepack-postgres spec.selector plus pod-template-hash")}),
    Declared("api-pod-running-without-start-time", {LIVE: (
        f"Pod icepack/{API_RS}-x7k2p status.startTime", "actual absent", "the kubelet sets it on every pod it runs")}),
    Declared("api-node-allocatable-pods-negative", {LIVE: (
        "Node ip-10-40-11-23.ec2.internal status.allocatable.pods", "expected 'a quantity, not negative', actual '-1'",
        "expected at least the release pods it hosts (1)")}),
    Declared("postgres-replicaset-unknown-finalizer", {OWNED: (
        "ReplicaSet icepack/icepack-postgres-5c8d7f9b4 metadata.finalizers[backup.example.com/protect]",
        "expected one a known controller handles", "actual 'backup.example.com/protect'")}),
]
EQUIVALENT += [Equivalent("finalizers-of-known-controllers", LIVE, OWNED, REFS_RESOLVE, DERIVE, RELEASE_FIELDS),
               Equivalent("api-pod-adopted-by-a-younger-replicaset", LIVE, OWNED, REFS_RESOLVE, DERIVE)]
# --- webhooks and templates, node ports, objects being deleted, references in status, ready counts (drifts in
# drifts/kube_generic.py). Each is caught by one rule of release vs live, the live state, the
# Helm record, the references walk or the derivation chain; the probe webhook-injected-sidecar (Pods only) passes.
DECLARED += [
    Declared("worker-template-env-added-live", {RELEASE_FIELDS: (
        "ScaledJob icepack-worker spec.jobTargetRef.template.spec.containers[worker].env[ICEPACK_DEBUG]",
        "expected absent", '"name":"ICEPACK_DEBUG"', HAND)}),
    Declared("postgres-service-node-port", {RELEASE_FIELDS: (
        "Service icepack-postgres spec.ports[postgres].nodePort", "expected absent, actual 31432", HAND)}),
    Declared("api-node-being-deleted", {LIVE: (
        "Node ip-10-40-11-23.ec2.internal metadata.deletionTimestamp", "expected 'absent (not being deleted)'",
        "being deleted, held by finalizers ['karpenter.sh/termination']")}),
    Declared("release-record-being-deleted", {CHART_AND_HISTORY: (
        "Secret sh.helm.release.v1.icepack.v7 metadata.deletionTimestamp", "expected 'absent (not being deleted)'",
        "being deleted", "Helm 3 secrets storage"),
        # the finalizer holding it is judged too, as on every release object (a Helm record carries none)
        OWNED: ("Secret icepack/sh.helm.release.v1.icepack.v7 metadata.finalizers[cleanup.example.com/hold]",
                "actual 'cleanup.example.com/hold'")}),
    Declared("orchestrator-active-job-gone", {REFS_RESOLVE: (
        "CronJob/icepack-orchestrator status.active[icepack-orchestrator-29400000]",
        "expected an existing Job of this CronJob, same uid", "no Job icepack-orchestrator-29400000")}),
    Declared("postgres-replicaset-counts-no-ready-pod", {DERIVE: (
        "ReplicaSet icepack/icepack-postgres-5c8d7f9b4 status.readyReplicas",
        "expected the number of its ready pods (1: icepack-postgres-5c8d7f9b4-q2w7e), actual 0",
        "status.availableReplicas", "Deployment icepack/icepack-postgres status.availableReplicas",
        "the deployment controller sums its ReplicaSets' counts")}),
]
# --- bookkeeping of the release's objects (issue 20; tests/infra/test_bookkeeping.py, release vs
# live's metadata domains, finalizers on the Helm records; drifts and probes in drifts/bookkeeping.py) -------------
BOOK = I + "test_bookkeeping.py::"
CREATED = BOOK + "test_release_objects_were_created_by_the_release"
IDENTITY = BOOK + "test_events_name_the_live_objects"
TRAFFIC = BOOK + "test_services_send_traffic_to_their_ready_pods"
DECLARED += [
    Declared("api-service-annotated-by-hand", {RELEASE_FIELDS: (
        'Service icepack-api metadata.annotations["ops.example.com/owner"]', "expected absent", "'data-platform'",
        "in no controller's domain", HAND)}),
    Declared("api-service-recreated-by-hand", {CREATED: (
        "Service icepack/icepack-api metadata.creationTimestamp", "expected no later than",
        "+ 0:05:00 (created by the apply of icepack/icepack revision 7, status deployed)", "info.last_deployed",
        "checks.release_apply_window")}),
    Declared("health-sync-uid-not-the-one-events-name", {IDENTITY: (
        "CronJob icepack/icepack-health-sync metadata.uid", "(SawCompletedJob) names",
        "after this object's creationTimestamp", "Event involvedObject.uid, reported by cronjob-controller")}),
    Declared("api-pod-ip-not-where-traffic-goes", {TRAFFIC: (
        "Service icepack/icepack-api EndpointSlice icepack-api-16143 endpoints[icepack-api-7d9f8c6b5-x7k2p] addresses",
        "expected ['10.40.12.250'], actual ['10.40.12.101']", "Pod icepack-api-7d9f8c6b5-x7k2p status.podIP")}),
    Declared("release-record-unknown-finalizer", {OWNED: (
        "Secret icepack/sh.helm.release.v1.icepack.v7 metadata.finalizers[backup.example.com/protect]",
        "expected one a known controller handles", "actual 'backup.example.com/protect'")}),
]
BOOK_ALSO_FAILS = {
    "namespace-empty": {CREATED: ("not found",)},  # no release record in the namespace: nothing to judge the times against
    # KEDA's pause annotation only live: a key outside the controllers' domains (an operational one: tier 0 there)
    "worker-scaledjob-paused": {RELEASE_FIELDS: (
        'ScaledJob icepack-worker metadata.annotations["autoscaling.keda.sh/paused"]', "expected absent", "'true'"),
        LIVE: ("ScaledJob icepack/icepack-worker status.conditions[Paused].status", "expected 'False' or 'Unknown'",
               "actual 'True' (ScaledJobPaused ScaledJob is paused)")},
}
DECLARED[:] = [dataclasses.replace(d, fails={**d.fails, **BOOK_ALSO_FAILS.get(d.drift, {})}) for d in DECLARED]
EQUIVALENT += [Equivalent("controller-metadata-on-release-objects", RELEASE_FIELDS, OWNED),
               Equivalent("release-objects-created-around-the-apply", CREATED, IDENTITY, RELEASE_FIELDS),
               Equivalent("api-endpoints-in-two-slices", TRAFFIC, OWNED, REFS_RESOLVE, RELEASE_FIELDS),
               Equivalent("api-pod-ready-seconds-ago-not-yet-listed", TRAFFIC, LIVE, OWNED, REFS_RESOLVE),
               Equivalent("foreign-secret-with-a-finalizer", OWNED, CREATED, IDENTITY)]
# --- what a CronJob's and a Deployment's spec and status mean (drifts and probes in
# drifts/kube_spec.py): a field left out live is its Kubernetes default, a schedule is read in its zone (the
# controller's, checks.controller_time_zone, when it names none; '' is none), lastScheduleTime is a fire instant.
DECLARED += [
    Declared("orchestrator-last-scheduled-between-fires", {DERIVE: (
        "CronJob icepack/icepack-orchestrator status.lastScheduleTime", "expected an instant '0 */2 * * *' fires "
        "(spec.timeZone Etc/UTC)", "not one (its fires around it:", "the scheduled time of its last run")}),
    Declared("orchestrator-time-zone-empty", {
        CRON + "test_cronjob_spec": ("CronJob icepack/icepack-orchestrator", "spec.timeZone: expected absent (the "
                                     "controller's zone) or a tz database name, actual ''", "the API server refuses"),
        RELEASE_FIELDS: ("CronJob icepack-orchestrator spec.schedule (in spec.timeZone)", "in Etc/UTC", "in ''",
                         "spec.timeZone '' is no time zone: the API server refuses it", HAND)}),
]
EQUIVALENT += [
    Equivalent("orchestrator-same-fires-in-kolkata-time", DERIVE, RELEASE_FIELDS, CRON + "test_cronjob_spec",
               CRON + "test_cronjob_recent_success"),
    Equivalent("rendered-defaults-left-out-live", RELEASE_FIELDS, DERIVE, API + "test_api_deployment_spec",
               CRON + "test_cronjob_spec", CRON + "test_cronjob_suspension_matches_phase"),
]
EQUIVALENT[:] = [dataclasses.replace(d, judged_by=d.judged_by + (DERIVE,))
                 if d.drift in ("health-sync-in-kolkata-time", "cronjobs-without-time-zone") else d for d in EQUIVALENT]
# --- the suite's role as a whole, and framing lies as findings (drifts in drifts/data_generic.py
# and drifts/framing.py). The role: its whole membership closure against data.suite_role_memberships, its
# VALID UNTIL (past fails, within data.suite_role_expiry_warning warns), its role settings against
# data.suite_role_denied_settings, and SELECT on the snapshot tables the document names with its login accepted.
# A Content-Encoding the body does not have is a finding of every test reading that answer (api.Misframed).
ROLE_ONLY_READS = D + "test_role.py::test_suite_role_can_only_read"
ROLE_AGREED = D + "test_role.py::test_suite_role_credential_is_as_agreed"
ROLE_READS = D + "test_role.py::test_suite_role_can_read_the_snapshot_tables"
MISFRAMED = ("GET /tables/sales/orders/status answered Content-Encoding: gzip over a body that does not decode so",
             "the body is uncompressed JSON", "the framing lies about the body")
DECLARED += [
    Declared("suite-role-reads-every-table", {ROLE_ONLY_READS: (
        "member of pg_read_all_data, which data.suite_role_memberships does not allow (rds_iam)",
        "REVOKE pg_read_all_data FROM icepack_reader", LEAST)}),
    Declared("suite-role-password-expired", {ROLE_AGREED: (
        "VALID UNTIL", "expected in the future (or none)", "actual '2000-01-01T00:00:00+00:00'",
        "PostgreSQL CREATE ROLE", "ALTER ROLE <role> VALID UNTIL")}),
    Declared("suite-role-expires-in-three-days", {}, warns=(
        "CredentialExpiring", "the role's password expires in 2 days", "within data.suite_role_expiry_warning (14 days")),
    Declared("suite-role-idle-session-timeout", {ROLE_AGREED: (
        "setting idle_session_timeout", "expected not set on the role (data.suite_role_denied_settings",
        "actual '5min'",
        "ALTER ROLE <role> RESET idle_session_timeout")}),
    Declared("suite-role-cannot-read-the-health-table", {ROLE_READS: (
        "SELECT on table_health_snapshots", "expected held (the suite reads it), actual not held",
        "GRANT SELECT ON table_health_snapshots")}, alone=True),
    Declared("status-declares-gzip-uncompressed", {
        test: MISFRAMED for test in (KEYS, TYPES, AGREE, SCHEMA, VALUES, AGREES)}),
]
EQUIVALENT += [Equivalent("suite-role-valid-for-a-year", ROLE_ONLY_READS, ROLE_AGREED, ROLE_READS),
               # every database test runs and passes: the role's 'infinity' is read, not a traceback
               Equivalent("suite-role-valid-until-infinity", ROLE_ONLY_READS, ROLE_AGREED, ROLE_READS, AGREES, FRESH,
                          PER_TABLE, CADENCE, D + "test_steps.py::test_status_rows_follow_the_run_before"),
               Equivalent("suite-role-for-rds-iam-and-audited", ROLE_ONLY_READS, ROLE_AGREED, ROLE_READS, AGREES)]
# --- the recommendation told in its own terms (drifts and probe in drifts/recommendation.py):
# its times and ages against the status it names, its actions a set none of which is skipped, the numbers its
# reasons quote, no record twice (test_agreement.py), one name one vocabulary (the baseline schema).
RECOMMENDATION_OF = "read contracts of sales.orders"
DECLARED += [
    Declared("one-table-recommendation-evaluated-before-its-status", {AGREE: (
        RECOMMENDATION_OF, "maintenance/recommendation: evaluated_at: expected 'not before its status_collected_at",
        "(less clock skew 0:02:00)", "before the status it assessed", "an assessment is made of a collected status",
        "[defaults.checks]")}),
    Declared("one-table-recommendation-age-of-a-day-old-status", {AGREE: (
        RECOMMENDATION_OF, "maintenance/recommendation: evidence.status_age_seconds: expected", "(evaluated_at",
        "less status_collected_at", "actual 86463", "[defaults.api.recommendation_age_fields.evidence]")}),
    Declared("one-table-recommends-an-action-twice", {AGREE: (
        RECOMMENDATION_OF, "maintenance/recommendation: recommended_actions[action=expire_snapshots]: expected once "
        "(actions are keyed by action), actual 2 times", "[defaults.api]")}),
    Declared("one-table-skips-a-recommended-action", {AGREE: (
        RECOMMENDATION_OF, "maintenance/recommendation: skip_reasons[0]: expected no reason for skipping a recommended "
        "action (expire_snapshots is in recommended_actions), actual 'expire_snapshots: within policy'")}),
    Declared("one-table-reason-quotes-another-snapshot", {AGREE: (
        RECOMMENDATION_OF, "maintenance/recommendation: recommended_actions[0].reason: expected numbers of the status "
        "it names", "9973 is none of them", "actual '9973 snapshots retained'",
        "a recommendation is made of the status it names"),
        AGREES: ("sales.orders /maintenance/recommendation: recommended_actions[0].reason: expected numbers of the status "
                 "it names (the table_status_snapshots row of 20", "9973 is none of them")},
             alone=True),  # judged through /status and the status rows: a group-mate breaking either hides it
    Declared("one-table-history-lists-a-job-twice", {AGREE: (
        RECOMMENDATION_OF, "maintenance/recommendation: history: expected each record once",
        '"job_id": "5b0e7c1e-0000-4000-8000-000000000011"', "2 times", "a list of records names each once")}),
    Declared("one-table-history-action-is-a-message", {SCHEMA: (
        "GET /tables/sales/orders/maintenance/recommendation", "history[0].action: expected one of 'expire_snapshots'",
        "(what `action` holds where the schema enumerates it), actual 'collector timed out'",
        "OpenAPI baseline tests/contracts/baselines/local.json", "one name, one vocabulary")}),
]
EQUIVALENT += [Equivalent("recommendation-reasons-in-other-words", AGREE, SCHEMA)]
# --- each status row against the run before it (tests/data/test_steps.py, drifts and probes in
# drifts/data_generic.py): the same metadata file holds the same numbers; no amount moves more than data.step_ratio.
STEPS = D + "test_steps.py::test_status_rows_follow_the_run_before"
DECLARED += [
    Declared("partition-count-a-hundredfold", {STEPS: (
        "analytics.events at", "payload.partitions.partition_count", "expected within 50x of 92", "actual 9200",
        "data.step_ratio")}),
]
EQUIVALENT += [Equivalent("a-table-doubles-and-compacts-in-a-run", STEPS, ROW_VALUES, AGREES),
               Equivalent("a-table-compacted-in-a-run", STEPS, ROW_VALUES, AGREES)]
# A health message quotes the numbers of the status it judges, or its own.
QUOTES = D + "test_quotes.py::test_health_messages_quote_the_numbers_they_judge"
DECLARED += [
    Declared("health-message-quotes-another-number", {QUOTES: (
        "sales.orders at", "issues[0].message", "which neither holds", "data.health_based_on_column")}),
    # named to the millisecond, as references.status_row_at resolves it: the status row is still found and judged
    Declared("health-message-misquotes-a-status-named-to-the-millisecond", {QUOTES: (
        "sales.orders at", "issues[0].message", "which neither holds", "data.health_based_on_column")}),
]
EQUIVALENT += [Equivalent("health-message-with-dates-and-versions", QUOTES, ROW_VALUES, AGREES)]

# --- pods against the nodes they run on (drifts and probes in drifts/scheduling.py): a node's
# kubelet labels (arch, os) against what it reports, every hosted pod's nodeSelector and required node affinity
# against its node's labels (live_state.node_findings, judged by the live state test).
DECLARED += [
    Declared("api-node-relabelled", {LIVE: (
        "Node ip-10-40-11-23.ec2.internal metadata.labels['kubernetes.io/arch']", "'arm64' (status.nodeInfo.architecture)",
        "metadata.labels['kubernetes.io/os']", "nodeSelector kubernetes.io/arch=arm64",
        "kubernetes.io/arch=(absent)", "the kubelet admits it by them again when it restarts")}),
]
DECLARED += [Declared("api-node-not-a-cloud-instance", {LIVE: (
    "Node ip-10-40-11-23.ec2.internal spec.providerID", "expected an instance of the cloud (aws:///*)", "actual absent",
    "checks.node_provider_id")})]
EQUIVALENT += [Equivalent("api-selects-nodes-by-ored-terms", LIVE, DERIVE, RELEASE_FIELDS,
                          NS + "test_workloads_select_the_expected_arch", API + "test_api_deployment_spec")]
# A node hosting release pods closed to them since they were placed: cordoned, or tainted by what they do not tolerate.
DECLARED += [
    Declared("api-node-cordoned", {LIVE: (
        "Node ip-10-40-11-23.ec2.internal spec.unschedulable", "expected false: it hosts icepack-api-", "actual True",
        "kubectl uncordon")}),
    Declared("api-node-disrupted-by-karpenter", {LIVE: (
        "Node ip-10-40-11-23.ec2.internal spec.taints[karpenter.sh/disrupted:NoSchedule]",
        "a taint Pod icepack-api-", "not tolerated (added 20", "NoSchedule keeps a restarted or replacement pod away",
        "kubectl taint node ip-10-40-11-23.ec2.internal karpenter.sh/disrupted:NoSchedule-")}),
    Declared("api-node-out-of-service", {LIVE: (
        "spec.taints[node.kubernetes.io/out-of-service=nodeshutdown:NoExecute]",
        "NoExecute evicts every pod that does not tolerate it")}),
    Declared("api-node-hostname-address-empty", {LIVE: (
        "Node ip-10-40-11-23.ec2.internal status.addresses[Hostname]", "a non-empty address of a known type",
        "actual ''")}),
]
# --- what a kubelet reports of its pods and its node, against their specs and each other (pod_status.py)
POD_X7 = "Pod icepack/icepack-api-7d9f8c6b5-x7k2p "
NODE_11 = "Node ip-10-40-11-23.ec2.internal "
DECLARED += [
    Declared("api-tag-pushed-again-between-pulls", {LIVE: (
        "ReplicaSet icepack-api-7d9f8c6b5 in icepack pods' containers[api] imageID", "expected one digest for "
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/icepack:2f9c1e7", "sha256:5e5e", "(icepack-api-7d9f8c6b5-m4q9w)",
        "pushed again between the pulls")}),
    Declared("api-pod-marked-node-lost", {LIVE: (
        POD_X7 + "status.reason: expected none on a running pod, actual 'NodeLost'", POD_X7 + "status.message")}),
    Declared("api-pod-qos-class-of-other-resources", {LIVE: (
        POD_X7 + "status.qosClass: expected Burstable (derived from its containers' requests and limits)",
        "actual 'BestEffort'")}),
    Declared("api-container-started-after-ready", {LIVE: (
        POD_X7 + "status.containerStatuses[api].state.running.startedAt: expected not after "
        "conditions[ContainersReady].lastTransitionTime", "a container is ready after it starts")}),
    Declared("api-pod-init-container-unreported", {LIVE: (
        POD_X7 + "status.initContainerStatuses: expected one per container of spec.initContainers: ['istio-init']",
        "actual []")}),
    Declared("api-container-running-and-waiting", {LIVE: (
        POD_X7 + "status.containerStatuses[api].state: expected one of running, terminated, waiting",
        "actual running, waiting"), API + "test_api_pods_healthy": ("CrashLoopBackOff",)}),
    Declared("api-pod-ips-disagree", {LIVE: (
        POD_X7 + "status.podIPs: expected addresses, the first its podIP '10.40.12.101'", "{'ip': '10.40.99.7'}")}),
    Declared("api-node-without-pressure-conditions", {LIVE: (
        NODE_11 + "status.conditions[MemoryPressure]: expected 'False', actual 'absent'",
        NODE_11 + "status.conditions[DiskPressure]", NODE_11 + "status.conditions[PIDPressure]")}),
    Declared("api-node-allocates-no-pods", {LIVE: (
        NODE_11 + "status.allocatable.pods: expected at least the release pods it hosts (1)", "actual absent")}),
]
RS_API = "ReplicaSet icepack/icepack-api-7d9f8c6b5 "
DECLARED += [  # what the deployment and ReplicaSet controllers copy and count (derivation.py), owner kinds (object_refs.py)
    Declared("api-pod-owner-kind-misspelled", {REFS_RESOLVE: (
        "Pod/icepack-api-7d9f8c6b5-m4q9w metadata.ownerReferences[Replicaset/icepack-api-7d9f8c6b5]: expected an "
        "owner of a kind apps/v1 serves", "actual kind 'Replicaset'")}),
    Declared("api-replicaset-controller-stalled", {DERIVE: (
        RS_API + "status.observedGeneration: expected 2 (metadata.generation", "actual 1")}),
    Declared("api-replicaset-edited", {DERIVE: (
        RS_API + "metadata.labels: expected", "'pod-template-hash': '7d9f8c6b5'", "'pod-template-hash': '5f7c9d8b6'",
        RS_API + "spec.minReadySeconds: expected 0, actual 30", "Deployment icepack-api spec.minReadySeconds")}),
    Declared("api-replicaset-counts-stale", {DERIVE: (
        RS_API + "metadata.annotations['deployment.kubernetes.io/desired-replicas']: expected '2', actual '3'",
        RS_API + "status.fullyLabeledReplicas: expected the number of its fullyLabeled pods (2", "actual 0")}),
]
DECLARED += [  # Secrets compared redacted (redaction.redacted_secret); any kind's conditions judged as conditions
    Declared("db-secret-copied-with-release-labels", {RELEASE_OBJECTS: (
        "Secret icepack-db-backup: expected not in the manifest, actual present, labelled app.kubernetes.io/instance=icepack",)}),
    Declared("db-secret-made-immutable", {RELEASE_FIELDS: ("Secret icepack-db immutable: expected absent, actual True",)}),
    Declared("api-service-condition-malformed", {LIVE: (
        "Service icepack/icepack-api status.conditions[LoadBalancerPortsError].status: expected True, False or Unknown",
        "actual 'Error'")}),
]
DECLARED += [  # every status row of the judged history assessed; no time in a status payload after its collection
    Declared("a-run-left-one-table-unassessed", {AGREES: (
        "sales.refunds status collected at 20", "expected named by a table_health_snapshots row of sales.refunds "
        "(its assessment), actual none names it", "health-sync writes a status and its assessment in one run")}),
    Declared("assessments-lost-behind-the-newest-run", {AGREES: (
        "analytics.events status collected at 20", "expected named by a table_health_snapshots row of analytics.events",
        "ops.job_runs status collected at 20")}),
    Declared("status-snapshot-time-ahead-of-its-collection", {D + "test_steps.py::test_status_rows_hold_no_time_after_their_collection": (
        "ops.audit_log at 20", "payload.snapshot.current_snapshot_at: expected not after",
        "(what a collection reads had happened by then)")}),
]
EQUIVALENT += [Equivalent("api-node-taints-its-pods-tolerate", LIVE, DERIVE, RELEASE_FIELDS,
                          API + "test_api_deployment_spec")]
# A pod selecting amd64 on an arm64 node no longer matches the node it runs on.
DECLARED[:] = [dataclasses.replace(d, fails={**d.fails, LIVE: (
    "metadata.labels", "nodeSelector kubernetes.io/arch=amd64", "kubernetes.io/arch=arm64")})
    if d.drift == "api-amd64-selector" else d for d in DECLARED]
# Identities unique across the objects of a kind (tests/infra/test_identities.py, icepack_verify.identities).
IDENTITIES = I + "test_identities.py::test_identities_are_held_by_one_object_each"
DECLARED += [Declared("node-registered-twice", {IDENTITIES: (
    "Node spec.providerID aws:///", "Node status.addresses[InternalIP] 10.40.11.23", "expected held by one object",
    "held by 2: ip-10-40-11-23.ec2.internal, ip-10-40-11-23.us-east-1.compute.internal", "the cloud provider")})]
EQUIVALENT += [Equivalent("finished-pod-shares-an-address", IDENTITIES, LIVE, OWNED, DERIVE, TWICE, REFS_RESOLVE),
               Equivalent("finished-pods-beyond-allocatable", LIVE, OWNED, DERIVE, TWICE, REFS_RESOLVE)]
# A Pod differs from its template only by what admission webhooks are known to inject (checks.injected_env,
# checks.injected_volumes; derivation.Injected).
DECLARED += [Declared("unknown-webhook-injects-a-proxy", {DERIVE: (
    "Pod icepack/icepack-api-7d9f8c6b5-", "spec.containers[api].env[HTTPS_PROXY]", "spec.volumes: expected absent",
    "spec.containers[api].volumeMounts: expected absent", "'proxy-ca'", "checks.injected_env")})]
# --- status bookkeeping (tests/infra/test_live_state.py, drifts and probes in drifts/live.py):
# the times inside an object in causal order (live_state.order_findings), a claim as its controllers leave it
# settled (live_state._claim_bookkeeping), KEDA's lastActiveTime while Active (live_state.scaledjob_findings).
DECLARED += [
    Declared("api-container-started-before-its-pod", {LIVE: (
        "Pod icepack/icepack-api-7d9f8c6b5-x7k2p status.containerStatuses[api].state.running.startedAt",
        "expected not before metadata.creationTimestamp", "in the order it happens")}),
    Declared("postgres-claim-resize-infeasible", {LIVE: (
        "PersistentVolumeClaim icepack/icepack-postgres status.allocatedResourceStatuses",
        "expected absent (no resize pending or failed)", "ControllerResizeInfeasible")}),
    Declared("postgres-claim-on-a-read-only-volume", {LIVE: (
        "PersistentVolumeClaim icepack/icepack-postgres status.accessModes", "holding spec.accessModes",
        "actual ['ReadOnlyMany']")}),
    Declared("worker-scaledjob-active-without-last-active-time", {LIVE: (
        "ScaledJob icepack/icepack-worker status.lastActiveTime", "it is Active", "actual absent")}),
]
EQUIVALENT += [Equivalent("postgres-restarted-once-in-order", LIVE, OWNED, WARNINGS),
               Equivalent("api-restarted-from-a-clock-ahead", LIVE, OWNED, DERIVE, RELEASE_FIELDS, REFS_RESOLVE),
               Equivalent("postgres-claim-resized-and-settled", LIVE)]
# No observedGeneration is ahead of the generation it observes (live_state order_findings).
DECLARED += [Declared("postgres-observed-generation-ahead", {LIVE: (
    "Deployment icepack/icepack-postgres", "status.observedGeneration: expected not after metadata.generation 1",
    "actual 2", "a controller reports the one it has acted on")})]
# KEDA's conditions that apply only when something is wrong: a trigger falling back (Paused: worker-scaledjob-paused).
DECLARED += [Declared("worker-scaledjob-in-fallback", {LIVE: (
    "ScaledJob icepack/icepack-worker status.conditions[Fallback].status", "expected 'False' or 'Unknown'",
    "actual 'True' (FallbackExists At least one trigger is falling back")})]
