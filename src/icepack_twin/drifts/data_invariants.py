"""Drifts only the recorded value rules and shapes catch:

* value rules of the answers, learned into the OpenAPI baseline (tests/contracts/test_schema.py);
* the media type the baseline documents for each answer (same file);
* value rules of a day of snapshot rows and every relation's shape, in the database baseline
  (tests/data/test_baseline.py).

Each is the same edit the mutation engine makes (layers body, framing, rows, database), named here.
"""
from __future__ import annotations

from icepack_twin.drifts.base import DriftList
from icepack_twin.drifts.data_generic import STATUS, _answer, _body, _database, _rows
from icepack_twin.drifts.framing import framed

DRIFTS = DriftList("data")


DRIFTS.add("recommendation-without-the-actions-its-health-asks", "the recommendation of analytics.events "
           "recommends nothing while its /health is degraded (the actions of a healthy table served)",
           mutations=(_body("analytics.events", "maintenance/recommendation", ["recommended_actions"], op="set",
                            value=[]),))
DRIFTS.add("readyz-status-a-foreign-word", "/readyz answers 200 with status 'analytics' (not a word it ever said)",
           mutations=(_answer("GET /readyz", ["status"], op="set", value="analytics"),))
DRIFTS.add("status-served-as-problem-json", "/status of sales.orders answers 200 announced as "
           "application/problem+json (an error document's type)",
           behaviour=framed(["GET /tables/sales/orders/status"], op="content-type", value="application/problem+json"))
DRIFTS.add("jobs-finished-at-without-zone", "maintenance_jobs.finished_at retyped timestamp without time zone (a "
           "migration gone wrong; only the opt-in dry run would read it)",
           mutations=(_database(kind="retype-column", table="maintenance_jobs", column="finished_at",
                                type="timestamp without time zone"),))
# Not a known table: its read contracts are never read; only its rows show it.
DRIFTS.add("an-untracked-reads-table-with-no-partitions", "health-sync writes partition_count 0 for "
           "analytics.sessions (every earlier row of every table had some)",
           mutations=(_rows(STATUS, "analytics.sessions", "scale-x0", path="payload.partitions.partition_count"),))

