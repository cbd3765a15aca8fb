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

import httpx

from icepack_twin.__main__ import exports, start, stop

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--env", default="local")
    args = parser.parse_args()
    state_dir = Path(tempfile.mkdtemp(prefix="icepack-bench-"))
    proc, state = start(state_dir, args.env, [], "live")
    try:
        http = httpx.Client(base_url=state["api_url"])
        environ = {**__import__("os").environ, **exports(state)}
        times = []
        for _ in range(args.runs):
            http.delete("/_twin/kube-requests")
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "pytest", "--env", args.env, "-q", "-p", "no:cacheprovider"],
                                  cwd=ROOT, env=environ, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if done.returncode != 0:
                sys.exit(f"the suite failed against the healthy twin:\n{done.stdout[-2000:]}")
        calls = Counter(f"{r['method']} {r['path']}" for r in http.get("/_twin/kube-requests").json())
        print(f"suite against the {args.env} twin, {args.runs} runs: median {statistics.median(times):.2f}s "
              f"(min {min(times):.2f}s, max {max(times):.2f}s); last line: {done.stdout.strip().splitlines()[-1]}")
        print(f"Kubernetes calls in one run: {sum(calls.values())} ({len(calls)} distinct)")
        for call, n in sorted(calls.items()):
            print(f"  {n} x {call}")
    finally:
        stop(state_dir)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
