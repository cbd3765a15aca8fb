"""The twin's Icepack API: the split read contracts, dry-run jobs, readiness and drain.

Handlers build a healthy body, then let the current ``Behaviour`` bend it (drop, add,
rename, override keys, ...). Bodies are returned as raw ``JSONResponse`` so a drifted
body reaches the client as is; the pydantic models exist to document the healthy
contract truthfully in ``/openapi.json``.
"""

import asyncio
import copy
import json
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Callable, Literal

from fastapi import FastAPI, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt

from icepack_twin.behaviour import Behaviour
from icepack_twin.mutate import body as body_layer, framing
from icepack_twin.store import POLICY, Store, assess

Action = Literal["expire_snapshots", "rewrite_data_files", "rewrite_manifests", "remove_orphan_files"]
JobState = Literal["pending", "running", "succeeded", "failed"]

# Which assessment issue each maintenance action answers.
ACTION_FOR_ISSUE = {
    "too_many_snapshots": "expire_snapshots",
    "small_files": "rewrite_data_files",
    "too_many_manifests": "rewrite_manifests",
}


# --- response models (the healthy contract) ---------------------------------------------
class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")  # top-level key sets are exact


class TableRef(BaseModel):
    database: str
    name: str


class Snapshot(BaseModel):
    current_snapshot_id: int
    snapshot_count: NonNegativeInt
    oldest_snapshot_at: datetime
    current_snapshot_at: datetime


class Files(BaseModel):
    data_file_count: NonNegativeInt
    delete_file_count: NonNegativeInt
    total_data_bytes: NonNegativeInt
    small_file_count: NonNegativeInt


class Manifests(BaseModel):
    manifest_count: NonNegativeInt
    total_manifest_bytes: NonNegativeInt


class Partitions(BaseModel):
    partition_count: NonNegativeInt
    spec_id: NonNegativeInt


class Derived(BaseModel):
    avg_file_bytes: NonNegativeInt
    small_file_ratio: Annotated[float, Field(ge=0, le=1)]
    snapshots_per_day: NonNegativeFloat


class Source(BaseModel):
    catalog: str
    warehouse: str
    metadata_location: str


class Collection(BaseModel):
    collector: str
    duration_ms: NonNegativeInt
    status: str


class Issue(BaseModel):
    code: str
    severity: Literal["info", "warning", "critical"]
    message: str


class TableStatus(Contract):
    collection: Collection
    collected_at: datetime
    derived: Derived
    files: Files
    last_error: str | None
    manifests: Manifests
    partitions: Partitions
    snapshot: Snapshot
    source: Source
    stale: bool
    table: TableRef


class TableHealth(Contract):
    assessed_at: datetime
    collection: Collection
    error: str | None
    health_status: Literal["healthy", "degraded", "unhealthy"]
    issues: list[Issue]
    status_collected_at: datetime
    table: TableRef


class RecommendedAction(BaseModel):
    action: Action
    reason: str
    priority: Literal["low", "medium", "high"]


class HistoryEntry(BaseModel):
    job_id: str
    action: str
    state: JobState
    dry_run: bool
    submitted_at: datetime
    finished_at: datetime | None


class Recommendation(Contract):
    error: str | None
    evaluated_at: datetime
    evidence: dict[str, int | float | bool]
    history: list[HistoryEntry]
    policy: dict[str, int | float]
    recommended_actions: list[RecommendedAction]
    skip_reasons: list[str]
    status_collected_at: datetime
    table: TableRef


class JobRequest(BaseModel):
    action: Action
    dry_run: bool


class JobAccepted(Contract):
    job_id: str
    state: JobState
    dry_run: bool


class Job(Contract):
    job_id: str
    state: JobState
    dry_run: bool
    table: TableRef
    submitted_at: datetime
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: str | None


class ErrorDetail(BaseModel):
    detail: str


class Readiness(BaseModel):
    status: str
    reason: str | None = None


class DrainState(Contract):
    drain_mode: bool


NOT_FOUND = {404: {"model": ErrorDetail, "description": "Table not tracked or no snapshot yet"}}

ALB_502 = """<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
</body>
</html>
"""

UI_PAGE = """<!doctype html>
<html><head><title>Icepack</title></head>
<body><h1>Icepack</h1><p>Iceberg table maintenance.</p></body></html>
"""


# --- rendering -------------------------------------------------------------------------
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def render(value: Any, naive: bool, offset: str | None = None) -> Any:
    """JSON-ready copy of a body; timestamps ISO-8601 in UTC, zone dropped if ``naive``, written
    with ``Z`` or in another offset ("+02:00") if ``offset`` says so (the same instant)."""
    if isinstance(value, str) and (naive or offset) and _ISO.match(value):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(timezone.utc)
        if naive:
            return value.replace(tzinfo=None).isoformat()
        if offset == "Z":
            return value.isoformat().replace("+00:00", "Z")
        if offset:
            return value.astimezone(datetime.fromisoformat(f"2000-01-01T00:00:00{offset}").tzinfo).isoformat()
        return value.isoformat()
    if isinstance(value, dict):
        return {k: render(v, naive, offset) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, naive, offset) for v in value]
    return value


def bend(endpoint: str, body: dict, behaviour: Behaviour) -> dict:
    """Apply the contract drifts of one endpoint to a rendered body."""
    table = f"{body['table']['database']}.{body['table']['name']}"  # the requested one
    body = {**body, **behaviour.override_values.get(endpoint, {}),
            **behaviour.table_overrides.get(table, {}).get(endpoint, {})}
    dropped = behaviour.drop_keys.get(endpoint, set()) | behaviour.table_drop_keys.get(table, {}).get(endpoint, set())
    for key in dropped:
        body.pop(key, None)
    for old, new in behaviour.rename_keys.get(endpoint, {}).items():
        if old in body:
            body[new] = body.pop(old)
    body.update(behaviour.add_keys.get(endpoint, {}))
    return render(body, behaviour.naive_timestamps, behaviour.timestamp_offset)  # last: drift values may be datetimes


def job_view(job: dict) -> dict:
    return {
        "job_id": str(job["id"]),
        "state": job["state"],
        "dry_run": job["dry_run"],
        "table": {"database": job["database_name"], "name": job["table_name"]},
        "submitted_at": job["submitted_at"],
        "finished_at": job["finished_at"],
        "result": job["result"],
        "error": job["error"],
    }


def history_entry(job: dict) -> dict:
    view = job_view(job)
    return {"job_id": view["job_id"], "action": job["action"], "state": job["state"], "dry_run": job["dry_run"],
            "submitted_at": job["submitted_at"], "finished_at": job["finished_at"]}


class MutatedResponses:
    """Serves the current behaviour's response mutations (layers `body` and `framing`, see
    icepack_twin.mutate): a matching route's answer is buffered, its JSON body edited, its framing
    changed, its Content-Length fixed. With no mutations a request passes straight through (one
    attribute read: the healthy twin pays nothing measurable)."""

    def __init__(self, app, get_behaviour: Callable[[], Behaviour]):
        self.app, self.get_behaviour = app, get_behaviour

    async def __call__(self, scope, receive, send):
        mutations = self.get_behaviour().mutations if scope["type"] == "http" else None
        if not mutations:
            return await self.app(scope, receive, send)
        route = f"{scope['method']} {scope['path']}"
        applied = self.get_behaviour().applied  # mutation id -> answers it landed in (GET /_twin/mutations-applied)
        framed = [m for m in mutations if m["layer"] == "framing" and route in framing.routes_of(m["change"])]
        frames = [m["change"] for m in framed]
        redirect = framing.redirect(frames, route)
        if isinstance(redirect, tuple):  # the redirected route: the answer points elsewhere
            applied.update(m.get("id", "") for m in framed if m["change"]["op"] == "redirect")
            await send({"type": "http.response.start", "status": redirect[0], "headers": redirect[1]})
            return await send({"type": "http.response.body", "body": b""})
        if isinstance(redirect, str):  # the redirect's target serves the original route
            scope = {**scope, "path": redirect, "raw_path": redirect.encode()}
            route = f"{scope['method']} {redirect}"
            framed = [m for m in framed if m["change"]["op"] != "redirect"]
            frames = [m["change"] for m in framed]
        edited = [m for m in mutations if m["layer"] == "body" and m["change"]["route"] == route]
        if not edited and not frames:
            return await self.app(scope, receive, send)
        start, chunks = {}, []

        async def keep(message):
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))
        await self.app(scope, receive, keep)
        status, headers, content = start["status"], list(start.get("headers", [])), b"".join(chunks)
        if edited and status == 200 and content:
            body, landed = body_layer.edit(json.loads(content), [m["change"] for m in edited])
            applied.update(edited[n].get("id", "") for n in landed)
            content = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        applied.update(m.get("id", "") for m in framed)
        status, headers, parts, delay = framing.frame(status, headers, content, frames)
        if delay:
            await asyncio.sleep(delay)
        await send({**start, "status": status, "headers": headers})
        for n, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": n < len(parts) - 1})
        if not parts:
            await send({"type": "http.response.body", "body": b""})


# --- the app ---------------------------------------------------------------------------
# The routes and fields the deployment document leaves to the API, in three styles: the twin's
# usual one, another (`--api-style alt`) that a suite configured for the first must not pass, and
# one whose job submission takes the table in its body (`--api-style body`).
API_STYLES = {
    "default": {"drain": "/admin/drain", "submit": "/tables/{database}/{table}/maintenance/jobs",
                "status": "/maintenance/jobs/{job_id}", "fields": {}, "states": {},
                "key_header": "Idempotency-Key", "lookup": "/maintenance/jobs", "key_param": "idempotency_key",
                "items": "jobs"},
    "alt": {"drain": "/v2/admin/maintenance-mode", "submit": "/v2/jobs/{database}/{table}", "status": "/v2/jobs/{job_id}",
            "key_header": "X-Client-Token", "lookup": "/v2/jobs", "key_param": "client_token", "items": "items",
            "fields": {"drain_mode": "enabled", "job_id": "id", "state": "phase"},
            "states": {"pending": "queued", "running": "active", "succeeded": "done", "failed": "error"}},
    # The table in the submission's body ({"target": {"database": ..., "table": ...}, ...}), not its route.
    "body": {"drain": "/admin/drain", "submit": "/v3/maintenance/jobs", "status": "/v3/maintenance/jobs/{job_id}",
             "fields": {}, "states": {}, "key_header": "Idempotency-Key", "lookup": "/v3/maintenance/jobs",
             "key_param": "idempotency_key", "items": "jobs", "table_in_body": True},
}


class JobTarget(BaseModel):
    database: str
    table: str


class TargetedJobRequest(JobRequest):
    target: JobTarget


def create_app(store: Store, get_behaviour: Callable[[], Behaviour], tables: list[str],
               style: str = "default") -> FastAPI:
    app = FastAPI(title="Icepack API", version="twin",
                  description="Iceberg table maintenance (local twin of one environment).")
    app.add_middleware(MutatedResponses, get_behaviour=get_behaviour)

    # A tracked table as the documented example, so spec-driven testers reach real data.
    example_db, _, example_table = (tables[0] if tables else "analytics.events").partition(".")
    tracked = set(tables)  # a fleet of thousands is looked up per request
    Database = Annotated[str, Path(openapi_examples={"tracked": {"value": example_db}})]
    Table = Annotated[str, Path(openapi_examples={"tracked": {"value": example_table}})]

    def untracked(database: str, table: str, behaviour: Behaviour):
        """The error response for a table Icepack does not know, or None if tracked."""
        if f"{database}.{table}" in tracked:
            return None
        if behaviour.unknown_table == "500":
            return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
        if behaviour.unknown_table == "html":  # the load balancer answers for a crashed pod
            return HTMLResponse(ALB_502, status_code=502)
        return JSONResponse({"detail": f"table {database}.{table} is not tracked"}, status_code=404,
                            media_type=behaviour.error_media_type)

    def no_snapshot(database: str, table: str, kind: str) -> JSONResponse:
        return JSONResponse({"detail": f"table {database}.{table} has no {kind} snapshot yet"}, status_code=404)

    def raced(database: str, table: str, endpoint: str, behaviour: Behaviour) -> int:
        """1 for the first read of a table's assessment racing a health-sync run (it names the previous
        status), else 0."""
        key = (f"{database}.{table}", endpoint)
        if not behaviour.assessments_race_a_run or key in behaviour.raced:
            return 0
        behaviour.raced.add(key)
        return 1

    def lagged(ts: datetime, behaviour: Behaviour) -> datetime:
        return ts - (behaviour.health_status_lag or timedelta(0))

    @app.get("/readyz", response_model=Readiness,
             responses={503: {"model": Readiness, "description": "Not ready"}})
    def readyz():
        behaviour = get_behaviour()
        time.sleep(behaviour.slow.get("readyz", 0))
        if not store.ping():
            return JSONResponse({"status": "not ready", "reason": "database unreachable"}, status_code=503)
        if behaviour.readyz_status != 200:
            return JSONResponse({"status": "not ready", "reason": "dependency check failed"},
                                status_code=behaviour.readyz_status)
        return JSONResponse({"status": "ready"})

    @app.get("/tables/{database}/{table}/status", response_model=TableStatus, responses=NOT_FOUND)
    def table_status(database: Database, table: Table):
        behaviour = get_behaviour()
        time.sleep(behaviour.slow.get(f"{database}.{table}", 0))
        if (error := untracked(database, table, behaviour)) is not None:
            return error
        row = store.latest_status(database, table)
        if row is None:
            return no_snapshot(database, table, "status")
        collected_at = row["collected_at"] - (behaviour.api_cached_collected_at or timedelta(0))
        stale = datetime.now(timezone.utc) - collected_at > 2 * store.interval
        body = {**row["payload"], "collected_at": collected_at, "stale": stale, "last_error": None,
                "table": {"database": database, "name": table}}
        return JSONResponse(bend("status", body, behaviour), media_type=behaviour.json_media_type)

    @app.get("/tables/{database}/{table}/health", response_model=TableHealth, responses=NOT_FOUND)
    def table_health(database: Database, table: Table):
        behaviour = get_behaviour()
        if (error := untracked(database, table, behaviour)) is not None:
            return error
        skip = raced(database, table, "health", behaviour)
        health, status = store.latest_health(database, table, skip), store.latest_status(database, table)
        if health is None or status is None:
            return no_snapshot(database, table, "health")
        if skip:
            health = {**health, "assessed_at": datetime.now(timezone.utc)}
        body = {
            "assessed_at": health["assessed_at"],
            "collection": status["payload"]["collection"],
            "error": health["error"],
            "health_status": health["health_status"],
            "issues": health["issues"],
            "status_collected_at": lagged(health["status_collected_at"], behaviour),
            "table": {"database": database, "name": table},
        }
        return JSONResponse(bend("health", body, behaviour), media_type=behaviour.json_media_type)

    @app.get("/tables/{database}/{table}/maintenance/recommendation",
             response_model=Recommendation, responses=NOT_FOUND)
    def recommendation(database: Database, table: Table):
        behaviour = get_behaviour()
        if (error := untracked(database, table, behaviour)) is not None:
            return error
        cached = f"{database}.{table}" in behaviour.recommendation_of_the_run_before
        status = store.latest_status(database, table, 1 if cached else raced(database, table, "recommendation", behaviour))
        if status is None:
            return no_snapshot(database, table, "status")
        payload = status["payload"]
        now = status["collected_at"] + timedelta(seconds=20) if cached else datetime.now(timezone.utc)
        _, issues = assess(payload)
        wanted = {ACTION_FOR_ISSUE[i["code"]]: i["message"] for i in issues}
        body = {
            "error": None,
            "evaluated_at": now,
            "evidence": {
                "snapshot_count": payload["snapshot"]["snapshot_count"],
                "small_file_ratio": payload["derived"]["small_file_ratio"],
                "manifest_count": payload["manifests"]["manifest_count"],
                "data_file_count": payload["files"]["data_file_count"],
                "status_age_seconds": int((now - status["collected_at"]).total_seconds()),
            },
            "history": [history_entry(j) for j in store.recent_jobs(database, table)],
            "policy": POLICY,
            "recommended_actions": [{"action": a, "reason": r, "priority": "medium"} for a, r in wanted.items()],
            "skip_reasons": [f"{a}: within policy" for a in ACTION_FOR_ISSUE.values() if a not in wanted],
            "status_collected_at": lagged(status["collected_at"], behaviour),
            "table": {"database": database, "name": table},
        }
        return JSONResponse(bend("recommendation", body, behaviour), media_type=behaviour.json_media_type)

    conventions = API_STYLES[style]
    default = style == "default"

    def styled(body: dict) -> dict:
        """A job or drain body in this style's field names and state words."""
        out = {conventions["fields"].get(k, k): v for k, v in body.items()}
        state = conventions["fields"].get("state", "state")
        if state in out:
            out[state] = conventions["states"].get(out[state], out[state])
        return out

    def submit_job(database: Database, table: Table, request: JobRequest, http: Request):
        behaviour = get_behaviour()
        if (error := untracked(database, table, behaviour)) is not None:
            return error
        if behaviour.drain:
            return JSONResponse({"detail": "drain mode is on: maintenance submissions are paused"},
                                status_code=503)
        if not request.dry_run:
            return JSONResponse({"detail": "the twin is read-only toward tables: only dry-run jobs"},
                                status_code=403)
        if behaviour.dry_run == "reject":  # same shape as FastAPI's own 422, as the spec says
            return JSONResponse({"detail": [{"loc": ["body", "dry_run"], "msg": "dry-run jobs are not supported",
                                             "type": "value_error"}]}, status_code=422)
        job = store.submit_job(database, table, request.action, dry_run=True,
                               key=http.headers.get(conventions["key_header"]))
        return JSONResponse(styled({"job_id": str(job["id"]), "state": job["state"], "dry_run": job["dry_run"]}),
                            status_code=202)

    def submit_targeted_job(request: TargetedJobRequest, http: Request):
        return submit_job(request.target.database, request.target.table,
                          JobRequest(action=request.action, dry_run=request.dry_run), http)

    def get_job(job_id: str):
        job = store.job(job_id)
        if job is None:
            return JSONResponse({"detail": f"job {job_id} not found"}, status_code=404)
        return JSONResponse(styled(render(job_view(job), get_behaviour().naive_timestamps)))

    def lookup_jobs(http: Request):
        key = http.query_params.get(conventions["key_param"])
        if not key:
            return JSONResponse({"detail": f"query parameter {conventions['key_param']} is required"}, status_code=422)
        behaviour = get_behaviour()
        jobs = [styled(render(job_view(j), behaviour.naive_timestamps)) for j in store.jobs_with_key(key)]
        return JSONResponse({conventions["items"]: jobs})

    def drain():
        return JSONResponse(styled({"drain_mode": get_behaviour().drain}))

    # The other style's bodies differ from the models: its routes document no response schema.
    app.add_api_route(conventions["submit"], submit_targeted_job if conventions.get("table_in_body") else submit_job,
                      methods=["POST"], status_code=202,
                      response_model=JobAccepted if default else None,
                      responses={403: {"model": ErrorDetail, "description": "Only dry-run jobs are accepted"},
                                 404: NOT_FOUND[404], 503: {"model": ErrorDetail, "description": "Drain mode is on"}})
    app.add_api_route(conventions["status"], get_job, methods=["GET"], response_model=Job if default else None,
                      responses={404: {"model": ErrorDetail, "description": "Unknown job"}})
    # The look-up a client makes when a submission got no clear answer (did it create a job?).
    app.add_api_route(conventions["lookup"], lookup_jobs, methods=["GET"], include_in_schema=False)
    app.add_api_route(conventions["drain"], drain, methods=["GET"], response_model=DrainState if default else None)

    @app.get("/ui/", response_class=HTMLResponse)
    def ui():
        if not get_behaviour().ui_served:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return HTMLResponse(UI_PAGE)

    # The schema is generated once; each request gets a filtered copy (drifts hide paths).
    full_schema = FastAPI.openapi(app)

    def openapi() -> dict:
        schema = copy.deepcopy(full_schema)
        for path in get_behaviour().openapi_hidden_paths:
            schema["paths"].pop(path, None)
        for where, type_ in get_behaviour().openapi_retyped.items():
            component, prop = where.split(".")
            schema["components"]["schemas"][component]["properties"][prop]["type"] = type_
        for pointer, value in get_behaviour().openapi_edits.items():
            *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
            node = schema
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
            if isinstance(node, list) and last == "-":
                node.append(copy.deepcopy(value))
            else:
                node[int(last) if isinstance(node, list) else last] = copy.deepcopy(value)
        return schema

    app.openapi = openapi
    return app
