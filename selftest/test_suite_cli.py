"""The suite as an operator meets it: --env, bad input in one sentence, secrets never shown."""
import os
import subprocess
import sys

import pytest

from harness import ROOT, edited_environments, kubeconfig


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


def test_collect_only_lists_the_tests_and_judges_nothing(tmp_path):
    """Listing the tests is not a run: pytest's own exit code, no verdict, no report."""
    report = tmp_path / "report.json"
    proc = pytest_cli("--env", "local", "--collect-only", "-q", f"--report-json={report}")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "tests/infra/test_api_deployment.py::test_api_deployment_spec" in proc.stdout
    assert "inconclusive" not in proc.stdout and "icepack-verify" not in proc.stdout and not report.exists()


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
    line = next(n for n, text in enumerate(broken.read_text().splitlines(), 1) if '"fast"' in text)
    assert error_lines(proc) == [f"ERROR: {broken} line {line}: environment 'stage': expect.worker.polling_interval: "
                                 "Input should be a valid integer, unable to parse string as an integer"]


def test_a_file_with_several_mistakes_lists_every_field(tmp_path):
    broken = edited_environments(tmp_path, ("polling_interval = 30", 'polling_interval = "fast"'),
                                 ('account_id = "174558682303"', 'account_id = "1745"'),
                                 ("http_attempts = 5 ", "http_attempts = 0 "))
    proc = pytest_cli("--env", "stage", f"--environments={broken}")
    assert proc.returncode == 4
    line = {key: next(n for n, text in enumerate(broken.read_text().splitlines(), 1) if text.startswith(value))
            for key, value in (("account", 'account_id = "1745"'), ("polling", 'polling_interval = "fast"'),
                               ("attempts", "http_attempts = 0"))}
    assert error_lines(proc) == [
        f"ERROR: {broken}: environment 'stage': 3 fields at fault:",
        f"  {broken} line {line['account']}: account_id: String should match pattern '^\\d{{12}}$'",
        f"  {broken} line {line['polling']}: expect.worker.polling_interval: Input should be a valid integer, "
        "unable to parse string as an integer",
        f"  {broken} line {line['attempts']}: checks.http_attempts: Input should be greater than or equal to 1"]


def inconclusive(run, dependency: str, cause: str) -> list[dict]:
    """The run's not-run results after one dependency was down; asserts the verdict's shape."""
    assert run.returncode == 75 and run.summary["verdict"] == "inconclusive", run.output[-3000:]
    assert run.summary["rollback_tier"] is None and run.summary["rollback_hint"] is None
    assert "rollback:" not in run.output and "Traceback" not in run.output
    assert any(line.startswith(f"preflight: {dependency}: DOWN") and cause in line for line in run.output.splitlines())
    not_run = [r for r in run.results if r["outcome"] == "not run"]
    assert not_run and all(r["message"].startswith(f"not run: {dependency} is down") and cause in r["message"]
                           and "\n" not in r["message"].strip() for r in not_run), not_run
    assert not run.failed, run.explain()  # nothing observed wrong
    return not_run


def test_an_unreachable_api_is_inconclusive_and_the_other_suites_still_run(twin, tmp_path):
    twin.configure("local")
    junit = tmp_path / "junit.xml"
    run = twin.run_suite("local", "--junitxml", str(junit), environ=twin.environ(ICEPACK_API_URL="http://127.0.0.1:9"))
    inconclusive(run, "Icepack API", "http://127.0.0.1:9: GET /readyz unreachable after 5 attempts")
    assert any(r["test"].startswith("tests/infra/") and r["outcome"] == "passed" for r in run.results)
    assert '<property name="icepack_verdict" value="inconclusive" />' in junit.read_text()


def test_a_wrong_dsn_is_inconclusive_in_one_sentence_and_its_password_never_shows(twin, tmp_path):
    twin.configure("local")
    secret = "hunter2-Sup3r-secret"
    dsn = f"postgresql://icepack_reader:{secret}@127.0.0.1:9/icepack"
    junit = tmp_path / "junit.xml"
    run = twin.run_suite("local", "--junitxml", str(junit), environ=twin.environ(ICEPACK_DATABASE_URL=dsn))
    inconclusive(run, "database", "database icepack_reader@127.0.0.1/icepack: unreachable")
    assert any(r["test"].startswith("tests/contracts/") and r["outcome"] == "passed" for r in run.results)
    for text in (run.output, junit.read_text(), str(run.summary)):
        assert secret not in text
    assert '<property name="icepack_environment" value="local" />' in junit.read_text()


def test_a_failing_kubeconfig_login_is_inconclusive_with_the_plugins_own_words(twin, tmp_path):
    twin.configure("local")
    failing_login = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "sh",
                              "args": ["-c", "echo 'Unable to locate credentials' >&2; exit 255"]}}
    run = twin.run_suite("local", environ=twin.environ(**kubeconfig(tmp_path, "https://127.0.0.1:9", failing_login)))
    not_run = inconclusive(run, "Kubernetes", "credential plugin failed: process returned 255. Unable to locate credentials")
    assert {r["test"].split("/")[1] for r in not_run} == {"infra"}
    assert any(r["test"].startswith("tests/smoke/") and r["outcome"] == "passed" for r in run.results)


def test_a_late_health_sync_is_a_warning_safe_unless_warnings_fail(twin, tmp_path):
    twin.configure("local", drifts=("health-sync-late",))
    junit = tmp_path / "junit.xml"
    run = twin.run_suite("local", "--junitxml", str(junit), paths=("tests/data",))
    assert run.returncode == 0 and run.summary["verdict"] == "safe", run.explain()
    assert run.summary["counts"]["warnings"] == 2
    assert all(w["outcome"] == "warning" and "past the warn threshold 0:20:00" in w["message"]
               and w["test"].startswith("tests/data/test_freshness.py") for w in run.summary["warnings"])
    assert junit.read_text().count('name="icepack_warning"') == 2
    assert '<property name="icepack_warnings" value="2" />' in junit.read_text()
    strict = twin.run_suite("local", "--fail-on-warning", paths=("tests/data",))
    assert strict.returncode == 1 and strict.summary["verdict"] == "unsafe"
    assert "--fail-on-warning makes it a failure" in strict.messages("tests/data/test_freshness.py::test_snapshot_table_is_fresh")


def test_a_kube_context_on_something_else_is_inconclusive(twin, tmp_path):
    """Every list refused (here: a web server that is not a Kubernetes API) is a dependency down, not a broken deploy."""
    twin.configure("local")
    run = twin.run_suite("local", paths=("tests/infra", "tests/smoke/test_readiness.py"),
                         environ=twin.environ(**kubeconfig(tmp_path, twin.state["api_url"])))
    inconclusive(run, "Kubernetes", "refused every list: 404 Not Found")
    assert "not-a-token" not in run.output


def test_hostile_names_credentials_in_urls_and_unbounded_settings_are_refused_before_any_request(tmp_path):
    broken = edited_environments(
        tmp_path, ('known_tables = ["analytics.events", "sales.orders", "ops.audit_log"]',
                   'known_tables = ["x#.y", "admin?drain=on&x=.y", "a%2Fb.c"]'),
        ('api_url = "http://127.0.0.1:8000"', 'api_url = "https://user:s3cr3t-pw@host"'),
        ('http_timeout = "10s"', 'http_timeout = "9999999999d"'), ('dry_run_timeout = "120s"', 'dry_run_timeout = "0s"'),
        ("schemathesis_max_examples = 10", "schemathesis_max_examples = 100000000"))
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("ICEPACK_")}
    proc = pytest_cli("--env", "local", f"--environments={broken}", env=env)
    lines = error_lines(proc)
    assert proc.returncode == 4 and lines[0] == f"ERROR: {broken}: environment 'local': 7 fields at fault:", lines
    fields = [line.split(": ")[1].strip() for line in lines[1:]]
    assert fields == ["api_url", "known_tables.0", "known_tables.1", "known_tables.2", "checks.dry_run_timeout",
                      "checks.http_timeout", "checks.schemathesis_max_examples"], lines
    assert "s3cr3t-pw" not in proc.stdout + proc.stderr and "Traceback" not in proc.stdout + proc.stderr


def test_the_deadline_ends_the_run_inconclusive_with_its_reports(twin, tmp_path):
    """A run that would wait on a slow answer stops at --deadline: the rest not run, reports written."""
    import time

    twin.configure("local", drifts=("one-table-status-slow",))  # GET .../sales/orders/status takes 3.2 s
    junit = tmp_path / "junit.xml"
    started = time.monotonic()
    run = twin.run_suite("local", "--deadline", "1.5", "--junitxml", str(junit))
    elapsed = time.monotonic() - started
    assert run.returncode == 75 and run.summary["verdict"] == "inconclusive", run.output[-3000:]
    assert elapsed < 1.5 + 15, elapsed  # the deadline, plus interpreter start-up and writing the reports
    not_run = [r for r in run.results if r["outcome"] == "not run"]
    assert not_run and all("deadline (1.5 s, --deadline) passed" in r["message"] for r in not_run)
    assert run.summary["rollback_hint"] is None and junit.exists()
    assert '<property name="icepack_verdict" value="inconclusive" />' in junit.read_text()


# Distinctive secrets the run is given; none may appear in any output or report, even with
# pytest's most talkative flags (every frame's locals on every failure).
SECRETS = {"dsn": "Db-pass-9914-zq", "kube": "kube-tok-5521-zq", "url": "Url-pass-3307-zq"}
TALKATIVE = ("-vv", "--tb=long", "-l", "-rA")


def leaks(run, *reports) -> list[str]:
    texts = [run.output, *(p.read_text() for p in reports if p.exists())]
    return [name for name, secret in SECRETS.items() for text in texts if secret in text]


@pytest.mark.parametrize("kube", ["unreachable", "reachable"])
def test_no_secret_the_run_was_given_reaches_any_output(twin, tmp_path, kube):
    twin.configure("local", drifts=("api-replicas-1", "status-missing-key"))  # failures to describe
    reachable_dsn = twin.state["database_url"].replace("twin-reader-secret", SECRETS["dsn"])
    environ = twin.environ(
        ICEPACK_DATABASE_URL=reachable_dsn if kube == "reachable" else f"postgresql://r:{SECRETS['dsn']}@127.0.0.1:9/x",
        **kubeconfig(tmp_path, twin.state["kube_url"] if kube == "reachable" else "https://127.0.0.1:9",
                     {"token": SECRETS["kube"]}))
    junit = tmp_path / "junit.xml"
    run = twin.run_suite("local", *TALKATIVE, f"--junitxml={junit}", environ=environ)
    assert run.returncode in (1, 75) and run.results, run.output[-3000:]
    assert not leaks(run, junit, twin.state_dir / f"suite-{os.getpid()}.json")


def test_userinfo_in_the_api_url_is_refused_and_never_echoed(twin, tmp_path):
    url = f"http://verify:{SECRETS['url']}@127.0.0.1:9"
    junit = tmp_path / "junit.xml"
    run = twin.run_suite("local", *TALKATIVE, f"--junitxml={junit}", environ=twin.environ(ICEPACK_API_URL=url))
    assert run.returncode not in (0, 1), run.output[-2000:]
    assert "api_url" in run.output and not leaks(run, junit)


def test_the_one_redactor_covers_terminal_junit_and_json(twin, tmp_path):
    """A test that prints and raises the very secrets (not one of ours): the plugin's redactor
    still keeps them out of the terminal, the JUnit file and the JSON report."""
    (tmp_path / "test_careless.py").write_text(
        "import os\n"
        "def test_careless(database, cluster):\n"
        "    print('connecting with', os.environ['ICEPACK_DATABASE_URL'])\n"
        "    raise AssertionError(os.environ['ICEPACK_DATABASE_URL'] + ' ' + open(os.environ['KUBECONFIG']).read())\n")
    environ = twin.environ(ICEPACK_DATABASE_URL=twin.state["database_url"].replace("twin-reader-secret", SECRETS["dsn"]),
                           **kubeconfig(tmp_path, twin.state["kube_url"], {"token": SECRETS["kube"]}))
    environ["ICEPACK_KUBE_CONTEXT"] = "icepack-elsewhere"
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    run = pytest_cli("-p", "icepack_verify.plugin", "--env", "local", f"--environments={ROOT / 'environments.toml'}",
                     *TALKATIVE, f"--junitxml={junit}", f"--report-json={report}", "test_careless.py",
                     env=environ, cwd=tmp_path)
    run.output = run.stdout + run.stderr
    assert run.returncode == 1 and "***" in run.output, run.output[-3000:]
    assert not leaks(run, junit, report)
