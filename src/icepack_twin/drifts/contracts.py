"""Contract drifts: the split read contracts gone wrong, caught by the suite's tests/contracts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icepack_twin.behaviour import Behaviour
from icepack_twin.drifts import drift


def _switch(**changes):
    def edit(b: Behaviour) -> None:
        for key, value in changes.items():
            setattr(b, key, value)
    return edit


drift("status-missing-key", "contracts", "/status lost its `stale` key", behaviour=_switch(drop_keys={"status": {"stale"}}))
drift("status-extra-key", "contracts", "/status grew an undocumented `cache_hit` key",
      behaviour=_switch(add_keys={"status": {"cache_hit": True}}))
drift("status-renamed-key", "contracts", "/status renamed `stale` to `staleness`",
      behaviour=_switch(rename_keys={"status": {"stale": "staleness"}}))
drift("stale-as-string", "contracts", "/status serves `stale` as the string \"false\"",
      behaviour=_switch(override_values={"status": {"stale": "false"}}))
drift("naive-timestamps", "contracts", "timestamps rendered without a time zone",
      behaviour=_switch(naive_timestamps=True))
drift("table-mismatch", "contracts", "/health names another table than the one requested",
      behaviour=_switch(override_values={"health": {"table": {"database": "sales", "name": "orders_v0"}}}))
drift("health-based-on-older-status", "contracts",
      "/health and the recommendation assess a status 45 min (3 health-sync intervals) older than /status serves",
      behaviour=_switch(health_status_lag=timedelta(minutes=45)))
drift("unknown-table-500", "contracts", "an unknown table crashes the handler: 500",
      behaviour=_switch(unknown_table="500"))
drift("unknown-table-html", "contracts", "an unknown table kills the pod: the load balancer's 502 HTML page",
      behaviour=_switch(unknown_table="html"))
drift("openapi-endpoint-removed", "contracts", "/openapi.json no longer documents the /health endpoint",
      behaviour=_switch(openapi_hidden_paths={"/tables/{database}/{table}/health"}))


def _evaluated_in_the_future(b: Behaviour) -> None:
    ahead = datetime.now(timezone.utc) + timedelta(hours=1)  # fixed when the twin is configured: still ahead then
    b.override_values.setdefault("recommendation", {})["evaluated_at"] = ahead


drift("recommendation-from-the-future", "contracts",
      "/maintenance/recommendation evaluated_at 1 h ahead (the API pod's clock is off)",
      behaviour=_evaluated_in_the_future)
