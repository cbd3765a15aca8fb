"""Contract drifts: the split read contracts gone wrong, caught by the suite's tests/contracts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icepack_twin.behaviour import Behaviour
from icepack_twin.drifts.base import DriftList, switch

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
