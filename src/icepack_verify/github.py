"""The verdict for a GitHub Actions run: a Markdown job summary and one annotation per finding.

    python -m icepack_verify.github REPORT_JSON [EXIT_CODE]

Reads the suite's --report-json, appends the summary to $GITHUB_STEP_SUMMARY (printed when
unset) and prints `::error`/`::warning`/`::notice` workflow commands. With no report (the
suite never got as far as writing one), it says so and what the exit code means. Exits 0:
failing the step is the action's last step, from the suite's own exit code.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from icepack_verify.report import OUT_OF_SCOPE

LIVE = "the live environment"  # what a run judges unless --manifests names a render
EXIT_MEANING = {0: "safe", 1: "unsafe: a check observed something wrong", 75: "inconclusive: checks could not run",
                2: "interrupted", 3: "internal error", 4: "usage error (bad option or environments file)",
                5: "no tests selected"}


def _escape(text: str, *, property_value: bool = False) -> str:
    """Workflow-command escaping (GitHub's toolkit: %, CR, LF; also : and , in properties)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def annotations(report: dict) -> list[str]:
    env = report["environment"]
    lines = []
    for f in report["failures"]:
        title = _escape(f"{env}: {f['test'].split('::')[-1]}", property_value=True)
        lines.append(f"::error title={title}::{_escape(f.get('message', ''))}")
    for w in report["warnings"]:
        lines.append(f"::warning title={_escape(f'{env}: warning', property_value=True)}::{_escape(w['message'])}")
    for trouble in report.get("trouble", []):
        lines.append(f"::warning title={_escape(f'{env}: inconclusive', property_value=True)}::{_escape(trouble)}")
    for dependency, cause, tests in _not_run(report):
        # before apply, what needs a live environment is out of scope by design: a notice, not a warning
        level = "notice" if dependency == OUT_OF_SCOPE else "warning"
        lines.append(f"::{level} title={_escape(f'{env}: not run', property_value=True)}::"
                     f"{_escape(f'{cause} ({_tests(tests)})' if len(tests) > 1 else cause)}")
    return lines


def _not_run(report: dict) -> list[tuple[str | None, str, list[str]]]:
    """(dependency, cause, its tests), each cause once: a dependency that failed takes all its tests
    under one, and so does every check needing a live environment when a render was judged."""
    if "not_run_causes" in report:
        return [(g.get("dependency"), g["cause"], g["tests"]) for g in report["not_run_causes"]]
    groups: dict[str, list[str]] = {}  # a report of an older version: grouped here by its message
    for n in report["not_run"]:
        groups.setdefault(n["message"], []).append(n["test"])
    return [(None, cause, tests) for cause, tests in groups.items()]


def _tests(tests: list[str]) -> str:
    return f"{len(tests)} tests: " + ", ".join(tests[:3]) + (f" and {len(tests) - 3} more" if len(tests) > 3 else "")


def summary(report: dict) -> str:
    verdict, env = report["verdict"], report["environment"]
    icon = {"safe": "✅", "unsafe": "❌", "inconclusive": "⚠️"}[verdict]
    counts = ", ".join(f"{n} {k}" for k, n in report["counts"].items())
    judged = report.get("judged", LIVE)
    out = [f"## {icon} icepack-verify: {env} is **{verdict}** (exit {report['exit_code']})", "",
           f"Phase `{report['phase']}`{'' if judged == LIVE else f', judged {judged}'}; {counts}.", ""]
    if report.get("causes") and not report["rollback_hint"]:  # before apply (a render): nothing to roll back
        out += [f"**Action:** {report['action']}", ""]
        out += [f"- had it been applied: {cause['action']}" for cause in report["causes"]] + [""]
    if report["rollback_hint"]:
        out += [f"**Rollback:** {report['rollback_hint']}", ""]  # the hint names its tier ("Tier 3 (Postgres): ...")
        for cause in report["causes"][1:]:
            out.append(f"- also implicated: {cause['action']}")
        out.append("")
    if verdict == "inconclusive":
        out += ["Nothing was observed wrong, but not everything could be checked: re-run once the "
                "dependencies below answer. Never a reason to roll back.", ""]
        out += [f"- {_cell(trouble)}" for trouble in report.get("trouble", [])] + [""] * bool(report.get("trouble"))
    for title, rows in (("Failures", report["failures"]), ("Warnings", report["warnings"])):
        if rows:
            out += [f"### {title}", "", "| Test | What |", "|---|---|"]
            out += [f"| `{r['test']}` | {_cell(r.get('message', ''))} |" for r in rows]
            out.append("")
    if not_run := _not_run(report):
        out += ["### Not run", "", "| Why | Tests |", "|---|---|"]
        out += [f"| {_cell(cause)} ({len(tests)}) | {_cell(', '.join(f'`{t}`' for t in tests))} |"
                for _, cause, tests in not_run]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path, code = Path(argv[0]), int(argv[1]) if len(argv) > 1 else None
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        meaning = EXIT_MEANING.get(code, "see the step's log") if code is not None else "see the step's log"
        text = f"## ⚠️ icepack-verify wrote no report ({path})\n\nExit code {code}: {meaning}.\n"
        print(f"::error title=icepack-verify::no report at {path}; exit code {code}: {meaning}")
    else:
        text = summary(report) + "\n"
        print("\n".join(annotations(report)))
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
