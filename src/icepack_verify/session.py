"""One run of the suite: everything the plugin's hooks share, in one object under one stash key.

The environment, the connections (built once, in the background, as soon as collection
shows which are needed), the redactor and its secrets, each test's result and warnings,
and the deadline. Nothing lives in a module or class attribute: two runs in one process
(pytester, an IDE) never see each other's state.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from icepack_verify import environments, report
from icepack_verify.diagnosis import Diagnosis
from icepack_verify.environments import Environment
from icepack_verify.errors import ConfigError, Problem
from icepack_verify.evidence import DEPENDENCIES, cause_of, dependency_of, observed, unrelated
from icepack_verify.redaction import Redactor

NOT_RUN = "not run: "  # how a test that observed nothing says so (a skip the verdict counts as not run)
LIVE_ENVIRONMENT = report.OUT_OF_SCOPE  # --manifests: a check only a live environment can answer
NOT_RUN_PLACE = "icepack-verify"  # where pytest's short summary says a not-run test was skipped


class VerifySession:
    def __init__(self, config: pytest.Config):
        self.config = config
        self.option = config.option
        self.env: Environment | None = None
        self.redact = Redactor()
        self.results: list[dict] = []
        self.warnings: list[dict] = []
        self._warned: list[str] = []      # the running test's warnings, until its report files them
        self._diagnoses: list[Diagnosis] = []  # the running test's diagnoses, until its report is judged
        self.prefetch: dict[str, Future] = {}
        self.trouble: list[str] = []      # the plugin's own failures, one sentence each: never a crash
        self.deadline_passed: float | None = None
        self.finishing = threading.Event()  # the run is writing its verdict: no more deadline interrupts
        self.summary: dict | None = None
        self.started = time.monotonic()
        self.manifests = None  # --manifests: the rendered objects judged instead of a live cluster (manifests.py)
        self.other: Environment | None = None  # --compare-with: the environment compared with (compare.py)

    # --- the environment ---------------------------------------------------------------------

    def load(self) -> None:
        """The environment --env names; ConfigError (one sentence) when it cannot be had."""
        path, name = self.path, self.option.env

        def read() -> Environment:
            if not name:
                known = environments.known_names(environments.read_layered(path).raw)
                raise ConfigError(None, f"choose an environment with --env: one of {', '.join(known)} (from {path})")
            return environments.load(path, name)
        self.env = self._bounded(read)

    def check_config(self) -> tuple[list[str], str]:
        """--check-config: every environment of the file validated (ConfigError naming each one at
        fault, a mistake shared by several said once); (the merged settings of --env's, each with
        its source, unless --env is `all` or absent; the verdict line)."""
        name = self.option.env
        layered, found = self._bounded(lambda: environments.check_all(self.path))
        if name and name != "all" and name not in found:
            raise ConfigError(None, f"unknown environment {name!r} in {layered.label}; known: {', '.join(found) or 'none'}")
        shared: dict[str, list[str]] = {}
        for env, why in found.items():
            if why:
                shared.setdefault(why.replace(f"environment {env!r}", "environment {}"), []).append(env)
        if shared:
            wrong = sum(map(len, shared.values()))
            raise ConfigError(None, f"{wrong} of {len(found)} environments of {layered.label} are not valid:\n" + "\n".join(
                why.replace("environment {}", f"environment{'s' if len(envs) > 1 else ''} {', '.join(map(repr, envs))}")
                for why, envs in shared.items()))
        read = " over ".join(layer.named for layer in layered.layers)
        lines = [] if not name or name == "all" else environments.describe(environments.load(self.path, name))
        return lines, f"{read}: every environment is valid ({', '.join(found)})"

    def _bounded(self, read):
        """read(), its failures as one ConfigError sentence (a deadline, a hostile file)."""
        path = self.path
        try:
            return read()
        except ConfigError:
            raise
        except KeyboardInterrupt:
            if self.deadline_passed is None:
                raise
            self.finishing.set()
            raise ConfigError(None, f"{path} could not be read within the run's deadline "
                                    f"({self.deadline_passed:g} s, --deadline)") from None
        except RecursionError:
            raise ConfigError(None, f"{path} could not be read: nested too deep") from None
        except Exception as exc:  # noqa: BLE001 - a hostile file is bad input, never a traceback
            raise ConfigError(None, f"{path} could not be read: {cause_of(exc)}") from None

    def read_modes(self) -> None:
        """--manifests=PATH: the rendered objects; --compare-with=ENV: the other environment. Read now:
        bad input is one sentence before any test."""
        if self.option.manifests is not None:
            from icepack_verify.manifests import ManifestSnapshot

            self.manifests = ManifestSnapshot.read(self.env, self.option.manifests)
        if self.option.compare_with:
            from icepack_verify.compare import load_other

            if self.option.compare_with == self.env.name:
                raise ConfigError(None, f"--compare-with {self.env.name}: compare {self.env.name} with another environment")
            if self.manifests is not None:
                raise ConfigError(None, "--compare-with compares two live environments: not with --manifests")
            self.other = load_other(self.path, self.option.compare_with)

    @property
    def judged(self) -> str | None:
        """What the run judged when not a live environment (the verdict line says so)."""
        if self.manifests is None:
            return None
        return f"the rendered manifests {self.manifests.path}, not a live environment"

    @property
    def path(self) -> Path:
        return self.option.environments or (self.config.rootpath / "environments.toml")

    def diagnosis(self, resource: str) -> Diagnosis:
        d = Diagnosis(self.env.name, resource, warned=self._warned.append, strict=bool(self.option.fail_on_warning))
        self._diagnoses.append(d)
        return d

    def judged_before_live(self, rep: pytest.TestReport) -> bool:
        """--manifests: a check that meets a live-only field (a status) after judging spec fields that
        differ fails with those, the rest of it not run: a live-only read never hides a spec finding."""
        differ = [d for d in self._diagnoses if d.mismatches]
        if not (self.manifests is not None and differ and rep.skipped
                and _short(rep).startswith(f"{NOT_RUN}{LIVE_ENVIRONMENT}")):
            return False
        rep.outcome = "failed"
        rep.longrepr = "\n".join([*(d.message() for d in differ),
                                  f"  (the rest of this check is not run: {LIVE_ENVIRONMENT})"])
        return True

    # --- the connections ---------------------------------------------------------------------

    def _builders(self) -> dict:
        env = self.env

        def api():
            from icepack_verify.api import ApiClient

            checks = env.checks
            client = ApiClient(env.api_url, timeout=checks.http_timeout, attempts=checks.http_attempts,
                               retry_budget=checks.retry_budget, max_body=checks.max_body_bytes,
                               concurrency=checks.http_concurrency)
            try:
                client.probe(env.api.readiness_route)
            except BaseException:
                client.close()
                raise
            return client

        def cluster():
            from icepack_verify.cluster import ClusterSnapshot, kubeconfig_secrets

            self.redact.add(*kubeconfig_secrets())
            return ClusterSnapshot.collect(env, timeout=env.checks.http_timeout.total_seconds())

        def database():
            from icepack_verify.database import Database

            dsn = env.database_dsn()
            self.redact.add(dsn, _password(dsn))
            return Database.connect(env, dsn)

        if self.manifests is not None:  # before apply: the render stands for the cluster, nothing else is live
            return {"cluster": lambda: self.manifests}
        return {"api": api, "cluster": cluster, "database": database}

    def preflight(self, items: list[pytest.Item]) -> list[str]:
        """Start every connection the selected tests need, concurrently; one line each on how it went."""
        if self.manifests is not None:
            n = sum(len(objs) for kind, objs in self.manifests.listings.items())
            return [f"preflight: judging the rendered manifests {self.manifests.path} ({n} objects in namespace "
                    f"{self.env.namespace}): no cluster, API or database is contacted"]
        builders = self._builders()
        needed = sorted({n for item in items for n in getattr(item, "fixturenames", ())} & builders.keys())
        if not needed:
            return []
        pool = ThreadPoolExecutor(max_workers=len(needed), thread_name_prefix="icepack-verify")
        self.prefetch = {name: pool.submit(builders[name]) for name in needed}
        pool.shutdown(wait=False)
        lines = []
        for name, future in self.prefetch.items():
            try:
                future.result()
                lines.append(f"preflight: {DEPENDENCIES[name]}: reachable")
            except Exception as exc:  # noqa: BLE001 - whatever a client raises, its tests are not run
                lines.append(f"preflight: {DEPENDENCIES[name]}: DOWN, {self.redact(cause_of(exc))} "
                             "(its tests will not run)")
        return lines

    def connection(self, name: str):
        """The prefetched connection; when its dependency is down, the test is not run (one sentence why)."""
        future = self.prefetch.get(name)
        if self.manifests is not None and name != "cluster":
            from icepack_verify.manifests import needs_live

            needs_live()
        try:
            return future.result() if future else self._builders()[name]()
        except Exception as exc:  # noqa: BLE001
            pytest.skip(f"{NOT_RUN}{DEPENDENCIES[name]} is down: {self.redact(cause_of(exc))}")

    # --- each test's outcome -----------------------------------------------------------------

    def judge(self, item: pytest.Item, call: pytest.CallInfo, rep: pytest.TestReport) -> None:
        """Make the report say what was observed: a dependency's failure is "not run" (a skip with
        one sentence), never a failure; a failure is evidence and names its rollback tier."""
        exc = call.excinfo.value if call.excinfo is not None else None
        if isinstance(exc, Exception) and not observed(exc) and not unrelated(exc):
            dependency = dependency_of(exc)
            label = DEPENDENCIES.get(dependency, "") if dependency else ""
            what = f"{label} failed mid-run: " if label else "could not observe: "
            rep.outcome = "skipped"
            rep.longrepr = (str(item.path), (item.location[1] or 0) + 1, f"Skipped: {NOT_RUN}{what}{cause_of(exc)}")
        elif isinstance(exc, Problem):  # NotFound: observed, said in one sentence
            rep.longrepr = Diagnosis(self.env.name, exc.subject).sentence(exc.reason)
        spec_finding = self.judged_before_live(rep)
        self._diagnoses.clear()
        if rep.skipped and isinstance(rep.longrepr, tuple) and _short(rep).startswith(NOT_RUN):
            # One place for every test a cause took, so pytest's `-rs` folds them into one line with
            # their count (it folds by place and reason), and no place inside the installed package.
            rep.longrepr = (NOT_RUN_PLACE, None, rep.longrepr[2])
        self._redact_report(rep)
        for message in map(self.redact, self._warned):  # results: JSON, and JUnit properties
            self.warnings.append({"test": item.nodeid, "outcome": "warning", "message": message})
            item.user_properties.append(("icepack_warning", message))
        self._warned.clear()
        if rep.failed:
            marker = item.get_closest_marker("rollback")
            if spec_finding or observed(exc):
                marked = marker.kwargs.get("tier", report.UNMARKED) if marker else report.UNMARKED
                rep.rollback_tier, rep.evidence = report.cause(item.nodeid, marked,
                                                              str(rep.longrepr))
            else:  # the check's own code broke: a failure, but no evidence for a rollback
                rep.rollback_tier, rep.evidence = None, ""
        self.record(rep)

    def record(self, rep: pytest.TestReport) -> None:
        if rep.when != "call" and rep.outcome == "passed":
            return
        outcome = "error" if rep.when != "call" and rep.failed else rep.outcome
        entry = {"test": rep.nodeid, "outcome": outcome, "duration": round(rep.duration, 3)}
        if rep.failed or rep.skipped:
            entry["message"] = self.redact(_short(rep))
        if rep.skipped and entry["message"].startswith(NOT_RUN):
            entry["outcome"] = "not run"  # nothing was observed
            said = entry["message"].removeprefix(NOT_RUN)
            dependency = next((label for label in DEPENDENCIES.values() if said.startswith(f"{label} ")), None)
            if dependency:
                entry["dependency"] = dependency
            elif self.manifests is not None and said.startswith(LIVE_ENVIRONMENT):
                entry["dependency"] = LIVE_ENVIRONMENT  # out of scope before apply: report.verdict sets it aside
        if rep.failed:
            entry["rollback_tier"] = getattr(rep, "rollback_tier", None)
            entry["evidence"] = self.redact(getattr(rep, "evidence", ""))
        self.results.append(entry)

    def never_ran(self, items: list[pytest.Item]) -> list[dict]:
        """The selected tests that have no result: the run ended before them."""
        seen = {r["test"] for r in self.results}
        why = (f"{NOT_RUN}the run's deadline ({self.deadline_passed:g} s, --deadline) passed first"
               if self.deadline_passed else f"{NOT_RUN}the run was interrupted first")
        return [{"test": item.nodeid, "outcome": "not run", "message": why} for item in items if item.nodeid not in seen]

    def _redact_report(self, rep: pytest.TestReport) -> None:
        """The report every output is written from (terminal, JUnit, JSON), with no secret left in it."""
        if isinstance(rep.longrepr, tuple):  # a skip: (path, line, reason)
            rep.longrepr = (*rep.longrepr[:2], self.redact(rep.longrepr[2]))
        elif rep.longrepr is not None:
            text = str(rep.longrepr)
            if (clean := self.redact(text)) != text:
                rep.longrepr = clean  # plain text, only when there was something to hide
        rep.sections = [(title, self.redact(content)) for title, content in rep.sections]

    # --- a bounded run -----------------------------------------------------------------------

    def arm_deadline(self) -> None:
        """--deadline: when it passes (or on SIGTERM), a real SIGINT, which also breaks a blocking
        read and which pytest turns into an orderly stop."""
        deadline = self.option.deadline
        if deadline and deadline > 0 and not self.option.collectonly:
            def fire():
                if self.finishing.wait(deadline):
                    return
                self.deadline_passed = deadline
                # again every second until the run is winding up: an interrupt that lands in a __del__
                # or a callback is printed as "ignored" by Python and would leave the run unbounded
                while True:
                    os.kill(os.getpid(), signal.SIGINT)
                    if self.finishing.wait(1.0):
                        return
            threading.Thread(target=fire, name="icepack-verify deadline", daemon=True).start()
            self.config.add_cleanup(self.finishing.set)
            # once pytest has caught an interrupt, no second one may land inside its handling of the first
            self.config.pluginmanager.register(_Caught(self.finishing), "icepack-verify-interrupt-caught")
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))  # a pod stopped
            self.config.add_cleanup(lambda: signal.signal(signal.SIGTERM, previous))

    def failed(self, what: str, exc: BaseException) -> None:
        """The plugin itself failed at `what`: the run says so in one sentence and is inconclusive."""
        self.trouble.append(self.redact(f"the plugin failed while {what}: {cause_of(exc)}"))


class _Caught:
    """A pytest plugin object: sets the event when pytest has caught a KeyboardInterrupt."""

    def __init__(self, event: threading.Event):
        self.event = event

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        self.event.set()


KEY = pytest.StashKey[VerifySession]()


def of(config: pytest.Config) -> VerifySession | None:
    return config.stash.get(KEY, None)


@contextmanager
def guarded(config: pytest.Config, what: str):
    """A hook body that must never crash the run: an exception becomes one sentence in the report."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - never INTERNALERROR: the run ends inconclusive instead
        session = of(config)
        if session is not None:
            session.failed(what, exc)


def _password(dsn: str) -> str | None:
    from psycopg.conninfo import conninfo_to_dict

    try:
        return conninfo_to_dict(dsn).get("password")
    except Exception:  # noqa: BLE001 - an unparseable DSN: the connection says so
        return None


def _short(rep: pytest.TestReport) -> str:
    if rep.skipped and isinstance(rep.longrepr, tuple):
        return rep.longrepr[2].removeprefix("Skipped: ")
    full = str(rep.longrepr)
    return full if len(full) <= 4000 else full[:4000] + "\n... (cut at 4000 characters; the terminal shows it whole)"
