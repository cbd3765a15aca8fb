"""`python -m icepack_twin mutate`: every generated mutation of a healthy twin, judged by the whole
read-only suite, and a report of which the suite catches.

One run: start a twin per worker (or attach to a running one), configure it healthy and
refuse to go on unless the suite says `safe` there; read each layer's healthy world and
generate the mutations from it; sample (seed, limit, layers); then per mutation: configure
healthy + that mutation, run the suite in a subprocess of its own (only its tests that use a
fixture the mutation's layer can change, READS; all of them with --whole-suite), record the outcome:

    caught         the verdict is not safe (with the verdict, unsafe or inconclusive, the failing
                   and not-run tests, the first failure line)
    survived       safe, and no ledger entry explains it: a gap
    harmless       safe, and the ledger (mutations.toml) says it is equivalent to healthy
    unobservable   safe, and the ledger says the suite cannot see it from outside
    not-applied    the edit never landed during the run (the twin counts, per mutation, the answers
                   and row batches it changed: GET /_twin/mutations-applied): nothing was tested,
                   whatever the verdict; reported, not counted
    invalid        the twin refused the mutation (422): reported, not counted

A long run writes its report every `checkpoint_every` judgements (marked interrupted until the end),
so a run cut off (SIGINT or SIGTERM: the runs under way finish and the report is written; a kill:
the last checkpoint stays) keeps what it judged; `--resume` continues such a report: the same tree
(commit, and the same uncommitted changes), the same sample, only the mutations not judged yet.

A mutation the ledger calls harmless or unobservable but the suite catches is `caught`, flagged
`ledger_contradicted`. The score is caught / (caught + survived): harmless, unobservable,
not-applied and invalid ones aside. A catch whose verdict is only `inconclusive` (a dependency
failed, the checks did not run) is a weaker catch: the summary lists those on their own.
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import httpx

from icepack_twin import mutate
from icepack_twin.mutate import layers as _layers  # noqa: F401  (registers every layer)
from icepack_twin.mutate import ledger as ledger_mod
from icepack_twin.mutate.model import Mutation
from icepack_twin.values import CHART_VERSION, IMAGE_TAG

OUTCOMES = ("caught", "survived", "harmless", "unobservable", "not-applied", "invalid")
# A mutation whose suite run made no observation (inconclusive, a timeout) while the healthy twin made none
# either: not an outcome; it stays out of the report, which stays unfinished for --resume.
UNJUDGED = "unjudged"
# Why an edit can fail to land, per layer (the not-applied outcome's explanation).
NOT_LANDED = {
    "body": "the suite never read the route, or every body it read lacked the path",
    "framing": "the suite never requested the route",
    "rows": "no row batch written (the seed, health-sync's runs) held the row the edit changes",
}


@dataclass
class Options:
    seed: int = 1
    limit: int | None = None
    layers: list[str] = field(default_factory=list)
    only: list[str] = field(default_factory=list)  # id patterns (as in the ledger): judge only these
    report: Path = Path("reports/mutations.json")
    ledger: Path = Path("mutations.toml")
    workers: int = 1
    state_dir: Path = Path(".twin/mutate")
    attach: Path | None = None
    env: str = "local"
    fail_on_survivor: bool = False
    suite_dir: Path = Path(".")
    timeout: float = 400
    preload: bool = True  # fork each suite run from a process with its libraries imported (suite_server)
    select: bool = True  # run only the tests that read what the mutation's layer changes (READS)
    resume: bool = False  # continue the unfinished report at `report` instead of starting anew
    checkpoint_every: int = 50  # judgements between two writes of the report during a run


# The suite's fixtures through which a layer's edit can be seen on the twin; a test that uses none of
# them reads only what the twin serves unchanged, so it passes as it does healthy. The twin makes the
# API's answers and the tables from the values and the behaviour, never from the Kubernetes objects:
# a kube edit changes only what the Kubernetes API serves; a body or framing edit only the API's
# answers; a rows or database edit the database, and the API's answers read from it.
READS = {"kube": ("cluster",), "body": ("api",), "framing": ("api",), "rows": ("api", "database"),
         "database": ("api", "database")}


def suite_command(env: str, report: Path, reads: tuple[str, ...] = ()) -> list[str]:
    """The read-only suite, with the twin's own chart version and image tag as the expectations; with
    `reads`, only its tests that use one of those fixtures (icepack_twin.mutate.suite_server)."""
    select = ["-p", "icepack_twin.mutate.suite_server", f"--mutation-reads={','.join(reads)}"] if reads else []
    return [sys.executable, "-m", "pytest", "--env", env, "-m", "not mutating", "-p", "no:cacheprovider", "-q",
            *select, f"--report-json={report}", "--expect-chart-version", CHART_VERSION, "--expect-image-tag",
            IMAGE_TAG, "tests"]


@dataclass
class Twins:
    """How the engine gets its twins, handed in by the caller (the mutate package sits below the
    process layer that starts them): `start(state_dir, env)` returns a running twin with `http`,
    `state_dir`, `world(layer)`, `environ()` and `close()` (icepack_twin.process.TwinProcess);
    `exports(state)` the variables that point the suite at a twin's state."""
    start: Callable
    exports: Callable[[dict], dict[str, str]]


class _Attached:
    """A twin someone else started (its state folder): configured and read, never stopped."""

    def __init__(self, state_dir: Path, exports: Callable[[dict], dict[str, str]]):
        state_file = state_dir / "state.json"
        if not state_file.exists():
            raise SystemExit(f"--attach {state_dir}: no running twin there (no state.json)")
        self.state_dir, self.state, self.exports = state_dir, json.loads(state_file.read_text()), exports
        self.http = httpx.Client(base_url=self.state["control_url"], timeout=30)

    def world(self, layer: str) -> dict:
        return self.http.get(f"/_twin/world/{layer}").raise_for_status().json()

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ICEPACK_")}
        return {**env, **self.exports(self.state)}

    def close(self) -> None:
        self.http.close()


class _Worker:
    """One twin and the suite run against it (a fresh process per run: forked from the suite server,
    or started from scratch without --no-preload)."""

    def __init__(self, twin, opts: Options, name: str):
        self.twin, self.opts, self.name = twin, opts, name
        self.report = (twin.state_dir / f"suite-{name}.json").resolve()
        self.log = (twin.state_dir / f"suite-{name}.log").resolve()
        self.server = None
        self.spent: Counter = Counter()  # seconds per step of a judgement (configure, suite, checks)
        if opts.preload:
            self.server = subprocess.Popen([sys.executable, "-m", "icepack_twin.mutate.suite_server"],
                                           cwd=opts.suite_dir, env=self.environ(), stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE, text=True, start_new_session=True)
            if "ready" not in json.loads(self.server.stdout.readline() or "{}"):
                raise SystemExit("the suite server did not start (python -m icepack_twin.mutate.suite_server)")

    def close(self) -> None:
        if self.server is not None:
            self.server.stdin.close()
            self.server.wait(timeout=30)

    def environ(self) -> dict[str, str]:
        """The twin's variables for the suite, and a bytecode cache of the worker's own: each run is a fresh
        pytest that would otherwise compile (and rewrite the asserts of) every suite module again
        where PYTHONDONTWRITEBYTECODE is set; the cache holds what the same source compiles to,
        checked against it."""
        env = {k: v for k, v in self.twin.environ().items() if k != "PYTHONDONTWRITEBYTECODE"}
        return {**env, "PYTHONPYCACHEPREFIX": str(self.twin.state_dir.resolve() / "pycache")}

    def configure(self, mutations: tuple[dict, ...] = ()) -> None:
        """Re-render healthy (+ the mutations) every time: a configure is what resets the world."""
        self.twin.http.post("/_twin/configure", json={"env": self.opts.env, "drifts": [], "phase": "live",
                                                      "mutations": list(mutations)}).raise_for_status()

    def _run(self, reads: tuple[str, ...]) -> tuple[int | None, str]:
        cmd = suite_command(self.opts.env, self.report, reads)
        if self.server is None:
            try:
                proc = subprocess.run(cmd, cwd=self.opts.suite_dir, env=self.environ(), capture_output=True,
                                      text=True, timeout=self.opts.timeout,
                                      start_new_session=True)  # a Ctrl-C stops the engine, never a run's verdict
            except subprocess.TimeoutExpired:
                return None, ""
            return proc.returncode, proc.stdout + proc.stderr
        request = {"args": cmd[3:], "cwd": str(self.opts.suite_dir.resolve()), "log": str(self.log),
                   "timeout": self.opts.timeout}
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        answer = json.loads(self.server.stdout.readline() or '{"exit": null}')
        return answer["exit"], self.log.read_text(errors="replace") if self.log.exists() else ""

    def applied(self, mutation_id: str) -> int:
        """How often the mutation's edit landed since the configure (the twin counts)."""
        return int(self.twin.http.get("/_twin/mutations-applied").raise_for_status().json().get(mutation_id, 0))

    def requests_of(self, route: str) -> int:
        """How often the suite's API requests hit `route` ("GET /path"), as the twin counts them."""
        return int(self.twin.http.get("/_twin/api-requests").raise_for_status().json().get(route, 0))

    def run_suite(self, reads: tuple[str, ...] = ()) -> dict:
        self.report.unlink(missing_ok=True)
        started = time.monotonic()
        code, output = self._run(reads)
        seconds = round(time.monotonic() - started, 2)
        if code is None:
            return {"verdict": "timeout", "exit_code": None, "seconds": seconds, "failures": [], "not_run": [],
                    "output": f"the suite did not finish within {self.opts.timeout:.0f} s"}
        summary = json.loads(self.report.read_text()) if self.report.exists() else {}
        return {"verdict": summary.get("verdict", "no report"), "exit_code": code, "seconds": seconds,
                "failures": summary.get("failures", []), "not_run": summary.get("not_run", []),
                "output": output[-2000:]}

    def observe(self, m: Mutation) -> dict:
        """Configure healthy + m, run the suite, and read what the twin says landed: everything the
        verdict is made of ({"refused": ...} when the twin refuses the mutation)."""
        started = time.monotonic()
        try:
            self.configure((m.as_json(),))
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 422:
                raise
            return {"refused": exc.response.json().get("detail", "")}
        route = m.change.get("route") if m.layer in ("body", "framing") else None
        requested = self.requests_of(route) if route else 0
        configured = time.monotonic()
        run = self.run_suite(READS.get(m.layer, ()) if self.opts.select else ())
        ran = time.monotonic()
        seen = {"run": run, "landed": self.applied(m.id), "route": route}
        if not seen["landed"] and route:
            seen["requests"] = self.requests_of(route) - requested
        self.spent.update(configure=configured - started, suite=ran - configured, checks=time.monotonic() - ran)
        return seen

    def judge(self, m: Mutation, entries: list[ledger_mod.Entry]) -> dict:
        entry = {"id": m.id, "layer": m.layer, "target": m.target, "path": m.path, "operator": m.operator,
                 "description": m.description}
        seen = self.observe(m)
        if "refused" in seen:
            return {**entry, "outcome": "invalid", "details": {"refused": seen["refused"]}}
        run, landed, route = seen["run"], seen["landed"], seen["route"]
        if not landed:
            why = NOT_LANDED.get(m.layer, "the twin did not report it in effect")
            if route:
                why += f" (the suite requested {route} {seen['requests']} times)"
            return {**entry, "outcome": "not-applied",
                    "details": {"verdict": run["verdict"], "seconds": run["seconds"], "why": why}}
        if run["verdict"] not in ("safe", "unsafe"):  # no observation: is the twin itself still fit to judge?
            self.configure()
            control = self.run_suite(READS.get(m.layer, ()) if self.opts.select else ())
            if control["verdict"] != "safe":
                return {**entry, "outcome": UNJUDGED, "details": {
                    "verdict": run["verdict"], "healthy_verdict": control["verdict"], "seconds": run["seconds"],
                    "why": "the healthy twin was not safe either (a loaded machine or a decayed twin): the "
                           "mutation's run says nothing; left out of the report, --resume judges it again"}}
        ledgered = ledger_mod.verdict(entries, m.id)
        if run["verdict"] != "safe":
            failures = run["failures"]
            first = next((f.get("message", "") for f in failures if f.get("message")), "") or (
                run["output"].strip().splitlines() or [""])[-1]
            details = {"verdict": run["verdict"], "exit_code": run["exit_code"], "seconds": run["seconds"], "landed": landed,
                       "failed": sorted({f["test"] for f in failures}), "not_run": sorted({r["test"] for r in run["not_run"]}),
                       "first_failure": first.strip().splitlines()[0][:300] if first.strip() else ""}
            if ledgered:
                details.update(ledger_contradicted=True, ledger_kind=ledgered.kind, ledger_pattern=ledgered.id)
            return {**entry, "outcome": "caught", "details": details}
        if ledgered:
            return {**entry, "outcome": ledgered.kind,
                    "details": {"seconds": run["seconds"], "reason": ledgered.reason, "cite": ledgered.cite,
                                "pattern": ledgered.id, "landed": landed}}
        return {**entry, "outcome": "survived", "details": {"seconds": run["seconds"], "landed": landed}}


class _Progress:
    """Counts on stderr: one updated line on a terminal, a line every 30 s (or 25 mutations) otherwise."""

    def __init__(self, total: int):
        self.total, self.done, self.counts = total, 0, Counter()
        self.tty = sys.stderr.isatty()
        self.started = self.last = time.monotonic()
        self.lock = threading.Lock()

    def add(self, outcome: str) -> int:
        """Count one judgement; how many are done."""
        with self.lock:
            self.done += 1
            self.counts[outcome] += 1
            now = time.monotonic()
            if self.tty or self.done == self.total or self.done % 25 == 0 or now - self.last > 30:
                self.last = now
                self._show(now)
            return self.done

    def _show(self, now: float) -> None:
        rate = (now - self.started) / max(self.done, 1)
        width = 24
        bar = "#" * int(width * self.done / max(self.total, 1))
        line = (f"[{bar:<{width}}] {self.done}/{self.total}  caught {self.counts['caught']}  "
                f"survived {self.counts['survived']}  ledgered {self.counts['harmless'] + self.counts['unobservable']}  "
                f"not applied {self.counts['not-applied']}  invalid {self.counts['invalid']}"
                + (f"  unjudged {self.counts[UNJUDGED]}" if self.counts[UNJUDGED] else "") + f"  {rate:.1f} s/mutation  eta {rate * (self.total - self.done) / 60:.0f} min")
        print(("\r" + line) if self.tty else line, end="" if self.tty and self.done < self.total else "\n",
              file=sys.stderr, flush=True)


def generate(worlds: dict[str, dict], chosen: list[str]) -> dict[str, list[Mutation]]:
    """Every layer's mutations; ids must be unique (a collision is a bug in a layer)."""
    out: dict[str, list[Mutation]] = {}
    seen: Counter = Counter()
    for name in chosen:
        out[name] = mutate.LAYERS[name].generate(worlds[name])
        seen.update(m.id for m in out[name])
    collisions = [i for i, n in seen.items() if n > 1]
    if collisions:
        raise SystemExit(f"{len(collisions)} mutation ids are generated twice (a bug in the layer): "
                         + ", ".join(sorted(collisions)[:5]))
    return out


def sample(generated: dict[str, list[Mutation]], seed: int, limit: int | None, only: list[str] = ()) -> list[Mutation]:
    """The mutations to judge, in id order: those matching `only` (all if empty), a seeded sample of `limit`."""
    patterns = [ledger_mod.Entry("only", p, "") for p in only]
    every = sorted((m for ms in generated.values() for m in ms
                    if not patterns or any(p.matches(m.id) for p in patterns)), key=lambda m: m.id)
    if limit is not None and limit < len(every):
        every = sorted(random.Random(seed).sample(every, limit), key=lambda m: m.id)
    return every


def score(counts: Counter) -> float | None:
    judged = counts["caught"] + counts["survived"]
    return round(counts["caught"] / judged, 4) if judged else None


def _start_twins(opts: Options, twins_from: Twins) -> list:
    if opts.attach:
        return [_Attached(opts.attach.resolve(), twins_from.exports)]
    twins: list = [None] * opts.workers
    errors: list[BaseException] = []

    def start(i: int) -> None:
        try:
            twins[i] = twins_from.start((opts.state_dir / f"w{i + 1}").resolve(), opts.env)
        except BaseException as exc:  # noqa: BLE001  (SystemExit from start: reported below, the others stopped)
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(opts.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for twin in twins:
            if twin is not None:
                twin.close()
        raise SystemExit(str(errors[0]))
    return twins


def tree_commit(suite_dir: Path, report: Path | None = None) -> str | None:
    """The commit the judged tree is at, None outside git: which suite, twin and ledger made a report's
    outcomes. Uncommitted changes add "+dirty." and a digest of them, so a run resumes only on the very
    tree it started on; the report itself is not a change (its checkpoint would otherwise refuse its own
    --resume when it is written inside the repository, as bench/mutations/ is)."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(suite_dir), *args], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.decode(errors="replace") if out.returncode == 0 else None

    head = (git("rev-parse", "HEAD") or "").strip()
    if not head:
        return None
    exclude = []
    if report is not None:
        try:
            exclude = [f":(exclude){Path(report).resolve().relative_to(Path(suite_dir).resolve())}"]
        except ValueError:  # a report outside the repository is no change to it
            pass
    changes = (git("diff", "HEAD", "--binary", "--", ":/", *exclude) or "") + (
        git("status", "--porcelain", "--untracked-files=all", "--", ":/", *exclude) or "")
    return head if not changes else f"{head}+dirty.{hashlib.sha256(changes.encode()).hexdigest()[:12]}"


def _stop_on_signals() -> None:
    """SIGINT and SIGTERM stop a run the same way (the runs under way finish, the report is written): a
    run started in the background inherits SIGINT ignored, and a CI step or a session ends with SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)


def _earlier_part(opts: Options, commit: str | None) -> dict | None:
    """The unfinished report `--resume` continues, checked to be the same run: one sentence when it is not."""
    if not opts.resume:
        return None
    where = opts.report
    try:
        earlier = json.loads(where.read_text())
        run = earlier["run"]
    except FileNotFoundError:
        raise SystemExit(f"--resume: no report at {where} to continue; run without --resume to start one")
    except (ValueError, KeyError, TypeError):
        raise SystemExit(f"--resume: {where} is not a mutation report")
    if not run.get("interrupted"):
        raise SystemExit(f"--resume: the run at {where} is complete ({run.get('judged')} judged); nothing to continue")
    if commit is None or run.get("commit") != commit:
        raise SystemExit(f"--resume: {where} was made at commit {run.get('commit') or 'unknown'}, this tree is at "
                         f"{commit or 'no commit'}: one report judges one tree; check that commit out, or start a new report")
    same = {"seed": opts.seed, "limit": opts.limit, "only": opts.only, "select": opts.select}
    differs = [k for k, v in same.items() if run.get(k) != v] + (
        ["layers"] if sorted(opts.layers or run.get("layers", [])) != run.get("layers") else [])
    if differs:
        raise SystemExit(f"--resume: {where} was made with other options ({', '.join(differs)}: "
                         + ", ".join(f"{k}={run.get(k)!r}" for k in differs) + "); give the same ones to continue it")
    return earlier


def run(opts: Options, twins_from: Twins) -> int:
    unknown = [n for n in opts.layers if n not in mutate.LAYERS]
    if unknown:
        raise SystemExit(f"unknown layer(s) {', '.join(unknown)}; known: {', '.join(sorted(mutate.LAYERS))}")
    if not (opts.suite_dir / "tests").is_dir():
        raise SystemExit(f"no suite at {opts.suite_dir.resolve()}/tests: run from the repository root")
    try:
        entries = ledger_mod.load(opts.ledger)
    except ledger_mod.LedgerError as exc:
        raise SystemExit(str(exc))
    chosen = opts.layers or sorted(mutate.LAYERS)
    _stop_on_signals()
    commit = tree_commit(opts.suite_dir, opts.report)
    earlier = _earlier_part(opts, commit)
    started_at, started = datetime.now(timezone.utc), time.monotonic()
    twins = _start_twins(opts, twins_from)
    workers: list[_Worker] = []
    try:
        for i, t in enumerate(twins):
            workers.append(_Worker(t, opts, f"w{i + 1}"))
        baselines = []
        for w in workers:  # each twin must be healthy to the suite, or no outcome means anything
            w.configure()
            base = w.run_suite()
            baselines.append({"worker": w.name, "verdict": base["verdict"], "seconds": base["seconds"]})
            if base["verdict"] != "safe":
                failed = ", ".join(sorted({f["test"] for f in base["failures"]})[:5])
                raise SystemExit(f"the healthy twin is not safe to the suite ({base['verdict']}: {failed or base['output'][-300:]}); "
                                 "no mutation can be judged against it")
        worlds = {name: twins[0].world(name) for name in chosen}
        generated = generate(worlds, chosen)
        picked = sample(generated, opts.seed, opts.limit, opts.only)
        if not picked:
            raise SystemExit("no generated mutation matches --only " + " ".join(opts.only))
        done = {r["id"]: r for r in earlier["mutations"]} if earlier else {}
        if set(done) - {m.id for m in picked}:
            raise SystemExit(f"--resume: {opts.report} judged mutations this tree does not generate; start a new report")
        todo = [m for m in picked if m.id not in done]
        print(f"mutate: {sum(map(len, generated.values()))} mutations generated "
              f"({', '.join(f'{n} {len(ms)}' for n, ms in generated.items())}); judging {len(todo)} "
              + (f"(of {len(picked)}: {len(done)} judged before, continued from {opts.report}) " if done else "")
              + f"with {len(workers)} twin(s)", file=sys.stderr)

        def write(judged: list[dict], final: bool = False) -> dict:
            report = _report(opts, started_at, time.monotonic() - started, generated, picked, [*done.values(), *judged],
                             baselines, after if final else [], sum((w.spent for w in workers), Counter()),
                             commit=commit, earlier=earlier, final=final)
            opts.report.parent.mkdir(parents=True, exist_ok=True)
            tmp = opts.report.with_suffix(".partial")
            tmp.write_text(json.dumps(report, indent=2) + "\n")
            tmp.replace(opts.report)  # a run cut off mid-write leaves the previous report whole
            return report

        after: list[dict] = []
        results = _judge_all(workers, todo, entries, write, opts.checkpoint_every)
        after = []
        for w in workers:  # the twin is still healthy after the run: outcomes were not the twin decaying
            w.configure()
            healthy = w.run_suite()
            after.append({"worker": w.name, "verdict": healthy["verdict"], "seconds": healthy["seconds"],
                          **({"failures": [f"{f['test']}: {f.get('message', '')[:300]}" for f in healthy["failures"]][:5]}
                             if healthy["verdict"] != "safe" else {})})
    finally:
        for w in workers:
            w.close()
        for t in twins:
            if isinstance(t, _Attached):  # leave it as found: healthy
                t.http.post("/_twin/configure", json={"env": opts.env}).raise_for_status()
            t.close()
    report = write(results, final=True)
    print(summary(report), file=sys.stderr)
    print(f"report: {opts.report}", file=sys.stderr)
    if report["run"]["judged"] < report["run"]["sampled"]:
        print(f"{report['run']['sampled'] - report['run']['judged']} mutation(s) not judged (interrupted, or the healthy "
              "twin was not safe either): continue with --resume", file=sys.stderr)
    if any(a["verdict"] != "safe" for a in after):
        print("warning: a twin was no longer safe to the suite when healthy after the run; outcomes may be unreliable",
              file=sys.stderr)
    if opts.fail_on_survivor and report["run"]["totals"].get("survived"):
        return 1
    return 0


def _judge_all(workers: list[_Worker], picked: list[Mutation], entries,
               checkpoint: Callable[[list[dict]], object] = lambda judged: None, every: int = 50) -> list[dict]:
    todo: queue.Queue = queue.Queue()
    for i, m in enumerate(picked):
        todo.put((i, m))
    results: list[dict | None] = [None] * len(picked)
    progress = _Progress(len(picked))
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(w: _Worker) -> None:
        while not errors:  # an error anywhere (or an interrupt) stops every worker
            try:
                i, m = todo.get_nowait()
            except queue.Empty:
                return
            try:
                judged = w.judge(m, entries)
            except BaseException as exc:  # noqa: BLE001  (stops every worker; re-raised below)
                errors.append(exc)
                return
            if judged["outcome"] != UNJUDGED:
                results[i] = judged
            if progress.add(judged["outcome"]) % every == 0:
                with lock:
                    checkpoint([r for r in results if r is not None])

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.5)
    except KeyboardInterrupt:  # stop taking mutations; the ones judged so far still make a report
        errors.append(KeyboardInterrupt())
        print("\ninterrupted: finishing the suite runs under way, then writing the report", file=sys.stderr)
        for t in threads:
            t.join()
        return [r for r in results if r is not None]
    if errors:
        raise errors[0]
    return [r for r in results if r is not None]


def _report(opts, started_at, duration, generated, picked, results, baselines, after, spent: Counter | None = None,
            *, commit: str | None = None, earlier: dict | None = None, final: bool = True) -> dict:
    """The report of the run so far (`final` False: a checkpoint, marked interrupted); with `earlier` (the
    report --resume continues) its parts, times and judgements carried over."""
    before = earlier["run"] if earlier else None
    this_part = len(results) - (before["judged"] if before else 0)
    parts = [*(before["parts"] if before else []),
             {"started": started_at.isoformat(), "duration_s": round(duration, 1), "judged": this_part}]
    duration = sum(p["duration_s"] for p in parts)
    results = sorted(results, key=lambda r: r["id"])
    per_layer: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        per_layer[r["layer"]][r["outcome"]] += 1
    totals = sum(per_layer.values(), Counter())
    seconds = [r["details"]["seconds"] for r in results if "seconds" in r.get("details", {})]
    return {
        "run": {
            "commit": commit, "parts": parts,
            "seed": opts.seed, "limit": opts.limit, "layers": sorted(generated), "only": opts.only,
            "started": parts[0]["started"], "duration_s": round(duration, 1), "twin_env": opts.env, "workers": len(baselines),
            "preload": opts.preload, "select": opts.select,
            "suite": " ".join(suite_command(opts.env, Path("REPORT"))[1:]),
            "generated": {n: len(ms) for n, ms in generated.items()}, "sampled": len(picked),
            "judged": len(results), "interrupted": not final or len(results) < len(picked),
            "counts": {n: {o: c[o] for o in OUTCOMES} for n, c in sorted(per_layer.items())},
            "totals": {o: totals[o] for o in OUTCOMES},
            "score": score(totals),
            "caught_by_verdict": dict(Counter(r["details"]["verdict"] for r in results if r["outcome"] == "caught")),
            "ledger_contradicted": sum(1 for r in results if r["details"].get("ledger_contradicted")),
            "suite_seconds_mean": round(sum(seconds) / len(seconds), 2) if seconds else None,
            "wall_seconds_per_mutation": round(duration / len(results), 2) if results else None,
            "seconds_per_mutation": {step: round(s / this_part, 3) for step, s in (spent or {}).items()} or None if this_part else None,
            "healthy_before": baselines, "healthy_after": after,
        },
        "mutations": results,
    }


def summary(report: dict) -> str:
    run = report["run"]
    t = run["totals"]
    lines = [f"mutations: {run['judged']} judged of {run['sampled']} sampled, {sum(run['generated'].values())} generated "
             f"(seed {run['seed']}, {run['wall_seconds_per_mutation']} s each)",
             f"  caught {t['caught']}, survived {t['survived']}, harmless {t['harmless']}, "
             f"unobservable {t['unobservable']}, not applied {t['not-applied']}, invalid {t['invalid']}; "
             f"ledger contradicted {run['ledger_contradicted']}",
             f"  score {run['score'] if run['score'] is not None else 'n/a'} = caught / (caught + survived)"]
    by_verdict = run.get("caught_by_verdict", {})
    if t["caught"]:
        weaker = [f"as {v} {n}" for v, n in sorted(by_verdict.items()) if v != "unsafe"]
        lines.append(f"  caught as unsafe {by_verdict.get('unsafe', 0)} (an observation)"
                     + (f"; {', '.join(weaker)} (no observation: a weaker catch)" if weaker else ""))
    weak = [r for r in report["mutations"] if r["outcome"] == "caught" and r["details"]["verdict"] != "unsafe"]
    lines += _listing(f"caught only as not unsafe ({len(weak)}: the gate is red, the diagnosis says not run):", weak,
                      lambda r: f"{r['details']['verdict']}: {r['details'].get('first_failure', '')[:80]}")
    missed = [r for r in report["mutations"] if r["outcome"] == "not-applied"]
    lines += _listing(f"not applied ({len(missed)}: the edit never landed, nothing was tested):", missed,
                      lambda r: r["details"]["why"][:100])
    survivors = [r for r in report["mutations"] if r["outcome"] == "survived"]
    groups = Counter((r["layer"], r["operator"]) for r in survivors).most_common()
    lines += _listing("survivors by layer/operator: " + ", ".join(f"{l}/{o} {n}" for (l, o), n in groups), survivors,
                      lambda r: r["description"][:80])
    return "\n".join(lines)


def _listing(heading: str, rows: list[dict], why: Callable[[dict], str], shown: int = 20) -> list[str]:
    """A heading and the first `shown` rows (id and why), or nothing when there are no rows."""
    if not rows:
        return []
    more = [f"  ... and {len(rows) - shown} more in the report"] if len(rows) > shown else []
    return [heading, *(f"  {r['id']}  ({why(r)})" for r in rows[:shown]), *more]
