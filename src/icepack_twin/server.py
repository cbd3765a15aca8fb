"""One running twin: embedded Postgres, the API, the Kubernetes emulator and the loops.

Everything runs in one asyncio loop. A small control surface under /_twin/ (hidden
from the OpenAPI spec) re-drives a running twin with another environment's values,
drifts or phase, so self-tests need not restart it per drift.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pgserver
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
import uvicorn
from croniter import croniter
from fastapi import Body, FastAPI, HTTPException

from icepack_twin import chart, drifts, endpoints, mutate
from icepack_twin.mutate import layers as _layers  # noqa: F401  (registers every layer)
from icepack_twin.app import create_app
from icepack_twin.behaviour import Behaviour
from icepack_twin.cluster import TwinCluster
from icepack_twin.faults import FaultBoard, HttpFaultProxy, TcpFaultProxy, serve_http
from icepack_twin.objects import Objects
from icepack_twin.store import Store
from icepack_twin.values import values_for

log = logging.getLogger("icepack_twin")

# The tables Icepack tracks in the twin: every environment's known tables, and more.
TRACKED_TABLES = ["analytics.events", "analytics.sessions", "sales.orders", "sales.refunds",
                  "ops.audit_log", "ops.job_runs"]
KUBE_CONTEXT = "icepack-twin"


def tracked_tables(count: int | None = None) -> list[str]:
    """The first `count` tracked tables: the six named ones, then a fleet (lake.t0007, ...) to
    serve as many as a large deployment (--tables 1000)."""
    count = len(TRACKED_TABLES) if count is None else count
    return (TRACKED_TABLES + [f"lake.t{i:04d}" for i in range(len(TRACKED_TABLES) + 1, count + 1)])[:count]


def _paused(values: dict, b: Behaviour) -> None:
    values["orchestrator"]["suspend"] = values["healthSync"]["suspend"] = True
    b.health_sync_running = False
    b.drain = True  # the document's optional extra guard


def _resumed(values: dict, b: Behaviour) -> None:
    values["orchestrator"]["suspend"] = True  # step 6 has not happened yet
    b.drain = True


PHASES = {"live": lambda values, b: None, "paused": _paused, "resumed": _resumed}


def _interval(schedule: str, now: datetime):
    it = croniter(schedule, now)
    first = it.get_next(datetime)
    return it.get_next(datetime) - first


# Mutation layers whose edit is in place once a configure succeeds (the objects served, the database
# altered); the others land per answer or per row batch, counted as they do.
AT_CONFIGURE = ("kube", "database")


class _Counting:
    """Counts the API requests served, by method and path (the control routes aside): a plain ASGI
    wrapper, so counting costs the twin next to nothing."""

    def __init__(self, app, counter: Counter):
        self.app, self.counter = app, counter

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not scope["path"].startswith("/_twin/"):
            self.counter[f"{scope['method']} {scope['path']}"] += 1
        await self.app(scope, receive, send)


class Twin:
    def __init__(self, state_dir: Path, tick: float = 1.0, api_style: str = "default",
                 faults: dict[str, dict] | None = None, tables: int | None = None):
        self.api_style = api_style
        self.tables = tracked_tables(tables)
        # With faults (even none yet), the suite reaches the twin through the fault proxies.
        self.proxied = faults is not None
        self.faults = FaultBoard()
        self.faults.set(faults or {})
        self.state_dir = state_dir
        self.tick = tick
        self.behaviour = Behaviour()
        self.config: dict = {}
        self.landed_at_configure: list[str] = []  # the kube and database mutations of the last configure
        self.store: Store | None = None
        self.cluster = TwinCluster()
        self.objects: Objects = Objects()

    def configure(self, env: str = "local", drift_names: list[str] | None = None, phase: str = "live",
                  mutations: list[dict] | None = None) -> dict:
        """Render the environment's objects, apply the phase, the drifts and the mutations (each a
        `Mutation.change`, applied by its layer), reseed the tables."""
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; known: {', '.join(PHASES)}")
        chosen = drifts.lookup(list(drift_names or []))
        by_layer = mutate.by_layer([*(mutations or []), *(m for d in chosen for m in d.mutations)])
        now = datetime.now(timezone.utc)
        values, behaviour = values_for(env), Behaviour()
        PHASES[phase](values, behaviour)
        for d in chosen:
            if d.values:
                d.values(values)
        objects = chart.render(values, now)
        for d in chosen:
            if d.objects:
                d.objects(objects)
            if d.behaviour:
                d.behaviour(behaviour)
        endpoints.sync(objects)  # the EndpointSlice controller settles over the drifts, not the mutations
        for name, chosen_mutations in by_layer.items():
            for m in chosen_mutations:
                mutate.LAYERS[name].prepare(objects, behaviour, m)
        self.objects = objects
        self.cluster.load(objects)
        with self.store.lock:  # no loop tick between the reset and the new behaviour
            self.store.reset(self.tables, behaviour, _interval(values["healthSync"]["schedule"], now), now)
            # Every layer (one that keeps state across resets restores it), the database's last: its structural
            # edits (a table renamed, a view in its place) stand over the rows the others seed, as a schema
            # changed under rows already written; seeding into a view would fail instead.
            for name, layer in sorted(mutate.LAYERS.items(), key=lambda item: item[0] == "database"):
                layer.settle(self.store, by_layer.get(name, []))
            self.behaviour = behaviour
        self.config = {"env": env, "drifts": [d.name for d in chosen], "phase": phase,
                       "mutations": [m.get("id", "") for m in mutations or []]}
        self.landed_at_configure = [m.get("id", "") for name in AT_CONFIGURE for m in by_layer.get(name, [])]
        return self.config

    def _control(self, app: FastAPI) -> None:
        @app.post("/_twin/configure", include_in_schema=False)
        def configure(body: dict = Body(...)):
            try:
                return self.configure(body.get("env", "local"), body.get("drifts", []), body.get("phase", "live"),
                                      body.get("mutations", []))
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from None
            except psycopg.Error as exc:  # edits the database refuses together: an answer, not a dropped connection
                raise HTTPException(409, f"the database refused these edits together: {exc}".strip()) from None

        @app.get("/_twin/world/{layer}", include_in_schema=False)
        def world(layer: str):
            """The healthy world of one mutation layer, as its generator reads it."""
            if layer not in mutate.LAYERS:
                raise HTTPException(404, f"unknown mutation layer {layer!r}; known: {', '.join(sorted(mutate.LAYERS))}")
            return mutate.LAYERS[layer].world(self)

        @app.get("/_twin/mutations-applied", include_in_schema=False)
        def mutations_applied():
            """Per configured mutation id, how often its edit landed since the configure: the answers a
            body or framing edit changed, the row batches a rows edit changed; a kube or database
            mutation lands at the configure (a refused one is a 422 there), so it counts 1."""
            counts = {m: 0 for m in self.config.get("mutations", [])}
            counts.update({m: 1 for m in self.landed_at_configure})
            counts.update(self.behaviour.applied)
            if self.store.row_edits is not None:
                counts.update(getattr(self.store.row_edits, "applied", {}))
            return counts

        @app.put("/_twin/faults", include_in_schema=False)
        def set_faults(body: dict = Body(...)):
            try:
                return self.faults.set(body)
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from None

        @app.get("/_twin/job-count", include_in_schema=False)
        def job_count():
            return {"jobs": self.store.job_count()}

        requests = Counter()
        app.add_middleware(_Counting, counter=requests)

        @app.get("/_twin/api-requests", include_in_schema=False)
        def api_requests():
            return dict(requests)

        @app.delete("/_twin/api-requests", include_in_schema=False)
        def clear_api_requests():
            requests.clear()
            return {"cleared": True}

        @app.get("/_twin/kube-requests", include_in_schema=False)
        def kube_requests():
            return self.cluster.request_log()

        @app.delete("/_twin/kube-requests", include_in_schema=False)
        def clear_kube_requests():
            self.cluster.clear_request_log()
            return {"cleared": True}

    async def serve(self, env: str, drift_names: list[str], phase: str, api_port: int = 0, kube_port: int = 0) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        pg = await asyncio.to_thread(pgserver.get_server, str(self.state_dir / "pgdata"), cleanup_mode="stop")
        try:
            self.store = Store(pg.get_uri())
            await asyncio.to_thread(self.store.setup)
            kube_url = await self.cluster.start(port=kube_port)
            kubeconfig = self.state_dir / "kubeconfig"
            await asyncio.to_thread(self.configure, env, drift_names, phase)

            app = create_app(self.store, lambda: self.behaviour, self.tables, self.api_style)
            self._control(app)
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="warning",
                                                   lifespan="off"))
            server_task = asyncio.create_task(server.serve())
            while not server.started:
                if server_task.done():
                    raise RuntimeError(f"the twin API could not start on port {api_port}")
                await asyncio.sleep(0.05)
            port = server.servers[0].sockets[0].getsockname()[1]
            control_url = api_url = f"http://127.0.0.1:{port}"
            database_url, proxies = self.store.reader_dsn(), []
            if self.proxied:
                api_url, kube_url, database_url, proxies = await self._proxies(api_url, kube_url, database_url)
            self.cluster.write_kubeconfig(str(kubeconfig), context=KUBE_CONTEXT, server=kube_url)
            loops = asyncio.create_task(self.store.run_loops(self.tables, lambda: self.behaviour, self.tick))
            self._write_state({
                "pid": os.getpid(), "api_url": api_url, "ui_url": f"{api_url}/ui/", "kube_url": kube_url,
                "kubeconfig": str(kubeconfig), "kube_context": KUBE_CONTEXT, "control_url": control_url,
                "database_url": database_url, "faults": self.faults.describe() if self.proxied else None, **self.config,
            })
            stop = asyncio.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
            await stop.wait()
            for proxy in proxies:
                await proxy()
            server.should_exit = True
            loops.cancel()
            await server_task
            await self.cluster.stop()
        finally:
            (self.state_dir / "state.json").unlink(missing_ok=True)
            await asyncio.to_thread(pg.cleanup)

    async def _proxies(self, api_url: str, kube_url: str, dsn: str):
        """Start the fault proxies; the URLs and DSN the suite should use instead, and their stoppers."""
        stoppers = []
        urls = []
        for target, upstream in (("api", api_url), ("kube", kube_url)):
            server, task, url = await serve_http(HttpFaultProxy(self.faults, target, upstream))

            async def stop_http(server=server, task=task):
                server.should_exit = True
                await task
            stoppers.append(stop_http)
            urls.append(url)
        info = conninfo_to_dict(dsn)
        host, pg_port = info.get("host", "/tmp"), int(info.get("port") or 5432)
        tcp = (TcpFaultProxy(self.faults, "postgres", unix_path=f"{host}/.s.PGSQL.{pg_port}") if host.startswith("/")
               else TcpFaultProxy(self.faults, "postgres", host=host, port=pg_port))
        port = await tcp.start()
        stoppers.append(tcp.stop)
        info.update(host="127.0.0.1", port=str(port))
        return urls[0], urls[1], make_conninfo(**info), stoppers

    def _write_state(self, state: dict) -> None:
        tmp = self.state_dir / "state.json.tmp"
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.state_dir / "state.json")  # atomic: readers never see half a file
