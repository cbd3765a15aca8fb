"""Benchmark: how long the whole suite takes against a local twin, and what it costs the cluster.

    python bench/suite_speed.py [--runs 5] [--env local]

Speed is measured here, never asserted in tests. Prints wall time per run (median, min,
max), and from the twin's request log the Kubernetes calls one run makes.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from icepack_twin.process import TwinProcess

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--env", default="local")
    args = parser.parse_args()
    twin = TwinProcess(Path(tempfile.mkdtemp(prefix="icepack-bench-")), args.env)
    try:
        times = []
        for _ in range(args.runs):
            twin.clear_kube_requests()
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "pytest", "--env", args.env, "-q", "-p", "no:cacheprovider"],
                                  cwd=ROOT, env=twin.environ(), capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if done.returncode != 0:
                sys.exit(f"the suite failed against the healthy twin:\n{done.stdout[-2000:]}")
        calls = Counter(f"{r['method']} {r['path']}" for r in twin.kube_requests())
        print(f"suite against the {args.env} twin, {args.runs} runs: median {statistics.median(times):.2f}s "
              f"(min {min(times):.2f}s, max {max(times):.2f}s); last line: {done.stdout.strip().splitlines()[-1]}")
        print(f"Kubernetes calls in one run: {sum(calls.values())} ({len(calls)} distinct)")
        for call, n in sorted(calls.items()):
            print(f"  {n} x {call}")
    finally:
        twin.close()

if __name__ == "__main__":
    main()
