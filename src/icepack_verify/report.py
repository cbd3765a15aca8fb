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
    return (SUITE_TIERS[folder], f"{BY_FOLDER}{folder} check") if folder else (None, "")


BY_FOLDER = "a failing "  # the evidence of a tier guessed from the suite folder alone: the weakest there is
# The Kubernetes objects a failure names ("Deployment icepack/icepack-api", "Pod icepack/icepack-api-7d9f-x7k2p").
_OBJECT = re.compile(r"\b([A-Z][A-Za-z]+) ([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9.-]*[a-z0-9])")


def objects_named(message: str) -> set[tuple[str, str]]:
    """(namespace, name) of every Kubernetes object a failure's text names."""
    return {(ns, name) for _kind, ns, name in _OBJECT.findall(message or "")}


# A field of an object's live state (status, conditions, events, restarts): what an upstream fault
# explains. A spec field never follows from another cause: someone set it.
_STATE = re.compile(r"(?:^|[\s.\[])(?:status|conditions?|events?|state|restartCount)\b", re.I)


def state_only(message: str) -> bool:
    """Whether every field a diagnosis lists is one of its objects' live state."""
    fields = [ln.split(": expected ")[0] for ln in (message or "").splitlines() if ": expected " in ln]
    return bool(fields) and all(_STATE.search(f) for f in fields)


def _covered(named: set[tuple[str, str]], by: set[tuple[str, str]]) -> bool:
    """Every object is one of `by` or one it owns by Kubernetes' naming (a Deployment's ReplicaSet
    `<name>-<hash>` and their pods `<name>-<hash>-<suffix>`)."""
    return all(any(ns == o_ns and (name == o_name or name.startswith(o_name + "-")) for o_ns, o_name in by)
               for ns, name in named)


def causes(failures: list[dict]) -> list[dict]:
    """One entry per tier implicated, most severe first: tier, action, evidence, tests.

    A tier only guessed from the suite folder, whose every failure is about the live state
    (status, conditions, events) of objects a more severe cause's failures already name (the
    API Deployment whose pods crash on a database error also has an incomplete rollout),
    follows from that cause: its tests are listed under it as `follows`, not as a cause of
    their own. A spec field that differs is always its own cause."""
    by_tier: dict[int, dict] = {}
    named: dict[int, set] = {}
    for f in failures:
        if f.get("rollback_tier") is None:
            continue
        entry = by_tier.setdefault(f["rollback_tier"], {"tier": f["rollback_tier"], "action": TIERS[f["rollback_tier"]],
                                                        "evidence": [], "tests": [], "follows": []})
        entry["tests"].append(f["test"])
        named.setdefault(f["rollback_tier"], set()).update(objects_named(f.get("message", "")))
        if f.get("evidence") and f["evidence"] not in entry["evidence"]:
            entry["evidence"].append(f["evidence"])
    kept: list[dict] = []
    for tier in sorted(by_tier, reverse=True):
        entry = by_tier[tier]
        guessed = all(e.startswith(BY_FOLDER) for e in entry["evidence"])
        own = [f.get("message", "") for f in failures if f.get("rollback_tier") == tier]
        follows = guessed and all(state_only(m) for m in own)
        cause_of = next((k for k in kept if follows and all(
            objects_named(m) and _covered(objects_named(m), named[k["tier"]]) for m in own)), None)
        if cause_of is None:
            kept.append(entry)
        else:
            cause_of["follows"] += [{"tier": tier, "test": t} for t in entry["tests"]]
    return kept


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


DO_NOT_APPLY = ("do not apply: fix the change (the chart or the values) and judge its render again; "
                "nothing was applied, so nothing to roll back")


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
    rollback = found[0] if found and subject is None else None  # before apply (a render) nothing is rolled back
    return {
        "environment": env,
        "phase": phase,
        "judged": subject or "the live environment",  # or the rendered manifests (--manifests)
        "finished_at": datetime.now(timezone.utc).isoformat(),
        "verdict": judged,
        "exit_code": EXIT_CODES[judged],
        "counts": counts,
        "rollback_tier": rollback["tier"] if rollback else None,
        "rollback_hint": rollback["action"] if rollback else None,
        "action": (rollback["action"] if rollback else DO_NOT_APPLY) if found else None,
        "causes": found,  # before apply: the tiers applying it would have called for (context)
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
