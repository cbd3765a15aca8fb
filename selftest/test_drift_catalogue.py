"""The drift catalogue is the suite's own test suite: each drift is caught by exactly its
declared tests of the whole suite, with messages naming field, expected and actual; the
healthy twin passes for every environment.

Drifts that touch disjoint tests share one twin run (drift_table.plan). A shared run
counts only if it shows exactly the union of its drifts' failures and every drift's
words; otherwise each of its drifts is run alone and judged on its own run. Either way
every drift is attributed to exactly its tests.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path

import httpx
import pytest

from drift_table import DECLARED, DRY_RUN_TIMEOUT, EQUIVALENT, Declared, plan
import promotion_runs
from harness import EXPECTATIONS, ROOT, SuiteRun, function_id
from icepack_twin.drifts import CATALOGUE

ALL = DECLARED + EQUIVALENT
GROUP_OF = plan(ALL)
# A shared run cannot show a drift's undeclared failure when it lands in a group-mate's declared
# tests; the solo audit (ICEPACK_SELFTEST_SOLO=1, run by CI) judges every drift on its own run.
SOLO = bool(os.environ.get("ICEPACK_SELFTEST_SOLO"))
MEMBERS = {g: [d for d in ALL if GROUP_OF[d.drift] == g] for g in set(GROUP_OF.values())}


@pytest.fixture(scope="session")
def options(tmp_path_factory) -> tuple[str, ...]:
    """Every self-test run: the twin's chart version and image tag, the dry-run job allowed,
    and an environments file with a dry-run timeout short enough to wait out."""
    text = (ROOT / "environments.toml").read_text()
    short, n = re.subn(r'(?m)^dry_run_timeout = ".*"', f'dry_run_timeout = "{DRY_RUN_TIMEOUT}"', text)
    assert n == 1, "environments.toml no longer sets checks.dry_run_timeout in one place"
    path = tmp_path_factory.mktemp("envs") / "environments.toml"
    path.write_text(short)
    return (*EXPECTATIONS, "--allow-dry-run", f"--environments={path}")


def missing_words(run: SuiteRun, d: Declared) -> list[str]:
    """What the run does not show of this declaration: message words, warnings, probes' passing tests."""
    missing = [f"{test}: {w}" for test, words in d.fails.items() for w in words if w not in run.messages(test)]
    passed = {function_id(t) for t in run.outcome("passed")}
    return missing + [f"output: {w}" for w in d.warns if w not in run.output] + [
        f"{test} did not run and pass" for test in d.judged_by if test not in passed]


class Runs:
    """Suite runs, each made once per self-test session and shared by the xdist workers
    through files under a lock: the first worker to need a run makes it on its twin."""

    def __init__(self, twin, options, shared: Path, other_twin=lambda: None):
        self.twin, self.options, self.shared, self.other_twin = twin, options, shared, other_twin

    def run(self, env: str, drifts: tuple[str, ...], options: tuple[str, ...] = (), mode: str = "live",
            other: str = "") -> SuiteRun:
        key = f"{mode}:{env}{other}{''.join(options)}:{'+'.join(drifts)}"
        path = self.shared / (hashlib.sha1(key.encode()).hexdigest() + ".json")
        with open(path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                try:
                    if mode == "manifests":  # before apply: the render, judged with nothing live to reach
                        run = promotion_runs.judge_render(path.with_suffix(""), env, drifts, (*self.options, *options))
                    elif mode == "compare":  # across environments: `env` healthy, `other` drifted, on two twins
                        run = promotion_runs.judge_pair(path.with_suffix(""), self.twin, self.other_twin(), env, other,
                                                        drifts, (*self.options, *options))
                    else:
                        self.twin.configure(env, drifts=drifts)
                        run = self.twin.run_suite(env, *self.options, *options)
                except httpx.HTTPStatusError as exc:  # these edits do not combine: judged alone instead
                    run = SuiteRun(-1, [], f"the twin refused {key}: {exc.response.text}")
                path.write_text(json.dumps(dataclasses.asdict(run)))
        return SuiteRun(**json.loads(path.read_text()))

    def judged(self, d: Declared) -> tuple[SuiteRun, set[str]]:
        """The run that judges this drift, and the failures that run must show exactly."""
        members = MEMBERS[GROUP_OF[d.drift]]
        if len(members) > 1 and not SOLO:
            shared = self.run(d.env, tuple(m.drift for m in members), d.options, d.mode, d.other)
            expected = {t for m in members for t in m.fails}
            if shared.failed == expected and not any(missing_words(shared, m) for m in members):
                return shared, expected
        return self.run(d.env, (d.drift,), d.options, d.mode, d.other), set(d.fails)


@pytest.fixture(scope="session")
def runs(twin, options, tmp_path_factory, request) -> Runs:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # one folder for every worker
    (shared / "suite-runs").mkdir(exist_ok=True)
    # the compared environment's twin starts only when a run across environments needs it
    return Runs(twin, options, shared / "suite-runs", lambda: request.getfixturevalue("other_twin"))


def test_every_drift_has_exactly_one_declaration():
    declared = Counter(d.drift for d in ALL)
    assert {n for n, k in declared.items() if k > 1} == set(), "declared more than once"
    assert set(declared) == set(CATALOGUE), (f"undeclared: {sorted(set(CATALOGUE) - set(declared))}; "
                                             f"not in the catalogue: {sorted(set(declared) - set(CATALOGUE))}")
    for d in DECLARED:
        assert CATALOGUE[d.drift].suite != "equivalent", f"{d.drift} is an equivalence probe: declare it in EQUIVALENT"
        assert d.fails or d.warns, f"{d.drift} declares nothing it would be caught by"
        assert all(d.fails.values()), f"{d.drift}: every failing test names the words its message must hold"
    for d in EQUIVALENT:
        assert CATALOGUE[d.drift].suite == "equivalent" and not d.fails and d.judged_by, d


# Members of one shared run side by side: the worker that makes the run serves the next ones.
@pytest.mark.parametrize("declared", sorted(DECLARED, key=lambda d: GROUP_OF[d.drift]), ids=lambda d: d.drift)
def test_drift_is_caught_by_exactly_its_tests(runs, declared):
    run, expected = runs.judged(declared)
    assert run.failed == expected, run.explain()
    assert not missing_words(run, declared), f"missing {missing_words(run, declared)}:\n{run.explain()}"
    for test in declared.fails:
        message = run.messages(test)
        assert message.startswith(f"[{declared.env}] ") and "Traceback" not in message, message


@pytest.mark.parametrize("declared", sorted(EQUIVALENT, key=lambda d: GROUP_OF[d.drift]), ids=lambda d: d.drift)
def test_equivalent_form_passes_the_whole_suite(runs, declared):
    run, expected = runs.judged(declared)  # a shared run also shows its drifts' failures, none of the probe's
    assert run.failed == expected, run.explain()
    assert not missing_words(run, declared), missing_words(run, declared)


@pytest.mark.parametrize("env", ["local", "dev", "stage", "preprod", "prod"])
def test_healthy_twin_passes(runs, env):
    run = runs.run(env, ())
    assert run.returncode == 0 and not run.failed, run.explain()
    assert run.summary["verdict"] == "safe"
    ran = {r["test"] for r in run.results if r["outcome"] == "passed"}
    for check in ("test_release_carries_the_expected_chart_version", "test_workloads_run_the_expected_image_tag",
                  "test_dry_run_job_completes_and_changes_nothing", "test_get_operations_conform"):
        assert any(check in t for t in ran), f"{check} did not run and pass"
    suites = {t.split("/")[1] for t in ran}
    assert suites == {"contracts", "infra", "smoke", "data"}, suites
    assert not any("test_every_tracked_table.py" in r["test"] for r in run.results), "--all-tables not given"


def test_healthy_twin_passes_with_all_tables(runs):
    run = runs.run("local", (), ("--all-tables",))
    assert run.returncode == 0 and not run.failed, run.explain()
    ran = {r["test"] for r in run.results if r["outcome"] == "passed"}
    assert sum("test_every_tracked_table.py" in t for t in ran) == 3, ran


# A person would roll these back so (deployment document, "Rollback tiers"), whatever folder fails.
@pytest.mark.parametrize("drift, tier, evidence", [
    ("drain-left-on", 0, "drain mode is on"),            # the dry-run refusal too: turn drain off
    ("cronjob-left-suspended", 0, "rollback marker"),
    ("cronjob-suspended-by-hand", 0, "rollback marker"),  # release vs live sees it too, and defers: resume it
    ("image-tag-not-expected", 1, "rollback marker"),
    ("chart-version-not-bumped", 2, "a failing infra check"),
    ("pod-crash-looping", 3, "UndefinedColumn"),         # a schema error in the crash log: the database
])
def test_rollback_tier_follows_the_cause(runs, drift, tier, evidence):
    run = runs.run("local", (drift,))
    assert run.summary["verdict"] == "unsafe" and run.summary["rollback_tier"] == tier, run.summary.get("causes")
    headline = run.summary["causes"][0]
    assert headline["tier"] == tier and any(evidence in e for e in headline["evidence"]), headline
    assert f"rollback: {headline['action']}" in run.output
