"""The data suite: is health-sync populating the snapshot tables (runbook step 4)?

Each table is read once per session through the read-only `database` fixture.
"""
import pytest

from icepack_verify import Thresholds, newest_per_table, newest_row


@pytest.fixture(scope="session")
def thresholds(environment):
    return Thresholds.of(environment)


@pytest.fixture(scope="session")
def snapshot_tables(environment, database):
    """{"status": Newest, "health": Newest}: the newest row of each snapshot table."""
    s = environment.data
    return {"status": newest_row(database, s.status_table, s.status_time_column),
            "health": newest_row(database, s.health_table, s.health_time_column)}


@pytest.fixture(scope="session")
def per_table(environment, database):
    """{"status"/"health": ({"db.table": newest}, db now)}."""
    s = environment.data
    return {"status": newest_per_table(database, s.status_table, s.status_time_column),
            "health": newest_per_table(database, s.health_table, s.health_time_column)}
