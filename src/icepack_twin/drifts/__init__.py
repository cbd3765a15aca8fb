"""The catalogue of named drifts: realistic ways an Icepack environment goes wrong.

A drift edits one or more of the twin's three layers:

* ``values``    the Helm values before the chart is rendered (a values override lost, ...)
* ``objects``   the rendered Kubernetes objects, spec or live status (a rollout stuck, ...)
* ``behaviour`` the runtime switches of the API and the store (a key renamed, ...)

Drifts are grouped by the suite folder that must catch them (``contracts``, ``infra``,
``smoke``, ``data``); each group lives in its own module and registers with ``drift``.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Iterator

from icepack_twin.behaviour import Behaviour


class Objects(list):
    """The rendered objects of one environment, with lookups by kind and name."""

    def get(self, kind: str, name: str) -> dict:
        for obj in self:
            if obj["kind"] == kind and obj["metadata"]["name"] == name:
                return obj
        raise KeyError(f"{kind}/{name} not rendered")

    def of_kind(self, kind: str) -> Iterator[dict]:
        return (obj for obj in self if obj["kind"] == kind)


@dataclasses.dataclass(frozen=True)
class Drift:
    name: str
    suite: str  # the suite folder that must catch it
    doc: str
    values: Callable[[dict], None] | None = None
    objects: Callable[[Objects], None] | None = None
    behaviour: Callable[[Behaviour], None] | None = None


CATALOGUE: dict[str, Drift] = {}


def drift(name: str, suite: str, doc: str, **edits) -> Drift:
    if name in CATALOGUE:
        raise ValueError(f"drift {name!r} registered twice")
    CATALOGUE[name] = d = Drift(name, suite, doc, **edits)
    return d


def lookup(names: list[str]) -> list[Drift]:
    _load_all()
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise KeyError(f"unknown drift(s) {', '.join(unknown)}; known: {', '.join(sorted(CATALOGUE))}")
    return [CATALOGUE[n] for n in names]


def _load_all() -> None:
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
