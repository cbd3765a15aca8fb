"""The split read contracts: endpoint -> exact top-level key set.

From the deployment document, "Contract or schema migrations", step 5. This is the one
place the key sets live; the contract tests, the models and the reports read them here.
"""
from __future__ import annotations

from urllib.parse import quote

CONTRACT_SOURCE = "deployment document, step 5"  # where the key sets come from, for failure messages

SPLIT_READ_CONTRACTS: dict[str, frozenset[str]] = {
    "status": frozenset({
        "collection", "collected_at", "derived", "files", "last_error", "manifests",
        "partitions", "snapshot", "source", "stale", "table",
    }),
    "health": frozenset({
        "assessed_at", "collection", "error", "health_status", "issues",
        "status_collected_at", "table",
    }),
    "maintenance/recommendation": frozenset({
        "error", "evaluated_at", "evidence", "history", "policy", "recommended_actions",
        "skip_reasons", "status_collected_at", "table",
    }),
}
ENDPOINTS = tuple(SPLIT_READ_CONTRACTS)


def route(template: str, **values: str) -> str:
    """A route with its placeholders filled, each value percent-encoded as one path segment
    ('/tables/{database}/{table}/status', database='a b' -> '/tables/a%20b/...'): no value can
    change which path is requested."""
    return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})


def endpoint_path(table: str, endpoint: str) -> str:
    """'analytics.events', 'health' -> '/tables/analytics/events/health'."""
    return contract_path(*table.split(".", 1), endpoint)


CONTRACT_ROUTE = "/tables/{database}/{table}/"  # the document's /tables/<database>/<table>/<endpoint>


def contract_path(database: str, name: str, endpoint: str) -> str:
    """'analytics', 'events', 'health' -> '/tables/analytics/events/health' (a database name may hold a dot)."""
    return route(CONTRACT_ROUTE, database=database, table=name) + endpoint


def contract_template(endpoint: str) -> str:
    """'health' -> '/tables/{database}/{table}/health': the operation's path as an OpenAPI document names it."""
    return CONTRACT_ROUTE + endpoint


def key_diff(expected: frozenset[str], actual: set[str]) -> str | None:
    """'missing: stale; unexpected: staleness', or None when the sets are equal."""
    missing, unexpected = sorted(expected - actual), sorted(actual - expected)
    parts = []
    if missing:
        parts.append(f"missing: {', '.join(missing)}")
    if unexpected:
        parts.append(f"unexpected: {', '.join(unexpected)}")
    return "; ".join(parts) or None
