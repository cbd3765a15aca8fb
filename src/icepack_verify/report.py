"""The run's JSON summary and the rollback tier it points at (deployment document, "Rollback tiers")."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

TIERS = {
    0: "No rollback: an operational fix (resume the paused CronJob, turn drain mode off, "
       "repair the health-sync run), then re-run the suite",
    1: "Tier 1 (application bug): flip image_tag back to the last known-good version and terraform apply",
    2: "Tier 2 (chart regression): git revert the chart change (Chart.yaml version back) and terraform apply",
    3: "Tier 3 (Postgres): restore the database (internal: recreate Deployment + PVC; RDS: point-in-time restore), "
       "then check GET /readyz and a dry-run job",
}
# Which tier a failing suite points at, unless a test says otherwise with @pytest.mark.rollback(tier=N).
# Stale snapshot tables mean a cache writer stopped, not a corrupt database: operate, don't restore.
SUITE_TIERS = {"contracts": 1, "smoke": 1, "infra": 2, "data": 0}


def tier_of(nodeid: str, marked: int | None) -> int | None:
    if marked is not None:
        return marked
    parts = nodeid.replace("\\", "/").split("/")
    return next((SUITE_TIERS[p] for p in parts if p in SUITE_TIERS), None)


def rollback_hint(failures: list[dict]) -> str | None:
    """The most conservative tier any failure points at: a chart regression outranks an image flip."""
    tiers = [f["rollback_tier"] for f in failures if f.get("rollback_tier") is not None]
    return TIERS[max(tiers)] if tiers else None


def tiers_implicated(failures: list[dict]) -> dict[int, list[str]]:
    """tier -> the failing tests pointing at it, most conservative tier first."""
    by_tier: dict[int, list[str]] = {}
    for f in failures:
        if f.get("rollback_tier") is not None:
            by_tier.setdefault(f["rollback_tier"], []).append(f["test"])
    return dict(sorted(by_tier.items(), reverse=True))


def summary(env: str, phase: str, results: list[dict]) -> dict:
    counts: dict[str, int] = {}
    for r in results:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    failures = [r for r in results if r["outcome"] in ("failed", "error")]
    return {
        "environment": env,
        "phase": phase,
        "finished_at": datetime.now(timezone.utc).isoformat(),
        "verdict": "safe" if not failures and counts.get("passed") else "unsafe",
        "counts": counts,
        "failures": failures,
        "rollback_hint": rollback_hint(failures),
        "tiers_implicated": {str(t): tests for t, tests in tiers_implicated(failures).items()},
        "results": results,
    }


def write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
