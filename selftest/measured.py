"""A subprocess run with its own peak memory: os.wait4 gives the rusage of exactly that child
(RUSAGE_CHILDREN would be the largest child so far)."""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass
class Measured:
    returncode: int
    output: str      # stdout then stderr
    seconds: float
    peak_mib: float  # the child's maximum resident set size


def run_measured(cmd: list[str], *, timeout: float, **popen) -> Measured:
    with tempfile.TemporaryFile() as out:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, **popen)
        deadline = started + timeout
        while (done := os.wait4(proc.pid, os.WNOHANG))[0] == 0:
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise subprocess.TimeoutExpired(cmd, timeout)
            time.sleep(0.05)
        _, status, usage = done
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        seconds = time.monotonic() - started
        out.seek(0)
        return Measured(proc.returncode, out.read().decode("utf-8", "replace"), seconds, usage.ru_maxrss / 1024)
