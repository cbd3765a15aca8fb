"""The run's verdict, its rollback tier chosen from what was observed, and the JSON summary.

Verdicts and exit codes (README, "Verdicts"):

    safe           0   everything selected ran and passed (warnings allowed, counted)
    unsafe         1   a check observed something wrong
    inconclusive  75   nothing observed wrong, but checks could not run (a dependency down or
                       failing mid-run, everything skipped, the run interrupted, the plugin
                       itself failing); never a rollback hint
                       (75 is EX_TEMPFAIL: try again once the dependency answers)

Only observations are failures: a test whose dependency failed is "not run", so a rollback
tier is only ever named from evidence.

The rollback tier comes from the cause a failure shows (deployment document, "Rollback
tiers"), not from the folder it sits in: a database or schema error anywhere is tier 3, a
test's own marker (`@pytest.mark.rollback(tier=N)`) says what its failure usually means,
and the suite folder is the last resort.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

EXIT_CODES = {"safe": 0, "unsafe": 1, "inconclusive": 75}
TIERS = {
    0: "No rollback: an operational fix (resume the paused CronJob, turn drain mode off, "
       "repair the health-sync run), then re-run the suite",
    1: "Tier 1 (application bug): flip image_tag back to the last known-good version and terraform apply",
    2: "Tier 2 (chart regression): git revert the chart change (Chart.yaml version back) and terraform apply",
    3: "Tier 3 (Postgres): restore the database (internal: recreate Deployment + PVC; RDS: point-in-time restore), "
       "then check GET /readyz and a dry-run job",
}
# Which tier a failing suite points at when neither the evidence nor the test says otherwise.
# Stale snapshot tables mean a cache writer stopped, not a corrupt database: operate, don't restore.
SUITE_TIERS = {"contracts": 1, "smoke": 1, "infra": 2, "data": 0}
# Evidence in a failure's own text (pod logs, API answers, job errors) that names its cause.
EVIDENCE = [
    (3, "database error", re.compile(
        r"(Undefined(?:Column|Table|Function)|(?:column|relation) \"?[\w.]+\"? does not exist|SQLSTATE|"
        r"psycopg[\w.]*errors\.\w+|migrations? failed|database unreachable|could not connect to server)", re.I)),
    (0, "drain mode is on", re.compile(r"drain mode is on", re.I)),
]


UNMARKED = "unmarked"  # a test without a rollback marker; rollback(tier=None): a failure no rollback repairs


def cause(nodeid: str, marked: int | None | str, message: str) -> tuple[int | None, str]:
    """(tier, evidence) of one failure: what it shows first, then its test's marker, then its folder."""
    for tier, label, pattern in EVIDENCE:
        if m := pattern.search(message or ""):
            line = next((ln.strip() for ln in message.splitlines() if m.group(0) in ln), m.group(0))
            return tier, f"{label}: {line[:200]}"
    if marked is not UNMARKED:
        return marked, "what a failure of this check means (its rollback marker)"
    parts = nodeid.replace("\\", "/").split("/")
    folder = next((p for p in parts if p in SUITE_TIERS), None)
    return (SUITE_TIERS[folder], f"a failing {folder} check") if folder else (None, "")


def causes(failures: list[dict]) -> list[dict]:
    """One entry per tier implicated, most severe first: tier, action, evidence, tests."""
    by_tier: dict[int, dict] = {}
    for f in failures:
        if f.get("rollback_tier") is None:
            continue
        entry = by_tier.setdefault(f["rollback_tier"], {"tier": f["rollback_tier"], "action": TIERS[f["rollback_tier"]],
                                                        "evidence": [], "tests": []})
        entry["tests"].append(f["test"])
        if f.get("evidence") and f["evidence"] not in entry["evidence"]:
            entry["evidence"].append(f["evidence"])
    return [by_tier[t] for t in sorted(by_tier, reverse=True)]


# Not run by design, not for want of a dependency: a check only a live environment answers, in a run
# that judges rendered manifests (--manifests). Listed and counted, but the verdict is the spec's.
OUT_OF_SCOPE = "needs a live environment"


def verdict(results: list[dict], interrupted: bool = False, trouble: bool = False) -> str:
    outcomes = {r["outcome"] for r in results if r.get("dependency") != OUT_OF_SCOPE}
    if outcomes & {"failed", "error"}:
        return "unsafe"
    if interrupted or trouble or "not run" in outcomes or "passed" not in outcomes:
        return "inconclusive"
    return "safe"


def not_run_causes(results: list[dict]) -> list[dict]:
    """Each distinct reason tests were not run, once, with its tests: a dependency that failed
    takes all its tests under one cause (its first words), whatever each of them said."""
    groups: dict[str, dict] = {}
    for r in results:
        if r["outcome"] != "not run":
            continue
        key = r.get("dependency") or r.get("message", "")
        group = groups.setdefault(key, {"dependency": r.get("dependency"), "cause": r.get("message", ""), "tests": []})
        group["tests"].append(r["test"])
    return list(groups.values())


def summary(env: str, phase: str, results: list[dict], warnings: list[dict] | None = None,
            interrupted: bool = False, trouble: list[str] | None = None, subject: str | None = None) -> dict:
    warnings, trouble = warnings or [], trouble or []
    counts: dict[str, int] = {}
    for r in results:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    if warnings:
        counts["warnings"] = len(warnings)
    failures = [r for r in results if r["outcome"] in ("failed", "error")]
    judged = verdict(results, interrupted, bool(trouble))
    found = causes(failures) if judged == "unsafe" else []
    return {
        "environment": env,
        "phase": phase,
        "judged": subject or "the live environment",  # or the rendered manifests (--manifests)
        "finished_at": datetime.now(timezone.utc).isoformat(),
        "verdict": judged,
        "exit_code": EXIT_CODES[judged],
        "counts": counts,
        "rollback_tier": found[0]["tier"] if found else None,
        "rollback_hint": found[0]["action"] if found else None,
        "causes": found,
        "failures": failures,
        "not_run": [r for r in results if r["outcome"] == "not run"],
        "not_run_causes": not_run_causes(results),
        "trouble": trouble,
        "warnings": warnings,
        "results": results,
    }


def write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
