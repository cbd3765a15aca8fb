"""icepack-verify: post-deploy verification and contract tests for Icepack environments.

The suite (tests/) imports from here and nowhere else in the package. Names load on first
use, so `import icepack_verify` stays cheap and each suite pays only for the clients it
uses (httpx, psycopg, the kubernetes client, Schemathesis).

Fixtures the plugin provides: environment, expect, phase, diagnose, api, cluster,
objects, database; `table` and `endpoint` parametrize over the known tables and the
split read contracts.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    # failures
    "Diagnosis": "diagnosis", "Said": "diagnosis", "Warned": "diagnosis",
    "ConfigError": "errors", "Problem": "errors", "Unreachable": "errors", "NotFound": "errors", "Misframed": "errors",
    # the split read contracts
    "CONTRACT_SOURCE": "contract", "ENDPOINTS": "contract", "SPLIT_READ_CONTRACTS": "contract",
    "endpoint_path": "contract", "key_diff": "contract", "route": "contract", "contract_template": "contract",
    "check_agreement": "table_contract", "check_evidence": "table_contract", "check_keys": "table_contract", "check_types": "table_contract",
    "Contracts": "fleet", "Findings": "fleet", "Tracked": "fleet", "tracked_tables": "fleet",
    "MODELS": "models", "aware_timestamp": "models", "table_id": "models", "timestamp_fields": "models",
    "removals": "openapi_surface", "surface": "openapi_surface", "response_schemas": "openapi_surface",
    "Baseline": "openapi_surface", "read_baseline": "openapi_surface", "record_baseline": "openapi_surface",
    "BodySchemas": "body_schema", "learn": "value_profile", "violations": "value_profile",
    "enum_paths": "value_profile", "pooled": "value_profile",
    "relation_shapes": "data_baseline", "shape_differences": "data_baseline", "row_observations": "data_baseline",
    "record_database_baseline": "data_baseline", "read_database_baseline": "data_baseline", "collected_near": "references", "resolves": "references", "status_row_at": "references", "PRECISION": "references",
    "newest_rows": "references", "served_values": "references", "differences": "references",
    "record_baseline_command": "cli",
    "check_get_operations": "schemathesis_adapter", "openapi_schema_for": "schemathesis_adapter",
    # the API
    "describe": "api", "ApiClient": "api",
    "is_drain_answer": "jobs", "submission": "jobs", "submit_exactly_once": "jobs",
    # the cluster
    "ROWS": "inventory", "INVENTORY": "inventory", "KINDS": "cluster", "ClusterSnapshot": "cluster",
    "BadRelease": "helm", "chart_version": "helm", "chart_yaml_version": "helm", "decode_release": "helm", "newest_release": "helm",
    "release_status": "helm", "release_values": "helm", "value_at": "helm",
    "BadManifest": "release_diff", "comparable_kinds": "release_diff", "comparable_live": "release_diff", "diff_release": "release_diff",
    "manifest_objects": "release_diff", "walk_references": "object_refs",
    # two environments side by side (--compare-with)
    "DECLARED_BY": "compare", "Declarations": "compare", "Difference": "compare", "leaves": "compare",
    "object_view": "compare", "server_set": "compare",
    "Chains": "derivation", "Injected": "derivation", "duplicates": "derivation",
    "UNIQUE_IDENTITIES": "identities", "duplicate_identities": "identities",
    "created_after_release": "bookkeeping", "endpoint_findings": "bookkeeping", "event_identity_findings": "bookkeeping",
    # live state, Helm history and the framing of every answer
    "COMPLETED_POD_CONDITIONS": "live_state",
    "HEALTHY_CONDITIONS": "live_state",
    "WRONG_NOW": "live_state",
    "Release": "live_state",
    "condition_findings": "live_state",
    "deletion_findings": "live_state",
    "finalizer_findings": "live_state",
    "finished_pod": "live_state",
    "future_findings": "live_state",
    "order_findings": "live_state",
    "scaledjob_findings": "live_state",
    "deployment_findings": "live_state",
    "node_findings": "live_state",
    "owner_findings": "live_state",
    "pod_findings": "live_state",
    "container_status_findings": "pod_status", "digest_findings": "pod_status",
    "pvc_findings": "live_state",
    "rollout_complete": "live_state",
    "wrong_now": "live_state",
    "history_findings": "live_state",
    # the Helm release record as a whole (its values, chart, times and rollback target)
    "GET_VALUES": "helm_record", "deployed_secret_findings": "helm_record", "chart_label_findings": "helm_record", "inventory_findings": "helm_record",
    "manifest_docs": "helm_record", "rollback_target_findings": "helm_record", "time_findings": "helm_record",
    "unmapped": "helm_record", "values_findings": "helm_record",
    "record_deletion_findings": "helm_record",
    "conclude": "framing", "read_as_json": "framing",
    # equality that means what operators mean
    "allowed_arches": "semantics", "describe_arches": "semantics", "includes": "semantics", "instant": "semantics",
    "utc_instant": "semantics",
    "json_media_type": "semantics", "node_arch": "semantics", "only_arch": "semantics", "tls_ports": "semantics",
    # ... each family after its reference implementation
    "arn_problems": "arns", "parse_arn": "arns",
    "ecr_registry": "image_references", "image_tag": "image_references", "parse_image": "image_references",
    "same_image": "image_references",
    "effective_resources": "quantities", "quantity": "quantities", "same_quantity": "quantities",
    "interval": "cron_schedules", "next_fires": "cron_schedules", "previous_fire": "cron_schedules",
    "same_schedule": "cron_schedules", "valid_schedule": "cron_schedules", "zone": "cron_schedules",
    "Change": "breaking_changes", "breaking_changes": "breaking_changes",
    # the snapshot tables
    "Outcome": "freshness", "Thresholds": "freshness", "newest_row": "freshness",
    "newest_per_table": "freshness", "TRACKED_WITHIN": "freshness", "event_line": "inventory", "newest_status": "freshness", "table_counts": "freshness",
    "excess_privileges": "database", "relation_kinds": "database",
    "unagreed_settings": "database", "missing_reads": "database", "run_gaps": "freshness", "recent_steps": "row_steps", "times_ahead": "row_steps", "unassessed_statuses": "references", "newest_misquotes": "row_quotes", "report_misquote": "quoted_numbers", "dangling_assessments": "references", "stale_assessments": "references",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'icepack_verify' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"icepack_verify.{_EXPORTS[name]}"), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value
