"""Benchmark: the read-only suite as a whole process against a local twin, beside a naive
baseline, and --all-tables as the tracked tables grow.

    python bench/suite_speed.py [--runs 5] [--latency-ms 0,50] [--tables 1,10,100,1000]

Speed is measured here, never asserted in tests. The twin runs with its fault proxies, so
every API and Kubernetes answer can be delayed by the same added latency (0 ms included,
so every figure pays the same proxy hop). Measured, each over several runs (median, min,
max) of whole processes, wall time and peak memory:

(a) the suite's read-only selection (`pytest --env local -m "not mutating"`) at each latency;
(b) the naive baseline (bench/naive: the same checks, fresh clients per test, one request
    after another, pytest's plugins auto-loaded) at each latency, and the ratio;
(c) the read-only selection with --all-tables against twins tracking 1, 10, 100 and 1,000
    tables (no proxy: nothing is added), with the API requests and Kubernetes calls one run
    makes (the twin's own logs).

Also where the suite's start-up goes: `-X importtime`, cumulative per top-level package.
Results are printed and written to bench/results.json.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from icepack_twin.process import TwinProcess

ROOT = Path(__file__).resolve().parent.parent
SUITE = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not mutating", "--env", "local"]
NAIVE = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "bench/naive/pytest.ini",
         "bench/naive"]
CONTRACT_READ = re.compile(r"GET /tables/[^/]+/[^/]+/(status|health|maintenance/recommendation)")


def one_run(cmd: list[str], env: dict) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS MiB, result) of one whole process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return wall, usage.ru_maxrss / 1024, subprocess.CompletedProcess(cmd, os.waitstatus_to_exitcode(status), out)


def summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def measure(twin: TwinProcess, cmd: list[str], runs: int, what: str, **environ: str) -> dict:
    """Wall time, peak memory, and what the last run asked of the twin."""
    walls, peaks = [], []
    for _ in range(runs):
        twin.clear_kube_requests()
        twin.clear_api_requests()
        wall, peak, done = one_run(cmd, twin.environ(**environ))
        if done.returncode != 0:
            sys.exit(f"{what} failed against the healthy twin:\n{done.stdout[-3000:]}")
        walls.append(wall)
        peaks.append(peak)
    api = twin.api_requests()
    result = {"wall_s": summary(walls), "peak_mib": summary(peaks),
              "kubernetes_calls": len(twin.kube_requests()), "api_requests": sum(api.values()),
              "contract_reads": sum(n for r, n in api.items() if CONTRACT_READ.fullmatch(r)),
              "last_line": done.stdout.strip().splitlines()[-1]}
    print(f"{what}: wall median {result['wall_s']['median']:.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), "
          f"peak {result['peak_mib']['median']:.0f} MiB, {result['api_requests']} API requests, "
          f"{result['kubernetes_calls']} Kubernetes calls; {result['last_line']}", flush=True)
    return result


def import_breakdown(twin: TwinProcess) -> dict:
    """Seconds spent importing each top-level package in one suite run (-X importtime: each module's
    own time, summed per package, so nothing is counted twice)."""
    # -s: pytest's capture would swallow what is imported while a test runs
    done = subprocess.run([sys.executable, "-X", "importtime", *SUITE[1:], "-s"], cwd=ROOT, env=twin.environ(),
                          capture_output=True, text=True)
    per: Counter = Counter()
    for line in done.stderr.splitlines():
        if m := re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line):
            per[m[2].split(".")[0]] += int(m[1]) / 1e6
    top = dict(sorted(((k, round(v, 3)) for k, v in per.items() if v >= 0.01), key=lambda kv: -kv[1]))
    top["(every other package, each under 10 ms)"] = round(sum(per.values()) - sum(top.values()), 3)
    return {"total_s": round(sum(per.values()), 3), "by_package_s": top}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", default="0,50", help="added latency per API and Kubernetes answer")
    parser.add_argument("--tables", default="1,10,100,1000", help="tracked tables for the --all-tables runs")
    args = parser.parse_args()
    results = {"machine": f"{os.cpu_count()} cores", "runs": args.runs, "suite": " ".join(SUITE[1:]),
               "naive": " ".join(NAIVE[1:]), "latency": {}, "all_tables": {}}
    twin = TwinProcess(Path(tempfile.mkdtemp(prefix="icepack-bench-")), "local", extra=("--proxy",))
    try:
        for latency in (int(x) for x in args.latency_ms.split(",")):
            twin.set_faults(api={"latency_ms": latency}, kube={"latency_ms": latency})
            suite = measure(twin, SUITE, args.runs, f"{latency:>4} ms suite")
            naive = measure(twin, NAIVE, args.runs, f"{latency:>4} ms naive")
            ratio = round(naive["wall_s"]["median"] / suite["wall_s"]["median"], 2)
            print(f"{latency:>4} ms: the suite is {ratio}x faster than the naive baseline", flush=True)
            results["latency"][f"{latency} ms"] = {"suite": suite, "naive": naive, "naive_over_suite": ratio}
        twin.set_faults(api={}, kube={})
        results["startup_imports"] = import_breakdown(twin)
    finally:
        twin.close()
    for count in (int(x) for x in args.tables.split(",")):
        # No proxy here: no latency is added, and the twin's Python proxy would cost more than the suite
        fleet = TwinProcess(Path(tempfile.mkdtemp(prefix="icepack-bench-")), "local", extra=("--tables", str(count)))
        try:  # with one table, that table is the known one
            known = {"ICEPACK_KNOWN_TABLE": "analytics.events"} if count == 1 else {}
            results["all_tables"][str(count)] = measure(fleet, [*SUITE, "--all-tables"], max(1, args.runs - 2),
                                                        f"--all-tables, {count:>4} tables", **known)
        finally:
            fleet.close()
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
