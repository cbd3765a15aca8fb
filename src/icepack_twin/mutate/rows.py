"""Mutation layer `rows`: the snapshot tables' rows: the newest per table and the history behind them."""
from __future__ import annotations

from icepack_twin.mutate import register
from icepack_twin.mutate.model import BaseLayer


class _Rows(BaseLayer):
    name = "rows"


LAYER = register(_Rows())
