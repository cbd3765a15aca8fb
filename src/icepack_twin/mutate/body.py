"""Mutation layer `body`: the API's JSON bodies: the three read contracts of every known table, /readyz, the drain route."""
from __future__ import annotations

from icepack_twin.mutate import register
from icepack_twin.mutate.model import BaseLayer


class _Body(BaseLayer):
    name = "body"


LAYER = register(_Body())
