"""The mutation engine: every small change of the twin's world a rule can generate, and
whether the read-only suite notices it (issue: find the gaps before users do).

Layers (one module each, registered in LAYERS):

    kube       the Kubernetes objects as the cluster serves them (spec, metadata, status,
               what controllers made of them, the release's revisions)
    body       the API's JSON bodies: the three read contracts of every known table,
               /readyz, the drain route
    framing    the HTTP around those bodies: status, Content-Type, Content-Encoding,
               a redirect, a slow answer
    rows       the snapshot tables' rows (newest per table and the history behind them)
    database   the database as the suite can read it: roles, grants, settings

`python -m icepack_twin mutate` (icepack_twin.mutate.engine) generates them from the
healthy world, runs the suite against each on one running twin, and writes the report.
"""
from __future__ import annotations

from icepack_twin.mutate.model import BaseLayer, Layer, Mutation

LAYERS: dict[str, Layer] = {}  # name -> layer module, filled as the layers register


def register(layer: Layer) -> Layer:
    LAYERS[layer.name] = layer
    return layer


def by_layer(mutations: list[dict]) -> dict[str, list[dict]]:
    """The mutations a configure request carries (each `Mutation.as_json()`), by layer."""
    out: dict[str, list[dict]] = {}
    for m in mutations:
        if m.get("layer") not in LAYERS or not isinstance(m.get("change"), dict):
            raise ValueError(f"not a mutation of a known layer ({', '.join(sorted(LAYERS))}): {m.get('id', m)!r}")
        out.setdefault(m["layer"], []).append(m)
    return out


__all__ = ["LAYERS", "BaseLayer", "Layer", "Mutation", "by_layer", "register"]
