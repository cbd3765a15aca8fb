"""What a drift is: a name, the suite folder that must catch it, and its edits to the twin's layers."""
from __future__ import annotations

import copy
import dataclasses
from typing import Callable

from icepack_twin import chart
from icepack_twin.behaviour import Behaviour
from icepack_twin.objects import Objects


@dataclasses.dataclass(frozen=True)
class Drift:
    name: str
    suite: str  # the suite folder that must catch it; "equivalent": a healthy form every check must pass
    doc: str
    values: Callable[[dict], None] | None = None
    objects: Callable[[Objects], None] | None = None
    behaviour: Callable[[Behaviour], None] | None = None
    mutations: tuple[dict, ...] = ()  # mutation-layer edits (each `Mutation.as_json()`): the rows and the database


class DriftList(list):
    """One suite folder's drifts, in the order they are declared."""

    def __init__(self, suite: str):
        super().__init__()
        self.suite = suite

    def add(self, name: str, doc: str, **edits) -> Drift:
        self.append(d := Drift(name, self.suite, doc, **edits))
        return d


def switch(**changes) -> Callable[[Behaviour], None]:
    """A behaviour edit setting these switches; each configuration gets its own copy of the values,
    so a drift that adds to a switch (override_values) never leaks into another's."""
    def edit(b: Behaviour) -> None:
        for key, value in changes.items():
            setattr(b, key, copy.deepcopy(value))
    return edit


def released(edit: Callable[[Objects], None]) -> Callable[[Objects], None]:
    """An objects edit the chart itself made: applied to the live objects and to the release's manifest
    alike, so the release still matches what runs (no hand change for release vs live to see)."""
    def both(objs: Objects) -> None:
        edit(objs)
        chart.edit_manifests(objs, edit)
    return both


def in_manifest(edit: Callable[[Objects], None]) -> Callable[[Objects], None]:
    """An edit of the release's manifest only: the chart wrote it so, the cluster holds it otherwise."""
    return lambda objs: chart.edit_manifests(objs, edit)
