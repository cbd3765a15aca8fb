"""Mutation layer `framing`: the HTTP around the bodies: status code, Content-Type, Content-Encoding, a redirect, a slow answer."""
from __future__ import annotations

from icepack_twin.mutate import register
from icepack_twin.mutate.model import BaseLayer


class _Framing(BaseLayer):
    name = "framing"


LAYER = register(_Framing())
