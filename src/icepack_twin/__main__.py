"""python -m icepack_twin: start, stop or wrap a command around a local Icepack twin.

    python -m icepack_twin run [--env local] [--drift NAME]... [--phase live] -- pytest --env local
    eval "$(python -m icepack_twin up --env stage)"   # then: pytest --env stage
    python -m icepack_twin down
    python -m icepack_twin drifts
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from icepack_twin import drifts

DEFAULT_STATE = Path(".twin")


def exports(state: dict) -> dict[str, str]:
    """The environment variables that point the suite at the twin."""
    return {
        "ICEPACK_API_URL": state["api_url"],
        "ICEPACK_UI_URL": state["ui_url"],
        "ICEPACK_DATABASE_URL": state["database_url"],
        "KUBECONFIG": state["kubeconfig"],
        "ICEPACK_KUBE_CONTEXT": state["kube_context"],
    }


def start(state_dir: Path, env: str, drift_names: list[str], phase: str, timeout: float = 90) -> tuple[subprocess.Popen, dict]:
    """Start `serve` in the background; return once the twin is answering."""
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file = state_dir / "state.json"
    state_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "icepack_twin", "serve", "--state-dir", str(state_dir), "--env", env, "--phase", phase]
    for name in drift_names:
        cmd += ["--drift", name]
    log = open(state_dir / "twin.log", "ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state_file.exists():
            return proc, json.loads(state_file.read_text())
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    tail = (state_dir / "twin.log").read_text(errors="replace").strip().splitlines()[-5:]
    raise SystemExit(f"the twin did not start (see {state_dir / 'twin.log'}): " + " | ".join(tail))


def stop(state_dir: Path) -> bool:
    state_file = state_dir / "state.json"
    if not state_file.exists():
        return False
    pid = json.loads(state_file.read_text())["pid"]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        state_file.unlink(missing_ok=True)
        return False
    for _ in range(100):
        if not state_file.exists():
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m icepack_twin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "up", "run"):
        p = sub.add_parser(name)
        p.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
        p.add_argument("--env", default="local", help="whose Helm values to deploy: dev, stage, preprod, prod, local")
        p.add_argument("--drift", action="append", default=[], help="a named drift (see `drifts`); repeatable")
        p.add_argument("--phase", default="live", choices=["live", "paused", "resumed"])
        if name == "serve":
            p.add_argument("--api-port", type=int, default=0)
            p.add_argument("--kube-port", type=int, default=0)
            p.add_argument("--tick", type=float, default=1.0, help="seconds between health-sync/worker runs")
        if name == "run":
            p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- the command to run against the twin")
    down = sub.add_parser("down")
    down.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
    sub.add_parser("drifts")
    args = parser.parse_args(argv)

    if args.command == "drifts":
        drifts.lookup([])
        for d in sorted(drifts.CATALOGUE.values(), key=lambda d: (d.suite, d.name)):
            print(f"{d.suite:10} {d.name:36} {d.doc}")
        return 0
    if args.command == "down":
        print("twin stopped" if stop(args.state_dir) else "no twin running", file=sys.stderr)
        return 0
    try:
        drifts.lookup(args.drift)
    except KeyError as exc:
        raise SystemExit(exc.args[0])
    if args.command == "serve":
        from icepack_twin.server import Twin

        twin = Twin(args.state_dir.resolve(), tick=args.tick)
        asyncio.run(twin.serve(args.env, args.drift, args.phase, args.api_port, args.kube_port))
        return 0
    if args.command == "up":
        stop(args.state_dir)
        _, state = start(args.state_dir.resolve(), args.env, args.drift, args.phase)
        for key, value in exports(state).items():
            print(f"export {key}={shlex.quote(value)}")
        print(f"# twin up ({args.env}, phase {args.phase}); stop it with: python -m icepack_twin down", file=sys.stderr)
        return 0
    # run: the twin around one command, stopped whatever happens
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("run needs a command after --")
    stop(args.state_dir)
    proc, state = start(args.state_dir.resolve(), args.env, args.drift, args.phase)
    try:
        return subprocess.call(cmd, env={**os.environ, **exports(state)})
    finally:
        stop(args.state_dir)
        proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
