"""python -m icepack_twin: start, stop or wrap a command around a local Icepack twin.

    python -m icepack_twin run [--env local] [--drift NAME]... [--phase live] -- pytest --env local
    python -m icepack_twin run --fault api:error_rate=0.1 --fault api:jitter_ms=300 -- pytest --env local
    eval "$(python -m icepack_twin up --env stage)"   # then: pytest --env stage
    python -m icepack_twin down
    python -m icepack_twin drifts
    python -m icepack_twin render --env stage [--drift NAME]... [--output rendered.yaml]   # as `helm template` would
    python -m icepack_twin mutate [--layer kube]... [--seed 1] [--limit 40] [--workers 2] [--report PATH]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
from pathlib import Path

from icepack_twin import drifts
from icepack_twin.faults import parse_cli
from icepack_twin.process import TwinProcess, exports, start, stop

DEFAULT_STATE = Path(".twin")


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
        p.add_argument("--api-style", default="default", choices=["default", "alt", "body"],
                       help="the routes and fields the document leaves open: the usual ones, or another set")
        p.add_argument("--fault", action="append", default=[], metavar="TARGET:KNOB=VALUE",
                       help="put a fault proxy in front of api, kube or postgres, e.g. api:error_rate=0.1, "
                            "api:latency_ms=50, api:hang=/tables/, postgres:stall_after_bytes=4000 "
                            "(see icepack_twin.faults); repeatable")
        p.add_argument("--tables", type=int, default=None, metavar="N",
                       help="how many tables Icepack tracks: the six named ones, then a generated fleet (up to 5000)")
        p.add_argument("--proxy", action="store_true",
                       help="the fault proxies without faults yet (set them later over PUT /_twin/faults)")
        if name == "serve":
            p.add_argument("--api-port", type=int, default=0)
            p.add_argument("--kube-port", type=int, default=0)
            p.add_argument("--tick", type=float, default=1.0, help="seconds between health-sync/worker runs")
        if name == "run":
            p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- the command to run against the twin")
    down = sub.add_parser("down")
    down.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
    sub.add_parser("drifts")
    ren = sub.add_parser("render", help="write the release's rendered manifests, as `helm template` would "
                                        "(icepack_twin.render): the input of the suite's --manifests")
    ren.add_argument("--env", default="local", help="whose Helm values to render: dev, stage, preprod, prod, local")
    ren.add_argument("--drift", action="append", default=[], help="a named drift (see `drifts`); repeatable")
    ren.add_argument("--output", type=Path, default=None, help="write here instead of to stdout")
    mut = sub.add_parser("mutate", help="judge every generated mutation of a healthy twin by the read-only suite "
                                        "(icepack_twin.mutate.engine)")
    mut.add_argument("--layer", action="append", default=[], help="only this layer's mutations; repeatable")
    mut.add_argument("--only", action="append", default=[], metavar="PATTERN",
                     help="only mutations whose id matches this pattern (* and ? wildcards, as in mutations.toml); repeatable")
    mut.add_argument("--seed", type=int, default=1, help="the random sample's seed (default 1)")
    mut.add_argument("--limit", type=int, default=None, metavar="N", help="a random sample of N mutations")
    mut.add_argument("--report", type=Path, default=Path("reports/mutations.json"))
    mut.add_argument("--ledger", type=Path, default=Path("mutations.toml"))
    mut.add_argument("--workers", type=int, default=1, metavar="N", help="N twins, each judging its share")
    mut.add_argument("--state-dir", type=Path, default=Path(".twin/mutate"), help="where the twins keep their state")
    mut.add_argument("--attach", type=Path, default=None, metavar="STATE_DIR",
                     help="use the twin already running with this state folder instead of starting one")
    mut.add_argument("--no-preload", action="store_true",
                     help="start every suite run from scratch instead of forking it from a process with the suite's "
                          "libraries imported (slower; the same judgement)")
    mut.add_argument("--whole-suite", action="store_true",
                     help="run every test for every mutation, not only the tests that use what its layer changes "
                          "(the Kubernetes API, the Icepack API, the database)")
    mut.add_argument("--fail-on-survivor", action="store_true", help="exit 1 if any mutation survived unledgered")
    mut.add_argument("--resume", action="store_true",
                     help="continue the unfinished run whose report is at --report (same commit and options): "
                          "judge only the mutations it has not judged")
    mut.add_argument("--checkpoint-every", type=int, default=50, metavar="N",
                     help="write the report every N judgements during the run (default 50), so a run cut off keeps them")
    args = parser.parse_args(argv)

    if args.command == "mutate":
        from icepack_twin.mutate import engine

        if args.limit is not None and args.limit < 1 or not 1 <= args.workers <= 8 or args.checkpoint_every < 1:
            raise SystemExit("--limit and --checkpoint-every: at least 1; --workers: between 1 and 8")
        if args.attach and args.workers != 1:
            raise SystemExit("--attach uses one running twin: --workers 1")
        return engine.run(engine.Options(seed=args.seed, limit=args.limit, layers=args.layer, only=args.only,
                                         report=args.report,
                                         ledger=args.ledger, workers=args.workers, state_dir=args.state_dir,
                                         attach=args.attach, fail_on_survivor=args.fail_on_survivor,
                                         preload=not args.no_preload, select=not args.whole_suite,
                                         resume=args.resume, checkpoint_every=args.checkpoint_every),
                          engine.Twins(start=TwinProcess, exports=exports))

    if args.command == "drifts":
        for d in sorted(drifts.CATALOGUE.values(), key=lambda d: (d.suite, d.name)):
            print(f"{d.suite:10} {d.name:36} {d.doc}")
        return 0
    if args.command == "render":
        from icepack_twin import render
        from icepack_twin.values import ENV_OVERRIDES

        if args.env not in ENV_OVERRIDES:
            raise SystemExit(f"unknown environment {args.env!r}; known: {', '.join(ENV_OVERRIDES)}")
        try:
            text = render.manifests(render.objects(args.env, args.drift))
        except KeyError as exc:
            raise SystemExit(exc.args[0])
        except ValueError as exc:  # a drift that does not apply to this environment
            raise SystemExit(f"--drift: {exc}")
        if args.output:
            args.output.write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    if args.command == "down":
        print("twin stopped" if stop(args.state_dir) else "no twin running", file=sys.stderr)
        return 0
    if getattr(args, "tables", None) is not None and not 1 <= args.tables <= 5000:
        raise SystemExit(f"--tables {args.tables}: between 1 and 5000")
    try:
        drifts.lookup(args.drift)
        faults = parse_cli(args.fault) if args.fault or args.proxy else None
    except KeyError as exc:
        raise SystemExit(exc.args[0])
    except ValueError as exc:
        raise SystemExit(str(exc))
    passed_on = ("--api-style", args.api_style, *(["--proxy"] if args.proxy else []),
                 *(["--tables", str(args.tables)] if args.tables is not None else []),
                 *(x for f in args.fault for x in ("--fault", f)))
    if args.command == "serve":
        from icepack_twin.server import Twin

        twin = Twin(args.state_dir.resolve(), tick=args.tick, api_style=args.api_style, faults=faults,
                    tables=args.tables)
        asyncio.run(twin.serve(args.env, args.drift, args.phase, args.api_port, args.kube_port))
        return 0
    if args.command == "up":
        stop(args.state_dir)
        _, state = start(args.state_dir.resolve(), args.env, tuple(args.drift), args.phase,
                     extra=passed_on)
        for key, value in exports(state).items():
            print(f"export {key}={shlex.quote(value)}")
        print(f"# twin up ({args.env}, phase {args.phase}); stop it with: python -m icepack_twin down", file=sys.stderr)
        return 0
    # run: the twin around one command, stopped whatever happens
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("run needs a command after --")
    stop(args.state_dir)
    proc, state = start(args.state_dir.resolve(), args.env, tuple(args.drift), args.phase,
                     extra=passed_on)
    try:
        return subprocess.call(cmd, env={**os.environ, **exports(state)})
    finally:
        stop(args.state_dir)
        proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
