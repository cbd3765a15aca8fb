"""The pytest plugin: hooks and fixtures only, each a few lines over the run's one state.

The state is a `VerifySession` (session.py: the environment, the connections, the redactor,
the results, the deadline) under one stash key; the reports are written from it
(reporting.py). The session's connections (API, Kubernetes snapshot, database) are built
once, and only if a collected test needs them; they start in the background right after
collection. A connection that fails, at the start or mid-run, leaves the tests that need
it "not run" with one sentence; the other suites still run. No hook lets an exception
escape: the run ends inconclusive with one sentence instead of pytest's INTERNALERROR.
"""
from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path

import pytest

from icepack_verify import cli, reporting
from icepack_verify.contract import ENDPOINTS
from icepack_verify.environments import Environment
from icepack_verify.errors import ConfigError
from icepack_verify.helm import chart_yaml_version
from icepack_verify.inventory import Objects, Row, rows
from icepack_verify.phases import PHASES, Phase
from icepack_verify.session import KEY, VerifySession, guarded, of


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("icepack-verify")
    group.addoption("--env", help="the environment to verify (a name in environments.toml)")
    group.addoption("--environments", default=None, type=Path,
                    help="the environments file (default: the suite's own environments.toml)")
    group.addoption("--phase", default="live", choices=sorted(PHASES),
                    help="runbook phase of a migration window: paused, resumed or live (default)")
    group.addoption("--allow-dry-run", action="store_true",
                    help="run the tests marked mutating (the dry-run job), also where the environment does not allow it")
    group.addoption("--all-tables", action="store_true",
                    help="also check the read contracts of every table the snapshot tables track (read from the "
                         "database), not only the known ones; findings grouped by how they break")
    group.addoption("--expect-chart-version", default=None, help="the chart version the Helm release must carry")
    group.addoption("--expect-chart-yaml", default=None, type=Path,
                    help="read the expected chart version from this Chart.yaml")
    group.addoption("--expect-image-tag", default=None, help="the image tag every Icepack workload must run")
    group.addoption("--report-json", default=None, type=Path, help="write a JSON summary with a rollback hint here")
    group.addoption("--metrics-push", default=None, metavar="URL",
                    help="push the run's metrics to this Prometheus Pushgateway (job icepack_verify, grouped by "
                         "environment); a failed push is reported and does not change the verdict")
    group.addoption("--metrics-textfile", default=None, type=Path, metavar="PATH",
                    help="write the run's metrics to this file (node-exporter textfile collector format, atomically)")
    group.addoption("--baseline-dir", default=None, type=Path,
                    help="where the per-environment OpenAPI baselines live (default: tests/contracts/baselines of "
                         "the suite; required to record one with the installed tool)")
    group.addoption("--record-baseline", action="store_true",
                    help="record the served OpenAPI spec as this environment's breaking-change baseline "
                         "(tests/contracts/baselines/<env>.json), showing what changed")
    group.addoption("--deadline", default=300.0, type=float, metavar="SECONDS",
                    help="end the run after this long (default 300 s, for a deploy gate): the tests still to come "
                         "are not run, the verdict is inconclusive, and the reports are written")
    group.addoption("--check-config", action="store_true",
                    help="judge every environment of the environments file, print --env's merged settings with "
                         "where each comes from (none with --env all or without --env), then stop")
    group.addoption("--fail-on-warning", action="store_true",
                    help="a check that ends in a warning (late, slow: not yet wrong) fails instead")
    group.addoption("--manifests", default=None, type=Path, metavar="PATH",
                    help="before apply: judge these rendered manifests (helm template output) instead of the live "
                         "cluster; checks that need a live environment are not run (icepack_verify.manifests)")
    group.addoption("--compare-with", default=None, metavar="ENV",
                    help="also compare the environment with this one, both live and read-only: every difference must "
                         "be one environments.toml declares (tests/compare)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mutating: writes to the environment (the dry-run job); opt-in")
    config.addinivalue_line("markers", "rollback(tier): the rollback tier a failure of this test points at")
    config.addinivalue_line("markers", "all_tables: runs over every tracked table; selected by --all-tables")
    config.addinivalue_line("markers", "judges_the_run: judges every answer the run read; runs after the other tests")
    config.addinivalue_line("markers", "compare: compares two environments; selected by --compare-with")
    # Hypothesis (under Schemathesis) keeps a cache folder; never in the operator's directory
    # (a gate's checkout, a read-only container): in the temp folder.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "icepack-verify-hypothesis"))
    if config.option.help or config.option.version:
        return
    vs = VerifySession(config)
    vs.arm_deadline()  # before the environments file is read: a file that never ends is bounded too
    try:
        if said := (cli.unknown_suites(config.args, config.invocation_params.dir)
                    or cli.recording_problem(config.option, config.rootpath)):
            raise ConfigError(None, said)
        if config.option.expect_chart_yaml:  # a file the operator names is input: unreadable, a usage error
            chart_yaml_version(config.option.expect_chart_yaml)
        if config.option.check_config:
            settings, verdict = vs.check_config()
            print(vs.redact("\n".join(settings)))
            pytest.exit(vs.redact(verdict), returncode=0)
        vs.load()
        vs.read_modes()
    except ConfigError as exc:
        raise pytest.UsageError(vs.redact(str(exc))) from None
    config.stash[KEY] = vs


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # The process is about to end: its final collections would walk every object the imports
    # made (~0.4 s here) to free memory the OS takes back anyway. Finalizers still run.
    gc.freeze()


def pytest_report_header(config: pytest.Config) -> list[str]:
    vs = of(config)
    if vs is None:
        return []
    with guarded(config, "writing the header"):
        env = vs.env
        return [vs.redact(f"icepack-verify: environment {env.name} (account {env.account_id}), "
                          f"phase {config.option.phase}, api {env.api_url}, kube context {env.kube_context}")]
    return []


# --- fixtures ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def environment(pytestconfig: pytest.Config) -> Environment:
    return pytestconfig.stash[KEY].env


@pytest.fixture(scope="session", autouse=True)
def _junit_properties(record_testsuite_property, environment: Environment, pytestconfig: pytest.Config):
    """The deploy gate's JUnit XML says which environment and phase it judged (its verdict: reporting)."""
    record_testsuite_property("icepack_environment", environment.name)
    record_testsuite_property("icepack_account_id", environment.account_id)
    record_testsuite_property("icepack_phase", pytestconfig.option.phase)


@pytest.fixture(scope="session")
def other_environment(pytestconfig: pytest.Config) -> Environment:
    """--compare-with: the environment compared with (its ICEPACK_<NAME>_* overrides applied)."""
    return pytestconfig.stash[KEY].other


@pytest.fixture(scope="session")
def expect(environment: Environment):
    return environment.expect


@pytest.fixture(scope="session")
def diagnose(pytestconfig: pytest.Config):
    """diagnose("Deployment icepack/icepack-api") -> a Diagnosis bound to the environment, its
    warnings filed with the test's report."""
    return pytestconfig.stash[KEY].diagnosis


@pytest.fixture(scope="session")
def inventory(environment: Environment) -> list[Row]:
    """The inventory rows this environment deploys (deployment document, "Infrastructure inventory")."""
    return rows(environment)


@pytest.fixture(scope="session")
def objects(cluster, environment: Environment) -> Objects:
    """The inventory's objects in the one cluster snapshot, looked up by role."""
    return Objects(cluster, environment)


@pytest.fixture(scope="session")
def phase(pytestconfig: pytest.Config) -> Phase:
    return PHASES[pytestconfig.option.phase]


@pytest.fixture(scope="session")
def api(pytestconfig: pytest.Config):
    client = pytestconfig.stash[KEY].connection("api")
    yield client
    with guarded(pytestconfig, "closing the API client"):
        client.close()


@pytest.fixture(scope="session")
def cluster(pytestconfig: pytest.Config):
    return pytestconfig.stash[KEY].connection("cluster")


@pytest.fixture(scope="session")
def database(pytestconfig: pytest.Config):
    db = pytestconfig.stash[KEY].connection("database")
    yield db
    with guarded(pytestconfig, "closing the database session"):
        db.close()


# --- collection and the run ----------------------------------------------------------------

def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The checks of every tracked table run with --all-tables only, the comparison of two environments
    with --compare-with only (deselected, not skipped, otherwise); the tests that judge every answer of
    the run run last."""
    items.sort(key=lambda item: item.get_closest_marker("judges_the_run") is not None)  # stable: order kept
    for marker, wanted in (("all_tables", config.option.all_tables), ("compare", config.option.compare_with)):
        if wanted:
            continue
        aside = [item for item in items if item.get_closest_marker(marker)]
        if aside:
            config.hook.pytest_deselected(items=aside)
            items[:] = [item for item in items if not item.get_closest_marker(marker)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`table` runs over the environment's known tables, `endpoint` over the split read contracts."""
    if "table" in metafunc.fixturenames:
        metafunc.parametrize("table", metafunc.config.stash[KEY].env.known_tables)
    if "endpoint" in metafunc.fixturenames:
        metafunc.parametrize("endpoint", ENDPOINTS)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """The preflight: every connection the selected tests need, started at once, one line each."""
    vs = of(session.config)
    if vs is None or session.config.option.collectonly:
        return
    gc.freeze()  # what imports and collection built lives to the end: the collector need not walk it again
    with guarded(session.config, "starting the connections"):
        lines = vs.preflight(session.items)
        writer = session.config.pluginmanager.get_plugin("terminalreporter")
        for line in lines if writer is not None else ():
            writer.write_line(line)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The dry-run gate: mutating tests run only where the environment (or --allow-dry-run) allows."""
    if item.get_closest_marker("mutating") is None or item.config.option.allow_dry_run:
        return
    env = item.config.stash[KEY].env
    if env.name == "prod":
        pytest.skip("mutating test refused in prod without --allow-dry-run")
    if not env.allow_dry_run:
        pytest.skip(f"mutating test: {env.name} does not set allow_dry_run in environments.toml (or pass --allow-dry-run)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """Each phase's report says what was observed (session.judge), and is recorded as the run's result."""
    outcome = yield
    with guarded(item.config, f"reporting {item.nodeid}"):
        item.config.stash[KEY].judge(item, call, outcome.get_result())


@pytest.hookimpl(tryfirst=True)  # before junitxml writes its file
def pytest_sessionfinish(session: pytest.Session) -> None:
    vs = of(session.config)
    if vs is None or session.config.option.collectonly:  # nothing was judged: no verdict, pytest's own exit code
        return
    vs.finishing.set()
    with guarded(session.config, "writing the reports"):
        reporting.finish(vs, session)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    vs = of(config)
    if vs is None or config.option.collectonly:
        return
    with guarded(config, "writing the summary"):
        reporting.terminal(vs, terminalreporter)
