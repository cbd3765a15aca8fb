"""The installed tool as an on-call engineer meets it: the wheel in a fresh venv, run from an
empty folder. The answer at the end of the output, operator input refused in one sentence,
an own environments file over the shipped one, baselines kept outside the package."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from harness import EXPECTATIONS

pytestmark = pytest.mark.xdist_group("shipped")  # shares the wheel's venv (conftest.installed) with test_shipped


def tool(installed: Path, *args: str, cwd: Path, env: dict | None = None, timeout: float = 180):
    return subprocess.run([installed / "icepack-verify", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def empty(tmp_path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_a_failing_run_ends_with_the_verdict_the_tier_and_each_failures_field(installed, empty, twin):
    twin.configure("local", drifts=("api-replicas-1", "status-missing-key"))
    done = tool(installed, "--env", "local", *EXPECTATIONS, "--report-json=r.json", cwd=empty, env=twin.environ())
    assert done.returncode == 1, done.stdout[-3000:]
    report = json.loads((empty / "r.json").read_text())
    first = report["failures"][0]  # the headline tier's failures come first in the closing block
    headline = [f for f in report["failures"] if f["rollback_tier"] == report["rollback_tier"]][0]
    last = done.stdout.splitlines()[-25:]
    assert any(line.startswith("local (phase live): unsafe (") for line in last), last
    assert f"rollback: {report['rollback_hint']}" in last, last
    field_line = next(ln.strip() for ln in headline["message"].splitlines()[1:] if ": expected " in ln)
    assert any(field_line in line and headline["test"] in line for line in last), (field_line, last)
    assert first["test"] in done.stdout
    # Short by default: no path into the installed package, no Schemathesis schema dump, no traceback.
    assert "site-packages" not in done.stdout + done.stderr
    assert "Schema at" not in done.stdout and "Traceback" not in done.stdout
    print(f"failing run: {len(done.stdout.splitlines())} lines of output")  # measured, not asserted


def test_pytests_own_output_stays_available_and_v_shows_the_details(installed, empty, twin):
    twin.configure("local", drifts=("status-missing-key",))
    usual = tool(installed, "--env", "local", "contracts", "--pytest-output", cwd=empty, env=twin.environ())
    assert usual.returncode == 1 and "= FAILURES =" in usual.stdout and "short test summary info" in usual.stdout
    assert "Schema at" not in usual.stdout  # the schema dump only under -v
    verbose = tool(installed, "--env", "local", "contracts", "-v", "-k", "get_operations", cwd=empty, env=twin.environ())
    assert verbose.returncode == 1 and "Schema at /components/schemas/TableStatus" in verbose.stdout


def test_an_inconclusive_run_says_each_cause_once_with_its_count(installed, empty, twin):
    twin.configure("local")
    down = twin.environ(ICEPACK_API_URL="http://127.0.0.1:9")
    short = tool(installed, "--env", "local", "contracts", "smoke", cwd=empty, env=down)
    assert short.returncode == 75, short.stdout[-3000:]
    said = [ln for ln in short.stdout.splitlines() if ln.startswith("not run: Icepack API is down")]
    assert len(said) == 1 and re.search(r"; \d+ tests$", said[0]), short.stdout[-2000:]
    usual = tool(installed, "--env", "local", "contracts", "smoke", "--pytest-output", cwd=empty, env=down)
    skipped = [ln for ln in usual.stdout.splitlines() if ln.startswith("SKIPPED")]
    assert len([ln for ln in skipped if "Icepack API is down" in ln]) == 1, skipped  # -ra: one line per cause
    assert re.match(r"SKIPPED \[(\d+)\] icepack-verify: not run: Icepack API is down", skipped[0]), skipped
    assert "site-packages" not in "\n".join(skipped)


@pytest.mark.parametrize("args, words", [
    (("--expect-chart-yaml=Chart.yaml",), "ERROR: --expect-chart-yaml Chart.yaml: no such file"),
    (("--expect-chart-yaml=bad.yaml",), "ERROR: --expect-chart-yaml bad.yaml: not valid YAML (line 2)"),
    (("--expect-chart-yaml=values.yaml",), "ERROR: --expect-chart-yaml values.yaml: no `version:` of a chart"),
    (("--environments=ops",), "ERROR: environments file ops is a directory, not a regular file"),
    (("contract",), "ERROR: 'contract': no such suite or test path; the suites are contracts, data, infra, smoke"),
    (("--record-baseline",), "ERROR: --record-baseline needs --baseline-dir=DIR here"),
])
def test_input_the_operator_names_that_cannot_be_used_is_one_sentence_and_exit_4(installed, empty, args, words):
    (empty / "bad.yaml").write_text("version: [1\n")
    (empty / "values.yaml").write_text("replicas: 2\n")
    (empty / "ops").mkdir()
    done = tool(installed, "--env", "local", *args, cwd=empty)
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
    assert done.returncode == 4 and len(lines) == 1 and lines[0].startswith(words), lines
    assert "INTERNALERROR" not in done.stdout + done.stderr


def test_an_own_file_over_the_shipped_one_passes_check_config_once_its_urls_are_filled_in(installed, empty):
    wrote = tool(installed, "init", "--env", "stage", "ops.toml", cwd=empty)
    assert wrote.returncode == 0 and "icepack-verify --environments=ops.toml --check-config --env stage" in wrote.stdout
    text = (empty / "ops.toml").read_text()
    assert 'extends = "shipped"' in text and "FILL IN" in text
    unfilled = tool(installed, "--environments=ops.toml", "--check-config", "--env", "stage", cwd=empty)
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if ln.startswith("api_url"))
    assert unfilled.returncode == 4 and f"ops.toml line {line}: environment 'stage': api_url" in unfilled.stderr
    (empty / "ops.toml").write_text(text.replace('api_url = ""', 'api_url = "https://icepack.stage.ops.example.org"'))
    filled = tool(installed, "--environments=ops.toml", "--check-config", "--env", "stage", cwd=empty)
    assert filled.returncode == 0, filled.stdout + filled.stderr
    assert 'api_url = "https://icepack.stage.ops.example.org"  [ops.toml [environments.stage]]' in filled.stdout
    assert "[shipped environments.toml [environments.stage]]" in filled.stdout  # what it did not set
    assert "ops.toml over shipped environments.toml: every environment is valid" in filled.stdout + filled.stderr
    shipped = tool(installed, "init", "--shipped", cwd=empty)
    assert shipped.returncode == 0 and "[environments.prod]" in shipped.stdout
    again = tool(installed, "init", "ops.toml", cwd=empty)
    assert again.returncode == 4 and "exists" in again.stderr


def test_baselines_from_the_installed_tool_live_where_the_operator_says(installed, empty, twin):
    twin.configure("local")
    package = next(installed.parent.glob("lib/python3*/site-packages/icepack_verify_suite/tests/contracts/baselines"))
    before = sorted(p.name for p in package.iterdir())
    (empty / "baselines").mkdir()
    missing = tool(installed, "--env", "local", "contracts", "-k", "no_breaking_change", "--baseline-dir=baselines",
                   "--report-json=r.json", cwd=empty, env=twin.environ())
    hint = json.loads((empty / "r.json").read_text())["results"][0]["message"]
    command = re.search(r"`(icepack-verify [^`]+)`", hint)
    assert missing.returncode == 75 and command, hint
    assert command[1] == "icepack-verify --env local --record-baseline --baseline-dir=baselines contracts -k no_breaking_change"
    first = tool(installed, *command[1].split()[1:], cwd=empty, env=twin.environ())  # the hint, as given
    assert "recorded the first OpenAPI baseline of local at baselines/local.json" in first.stdout, first.stdout[-2000:]
    assert "against the previous one" not in first.stdout
    again = tool(installed, *command[1].split()[1:], cwd=empty, env=twin.environ())
    assert "against the previous one, 0 breaking change(s), 0 addition(s)" in again.stdout, again.stdout[-2000:]
    judged = tool(installed, "--env", "local", "contracts", "-k", "no_breaking_change", "--baseline-dir=baselines",
                  cwd=empty, env=twin.environ())
    assert judged.returncode == 0, judged.stdout[-2000:]
    assert sorted(p.name for p in package.iterdir()) == before  # nothing written into the package
