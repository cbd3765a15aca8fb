"""The two runner kinds of issue 25, beside the catalogue's live one (harness.Twin.run_suite):

* before apply: `python -m icepack_twin render --env E --drift ...` into a file, then the suite's
  infra checks with `--manifests` on it, with no cluster, API or database to reach;
* across environments: the suite against one twin with `--compare-with` another, both live, as an
  operator runs it: one kubeconfig holding both clusters' contexts, the other's API URL and context
  given by ICEPACK_<NAME>_API_URL and ICEPACK_<NAME>_KUBE_CONTEXT.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from harness import ROOT, SuiteRun, Twin

RENDERED = "rendered.yaml"  # the render's file name: the diagnoses name it


def render(folder: Path, env: str, drifts: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RENDERED
    cmd = [sys.executable, "-m", "icepack_twin", "render", "--env", env, "--output", str(path)]
    for name in drifts:
        cmd += ["--drift", name]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, timeout=60)
    return path


def offline() -> dict[str, str]:
    """This process's environment with nothing that reaches a cluster, an API or a database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICEPACK_") and k != "KUBECONFIG"}
    return {**env, "KUBECONFIG": "/nonexistent/kubeconfig"}


def suite(folder: Path, env: str, args: tuple[str, ...], paths: tuple[str, ...], environ: dict[str, str]) -> SuiteRun:
    report = folder / "report.json"
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "pytest", "--env", env, "-p", "no:cacheprovider", "-q", "--report-json", str(report),
           *args, *paths]
    proc = subprocess.run(cmd, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=240)
    summary = json.loads(report.read_text()) if report.exists() else {}
    return SuiteRun(proc.returncode, summary.get("results", []), proc.stdout + proc.stderr, summary)


def judge_render(folder: Path, env: str, drifts: tuple[str, ...], options: tuple[str, ...]) -> SuiteRun:
    path = render(folder, env, drifts)
    return suite(folder, env, (*options, f"--manifests={path}"), ("tests/infra",), offline())


def both_contexts(folder: Path, ours: Twin, theirs: Twin, names: tuple[str, str]) -> Path:
    """One kubeconfig with a context per twin, named after its environment (each twin writes its own)."""
    merged: dict = {"apiVersion": "v1", "kind": "Config", "current-context": names[0], "clusters": [], "users": [],
                    "contexts": []}
    for twin, name in zip((ours, theirs), names):
        config = yaml.safe_load(Path(twin.state["kubeconfig"]).read_text())
        merged["clusters"].append({"name": name, "cluster": config["clusters"][0]["cluster"]})
        merged["users"].append({"name": name, "user": config["users"][0]["user"]})
        merged["contexts"].append({"name": name, "context": {**config["contexts"][0]["context"], "cluster": name,
                                                             "user": name}})
    path = folder / "kubeconfig"
    path.write_text(yaml.safe_dump(merged))
    return path


def judge_pair(folder: Path, ours: Twin, theirs: Twin, env: str, other: str, drifts: tuple[str, ...],
               options: tuple[str, ...]) -> SuiteRun:
    """`env` healthy on one twin, `other` with these drifts on the other, compared."""
    folder.mkdir(parents=True, exist_ok=True)
    ours.configure(env)
    theirs.configure(other, drifts=drifts)
    contexts = (f"twin-{env}", f"twin-{other}")
    prefix = f"ICEPACK_{other.upper()}_"
    environ = {**ours.environ(), "KUBECONFIG": str(both_contexts(folder, ours, theirs, contexts)),
               "ICEPACK_KUBE_CONTEXT": contexts[0], prefix + "KUBE_CONTEXT": contexts[1],
               prefix + "API_URL": theirs.state["api_url"]}
    return suite(folder, env, (*options, f"--compare-with={other}"), ("tests/compare",), environ)
