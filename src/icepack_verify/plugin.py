"""The pytest plugin: --env and friends, markers, the session fixtures, the reports.

The session's connections (API, Kubernetes snapshot, database) are built once, and only
if a collected test needs them; they start in the background right after collection.
A connection whose target is unreachable fails the tests that need it with one
sentence; the other suites still run.
"""
from __future__ import annotations

import gc
import os
import re
import signal
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from icepack_verify import environments, report
from icepack_verify.contract import ENDPOINTS
from icepack_verify.diagnosis import Diagnosis
from icepack_verify.environments import Environment
from icepack_verify.errors import ConfigError, Problem, Unreachable
from icepack_verify.inventory import Objects, Row, rows
from icepack_verify.phases import PHASES, Phase

# Private to the plugin: tests reach the environment through the `environment` fixture.
ENV_KEY = pytest.StashKey[Environment]()
RESULTS_KEY = pytest.StashKey[list]()
SECRETS_KEY = pytest.StashKey[set]()
SUMMARY_KEY = pytest.StashKey[dict]()
PREFETCH_KEY = pytest.StashKey[dict]()
WARNINGS_KEY = pytest.StashKey[list]()


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
                    help="where the per-environment OpenAPI baselines live (default: tests/contracts/baselines)")
    group.addoption("--record-baseline", action="store_true",
                    help="record the served OpenAPI spec as this environment's breaking-change baseline "
                         "(tests/contracts/baselines/<env>.json), showing what changed")
    group.addoption("--deadline", default=300.0, type=float, metavar="SECONDS",
                    help="end the run after this long (default 300 s, for a deploy gate): the tests still to come "
                         "are not run, the verdict is inconclusive, and the reports are written")
    group.addoption("--check-config", action="store_true",
                    help="print the environment's merged settings with where each comes from, then stop")
    group.addoption("--fail-on-warning", action="store_true",
                    help="a check that ends in a warning (late, slow: not yet wrong) fails instead")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mutating: writes to the environment (the dry-run job); opt-in")
    config.addinivalue_line("markers", "rollback(tier): the rollback tier a failure of this test points at")
    config.addinivalue_line("markers", "all_tables: runs over every tracked table; selected by --all-tables")
    config.stash[RESULTS_KEY] = []
    config.stash[WARNINGS_KEY] = []
    config.stash[SECRETS_KEY] = set()
    Diagnosis.fail_on_warning = bool(config.option.fail_on_warning)
    # Hypothesis (under Schemathesis) keeps a cache folder; never in the operator's directory
    # (a gate's checkout, a read-only container): in the temp folder.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "icepack-verify-hypothesis"))
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
    if config.option.check_config:
        print("\n".join(environments.describe(config.stash[ENV_KEY])))
        pytest.exit(f"{path}: environment {name!r} is valid", returncode=0)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # The process is about to end: its final collections would walk every object the imports
    # made (~0.4 s here) to free memory the OS takes back anyway. Finalizers still run.
    gc.freeze()


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
def _junit_properties(record_testsuite_property, environment: Environment, pytestconfig: pytest.Config):
    """The deploy gate's JUnit XML says which environment and phase it judged (its verdict: _junit_verdict)."""
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The checks of every tracked table run with --all-tables only (deselected, not skipped, otherwise)."""
    if config.option.all_tables:
        return
    fleet = [item for item in items if item.get_closest_marker("all_tables")]
    if fleet:
        config.hook.pytest_deselected(items=fleet)
        items[:] = [item for item in items if not item.get_closest_marker("all_tables")]


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

        checks = env.checks
        client = ApiClient(env.api_url, timeout=checks.http_timeout, attempts=checks.http_attempts,
                           retry_budget=checks.retry_budget, max_body=checks.max_body_bytes,
                           concurrency=checks.http_concurrency)
        try:
            client.probe(env.api.readiness_route)
        except Exception:
            client.close()
            raise
        return client

    def cluster():
        from icepack_verify.cluster import ClusterSnapshot, kubeconfig_secrets

        config.stash[SECRETS_KEY].update(kubeconfig_secrets())
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
    gc.freeze()  # what imports and collection built lives to the end: the collector need not walk it again
    builders = _builders(config)
    needed = {name for item in session.items for name in getattr(item, "fixturenames", ())} & builders.keys()
    if not needed:
        return
    # Preflight: every dependency the selected tests need, probed once, concurrently.
    pool = ThreadPoolExecutor(max_workers=len(needed), thread_name_prefix="icepack-verify")
    futures = {name: pool.submit(builders[name]) for name in sorted(needed)}
    pool.shutdown(wait=False)
    config.stash[PREFETCH_KEY] = futures
    writer = config.pluginmanager.get_plugin("terminalreporter")
    for name, future in futures.items():
        try:
            future.result()
            line = f"preflight: {DEPENDENCIES[name]}: reachable"
        except (ConfigError, Unreachable) as exc:
            line = f"preflight: {DEPENDENCIES[name]}: DOWN, {_redact(config, str(exc))} (its tests will not run)"
        if writer is not None:
            writer.write_line(line)


DEPENDENCIES = {"api": "Icepack API", "cluster": "Kubernetes", "database": "database"}
NOT_RUN = "not run: "  # how a test whose dependency is down says so (a skip the verdict counts as not run)


def _session_resource(config: pytest.Config, name: str):
    """The prefetched connection; when its dependency is down, the test is not run (one sentence why)."""
    future = config.stash.get(PREFETCH_KEY, {}).get(name)
    try:
        return future.result() if future else _builders(config)[name]()
    except (ConfigError, Unreachable) as exc:
        pytest.skip(f"{NOT_RUN}{DEPENDENCIES[name]} is down: {exc}")


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


# --- a bounded run: a deadline, and reports on SIGTERM ------------------------------------

def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if ENV_KEY not in config.stash or config.option.collectonly:
        return
    deadline = config.option.deadline
    if deadline and deadline > 0:
        # A real SIGINT: it also breaks a blocking read, and pytest turns it into an orderly stop.
        timer = threading.Timer(deadline, lambda: (_DEADLINE.append(deadline), os.kill(os.getpid(), signal.SIGINT)))
        timer.daemon = True
        timer.start()
        config.add_cleanup(timer.cancel)
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))  # a pod being stopped
        config.add_cleanup(lambda: signal.signal(signal.SIGTERM, previous))


_DEADLINE: list[float] = []  # set when the deadline fired


def _never_ran(session: pytest.Session) -> list[dict]:
    """The selected tests that have no result: the run ended before them."""
    seen = {r["test"] for r in session.config.stash[RESULTS_KEY]}
    why = (f"{NOT_RUN}the run's deadline ({_DEADLINE[0]:g} s, --deadline) passed first" if _DEADLINE
           else f"{NOT_RUN}the run was interrupted first")
    return [{"test": item.nodeid, "outcome": "not run", "message": why}
            for item in getattr(session, "items", []) if item.nodeid not in seen]


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
    if call.excinfo is not None and call.excinfo.errisinstance(Problem):
        # Unreachable, unreadable, ... raised anywhere (a fixture, the test, a cached session fixture):
        # what kept the test from observing, in one sentence, not a traceback.
        problem = call.excinfo.value
        rep.longrepr = Diagnosis(item.config.stash[ENV_KEY].name, problem.subject).sentence(problem.reason)
    _redact_report(item.config, rep)
    if call.when == "call":  # the test's warnings (Diagnosis.warn) are results: JSON, and JUnit properties
        for message in map(lambda m: _redact(item.config, m), Diagnosis.emitted):
            item.config.stash[WARNINGS_KEY].append({"test": item.nodeid, "outcome": "warning", "message": message})
            item.user_properties.append(("icepack_warning", message))  # written from the teardown report
        Diagnosis.emitted.clear()
    if rep.failed:
        marker = item.get_closest_marker("rollback")
        rep.rollback_tier, rep.evidence = report.cause(item.nodeid, marker.kwargs.get("tier") if marker else None,
                                                      str(rep.longrepr))


def _logreport(config: pytest.Config, rep: pytest.TestReport) -> None:
    if rep.when == "call" or rep.outcome != "passed":
        outcome = "error" if rep.when != "call" and rep.failed else rep.outcome
        entry = {"test": rep.nodeid, "outcome": outcome, "duration": round(rep.duration, 3)}
        if rep.failed or rep.skipped:
            entry["message"] = _redact(config, _short(rep))
        if rep.skipped and entry["message"].startswith(NOT_RUN):
            entry["outcome"] = "not run"  # its dependency is down: nothing was observed
        if rep.failed:
            entry["rollback_tier"] = getattr(rep, "rollback_tier", None)
            entry["evidence"] = _redact(config, getattr(rep, "evidence", ""))
        config.stash[RESULTS_KEY].append(entry)


def _short(rep: pytest.TestReport) -> str:
    if rep.skipped and isinstance(rep.longrepr, tuple):
        return rep.longrepr[2].removeprefix("Skipped: ")
    full = str(rep.longrepr)
    return full if len(full) <= 4000 else full[:4000] + "\n... (cut at 4000 characters; the terminal shows it whole)"


def _redact_report(config: pytest.Config, rep: pytest.TestReport) -> None:
    """The report every output is written from (terminal, JUnit, JSON), with no secret left in it."""
    if isinstance(rep.longrepr, tuple):  # a skip: (path, line, reason)
        rep.longrepr = (*rep.longrepr[:2], _redact(config, rep.longrepr[2]))
    elif rep.longrepr is not None:
        text = str(rep.longrepr)
        if (clean := _redact(config, text)) != text:
            rep.longrepr = clean  # plain text, only when there was something to hide
    rep.sections = [(title, _redact(config, content)) for title, content in rep.sections]


def _redact(config: pytest.Config, text: str) -> str:
    for secret in sorted(config.stash[SECRETS_KEY], key=len, reverse=True):
        text = text.replace(secret, "***")
    return re.sub(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@", r"\1***@", text)  # userinfo in any URL


def _junit_verdict(config: pytest.Config, data: dict) -> None:
    """The verdict as JUnit suite properties, even when the run was interrupted before any fixture ran.

    pytest's public `record_testsuite_property` is a fixture; at session finish the junitxml
    plugin object itself takes the property (`add_global_property`, pytest 9.2), found by
    duck type among the registered plugins rather than through its private stash key.
    """
    xml = next((p for p in config.pluginmanager.get_plugins() if hasattr(p, "add_global_property")), None)
    if xml is None:
        return
    for name, value in (("icepack_verdict", data["verdict"]), ("icepack_exit_code", data["exit_code"]),
                        ("icepack_rollback_tier", "" if data["rollback_tier"] is None else data["rollback_tier"]),
                        ("icepack_warnings", len(data["warnings"]))):
        xml.add_global_property(name, str(value))


def _summary(config: pytest.Config, interrupted: bool = False) -> dict:
    env = config.stash[ENV_KEY]
    return report.summary(env.name, config.option.phase, config.stash[RESULTS_KEY], config.stash[WARNINGS_KEY],
                          interrupted)


def _metrics(config: pytest.Config, data: dict, duration: float) -> dict:
    """Push and/or write the metrics; what happened, for the report (a failure never changes the verdict)."""
    from icepack_verify import metrics

    done: dict = {}
    opt = config.option
    for what, target, action in (("push", opt.metrics_push, metrics.push), ("textfile", opt.metrics_textfile,
                                                                             metrics.write_textfile)):
        if not target:
            continue
        try:
            action(Path(target) if what == "textfile" else target, data, duration)
            done[what] = {"target": _redact(config, str(target)), "ok": True}
        except Exception as exc:  # noqa: BLE001 - any failure to report metrics is reported, never fatal
            reason = _redact(config, f"{type(exc).__name__}: {exc}".strip())[:300]
            done[what] = {"target": _redact(config, str(target)), "ok": False, "error": reason}
    return done


class _Reporter:
    def __init__(self, config: pytest.Config):
        self.config = config
        self.started = time.monotonic()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        _logreport(self.config, report)

    @pytest.hookimpl(tryfirst=True)  # before junitxml writes its file
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if ENV_KEY not in self.config.stash:
            return
        interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED or bool(session.shouldstop)
        if interrupted:
            self.config.stash[RESULTS_KEY].extend(_never_ran(session))
        data = _summary(self.config, interrupted)
        self.config.stash[SUMMARY_KEY] = data
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED,
                                  pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = data["exit_code"]  # the verdict decides: 0 safe, 1 unsafe, 75 inconclusive
        if self.config.option.metrics_push or self.config.option.metrics_textfile:
            data["metrics"] = _metrics(self.config, data, time.monotonic() - self.started)
        if self.config.option.report_json:
            report.write(self.config.option.report_json, data)
        _junit_verdict(self.config, data)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        data = self.config.stash.get(SUMMARY_KEY, None)
        if not data:
            return
        tr = terminalreporter
        tr.section("icepack-verify")
        counts = ", ".join(f"{n} {k}" for k, n in sorted(data["counts"].items()))
        tr.write_line(f"{data['environment']} (phase {data['phase']}): {data['verdict']} ({counts}), "
                      f"exit {data['exit_code']}")
        for i, c in enumerate(data["causes"]):
            head = "rollback: " if i == 0 else "  also: "
            tr.write_line(f"{head}{c['action']}")
            for line in c["evidence"][:3]:
                tr.write_line(f"    evidence: {line}")
        if data["verdict"] == "inconclusive":
            why = sorted({r["message"] for r in data["not_run"]})[:3] or ["nothing ran to a verdict"]
            for line in why:
                tr.write_line(f"not run: {line.removeprefix(NOT_RUN)}")
        for w in data["warnings"]:
            tr.write_line(f"warning: {w['test']}: {w['message']}")
        for what, m in data.get("metrics", {}).items():
            tr.write_line(f"metrics {what} {m['target']}: " + ("done" if m["ok"] else
                          f"FAILED ({m['error']}); the verdict stands, the alert on stale metrics will fire"))
