"""What a drift is: a name, the suite folder that must catch it, and its edits to the twin's layers."""
from __future__ import annotations

import dataclasses
from typing import Callable

from icepack_twin.behaviour import Behaviour
from icepack_twin.objects import Objects


@dataclasses.dataclass(frozen=True)
class Drift:
    name: str
    suite: str  # the suite folder that must catch it
    doc: str
    values: Callable[[dict], None] | None = None
    objects: Callable[[Objects], None] | None = None
    behaviour: Callable[[Behaviour], None] | None = None


class DriftList(list):
    """One suite folder's drifts, in the order they are declared."""

    def __init__(self, suite: str):
        super().__init__()
        self.suite = suite

    def add(self, name: str, doc: str, **edits) -> Drift:
        self.append(d := Drift(name, self.suite, doc, **edits))
        return d
