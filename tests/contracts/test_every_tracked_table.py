"""--all-tables: runbook step 5 for every table health-sync tracks, not only the known ones.

A contract break that one of hundreds of tables shows (a table with no snapshots yet, odd
partitioning) is invisible to the known tables. The tracked tables are read from the
snapshot tables; each read contract of each is fetched once. A finding is reported once
per way of breaking, with the tables that break that way.
"""
import pytest

from icepack_verify import check_agreement, check_keys, check_types

pytestmark = pytest.mark.all_tables


def test_every_tracked_table_has_the_contract_keys(tracked_contracts, findings):
    found = findings("top-level keys")
    for table, endpoint, body, d in tracked_contracts.each():
        if body is not None:
            check_keys(d, endpoint, body)
        found.add(table, d, endpoint)
    found.conclude()


def test_every_tracked_table_has_the_contract_types(tracked_contracts, findings):
    found = findings("field types")
    for table, endpoint, body, d in tracked_contracts.each():
        if body is not None:
            check_types(d, str(table), endpoint, body)
        found.add(table, d, endpoint)
    found.conclude()


def test_every_tracked_tables_contracts_agree(tracked_contracts, findings, reread, environment):
    found = findings("agreement between /status, /health and the recommendation")
    for table, bodies, d in tracked_contracts.per_table():
        if bodies is not None:  # timestamps not comparable: the field types test reports them
            check_agreement(d, str(table), bodies, environment, lambda e, t=table: reread(t.path(e)))
        found.add(table, d)
    found.conclude()
