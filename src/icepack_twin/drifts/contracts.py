"""Contract drifts: the split read contracts gone wrong, caught by the suite's tests/contracts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from icepack_twin.behaviour import Behaviour
from icepack_twin.drifts.base import DriftList, switch
from icepack_twin.store import split_table, status_payload

DRIFTS = DriftList("contracts")



DRIFTS.add("tracked-table-lacks-partitions", "/status of ops.job_runs, tracked but no environment's known table, lacks "
           "`partitions` (an unpartitioned table): only --all-tables looks at it",
           behaviour=switch(table_drop_keys={"ops.job_runs": {"status": {"partitions"}}}))
DRIFTS.add("tracked-table-health-names-another", "/health of sales.refunds, tracked but no environment's known "
           "table, names sales.refunds_v0: only --all-tables looks at it",
           behaviour=switch(table_overrides={"sales.refunds": {"health": {
               "table": {"database": "sales", "name": "refunds_v0"}}}}))
DRIFTS.add("status-missing-key", "/status lost its `stale` key", behaviour=switch(drop_keys={"status": {"stale"}}))
DRIFTS.add("status-extra-key", "/status grew an undocumented `cache_hit` key",
      behaviour=switch(add_keys={"status": {"cache_hit": True}}))
DRIFTS.add("status-renamed-key", "/status renamed `stale` to `staleness`",
      behaviour=switch(rename_keys={"status": {"stale": "staleness"}}))
DRIFTS.add("stale-as-string", "/status serves `stale` as the string \"false\"",
      behaviour=switch(override_values={"status": {"stale": "false"}}))
DRIFTS.add("naive-timestamps", "timestamps rendered without a time zone",
      behaviour=switch(naive_timestamps=True))
DRIFTS.add("table-mismatch", "/health names another table than the one requested",
      behaviour=switch(override_values={"health": {"table": {"database": "sales", "name": "orders_v0"}}}))
DRIFTS.add("health-based-on-older-status", "/health and the recommendation assess a status 45 min (3 health-sync intervals) older than /status serves",
      behaviour=switch(health_status_lag=timedelta(minutes=45)))
DRIFTS.add("unknown-table-500", "an unknown table crashes the handler: 500",
      behaviour=switch(unknown_table="500"))
DRIFTS.add("unknown-table-html", "an unknown table kills the pod: the load balancer's 502 HTML page",
      behaviour=switch(unknown_table="html"))
DRIFTS.add("openapi-endpoint-removed", "/openapi.json no longer documents the /health endpoint",
      behaviour=switch(openapi_hidden_paths={"/tables/{database}/{table}/health"}))


def _evaluated_in_the_future(b: Behaviour) -> None:
    ahead = datetime.now(timezone.utc) + timedelta(hours=1)  # fixed when the twin is configured: still ahead then
    b.override_values.setdefault("recommendation", {})["evaluated_at"] = ahead


DRIFTS.add("recommendation-from-the-future", "/maintenance/recommendation evaluated_at 1 h ahead (the API pod's clock is off)",
      behaviour=_evaluated_in_the_future)
DRIFTS.add("status-served-as-text-plain", "the read contracts serve their JSON as text/plain", behaviour=switch(json_media_type="text/plain"))
DRIFTS.add("openapi-nested-type-changed", "/openapi.json now types snapshot.snapshot_count as a string",
           behaviour=switch(openapi_retyped={"Snapshot.snapshot_count": "string"}))
DRIFTS.add("one-table-status-slow", "GET /tables/sales/orders/status takes 3.2 s (past the 3 s budget)",
           behaviour=switch(slow={"sales.orders": 3.2}))
DRIFTS.add("health-assessed-from-stale-status", "/health and the recommendation, made after the newest status, "
           "assess one 10 min older (inside a health-sync interval)", behaviour=switch(health_status_lag=timedelta(minutes=10)))


# --- bodies against the baseline's full schema, and values defined by another (tests/contracts/test_schema.py,
# test_agreement.py). One known table that is not the served spec's example (Schemathesis never reads it), so
# only the recorded schema or the recomputed value catches these.
ONE_TABLE = "sales.orders"


def one_table(endpoint: str, edit: Callable[[dict], dict], still: bool = True) -> Callable[[Behaviour], None]:
    """A behaviour edit overriding top-level keys of ONE_TABLE's endpoint with edit(its healthy status payload).
    `still`: health-sync paused while it is judged, so that every test reads the rows the bodies were edited
    against (a run between two tests' reads leaves one of them another row to compare, or nothing to judge)."""
    def apply(b: Behaviour) -> None:
        payload = status_payload(*split_table(ONE_TABLE), datetime.now(timezone.utc))
        b.table_overrides.setdefault(ONE_TABLE, {}).setdefault(endpoint, {}).update(edit(payload))
        if still:
            b.health_sync_running = False
    return apply


DRIFTS.add("one-table-partition-count-as-string", f"/status of {ONE_TABLE} serves partitions.partition_count as a "
           "string (a collector that quotes its numbers)", behaviour=one_table("status", lambda p: {"partitions": {
               **p["partitions"], "partition_count": str(p["partitions"]["partition_count"])}}))
DRIFTS.add("one-table-health-status-outside-enum", f"/health of {ONE_TABLE} says health_status 'warning', a word "
           "the schema's enum does not have", behaviour=one_table("health", lambda p: {"health_status": "warning"}))
DRIFTS.add("one-table-history-times-in-postgres-text", f"the recommendation of {ONE_TABLE} lists a job whose "
           "times are Postgres' text form ('2026-11-29 16:20:00+00'), not RFC 3339",
           behaviour=one_table("recommendation", lambda p: {"history": [{
               "job_id": "5b0e7c1e-0000-4000-8000-000000000001", "action": "expire_snapshots", "state": "succeeded",
               "dry_run": True, "submitted_at": "2026-11-29 16:20:00+00", "finished_at": "2026-11-29 16:21:07+00"}]}))
DRIFTS.add("one-table-negative-collection-duration", f"/health of {ONE_TABLE} reports collection.duration_ms -1 "
           "(a clock stepped back during the run)", behaviour=one_table("health", lambda p: {"collection": {
               **p["collection"], "duration_ms": -1}}))
DRIFTS.add("one-table-source-lacks-metadata-location", f"/status of {ONE_TABLE} serves a source without its "
           "required metadata_location", behaviour=one_table("status", lambda p: {"source": {
               k: v for k, v in p["source"].items() if k != "metadata_location"}}))
DRIFTS.add("one-table-issues-as-codes", f"/health of {ONE_TABLE} lists its issues as bare codes, not objects",
           behaviour=one_table("health", lambda p: {"issues": ["too_many_snapshots"]}))


def _retyped_with_its_bodies(b: Behaviour) -> None:
    b.openapi_retyped["Partitions.partition_count"] = "string"
    b.override_values.setdefault("status", {})["partitions"] = {"partition_count": "212", "spec_id": 0}


DRIFTS.add("openapi-and-bodies-retyped", "partitions.partition_count served as a string, and /openapi.json "
           "retyped to say so: the served spec agrees with its bodies, the recorded baseline does not",
           behaviour=_retyped_with_its_bodies)
DRIFTS.add("one-table-evidence-of-another-status", f"the recommendation of {ONE_TABLE} names the served status "
           "but quotes evidence of an empty one (an evidence cache not refreshed)",
           behaviour=one_table("recommendation", lambda p: {"evidence": {
               "snapshot_count": 0, "small_file_ratio": 0.0, "manifest_count": 0, "data_file_count": 0,
               "status_age_seconds": 0}}))
DRIFTS.add("one-table-stale-while-fresh", f"/status of {ONE_TABLE} says stale: true of the status health-sync "
           "just collected", behaviour=one_table("status", lambda p: {"stale": True}))
DRIFTS.add("assessments-stamp-their-own-clock", "/health and the recommendation name a status_collected_at half a "
           "second before the status they assessed (stamped by the assessing run, not copied from the row): no "
           "status was collected at that instant", behaviour=switch(health_status_lag=timedelta(milliseconds=500)))
