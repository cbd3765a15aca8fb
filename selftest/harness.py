"""Drive the suite (tests/) against a running twin, as an operator would: in a subprocess,
over HTTP, the Kubernetes API and Postgres. Nothing here imports the suite's tests."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from icepack_twin.process import TwinProcess

ROOT = Path(__file__).resolve().parent.parent
# The twin's own chart version and image tag (icepack_twin.values): with them the suite
# also runs its chart-version and image-tag checks.
EXPECTATIONS = ("--expect-chart-version", "1.4.2", "--expect-image-tag", "2f9c1e7")


def function_id(nodeid: str) -> str:
    """'tests/x.py::test_y[a-b]' -> 'tests/x.py::test_y': drifts are matched per test function."""
    return re.sub(r"\[.*\]$", "", nodeid)


@dataclass
class SuiteRun:
    returncode: int
    results: list[dict]
    output: str
    summary: dict = field(default_factory=dict)

    def outcome(self, kind: str) -> set[str]:
        return {r["test"] for r in self.results if r["outcome"] == kind}

    @property
    def failed(self) -> set[str]:
        """Failing test functions (setup errors included)."""
        return {function_id(t) for t in self.outcome("failed") | self.outcome("error")}

    def messages(self, test_function: str) -> str:
        return "\n".join(r.get("message", "") for r in self.results
                         if function_id(r["test"]) == test_function and r["outcome"] in ("failed", "error"))

    def explain(self) -> str:
        return "\n".join(f"{r['outcome']}: {r['test']}\n{r.get('message', '')}" for r in self.results
                         if r["outcome"] in ("failed", "error")) or self.output[-3000:]


class Twin(TwinProcess):
    """A twin for the self-tests: re-driven per drift, and the suite run against it."""

    def run_suite(self, env: str = "local", *args: str, paths: tuple[str, ...] = ("tests",),
                  environ: dict[str, str] | None = None, timeout: float = 240) -> SuiteRun:
        """Run the suite for `env` against this twin; the JSON report tells what failed."""
        report = self.state_dir / f"suite-{os.getpid()}.json"
        report.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "pytest", "--env", env, "-p", "no:cacheprovider", "-q",
               "--report-json", str(report), *args, *paths]
        proc = subprocess.run(cmd, cwd=ROOT, env=environ or self.environ(), capture_output=True, text=True,
                              timeout=timeout)
        summary = json.loads(report.read_text()) if report.exists() else {}
        return SuiteRun(proc.returncode, summary.get("results", []), proc.stdout + proc.stderr, summary)


def kubeconfig(folder: Path, server: str, user: dict | None = None, context: str = "icepack-elsewhere") -> dict[str, str]:
    """A kubeconfig with one context on `server` (user: a bearer token unless given), as environment
    variables that point the suite at it."""
    import yaml

    path = folder / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": user or {"token": "not-a-token"}}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u", "namespace": "icepack"}}],
    }))
    return {"KUBECONFIG": str(path), "ICEPACK_KUBE_CONTEXT": context}


def edited_environments(folder: Path, *edits: tuple[str, str]) -> Path:
    """The repository's environments.toml with each (old, new) text replaced, written to folder.
    An `old` that is not in the file is an error: a silent no-op edit would let a test pass vacuously."""
    text = (ROOT / "environments.toml").read_text()
    for old, new in edits:
        assert old in text, f"environments.toml no longer holds {old!r}: update the self-test"
        text = text.replace(old, new)
    path = folder / "environments.toml"
    path.write_text(text)
    return path


def debian_tool(name: str) -> str:
    """A Debian tool's path (shellcheck, promtool, chromium, ...); required in CI
    (ICEPACK_REQUIRE_TOOLS=1: the test fails), else the test says it is absent and skips."""
    import shutil

    import pytest

    path = shutil.which(name)
    if path is None:
        if os.environ.get("ICEPACK_REQUIRE_TOOLS"):
            pytest.fail(f"{name} is required here (ICEPACK_REQUIRE_TOOLS) and not installed")
        pytest.skip(f"{name} is not installed here (.ci/run installs it with apt-get)")
    return path
