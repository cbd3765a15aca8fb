"""Units: equality that means what operators mean, and the rollback hint."""
from datetime import timedelta

import pytest

from icepack_verify import report
from icepack_verify.contract import key_diff
from icepack_verify.semantics import interval, same_quantity, same_schedule


@pytest.mark.parametrize("a, b", [("1", "1000m"), ("500m", "0.5"), ("1Gi", "1024Mi"), ("8Gi", "8192Mi")])
def test_equal_quantities(a, b):
    assert same_quantity(a, b)


@pytest.mark.parametrize("a, b", [("1", "100m"), ("512Mi", "512M"), ("1Gi", None), ("1Gi", "lots")])
def test_different_quantities(a, b):
    assert not same_quantity(a, b)


@pytest.mark.parametrize("a, b", [("0 */2 * * *", "0 0-22/2 * * *"), ("*/15 * * * *", "0,15,30,45 * * * *"),
                                  ("30 * * * *", "30 0-23 * * *")])
def test_equal_schedules(a, b):
    assert same_schedule(a, b)


@pytest.mark.parametrize("a, b", [("30 * * * *", "0 * * * *"), ("*/15 * * * *", "*/30 * * * *"),
                                  ("0 */2 * * *", "0 1-23/2 * * *"), ("30 * * * *", "not a cron"), ("30 * * * *", None)])
def test_different_schedules(a, b):
    assert not same_schedule(a, b)


@pytest.mark.parametrize("schedule, expected", [("*/15 * * * *", 15), ("30 * * * *", 60), ("0 */2 * * *", 120)])
def test_interval_of_a_schedule(schedule, expected):
    assert interval(schedule) == timedelta(minutes=expected)


def test_key_diff_names_missing_and_unexpected_keys():
    assert key_diff(frozenset({"stale", "table"}), {"staleness", "table"}) == "missing: stale; unexpected: staleness"
    assert key_diff(frozenset({"table"}), {"table"}) is None


def test_rollback_hint_takes_the_most_conservative_tier():
    failures = [{"test": "tests/contracts/test_keys.py::t", "rollback_tier": report.tier_of("tests/contracts/x.py::t", None)},
                {"test": "tests/infra/test_api.py::t", "rollback_tier": report.tier_of("tests/infra/x.py::t", None)}]
    assert report.rollback_hint(failures).startswith("Tier 2")
    assert report.tier_of("tests/infra/test_release.py::test_image_tag", 1) == 1
    assert report.rollback_hint([]) is None
    assert report.rollback_hint([{"rollback_tier": 0}]).startswith("No rollback")


def test_a_run_without_passes_is_never_safe():
    assert report.summary("stage", "live", [])["verdict"] == "unsafe"
    assert report.summary("stage", "live", [{"test": "t", "outcome": "skipped"}])["verdict"] == "unsafe"
    assert report.summary("stage", "live", [{"test": "t", "outcome": "passed"}])["verdict"] == "safe"


def test_every_implicated_tier_is_listed_most_conservative_first():
    failures = [{"test": "a", "rollback_tier": 0}, {"test": "b", "rollback_tier": 2}, {"test": "c", "rollback_tier": 0}]
    assert report.tiers_implicated(failures) == {2: ["b"], 0: ["a", "c"]}
