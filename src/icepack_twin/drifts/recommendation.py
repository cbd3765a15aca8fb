"""The recommendation told in its own terms (tests/contracts/test_agreement.py, test_schema.py).

Each drift breaks one rule of one recommendation (ONE_TABLE's, a table the served spec does not give as its
example) and keeps the rest of the body as healthy as the twin serves it; the probes are healthy forms the same
rules must pass (reasons in other words, skip reasons in another order, two distinct jobs of one action).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icepack_twin.drifts.base import DriftList
from icepack_twin.drifts.contracts import ONE_TABLE, one_table
from icepack_twin.store import POLICY, assess

DRIFTS = DriftList("contracts")
PROBES = DriftList("equivalent")


def _evidence(p: dict, age: int) -> dict:
    """The evidence the twin quotes of status payload p, its age set to `age`."""
    return {"evidence": {"snapshot_count": p["snapshot"]["snapshot_count"], "small_file_ratio": p["derived"]["small_file_ratio"],
                         "manifest_count": p["manifests"]["manifest_count"], "data_file_count": p["files"]["data_file_count"],
                         "status_age_seconds": age}}


def _actions(p: dict, **changes) -> list[dict]:
    """The actions the twin recommends for payload p, each reasoned by the policy's limit (a number of the
    recommendation itself, whichever hour's status the newest row holds) and with `changes` applied."""
    actions = {"too_many_snapshots": ("expire_snapshots", "max_snapshots"), "small_files": (
        "rewrite_data_files", "max_small_file_ratio"), "too_many_manifests": ("rewrite_manifests", "max_manifests")}
    return [{"action": actions[i["code"]][0], "reason": f"over the policy's limit of {POLICY[actions[i['code']][1]]}",
             "priority": "medium", **changes} for i in assess(p)[1]]


def _skipped(p: dict) -> list[str]:
    """The skip reasons the twin gives for payload p: one for each action it does not recommend."""
    wanted = {a["action"] for a in _actions(p)}
    return [f"{a}: within policy" for a in ("expire_snapshots", "rewrite_data_files", "rewrite_manifests")
            if a not in wanted]


def _job(n: int, action: str, minutes_ago: int) -> dict:
    submitted = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return {"job_id": f"5b0e7c1e-0000-4000-8000-00000000001{n}", "action": action, "state": "succeeded",
            "dry_run": True, "submitted_at": submitted.isoformat(), "finished_at": (submitted + timedelta(minutes=1)).isoformat()}


def _day_before(p: dict) -> dict:
    return {"evaluated_at": (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()}


DRIFTS.add("one-table-recommendation-evaluated-before-its-status", f"the recommendation of {ONE_TABLE} says it was "
           "evaluated a day before the status it names was collected (an evaluation time from a stale cache entry)",
           behaviour=one_table("recommendation", _day_before))
DRIFTS.add("one-table-recommendation-age-of-a-day-old-status", f"the recommendation of {ONE_TABLE} names the served "
           "status and quotes its values, but its status_age_seconds is a day-old snapshot's (86463)",
           behaviour=one_table("recommendation", lambda p: _evidence(p, 86463)))
DRIFTS.add("one-table-recommends-an-action-twice", f"the recommendation of {ONE_TABLE} lists its expire_snapshots "
           "twice, once at priority medium and once at high (a join over two policy rows)",
           behaviour=one_table("recommendation", lambda p: {"recommended_actions": [
               *_actions(p), *_actions(p, priority="high")]}))
DRIFTS.add("one-table-skips-a-recommended-action", f"the recommendation of {ONE_TABLE} recommends expire_snapshots "
           "and also says why it skips it ('expire_snapshots: within policy')",
           behaviour=one_table("recommendation", lambda p: {"skip_reasons": [
               "expire_snapshots: within policy", "rewrite_data_files: within policy", "rewrite_manifests: within policy"]}))
DRIFTS.add("one-table-reason-quotes-another-snapshot", f"the recommendation of {ONE_TABLE} gives the reason of "
           "another table's snapshot ('9973 snapshots retained': no number of the status it names)",
           behaviour=one_table("recommendation", lambda p: {"recommended_actions": [
               {**a, "reason": "9973 snapshots retained"} for a in _actions(p)]}))
DRIFTS.add("one-table-history-lists-a-job-twice", f"the recommendation of {ONE_TABLE} lists its one job twice "
           "(a history joined with a retried append)",
           behaviour=one_table("recommendation", lambda p: {"history": [_job(1, "expire_snapshots", 30)] * 2}))
DRIFTS.add("one-table-history-action-is-a-message", f"the recommendation of {ONE_TABLE} lists a job whose action "
           "is an error message ('collector timed out'), not an action",
           behaviour=one_table("recommendation", lambda p: {"history": [_job(1, "collector timed out", 30)]}))

PROBES.add("recommendation-reasons-in-other-words", f"the recommendation of {ONE_TABLE} words its reasons otherwise "
           "(the policy's limit it is over), its skip reasons in reverse order, and lists two distinct jobs "
           "of one action", behaviour=one_table("recommendation", lambda p: {
               "recommended_actions": _actions(p),
               "skip_reasons": _skipped(p)[::-1],
               "history": [_job(1, "expire_snapshots", 90), _job(2, "expire_snapshots", 30)]}))
