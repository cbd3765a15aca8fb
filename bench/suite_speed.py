"""Benchmark: the read-only suite as a whole process against a local twin, and what it costs the cluster.

    python bench/suite_speed.py [--runs 5] [--latency-ms 0,50] [--env local]

Speed is measured here, never asserted in tests. The twin runs with its fault proxies, so
every API and Kubernetes answer can be delayed by the same added latency (0 ms included,
so both figures pay the same proxy hop). Per latency: wall time and peak memory of the
whole `pytest --env <env> -m "not mutating"` process over several runs (median, min, max),
and from the twin's request log the Kubernetes calls one run makes. Results are printed
and written to bench/results.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from icepack_twin.process import TwinProcess

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not mutating"]


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--env", default="local")
    parser.add_argument("--latency-ms", default="0,50", help="added latency per API and Kubernetes answer, comma-separated")
    args = parser.parse_args()
    twin = TwinProcess(Path(tempfile.mkdtemp(prefix="icepack-bench-")), args.env, extra=("--proxy",))
    results = {"machine": f"{os.cpu_count()} cores", "runs": args.runs, "command": " ".join(COMMAND[1:]), "latency": {}}
    try:
        for latency in (int(x) for x in args.latency_ms.split(",")):
            twin.set_faults(api={"latency_ms": latency}, kube={"latency_ms": latency})
            walls, peaks = [], []
            for _ in range(args.runs):
                twin.clear_kube_requests()
                wall, peak, done = one_run([*COMMAND, "--env", args.env], twin.environ())
                if done.returncode != 0:
                    sys.exit(f"the suite failed against the healthy twin:\n{done.stdout[-2000:]}")
                walls.append(wall)
                peaks.append(peak)
            calls = Counter(f"{r['method']} {r['path']}" for r in twin.kube_requests())
            results["latency"][f"{latency} ms"] = {"wall_s": summary(walls), "peak_mib": summary(peaks),
                                                   "kubernetes_calls": sum(calls.values()),
                                                   "last_line": done.stdout.strip().splitlines()[-1]}
            print(f"{latency:>4} ms added: wall median {statistics.median(walls):.2f} s (min {min(walls):.2f}, "
                  f"max {max(walls):.2f}), peak {statistics.median(peaks):.0f} MiB, "
                  f"{sum(calls.values())} Kubernetes calls ({len(calls)} distinct); {results['latency'][f'{latency} ms']['last_line']}")
    finally:
        twin.close()
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
