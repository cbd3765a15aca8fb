"""Soak: the healthy suite, many times, behind a flaky network. Every red run is a false alarm.

    python bench/soak.py [--runs 30] [--error-rate 0.1] [--jitter-ms 300]

A twin is started with its fault proxies; the API answers that share of requests with a
load balancer's 503 and adds 0..jitter ms to every answer. Each run is the whole suite
(the dry run included), as the gate runs it. Prints one line per run and the count of
false failures; exits 1 if there was any. A measurement, not a test: it takes minutes.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from icepack_twin.process import TwinProcess

ROOT = Path(__file__).resolve().parent.parent
EXPECTATIONS = ("--expect-chart-version", "1.4.2", "--expect-image-tag", "2f9c1e7")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--error-rate", type=float, default=0.1)
    parser.add_argument("--jitter-ms", type=int, default=300)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="icepack-soak-"))
    twin = TwinProcess(folder, "local", extra=("--proxy",))
    false_alarms, times = [], []
    try:
        twin.set_faults(api={"error_rate": args.error_rate, "jitter_ms": args.jitter_ms})
        for n in range(1, args.runs + 1):
            report = folder / "report.json"
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "pytest", "--env", "local", "-q", "-p", "no:cacheprovider",
                                   "--allow-dry-run", *EXPECTATIONS, f"--report-json={report}"],
                                  cwd=ROOT, env=twin.environ(), capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            summary = json.loads(report.read_text()) if report.exists() else {"verdict": "no report"}
            failed = [r["test"] for r in summary.get("results", []) if r["outcome"] in ("failed", "error")]
            print(f"run {n:2}: {summary['verdict']:12} exit {done.returncode}  {times[-1]:5.1f} s  {' '.join(failed)}",
                  flush=True)
            if done.returncode != 0:
                false_alarms.append(n)
    finally:
        twin.close()
    print(f"{args.runs} runs with {args.error_rate:.0%} 503s and 0-{args.jitter_ms} ms jitter on the API: "
          f"{len(false_alarms)} false failures; wall per run median {statistics.median(times):.1f} s, "
          f"max {max(times):.1f} s")
    return 1 if false_alarms else 0


if __name__ == "__main__":
    sys.exit(main())
