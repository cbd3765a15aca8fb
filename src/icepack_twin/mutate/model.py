"""What a mutation is: one small, rule-generated change to the healthy twin's world.

A mutation names where it lands and what it does; its `id` is stable across runs
(layer, target, path, operator), so a report, the ledger (mutations.toml) and a later
run talk about the same change. `change` is plain JSON: a mutation crosses the control route
as `as_json()` and the twin applies it through the layer that generated it
(`Layer.prepare` before the objects are served and the tables seeded, `Layer.settle`
after), reading its edit under "change".
"""
from __future__ import annotations

import dataclasses
from typing import Any, Protocol


@dataclasses.dataclass(frozen=True)
class Mutation:
    layer: str        # "kube", "body", "framing", "rows", "database"
    target: str       # "Deployment/icepack-api", "GET /tables/analytics/events/status", ...
    path: str         # where inside the target: "spec.replicas", "files.small_file_count", "" for the whole
    operator: str     # "remove", "scale-x2", "flip", "delete-object", ...
    change: dict[str, Any]  # the edit, as the layer's `prepare`/`settle` read it (JSON)
    description: str  # what changed, in words: "spec.replicas 2 -> 4"

    @property
    def id(self) -> str:
        return f"{self.layer}:{self.target}:{self.path}:{self.operator}"

    def as_json(self) -> dict:
        return {"id": self.id, "layer": self.layer, "target": self.target, "path": self.path,
                "operator": self.operator, "description": self.description, "change": self.change}


class Layer(Protocol):
    """One layer of the twin's world, both sides of a mutation.

    Engine side: `generate(world)` turns the healthy world (what `world(twin)` returned
    over /_twin/world/<name>) into mutations, from rules, for every leaf that exists.
    Twin side: `prepare` edits the rendered objects or the runtime behaviour before the
    cluster is loaded and the tables are seeded; `settle` edits the store after the reset.
    A reconfiguration (the next mutation) rebuilds everything from healthy, so neither
    needs an undo, except what the store keeps across resets (the database layer's roles,
    grants and settings), which its `settle` must restore on a mutation-free configure.
    """

    name: str

    def world(self, twin) -> dict: ...

    def generate(self, world: dict) -> list[Mutation]: ...

    def prepare(self, objects, behaviour, mutation: dict) -> None: ...

    def settle(self, store, mutations: list[dict]) -> None: ...


class BaseLayer:
    """No-op defaults for a layer: a layer overrides what it needs."""

    name = ""

    def world(self, twin) -> dict:
        return {}

    def generate(self, world: dict) -> list[Mutation]:
        return []

    def prepare(self, objects, behaviour, mutation: dict) -> None:
        pass

    def settle(self, store, mutations: list[dict]) -> None:
        pass
