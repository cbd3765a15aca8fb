"""The pytest plugin: --env and friends, markers, the session fixtures, the reports.

The session's connections (API, Kubernetes snapshot, database) are built once, and only
if a collected test needs them; they start in the background right after collection.
A connection whose target is unreachable fails the tests that need it with one
sentence; the other suites still run.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from icepack_verify import environments, report
from icepack_verify.contract import ENDPOINTS
from icepack_verify.diagnosis import Diagnosis
from icepack_verify.environments import Environment
from icepack_verify.errors import ConfigError, Unreachable
from icepack_verify.inventory import Objects, Row, rows
from icepack_verify.phases import PHASES, Phase

# Private to the plugin: tests reach the environment through the `environment` fixture.
ENV_KEY = pytest.StashKey[Environment]()
RESULTS_KEY = pytest.StashKey[list]()
SECRETS_KEY = pytest.StashKey[set]()
SUMMARY_KEY = pytest.StashKey[dict]()
PREFETCH_KEY = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("icepack-verify")
    group.addoption("--env", help="the environment to verify (a name in environments.toml)")
    group.addoption("--environments", default=None, type=Path,
                    help="the environments file (default: environments.toml at the project root)")
    group.addoption("--phase", default="live", choices=sorted(PHASES),
                    help="runbook phase of a migration window: paused, resumed or live (default)")
    group.addoption("--allow-dry-run", action="store_true",
                    help="run the tests marked mutating (the dry-run job), also where the environment does not allow it")
    group.addoption("--expect-chart-version", default=None, help="the chart version the Helm release must carry")
    group.addoption("--expect-chart-yaml", default=None, type=Path,
                    help="read the expected chart version from this Chart.yaml")
    group.addoption("--expect-image-tag", default=None, help="the image tag every Icepack workload must run")
    group.addoption("--report-json", default=None, type=Path, help="write a JSON summary with a rollback hint here")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mutating: writes to the environment (the dry-run job); opt-in")
    config.addinivalue_line("markers", "rollback(tier): the rollback tier a failure of this test points at")
    config.stash[RESULTS_KEY] = []
    config.stash[SECRETS_KEY] = set()
    config.pluginmanager.register(_Reporter(config), "icepack-verify-reporter")
    if config.option.help or config.option.version:
        return
    path = config.option.environments or (config.rootpath / "environments.toml")
    name = config.option.env
    try:
        if not name:
            known = environments.known_names(environments.load_file(path))
            raise ConfigError(None, f"choose an environment with --env: one of {', '.join(known)} (from {path})")
        config.stash[ENV_KEY] = environments.load(path, name)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    env = config.stash.get(ENV_KEY, None)
    if env is None:
        return []
    return [f"icepack-verify: environment {env.name} (account {env.account_id}), phase {config.option.phase}, "
            f"api {env.api_url}, kube context {env.kube_context}"]


# --- fixtures ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def environment(pytestconfig: pytest.Config) -> Environment:
    return pytestconfig.stash[ENV_KEY]


@pytest.fixture(scope="session", autouse=True)
def _junit_properties(record_testsuite_property, environment: Environment, pytestconfig: pytest.Config) -> None:
    """The deploy gate's JUnit XML says which environment and phase it judged."""
    record_testsuite_property("icepack_environment", environment.name)
    record_testsuite_property("icepack_account_id", environment.account_id)
    record_testsuite_property("icepack_phase", pytestconfig.option.phase)


@pytest.fixture(scope="session")
def expect(environment: Environment):
    return environment.expect


@pytest.fixture(scope="session")
def diagnose(environment: Environment):
    """diagnose("Deployment icepack/icepack-api") -> a Diagnosis bound to the environment."""
    return lambda resource: Diagnosis(environment.name, resource)


@pytest.fixture(scope="session")
def inventory(environment: Environment) -> list[Row]:
    """The inventory rows this environment deploys (deployment document, "Infrastructure inventory")."""
    return rows(environment)


@pytest.fixture(scope="session")
def objects(cluster, environment: Environment) -> Objects:
    """The inventory's objects in the one cluster snapshot, looked up by role."""
    return Objects(cluster, environment)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`table` runs over the environment's known tables, `endpoint` over the split read contracts."""
    if "table" in metafunc.fixturenames:
        metafunc.parametrize("table", metafunc.config.stash[ENV_KEY].known_tables)
    if "endpoint" in metafunc.fixturenames:
        metafunc.parametrize("endpoint", ENDPOINTS)


@pytest.fixture(scope="session")
def phase(pytestconfig: pytest.Config) -> Phase:
    return PHASES[pytestconfig.option.phase]


# --- the session's connections: started in the background as soon as collection shows
# which are needed, so the Kubernetes snapshot, the database login and the API probe
# overlap each other and the first tests instead of queueing behind them.

def _builders(config: pytest.Config) -> dict:
    env = config.stash[ENV_KEY]

    def api():
        from icepack_verify.api import ApiClient

        client = ApiClient(env.api_url, timeout=env.checks.http_timeout, attempts=env.checks.http_attempts)
        try:
            client.probe()
        except Exception:
            client.close()
            raise
        return client

    def cluster():
        from icepack_verify.cluster import ClusterSnapshot

        return ClusterSnapshot.collect(env, timeout=env.checks.http_timeout.total_seconds())

    def database():
        from icepack_verify.database import Database

        dsn = env.database_dsn()
        config.stash[SECRETS_KEY].update(_secrets_of(dsn))
        return Database.connect(env, dsn)

    return {"api": api, "cluster": cluster, "database": database}


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if ENV_KEY not in config.stash or config.option.collectonly:
        return
    builders = _builders(config)
    needed = {name for item in session.items for name in getattr(item, "fixturenames", ())} & builders.keys()
    pool = ThreadPoolExecutor(max_workers=len(builders), thread_name_prefix="icepack-verify")
    config.stash[PREFETCH_KEY] = {name: pool.submit(builders[name]) for name in needed}
    pool.shutdown(wait=False)


def _session_resource(config: pytest.Config, name: str):
    """The prefetched connection, or the tests that need it fail with its one sentence."""
    future = config.stash.get(PREFETCH_KEY, {}).get(name)
    try:
        return future.result() if future else _builders(config)[name]()
    except (ConfigError, Unreachable) as exc:
        Diagnosis(config.stash[ENV_KEY].name, exc.subject or name).cannot(exc.reason)


@pytest.fixture(scope="session")
def api(pytestconfig: pytest.Config):
    client = _session_resource(pytestconfig, "api")
    yield client
    client.close()


@pytest.fixture(scope="session")
def cluster(pytestconfig: pytest.Config):
    return _session_resource(pytestconfig, "cluster")


@pytest.fixture(scope="session")
def database(pytestconfig: pytest.Config):
    db = _session_resource(pytestconfig, "database")
    yield db
    db.close()


def _secrets_of(dsn: str) -> set[str]:
    from psycopg.conninfo import conninfo_to_dict

    try:
        password = conninfo_to_dict(dsn).get("password")
    except Exception:
        password = None
    return {s for s in (dsn, password) if s and len(s) >= 4}


# --- the dry-run gate --------------------------------------------------------------------

def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("mutating") is None:
        return
    env = item.config.stash[ENV_KEY]
    if item.config.option.allow_dry_run:
        return
    if env.name == "prod":
        pytest.skip("mutating test refused in prod without --allow-dry-run")
    if not env.allow_dry_run:
        pytest.skip(f"mutating test: {env.name} does not set allow_dry_run in environments.toml (or pass --allow-dry-run)")


# --- reports -----------------------------------------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    rep = outcome.get_result()
    marker = item.get_closest_marker("rollback")
    rep.rollback_tier = report.tier_of(item.nodeid, marker.kwargs.get("tier") if marker else None)


def _logreport(config: pytest.Config, rep: pytest.TestReport) -> None:
    if rep.when == "call" or rep.outcome != "passed":
        outcome = "error" if rep.when != "call" and rep.failed else rep.outcome
        entry = {"test": rep.nodeid, "outcome": outcome, "duration": round(rep.duration, 3)}
        if rep.failed or rep.skipped:
            entry["message"] = _redact(config, _short(rep))
        if rep.failed:
            entry["rollback_tier"] = getattr(rep, "rollback_tier", None)
        config.stash[RESULTS_KEY].append(entry)


def _short(rep: pytest.TestReport) -> str:
    if rep.skipped and isinstance(rep.longrepr, tuple):
        return rep.longrepr[2]
    full = str(rep.longrepr)
    return full if len(full) <= 4000 else full[:4000] + "\n... (cut at 4000 characters; the terminal shows it whole)"


def _redact(config: pytest.Config, text: str) -> str:
    for secret in sorted(config.stash[SECRETS_KEY], key=len, reverse=True):
        text = text.replace(secret, "***")
    return re.sub(r"(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)


class _Reporter:
    def __init__(self, config: pytest.Config):
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        _logreport(self.config, report)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        env = self.config.stash.get(ENV_KEY, None)
        if env is None:
            return
        data = report.summary(env.name, self.config.option.phase, self.config.stash[RESULTS_KEY])
        self.config.stash[SUMMARY_KEY] = data
        if session.exitstatus == pytest.ExitCode.OK and not data["counts"].get("passed"):
            session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED  # all skipped verifies nothing: never green
        if self.config.option.report_json:
            report.write(self.config.option.report_json, data)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        data = self.config.stash.get(SUMMARY_KEY, None)
        if not data:
            return
        terminalreporter.section("icepack-verify")
        counts = ", ".join(f"{n} {k}" for k, n in sorted(data["counts"].items()))
        terminalreporter.write_line(f"{data['environment']} (phase {data['phase']}): {data['verdict']} ({counts})")
        if data["rollback_hint"]:
            terminalreporter.write_line(f"rollback hint: {data['rollback_hint']}")
        for tier, tests in list(data["tiers_implicated"].items())[1:]:  # the others, for the record
            terminalreporter.write_line(f"  also implicated: {report.TIERS[int(tier)].split(':')[0]} "
                                        f"({len(tests)} failing test{'s' if len(tests) > 1 else ''})")
