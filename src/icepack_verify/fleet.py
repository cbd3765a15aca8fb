"""--all-tables: every table the snapshot tables track, and findings grouped by how they break.

With hundreds of tables, one line per table and field would bury the news; a finding is
reported once per way of breaking (the same field, expectation and answer once the table's
own name is set aside), listing the tables that break that way.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from psycopg import sql

from icepack_verify.api import describe
from icepack_verify.contract import CONTRACT_SOURCE, ENDPOINTS, contract_path
from icepack_verify.database import Database
from icepack_verify.diagnosis import Diagnosis, Mismatch, Said, fail
from icepack_verify.errors import Problem
from icepack_verify.freshness import TRACKED_WITHIN

SHOWN = 8  # tables named per group; the rest are counted


@dataclass(frozen=True, order=True)
class Tracked:
    database: str
    name: str

    def __str__(self) -> str:
        return f"{self.database}.{self.name}"

    def path(self, endpoint: str) -> str:
        return contract_path(self.database, self.name, endpoint)


def tracked_tables(db: Database) -> list[Tracked]:
    """Every table with a status or health snapshot in the last TRACKED_WITHIN: what health-sync tracks."""
    s = db.settings
    one = sql.SQL("SELECT DISTINCT {d} AS d, {t} AS t FROM {table} WHERE {col} > now() - %(within)s")
    query = sql.SQL(" UNION ").join(
        one.format(d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column),
                   table=sql.Identifier(table), col=sql.Identifier(column))
        for table, column in ((s.status_table, s.status_time_column), (s.health_table, s.health_time_column)))
    return sorted(Tracked(r["d"], r["t"]) for r in db.rows(query, {"within": TRACKED_WITHIN}))


class Contracts:
    """Each read contract of each tracked table, fetched once: one request per endpoint per table,
    concurrently (checks.http_concurrency at a time). Only the parsed bodies are kept."""

    def __init__(self, env: str, tables: list[Tracked], api):
        self.env, self.tables = env, tables
        wanted = {(t, e): t.path(e) for t in tables for e in ENDPOINTS}
        got = api.get_many(list(wanted.values()))
        self.answers = {key: _body(got.pop(path)) for key, path in wanted.items()}  # dict, or a Mismatch

    def each(self):
        """(table, endpoint, body or None, a Diagnosis holding what came instead of a JSON object)."""
        for table in self.tables:
            for endpoint in ENDPOINTS:
                d = Diagnosis(self.env, f"GET {table.path(endpoint)}")
                answer = self.answers[(table, endpoint)]
                if isinstance(answer, Mismatch):
                    d.mismatches.append(answer)
                yield table, endpoint, (None if isinstance(answer, Mismatch) else answer), d

    def per_table(self):
        """(table, {endpoint: body} or None when an answer was no JSON object, its Diagnosis)."""
        for table in self.tables:
            d = Diagnosis(self.env, f"read contracts of {table}")
            answers = {e: self.answers[(table, e)] for e in ENDPOINTS}
            broken = [Mismatch(f"{e}: {a.field}", a.expected, a.actual, a.source)
                      for e, a in answers.items() if isinstance(a, Mismatch)]
            d.mismatches.extend(broken)
            yield table, (None if broken else answers), d


def _body(answer) -> dict | Mismatch:
    if isinstance(answer, Problem):
        return Mismatch("answer", Said("a readable answer"), Said(str(answer)), "the API")
    try:
        data = answer.json() if answer.status_code == 200 else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        return data
    return Mismatch("response", Said("200 with a JSON object"), Said(describe(answer)), CONTRACT_SOURCE)


class Findings:
    """Mismatches of many tables, grouped by the way they break."""

    def __init__(self, env: str, resource: str):
        self.env, self.resource = env, resource
        self.groups: dict[tuple, list[tuple[Tracked, Mismatch]]] = defaultdict(list)

    def add(self, table: Tracked, d: Diagnosis, where: str = "") -> None:
        """The mismatches one table's check recorded; `where` is what it looked at ("status")."""
        for m in d.mismatches:
            key = (where, m.field, _generic(str(m.expected), table), _generic(str(m.actual), table), m.source)
            self.groups[key].append((table, Mismatch(f"{where}: {m.field}" if where else m.field,
                                                     m.expected, m.actual, m.source, m.note)))

    @property
    def tables(self) -> set[Tracked]:
        return {t for members in self.groups.values() for t, _ in members}

    def conclude(self) -> None:
        if self.groups:
            fail(self.message())

    def message(self) -> str:
        n, ways = len(self.tables), len(self.groups)
        lines = [f"[{self.env}] {self.resource}: {n} table{'s' if n > 1 else ''} break"
                 f"{'s' if n == 1 else ''}, in {ways} way{'s' if ways > 1 else ''}"]
        groups = sorted(self.groups.values(), key=lambda m: (-len(m), str(m[0][0])))
        for members in groups:
            tables = sorted({t for t, _ in members})
            first = members[0][1]
            same = len({(str(m.expected), str(m.actual)) for _, m in members}) == 1
            lines.append(str(first) if same or len(members) == 1 else
                         f"{first}  (as {tables[0]}; the others alike)")
            named = ", ".join(map(str, tables[:SHOWN])) + (f" and {len(tables) - SHOWN} more" if len(tables) > SHOWN
                                                            else "")
            lines.append(f"    {len(tables)} table{'s' if len(tables) > 1 else ''}: {named}")
        lines.append(f"  hint: each group is one way of breaking; GET {groups[0][0][0].path('<endpoint>')} "
                     "of a listed table shows it")
        return "\n".join(lines)


def _generic(text: str, table: Tracked) -> str:
    """The text with the table's own name set aside, so tables that break alike group together."""
    for own in (table.path(""), f"{table.database}/{table.name}", str(table), table.name):
        text = text.replace(own, "<table>")
    return text
