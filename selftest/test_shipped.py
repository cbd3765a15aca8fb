"""The suite as shipped: the wheel in a fresh venv in an empty folder, the GitHub Action's own
steps (read from action.yml), and the Action and example workflow against GitHub's schemas."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from harness import EXPECTATIONS, ROOT

pytestmark = pytest.mark.xdist_group("shipped")  # one wheel and venv, built once, on one worker

ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples").glob("*.yml"))


def test_constraints_pin_every_package_the_image_installs(installed):
    frozen = subprocess.run([installed / "python", "-m", "pip", "freeze", "--exclude", "icepack-verify"],
                            capture_output=True, text=True, check=True).stdout.split()
    pinned = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert sorted(frozen) == sorted(pinned), "regenerate constraints.txt (its header says how)"


def test_the_image_command_line_runs_the_scheduled_check(installed, empty, twin):
    """ENTRYPOINT (Dockerfile) + args (deploy/cronjob.yaml), as the pod runs them, against the twin."""
    entrypoint = json.loads(next(line.removeprefix("ENTRYPOINT ") for line in (ROOT / "Dockerfile").read_text()
                                 .splitlines() if line.startswith("ENTRYPOINT ")))
    cron = yaml.safe_load((ROOT / "deploy" / "cronjob.yaml").read_text())
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    settings = environments_copy(empty)
    pod_env = {"ICEPACK_VERIFY_ENV": "local", "ICEPACK_VERIFY_PUSHGATEWAY": "http://127.0.0.1:9"}  # nobody listening
    mounts = {"/etc/icepack-verify/": f"{settings.parent}/", "/tmp/": f"{empty}/"}

    def expand(arg: str) -> str:
        arg = re.sub(r"\$\((\w+)\)", lambda m: pod_env[m.group(1)], arg)
        inside = next((m for m in mounts if m in arg), None)
        return arg.replace(inside, mounts[inside]) if inside else arg
    twin.configure("local")
    command = [str(installed / entrypoint[0]), *entrypoint[1:], *map(expand, container["args"])]
    done = subprocess.run(command, cwd=empty, env=twin.environ(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:]
    report = json.loads((empty / "report.json").read_text())
    assert report["verdict"] == "safe" and not any("dry_run" in r["test"] for r in report["results"])
    assert report["metrics"]["push"]["ok"] is False  # reported, and the verdict stands


@pytest.fixture
def empty(tmp_path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def environments_copy(folder: Path) -> Path:
    """The operator's own environments file, elsewhere (a copy of this repository's)."""
    path = folder / "ops" / "environments.toml"
    path.parent.mkdir()
    shutil.copy(ROOT / "environments.toml", path)
    return path


def test_the_installed_tool_runs_the_whole_suite_green_from_anywhere(installed, empty, twin):
    twin.configure("local")
    env_file = environments_copy(empty)
    done = subprocess.run([installed / "icepack-verify", "--env", "local", f"--environments={env_file}", *EXPECTATIONS,
                           "--junitxml=reports/junit.xml", "--report-json=reports/report.json", "--html=reports/run.html"],
                          cwd=empty, env=twin.environ(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert 'id="icepack-verdict" class="safe"' in (empty / "reports" / "run.html").read_text()
    report = json.loads((empty / "reports" / "report.json").read_text())
    assert report["verdict"] == "safe" and report["counts"]["passed"] >= 70
    assert {r["test"].split("/")[1] for r in report["results"]} == {"contracts", "data", "infra", "smoke"}
    assert (empty / "reports" / "junit.xml").exists()
    assert sorted(os.listdir(empty)) == ["ops", "reports"]  # nothing else written where it ran (no cache)


def test_the_installed_tool_is_red_on_a_drift_with_its_documented_exit_code(installed, empty, twin):
    twin.configure("local", drifts=("api-replicas-1",))
    done = subprocess.run([installed / "icepack-verify", "--env", "local", "infra", "-x", "--report-json=r.json"],
                          cwd=empty, env=twin.environ(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 1, done.stdout[-3000:]
    report = json.loads((empty / "r.json").read_text())
    assert report["verdict"] == "unsafe" and report["rollback_tier"] == 2
    assert {r["test"].split("/")[1] for r in report["results"]} == {"infra"}


def test_the_installed_tool_has_help_and_version(installed, empty):
    version = subprocess.run([installed / "icepack-verify", "--version"], cwd=empty, capture_output=True, text=True)
    assert version.returncode == 0 and re.fullmatch(r"icepack-verify \d+\.\d+\.\d+\n", version.stdout)
    help_ = subprocess.run([installed / "icepack-verify", "--help"], cwd=empty, capture_output=True, text=True)
    for option in ("--env=ENV", "--environments=", "--phase=", "--expect-chart-version", "--expect-image-tag",
                   "--report-json", "--junit-xml", "--deadline", "icepack-verify --env stage [contracts smoke ...]"):
        assert option in help_.stdout, option


# --- the GitHub Action ---------------------------------------------------------------------

EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
ARTIFACT = "icepack-verify-local.verify.0"  # run_action's job is `verify`, not in a matrix, first use


def run_action(bin_dir: Path, workdir: Path, environ: dict, inputs: dict, contexts: dict | None = None,
               only: set[str] | None = None) -> dict:
    """Run action.yml's `run:` steps as the runner would (bash, each step's env with its
    expressions filled in; `only`: those step ids); `uses:` steps are GitHub's own. Returns the
    GITHUB_* files and outputs. `contexts`: the runner's values, e.g. {"strategy.job-index": "2"}."""
    action = yaml.safe_load(ACTION.read_text())
    values = {f"inputs.{k}": str(v.get("default", "")) for k, v in action["inputs"].items()}
    values |= {f"inputs.{k}": v for k, v in inputs.items()} | {"strategy.job-index": "0"} | (contexts or {})
    files = {name: workdir / f"{name.lower()}.txt" for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")}
    for f in files.values():
        f.write_text("")
    runner_temp = workdir / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    environ = {"RUNNER_TEMP": str(runner_temp), "GITHUB_JOB": "verify", "GITHUB_RUN_ATTEMPT": "1", **environ}
    steps_out, codes, stdout = {}, [], ""
    for step in action["runs"]["steps"]:
        if "run" not in step or (only is not None and step.get("id") not in only):
            continue
        assert "${{" not in step["run"], "expressions belong in env:, never in a script (injection)"

        def fill(text: str) -> str:
            def one(m):
                key = m.group(1)
                if key.startswith("steps."):
                    _, sid, _, name = key.split(".")
                    return steps_out.get(sid, {}).get(name, "")
                return values[key]
            return EXPRESSION.sub(one, str(text))
        env = {**environ, **{k: fill(v) for k, v in (step.get("env") or {}).items()}, **{k: str(v) for k, v in files.items()},
               "GITHUB_ACTION_PATH": str(ROOT), "PATH": f"{bin_dir}{os.pathsep}{environ['PATH']}"}
        files["GITHUB_OUTPUT"].write_text("")
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=workdir,
                              env=env, capture_output=True, text=True, timeout=300)
        codes.append(done.returncode)
        stdout += done.stdout
        if step.get("id"):
            steps_out[step["id"]] = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().splitlines())
    return {"summary": files["GITHUB_STEP_SUMMARY"].read_text(), "stdout": stdout, "codes": codes, "steps": steps_out}


def readme_gate_step() -> dict:
    """The `uses:` step README shows for the gate (the block this test runs)."""
    text = (ROOT / "README.md").read_text()
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "uses: example-org/icepack-verify" in b)
    return yaml.safe_load(block)[0]


def test_the_action_passes_a_healthy_environment_as_the_readme_calls_it(installed, empty, twin):
    step = readme_gate_step()
    assert set(step["env"]) == {"ICEPACK_DATABASE_URL"}  # the DSN secret; the twin's here
    inputs = {**step["with"], "environment": "local", "expect-image-tag": "2f9c1e7"}  # its deploy input, here
    chart = empty / inputs["expect-chart-yaml"]
    chart.parent.mkdir(parents=True)
    chart.write_text("apiVersion: v2\nname: icepack\nversion: 1.4.2\n")  # the twin's chart version
    twin.configure("local")
    out = run_action(installed, empty, twin.environ(), inputs)
    assert out["codes"] == [0, 0, 0], out["stdout"][-3000:]
    assert out["steps"]["verify"] == {"exit-code": "0", "verdict": "safe", "artifact": ARTIFACT}
    assert "icepack-verify: local is **safe** (exit 0)" in out["summary"]
    assert "::error" not in out["stdout"]
    assert (empty / "icepack-verify-reports" / "junit.xml").exists()
    assert 'id="icepack-verdict" class="safe"' in (empty / "icepack-verify-reports" / "report.html").read_text()


def test_the_action_fails_a_drifted_environment_with_a_summary_and_annotations(installed, empty, twin):
    twin.configure("local", drifts=("api-replicas-1",))
    out = run_action(installed, empty, twin.environ(), {"environment": "local", "extra-args": "infra"})
    assert out["codes"][-1] == 1 and out["steps"]["verify"] == {"exit-code": "1", "verdict": "unsafe", "artifact": ARTIFACT}
    assert "icepack-verify: local is **unsafe** (exit 1)" in out["summary"]
    assert "**Rollback:** Tier 2 (chart regression): git revert" in out["summary"] and "| `tests/infra/test_api_deployment.py::" in out["summary"]
    errors = [line for line in out["stdout"].splitlines() if line.startswith("::error title=local%3A test_api_deployment_spec::")]
    assert errors and "replicas" in errors[0] and "%0A" in errors[0]  # one line per annotation, newlines escaped


def test_the_action_says_inconclusive_apart_from_unsafe(installed, empty, twin):
    twin.configure("local")
    environ = twin.environ(ICEPACK_API_URL="http://127.0.0.1:9")
    out = run_action(installed, empty, environ, {"environment": "local", "extra-args": "smoke contracts"})
    assert out["steps"]["verify"] == {"exit-code": "75", "verdict": "inconclusive", "artifact": ARTIFACT} and out["codes"][-1] == 75
    assert "is **inconclusive** (exit 75)" in out["summary"] and "Never a reason to roll back" in out["summary"]
    assert "::warning title=local%3A not run::" in out["stdout"]


def stub_tool(folder: Path) -> Path:
    """An `icepack-verify` that only records the arguments it was given (the Action's argument
    handling is what is under test here; the real tool runs in the tests above and below)."""
    bin_dir = folder / "stub-bin"
    bin_dir.mkdir()
    stub = bin_dir / "icepack-verify"
    stub.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                    "open(os.environ['STUB_ARGS'], 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n")
    stub.chmod(0o755)
    return bin_dir


def verify_step(folder: Path, extra: str, contexts: dict | None = None, environ: dict | None = None) -> tuple[dict, list]:
    """The Action's Verify step, in bash, with the stub on PATH: its outputs and the argv it ran."""
    args = folder / "args.jsonl"
    args.unlink(missing_ok=True)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # python with icepack_verify.github
    out = run_action(folder / "stub-bin", folder, {"PATH": path, "STUB_ARGS": str(args), **(environ or {})},
                     {"environment": "local", "extra-args": extra}, contexts, only={"verify"})
    calls = [json.loads(line) for line in args.read_text().splitlines()] if args.exists() else []
    return out, calls


@pytest.mark.parametrize("extra, expected", [
    ("-m 'not mutating'", ["-m", "not mutating"]),
    ("""contracts -k "readyz or drain" --deadline=60""", ["contracts", "-k", "readyz or drain", "--deadline=60"]),
    ("-k 'it'\\''s' -m \"\"", ["-k", "it's", "-m", ""]),
    ("$(touch pwned) `touch pwned` *", ["$(touch", "pwned)", "`touch", "pwned`", "*"]),  # never evaluated nor globbed
    ("", []),
])
def test_the_actions_extra_args_are_split_as_a_shell_would(tmp_path, extra, expected):
    stub_tool(tmp_path)
    out, calls = verify_step(tmp_path, extra)
    assert len(calls) == 1 and calls[0][calls[0].index("--html") + 2:] == expected, calls
    assert not (tmp_path / "pwned").exists()


def test_unbalanced_quotes_in_extra_args_are_a_usage_error_not_a_run(tmp_path):
    stub_tool(tmp_path)
    out, calls = verify_step(tmp_path, "-m 'not mutating")
    assert calls == [] and out["steps"]["verify"]["exit-code"] == "4" and out["steps"]["verify"]["verdict"] == "none"
    assert "::error title=icepack-verify::extra-args cannot be split (unbalanced quotes?)" in out["stdout"]


def test_artifact_names_are_unique_when_an_environment_is_verified_twice_in_a_run(tmp_path):
    stub_tool(tmp_path)
    names = []
    for job, index in (("before-prod", "0"), ("before-prod", "0"), ("before-prod", "2"), ("after-migration", "0")):
        job_dir = tmp_path / f"{job}-{index}"
        if not job_dir.exists():  # a job of its own: its own RUNNER_TEMP
            job_dir.mkdir()
            shutil.copytree(tmp_path / "stub-bin", job_dir / "stub-bin")
        out, _ = verify_step(job_dir, "", {"strategy.job-index": index}, {"GITHUB_JOB": job})
        names.append(out["steps"]["verify"]["artifact"])
    assert names == ["icepack-verify-local.before-prod.0", "icepack-verify-local.before-prod.0.2",
                     "icepack-verify-local.before-prod.2", "icepack-verify-local.after-migration.0"]
    upload = next(s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"]
                  if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == "${{ steps.verify.outputs.artifact }}"


def test_the_actions_install_resolves_to_the_constraints(tmp_path):
    """The install step's own command line, resolved (pip --dry-run --report) in a fresh venv."""
    venv.create(tmp_path / "venv", with_pip=True)
    bin_dir = tmp_path / "venv" / "bin"
    subprocess.run([bin_dir / "python", "-m", "pip", "install", "-q", "setuptools>=68"], check=True, capture_output=True)
    step = next(s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if "pip install" in s.get("run", ""))
    report = tmp_path / "resolved.json"
    environ = {**os.environ, "GITHUB_ACTION_PATH": str(ROOT), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               "PIP_DRY_RUN": "1", "PIP_REPORT": str(report), "PIP_NO_BUILD_ISOLATION": "0"}  # pip: "0" turns it off
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    resolved = {f"{i['metadata']['name']}=={i['metadata']['version']}".lower().replace("_", "-")
                for i in json.loads(report.read_text())["install"] if i["metadata"]["name"] != "icepack-verify"}
    pinned = {line.lower().replace("_", "-") for line in (ROOT / "constraints.txt").read_text().splitlines()
              if line and not line.startswith("#")}
    assert resolved == pinned


def test_the_example_workflow_passes_its_environments_file_and_kube_context_to_the_suite(installed, empty, twin):
    """The example's Verify step as written (its env and with), against the twin. The operator's file
    names the environment `ci-local` (the shipped one has no such name: only the file passed makes it
    known) with a kube context that does not exist (only KUBE_CONTEXT, passed through, reaches the twin)."""
    workflow = yaml.safe_load(WORKFLOWS[0].read_text())
    for job in workflow["jobs"].values():
        verify = next(s for s in job["steps"] if s.get("uses", "").startswith("example-org/icepack-verify"))
        context = next(s for s in job["steps"] if s.get("name") == "kube context")
        assert verify["env"]["ICEPACK_KUBE_CONTEXT"] == context["env"]["CONTEXT"] == "${{ vars.KUBE_CONTEXT }}"
        assert verify["with"]["environments-file"]
    job = workflow["jobs"]["before-prod"]
    verify = next(s for s in job["steps"] if s.get("uses", "").startswith("example-org/icepack-verify"))
    environ = twin.environ()
    given = {"vars.KUBE_CONTEXT": environ.pop("ICEPACK_KUBE_CONTEXT"), "secrets.ICEPACK_VERIFY_DSN": environ.pop("ICEPACK_DATABASE_URL"),
             "matrix.environment": "ci-local", "inputs.image_tag": "2f9c1e7"}
    fill = lambda text: EXPRESSION.sub(lambda m: given[m.group(1)], str(text))  # noqa: E731
    settings = empty / verify["with"]["environments-file"]
    settings.parent.mkdir(parents=True)
    settings.write_text((ROOT / "environments.toml").read_text().replace("[environments.local", "[environments.ci-local")
                        .replace('kube_context = "icepack-twin"', 'kube_context = "not-this-one"'))
    chart = empty / verify["with"]["expect-chart-yaml"]
    chart.parent.mkdir(parents=True)
    chart.write_text("apiVersion: v2\nname: icepack\nversion: 1.4.2\n")
    inputs = {k: fill(v) for k, v in verify["with"].items()} | {"extra-args": "-m 'not mutating' infra smoke"}
    twin.configure("local")
    out = run_action(installed, empty, {**environ, **{k: fill(v) for k, v in verify["env"].items()}}, inputs)
    assert out["steps"]["verify"]["verdict"] == "safe", out["stdout"][-3000:]
    report = json.loads((empty / "icepack-verify-reports" / "report.json").read_text())
    assert report["environment"] == "ci-local" and out["steps"]["verify"]["artifact"].startswith("icepack-verify-ci-local.")
    tests = {r["test"] for r in report["results"]}
    assert any("/infra/" in t for t in tests) and any("/smoke/" in t for t in tests)
    assert not any("dry_run" in t for t in tests)  # -m 'not mutating' arrived as one marker expression
def test_the_action_judges_a_render_before_apply_with_nothing_live(installed, empty):
    """The `manifests` input: the step before terraform apply, on `helm template`'s output (the twin's render)."""
    subprocess.run([sys.executable, "-m", "icepack_twin", "render", "--env", "stage", "--output",
                    str(empty / "rendered.yaml")], cwd=ROOT, check=True, timeout=60)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ICEPACK_") and k != "KUBECONFIG"}
    out = run_action(installed, empty, {**environ, "KUBECONFIG": "/nonexistent"},
                     {"environment": "stage", "manifests": "rendered.yaml", "extra-args": "infra"})
    assert {k: out["steps"]["verify"][k] for k in ("exit-code", "verdict")} == {"exit-code": "0", "verdict": "safe"}, \
        out["stdout"][-3000:]
    assert "judged the rendered manifests rendered.yaml" in out["stdout"]


@pytest.mark.parametrize("path, schema", [(ACTION, "vendor.github-actions"),
                                          *((w, "vendor.github-workflows") for w in WORKFLOWS)],
                         ids=lambda x: getattr(x, "name", x))
def test_action_and_example_workflows_match_githubs_schemas(path, schema):
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _scripts() -> list:
    found = []
    for path in [ACTION, *WORKFLOWS]:
        doc = yaml.safe_load(path.read_text())
        steps = doc["runs"]["steps"] if "runs" in doc else [s for job in doc["jobs"].values() for s in job["steps"]]
        for n, step in enumerate(steps):
            if "run" in step:
                found.append(pytest.param(step["run"], id=f"{path.name}-step{n}"))
    return found


@pytest.mark.parametrize("script", _scripts())
def test_run_scripts_pass_shellcheck(script):
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None and os.environ.get("ICEPACK_REQUIRE_TOOLS"):
        pytest.fail("shellcheck is required here (ICEPACK_REQUIRE_TOOLS) and not installed")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed here (.ci/run installs Debian's)")
    text = EXPRESSION.sub("X", script)  # a workflow's expressions are filled in before bash sees the script
    done = subprocess.run([shellcheck, "-s", "bash", "-"], input=text, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
