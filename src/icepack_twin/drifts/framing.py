"""Framing drifts: the HTTP around a body gone wrong where no body check looks (caught by the
framing rules, tests/contracts/test_headers.py), and healthy framings every check must pass.

Each is served by the API's response middleware (icepack_twin.app.MutatedResponses) as the
mutation engine's `framing` changes are: a proxy, a gateway or a handler's header, route by route.
"""
from __future__ import annotations

from typing import Callable

from icepack_twin.behaviour import Behaviour
from icepack_twin.drifts.base import DriftList

DRIFTS = DriftList("contracts")
PROBES = DriftList("equivalent")

READYZ, DRAIN, ORDERS = "GET /readyz", "GET /admin/drain", "GET /tables/sales/orders"
CONTRACTS = [f"{ORDERS}/{e}" for e in ("status", "health", "maintenance/recommendation")]


def framed(routes: list[str], **change) -> Callable[[Behaviour], None]:
    """A behaviour edit: these routes' answers framed with this change (a framing mutation's form)."""
    def apply(b: Behaviour) -> None:
        b.mutations += [{"layer": "framing", "change": {"route": r, **change}} for r in routes]
    return apply


DRIFTS.add("drain-route-served-as-html", "the drain route's JSON served as text/html (a handler returning a "
           "template response)", behaviour=framed([DRAIN], op="content-type", value="text/html; charset=utf-8"))
DRIFTS.add("readyz-declares-brotli", "a proxy labels /readyz and the drain route Content-Encoding br without "
           "compressing them (a client that honours it cannot read them)",
           behaviour=framed([READYZ, DRAIN], op="encoding", value="br", applied=False))
DRIFTS.add("status-declares-gzip-uncompressed", "a proxy labels /status of sales.orders Content-Encoding gzip "
           "without compressing it (a framing lie is a finding, not a reason not to run)",
           behaviour=framed(CONTRACTS[:1], op="encoding", value="gzip", applied=False))
DRIFTS.add("drain-route-slow", "GET on the drain route takes 3.2 s (past the 3 s budget)",
           behaviour=framed([DRAIN], op="delay", seconds=3.2))
DRIFTS.add("live-status-cached-for-a-day", "/status of sales.orders says Cache-Control: public, max-age=86400 "
           "(a CDN in front serves day-old status)",
           behaviour=framed(CONTRACTS[:1], op="header", name="cache-control", value="public, max-age=86400"))

PROBES.add("answers-gzip-compressed", "the read contracts of sales.orders, /readyz and the drain route gzip-compressed "
           "and declared so (the client asked for gzip)",
           behaviour=framed([*CONTRACTS, READYZ, DRAIN], op="encoding", value="gzip", applied=True))


def _private_or_no_store(b: Behaviour) -> None:
    framed(CONTRACTS[:2], op="header", name="cache-control", value="private, max-age=300")(b)
    framed(CONTRACTS[2:], op="header", name="cache-control", value="no-store")(b)


PROBES.add("live-data-private-or-no-store", "the read contracts of sales.orders say Cache-Control: private, "
           "max-age=300 or no-store (no shared cache keeps them)", behaviour=_private_or_no_store)
