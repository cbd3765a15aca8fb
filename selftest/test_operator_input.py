"""Operator input in a checkout: each error names the file and line, or the variable, it came
from; an unknown key gets the nearest known one; --check-config judges every environment of
the file it read; an own file extends the shipped one (or another) by a top-level key."""
from __future__ import annotations

import os

import pytest

from harness import ROOT, edited_environments
from test_suite_cli import error_lines, pytest_cli


def clean_environ(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("ICEPACK_")}, **extra}


def line_of(path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("var, value, said", [
    ("ICEPACK_KNOWN_TABLE", "orders", "known_tables.0: Value error, 'orders' is not '<database>.<table>'"),
    ("ICEPACK_API_URL", "icepack-api.stage", "api_url: String should match pattern '^https?://'"),
])
def test_an_invalid_variable_is_blamed_on_itself_not_on_the_file(var, value, said):
    proc = pytest_cli("--env", "stage", env=clean_environ(**{var: value}))
    assert proc.returncode == 4
    assert error_lines(proc) == [f"ERROR: environment variable {var}: environment 'stage': {said}"
                                 + ("" if var == "ICEPACK_API_URL" else " of letters, digits, '_' and '-'")]


def test_check_config_judges_every_environment_and_names_a_typo_elsewhere_with_its_line(tmp_path):
    typo = edited_environments(tmp_path, ("max_replicas = 3\n\n[environments.dev.expect.orchestrator]",
                                          "max_replica = 3\n\n[environments.dev.expect.orchestrator]"))
    proc = pytest_cli("--env", "stage", f"--environments={typo}", "--check-config", env=clean_environ())
    assert proc.returncode == 4
    assert error_lines(proc) == [
        f"ERROR: 1 of 5 environments of {typo} are not valid:",
        f"{typo} line {line_of(typo, 'max_replica = 3')}: environment 'dev': [environments.dev.expect.worker] "
        "max_replica: unknown key; did you mean 'max_replicas'?"]
    assert "Extra inputs are not permitted" not in proc.stdout + proc.stderr


def test_check_config_labels_the_file_it_read(tmp_path):
    own = tmp_path / "ops.toml"
    own.write_text((ROOT / "environments.toml").read_text())
    proc = pytest_cli("--env", "stage", f"--environments={own}", "--check-config", env=clean_environ())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"expect.worker.max_replicas = 3  [charts/icepack/values-stage.yaml override ({own} [environments.stage." \
           "expect.worker])]" in proc.stdout
    assert f"checks.http_attempts = 5  [{own} [defaults.checks]]" in proc.stdout
    assert "environments.toml [" not in proc.stdout.replace(f"{own} [", "")
    assert f"{own}: every environment is valid (dev, local, preprod, prod, stage)" in proc.stdout + proc.stderr
    every = pytest_cli("--env", "all", f"--environments={own}", "--check-config", env=clean_environ())
    assert every.returncode == 0 and "expect.worker" not in every.stdout  # all: judged, not printed


def test_an_own_file_extends_another_by_path_and_a_loop_or_a_misspelt_key_is_one_sentence(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text((ROOT / "environments.toml").read_text())
    own = tmp_path / "own.toml"
    own.write_text('extends = "base.toml"\n\n[environments.stage.expect.worker]\nmax_replicas = 7\n')
    proc = pytest_cli("--env", "stage", f"--environments={own}", "--check-config", env=clean_environ())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"expect.worker.max_replicas = 7  [charts/icepack/values-stage.yaml override ({own} " in proc.stdout
    assert f"hostname = \"icepack-api.stage.example.com\"  [{base} [environments.stage]]" in proc.stdout
    assert f"{own} over {base}: every environment is valid" in proc.stdout + proc.stderr
    base.write_text('extends = "own.toml"\n' + base.read_text())
    loop = pytest_cli("--env", "stage", f"--environments={own}", env=clean_environ())
    assert loop.returncode == 4 and error_lines(loop) == [
        f"ERROR: {base} line 1: extends 'own.toml' leads back to {own}: a loop"]
    own.write_text('extend = "shipped"\n')
    typo = pytest_cli("--env", "stage", f"--environments={own}", env=clean_environ())
    assert error_lines(typo) == [f"ERROR: {own} line 1: unknown top-level key 'extend'; did you mean 'extends'? "
                                 "(an environments file has extends, defaults, environments)"]


def test_a_minimal_own_file_over_the_shipped_one_needs_only_what_differs(tmp_path):
    own = tmp_path / "mine.toml"
    own.write_text('extends = "shipped"\n[environments.stage]\napi_url = "https://icepack.internal.example.org"\n')
    proc = pytest_cli("--env", "stage", f"--environments={own}", "--check-config", env=clean_environ())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f'api_url = "https://icepack.internal.example.org"  [{own} [environments.stage]]' in proc.stdout
    assert "Field required" not in proc.stdout + proc.stderr
