"""The suite as an operator meets it: --env, bad input in one sentence, secrets never shown."""
import subprocess
import sys

from harness import ROOT


def pytest_cli(*args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def error_lines(proc):
    return [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]


def test_without_env_it_stops_with_one_line_naming_the_environments():
    proc = pytest_cli()
    assert proc.returncode != 0
    assert error_lines(proc) == [
        f"ERROR: choose an environment with --env: one of dev, local, preprod, prod, stage (from {ROOT / 'environments.toml'})"]


def test_an_unknown_env_stops_with_one_line_naming_the_environments():
    proc = pytest_cli("--env", "nope")
    assert proc.returncode != 0
    assert error_lines(proc) == [
        f"ERROR: unknown environment 'nope' in {ROOT / 'environments.toml'}; known: dev, local, preprod, prod, stage"]


def test_a_broken_environments_file_names_the_field(tmp_path):
    broken = tmp_path / "environments.toml"
    broken.write_text((ROOT / "environments.toml").read_text().replace("polling_interval = 30", "polling_interval = -"))
    proc = pytest_cli("--env", "stage", f"--environments={broken}")
    assert proc.returncode != 0
    assert len(error_lines(proc)) == 1 and error_lines(proc)[0].startswith(f"ERROR: {broken} is not valid TOML")
    broken.write_text((ROOT / "environments.toml").read_text().replace("polling_interval = 30", 'polling_interval = "fast"'))
    proc = pytest_cli("--env", "stage", f"--environments={broken}")
    assert error_lines(proc) == [f"ERROR: {broken}: environment 'stage': expect.worker.polling_interval: "
                                 "Input should be a valid integer, unable to parse string as an integer"]


def test_an_unreachable_api_is_one_sentence_and_the_other_suites_still_run(twin):
    twin.configure("local")
    run = twin.run_suite("local", environ=twin.environ(ICEPACK_API_URL="http://127.0.0.1:9"))
    assert run.returncode == 1
    api_errors = [r for r in run.results if r["outcome"] == "error"]
    assert api_errors and all(r["message"].startswith("[local] API http://127.0.0.1:9: unreachable after")
                              and "\n" not in r["message"].strip() for r in api_errors)
    assert "Traceback" not in run.output
    assert any(r["test"].startswith("tests/infra/") and r["outcome"] == "passed" for r in run.results)


def test_a_wrong_dsn_is_one_sentence_and_its_password_never_shows(twin, tmp_path):
    twin.configure("local")
    secret = "hunter2-Sup3r-secret"
    dsn = f"postgresql://icepack_reader:{secret}@127.0.0.1:9/icepack"
    junit = tmp_path / "junit.xml"
    run = twin.run_suite("local", "--junitxml", str(junit), paths=("tests/data",),
                         environ=twin.environ(ICEPACK_DATABASE_URL=dsn))
    assert run.returncode == 1
    errors = [r for r in run.results if r["outcome"] == "error"]
    assert errors and all(r["message"].startswith("[local] database icepack_reader@127.0.0.1/icepack: unreachable")
                          for r in errors)
    for text in (run.output, junit.read_text(), str(run.summary)):
        assert secret not in text
    assert '<property name="icepack_environment" value="local" />' in junit.read_text()
