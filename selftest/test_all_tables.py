"""--all-tables against a twin tracking a fleet: every tracked table is read, one request per
endpoint per table, and tables that break the same way are reported as one finding."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from drift_table import EVERY_TABLE_KEYS
from harness import Twin

FLEET = 300
EVERY_TABLE = "tests/contracts/test_every_tracked_table.py"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    twin = Twin(tmp_path_factory.mktemp("fleet"), extra=("--tables", str(FLEET)))
    yield twin
    twin.close()


def contract_reads(twin: Twin) -> Counter:
    """{"db.table": reads of its three contracts} from the twin's own request log."""
    reads = Counter()
    for request, n in twin.api_requests().items():
        if m := re.fullmatch(r"GET /tables/([^/]+)/([^/]+)/(status|health|maintenance/recommendation)", request):
            reads[f"{m[1]}.{m[2]}"] += n
    return reads


def test_a_fleet_breaking_one_way_is_one_finding_listing_its_tables(fleet):
    fleet.configure("local", drifts=("status-missing-key",))
    fleet.clear_api_requests()
    run = fleet.run_suite("local", "--all-tables", paths=(EVERY_TABLE,))
    assert run.failed == {EVERY_TABLE_KEYS}, run.explain()
    message = run.messages(EVERY_TABLE_KEYS)
    assert f"read contracts of {FLEET} tracked tables (--all-tables): top-level keys: {FLEET} tables break, " \
           "in 1 way" in message, message
    assert "status: top-level keys" in message and "missing: stale" in message
    assert f"{FLEET} tables: analytics.events, analytics.sessions, lake.t0007, lake.t0008" in message
    assert f"and {FLEET - 8} more" in message and message.count("missing: stale") == 1, message
    reads = contract_reads(fleet)
    assert len(reads) == FLEET and set(reads.values()) == {3}, "one request per endpoint per table"


def test_a_healthy_fleet_passes(fleet):
    fleet.configure("local")
    fleet.clear_api_requests()
    run = fleet.run_suite("local", "--all-tables", paths=(EVERY_TABLE,))
    assert run.returncode == 0 and run.summary["verdict"] == "safe", run.explain()
    assert len(run.outcome("passed")) == 3, run.results
    assert len(contract_reads(fleet)) == FLEET
