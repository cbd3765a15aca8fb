"""The runtime switches of the twin's API and store.

A healthy twin runs with ``Behaviour()``. Drifts (see ``drifts``) flip these switches;
the API (``app``) and the store loops (``store``) read them on every request / tick,
so a running twin can be re-driven without a restart.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from typing import Literal

Endpoint = Literal["status", "health", "recommendation"]


@dataclasses.dataclass
class Behaviour:
    # --- the split read contracts -------------------------------------------------
    drop_keys: dict[str, set[str]] = dataclasses.field(default_factory=dict)      # endpoint -> keys removed
    # The same edits for one table only: "db.table" -> endpoint -> values / keys
    table_overrides: dict[str, dict[str, dict]] = dataclasses.field(default_factory=dict)
    table_drop_keys: dict[str, dict[str, set[str]]] = dataclasses.field(default_factory=dict)
    add_keys: dict[str, dict] = dataclasses.field(default_factory=dict)           # endpoint -> extra keys
    rename_keys: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)  # endpoint -> old -> new
    override_values: dict[str, dict] = dataclasses.field(default_factory=dict)    # endpoint -> key -> value
    naive_timestamps: bool = False            # timestamps rendered without a zone
    timestamp_offset: str | None = None       # render timestamps in another form: "Z" or an offset like "+02:00"
    json_media_type: str = "application/json"  # the read contracts' Content-Type
    error_media_type: str = "application/json"  # an untracked table's 404 Content-Type
    health_status_lag: timedelta | None = None  # health/recommendation based on a status this much older
    # The first read of each table's assessments lands before the newest health-sync run committed:
    # it names the previous status (a read racing a run); asked again, the newest.
    assessments_race_a_run: bool = False
    raced: set[tuple[str, str]] = dataclasses.field(default_factory=set)  # (table, endpoint) already served stale
    # The recommendation of these tables ("db.table") is the one made at the run before the newest (an API serving
    # the assessment it cached then): of the previous status, evaluated then.
    recommendation_of_the_run_before: tuple[str, ...] = ()
    unknown_table: Literal["json404", "500", "html"] = "json404"
    openapi_hidden_paths: set[str] = dataclasses.field(default_factory=set)  # paths dropped from /openapi.json
    openapi_retyped: dict[str, str] = dataclasses.field(default_factory=dict)  # "Schema.property" -> new type
    # "/paths/~1x/get/parameters/-" -> a value set at that JSON pointer of /openapi.json ('-' appends to a list)
    openapi_edits: dict[str, object] = dataclasses.field(default_factory=dict)
    slow: dict[str, float] = dataclasses.field(default_factory=dict)  # "readyz" or "db.table" (its /status) -> seconds
    api_cached_collected_at: timedelta | None = None  # /status serves a collected_at this much older than the DB row
    # Mutations the running twin applies (each `Mutation.as_json()`, icepack_twin.mutate): every layer that
    # edits what is served puts its own here and picks them out by "layer" (the API's middleware: body, framing).
    mutations: list[dict] = dataclasses.field(default_factory=list)
    applied: Counter = dataclasses.field(default_factory=Counter)  # mutation id -> answers it landed in

    # --- readiness, jobs, drain ------------------------------------------------------
    readyz_status: int = 200
    dry_run: Literal["ok", "reject", "hang"] = "ok"
    drain: bool = False
    ui_served: bool = True                    # False: the UI route is gone (the API's JSON 404 answers)

    # --- the snapshot tables -----------------------------------------------------------
    health_sync_running: bool = True          # the CronJob's work: refresh both snapshot tables
    last_refresh_age: timedelta | None = None  # seed the newest rows this old (health-sync stopped long ago)
    history_runs: int | None = None           # seed only this many health-sync runs (a restored database)
    health_missing_tables: set[str] = dataclasses.field(default_factory=set)  # "db.table" with no health row
    empty_tables: bool = False                # both snapshot tables empty
    dropped_tables: set[str] = dataclasses.field(default_factory=set)  # "db.table" health-sync stopped collecting
