"""The recommendation's own rules as units (the drifts of drifts/recommendation.py show each
failing through the twin): the forms a healthy API may write that the twin does not."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from icepack_verify.diagnosis import Diagnosis
from icepack_verify.environments import load
from icepack_verify.table_contract import (RECOMMENDATION, check_actions, check_agreement, check_ages,
                                           check_quoted_numbers, check_repeats)

ENV = load(Path(__file__).parent.parent / "environments.toml", "stage")
NOW = datetime(2026, 11, 29, 23, 0, tzinfo=timezone.utc)


def found(check, *args) -> list[str]:
    d = Diagnosis("stage", "read contracts of sales.orders")
    check(d, *args)
    return [str(m).strip() for m in d.mismatches]


@pytest.mark.parametrize("reason", ["190 snapshots retained", "small file ratio 0.42 above 0.3",
                                    "ratio 0.4213 over the limit", "retains 190 (limit 120)", "manifests: none",
                                    "42% small files", "190 snapshots since 2026-11-24T06:00:00Z, v2 policy",
                                    "190 snapshots, the newest 3.2.1 ago"])
def test_a_reason_may_quote_the_snapshot_at_any_precision(reason):
    status = {"snapshot": {"snapshot_count": 190}, "derived": {"small_file_ratio": 0.4213}}
    recommendation = {"recommended_actions": [{"action": "expire_snapshots", "reason": reason}],
                      "evidence": {}, "policy": {"max_snapshots": 120, "max_small_file_ratio": 0.3}}
    assert found(check_quoted_numbers, recommendation, status, "fail") == []


def test_a_reason_quoting_another_number_names_it():
    recommendation = {"recommended_actions": [{"action": "expire_snapshots", "reason": "201 snapshots retained"}]}
    assert found(check_quoted_numbers, recommendation, {"snapshot": {"snapshot_count": 190}}, "fail") == [
        "maintenance/recommendation: recommended_actions[0].reason: expected numbers of the status it names "
        "(/status, evidence, policy; 201 is none of them), actual '201 snapshots retained'  [from deployment "
        "document, step 5: a recommendation is made of the status it names (status_collected_at = /status collected_at)]"]


def test_a_skip_reason_is_about_the_action_it_starts_with_as_a_whole_word():
    recommendation = {"recommended_actions": [{"action": "rewrite_data_files"}],
                      "skip_reasons": ["rewrite_data_files_v2: within policy", "expire_snapshots: within policy",
                                       "rewrite_manifests skipped: rewrite_data_files recommended first"]}
    assert found(check_actions, recommendation, ENV) == []
    recommendation["skip_reasons"].append("rewrite_data_files: ran an hour ago")
    assert [f.split(":")[1] for f in found(check_actions, recommendation, ENV)] == [" skip_reasons[3]"]


def test_one_action_for_two_targets_is_two_recommendations_where_the_target_is_a_setting():
    def item(**more):
        return {"action": "rewrite_data_files", "reason": "too many small files", **more}
    two = {"recommended_actions": [item(partition="dt=2026-11-28"), item(partition="dt=2026-11-29", priority="high")]}
    assert [f.split(":")[1] for f in found(check_actions, two, ENV)] == [" recommended_actions[action=rewrite_data_files]"]
    by_partition = ENV.model_copy(update={"api": ENV.api.model_copy(update={"recommendation_target_fields": ["partition"]})})
    assert found(check_actions, two, by_partition) == []


def test_distinct_records_of_one_action_are_no_repeat():
    jobs = [{"job_id": "1", "action": "expire_snapshots"}, {"job_id": "2", "action": "expire_snapshots"}]
    assert found(check_repeats, "maintenance/recommendation", {"history": jobs, "tags": ["a", "a"]}) == []
    assert len(found(check_repeats, "maintenance/recommendation", {"history": [jobs[0], dict(jobs[0])]})) == 1


@pytest.mark.parametrize("age, ok", [(600, True), (601, True), (599, True), (598, False), (0, False), (86463, False)])
def test_a_stated_age_is_its_timestamps_difference_to_the_second(age, ok):
    recommendation = {"evidence": {"status_age_seconds": age},
                      "status_collected_at": (NOW - timedelta(seconds=600.4)).isoformat()}
    assert (found(check_ages, recommendation, NOW, ENV) == []) is ok


def _contracts(collected: datetime, named: datetime, ratio: float) -> dict[str, dict]:
    status = {"table": "sales.orders", "collected_at": collected.isoformat(), "derived": {"small_file_ratio": 0.42}}
    health = {"table": "sales.orders", "status_collected_at": named.isoformat(), "assessed_at": named.isoformat()}
    recommendation = {"table": "sales.orders", "status_collected_at": named.isoformat(),
                      "evaluated_at": named.isoformat(), "evidence": {"small_file_ratio": ratio, "status_age_seconds": 0},
                      "recommended_actions": []}
    return {"status": status, "health": health, RECOMMENDATION: recommendation}


@pytest.mark.parametrize("ratio, findings", [(0.42, []), (0.0, [" evidence.small_file_ratio"])])
def test_a_recommendation_of_a_status_collected_between_the_reads_quotes_the_status_read_again(ratio, findings):
    """A health-sync run committed between the concurrent reads: the recommendation names the newer status,
    which the second read of /status serves; its evidence is judged against that one, not left unjudged."""
    newer = NOW - timedelta(minutes=1)
    bodies = _contracts(NOW - timedelta(minutes=16), newer, ratio)
    status_again = {**bodies["status"], "collected_at": newer.isoformat()}
    d = Diagnosis("stage", "read contracts of sales.orders")
    assert check_agreement(d, "sales.orders", bodies, ENV, lambda e: status_again if e == "status" else None) is None
    assert [str(m).split(":")[1] for m in d.mismatches] == findings
