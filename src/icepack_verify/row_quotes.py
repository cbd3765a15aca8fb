"""The words of each table's newest health row quote its own numbers: a number standing alone in a text of the
row's documents (an issue's message; a plain text column such as an error may quote anything: an HTTP status) is one of the status row the assessment names (`data.health_based_on_column`) or
of the health row itself, as written (rounded to the decimals written; `42%` quotes 0.42). A number neither holds is
the message of another run or another table. Numbers inside words, versions, dates, times and paths are not quotes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from psycopg import sql

from icepack_verify.database import Database

NUMBER = re.compile(r"(?<![\w.:/\-])(\d+(?:\.\d+)?)(%?)(?![\w:/\-]|\.\d)")


@dataclass(frozen=True)
class Misquote:
    table: str
    at: datetime      # the health row's time
    field: str        # the column and path of the text
    text: str
    number: str       # the number as written
    based_on: datetime


def _walk(value, path: str):
    """(path, leaf) of every leaf of a row's value (JSON columns walked, lists as [i])."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")
    else:
        yield path, value


def _numbers(*values) -> list[float]:
    return [v for value in values for _, v in _walk(value, "") if isinstance(v, (int, float)) and not isinstance(v, bool)]


def quotes(written: str, percent: str, known: list[float]) -> bool:
    """'191' quotes 191; '0.22' quotes 0.2192 (rounded to the decimals written); '22%' quotes 0.2192 or 22."""
    decimals = len(written.partition(".")[2])
    value = float(written)
    return any(round(k, decimals) == value or (percent and round(k * 100, decimals) == value) for k in known)


def misquotes(row: dict, status_payload: dict, skip: set[str]) -> list[tuple[str, str, str]]:
    """(field, text, number) for each number a text of the health row quotes that neither row holds."""
    own = {k: v for k, v in row.items() if k not in skip and not isinstance(v, datetime)}
    known = _numbers(status_payload, own)
    out = []
    for column, value in own.items():
        if not isinstance(value, (dict, list)):
            continue
        for path, text in _walk(value, column):
            if isinstance(text, str):
                out += [(path, text, n + p) for n, p in NUMBER.findall(text) if not quotes(n, p, known)]
    return out


def newest_misquotes(db: Database) -> list[Misquote]:
    """The misquotes of each table's newest health row, against the status row it names (none named or found: the
    references check's finding, not this one's)."""
    s = db.settings
    rows = db.rows(sql.SQL(
        "SELECT h.*, s.payload AS status_payload_ FROM (SELECT DISTINCT ON ({d}, {t}) * FROM {health}"
        " ORDER BY {d}, {t}, {htime} DESC) h CROSS JOIN LATERAL (SELECT {p} AS payload FROM {status}"
        " WHERE {d} = h.{d} AND {t} = h.{t} AND {stime} = h.{based} LIMIT 1) s ORDER BY h.{d}, h.{t}").format(
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column), p=sql.Identifier(s.status_payload_column),
        health=sql.Identifier(s.health_table), status=sql.Identifier(s.status_table),
        stime=sql.Identifier(s.status_time_column), htime=sql.Identifier(s.health_time_column),
        based=sql.Identifier(s.health_based_on_column)))
    skip = {"id", s.database_column, s.table_column, "status_payload_"}
    out = []
    for r in rows:
        for field, text, number in misquotes(r, r["status_payload_"], skip):
            out.append(Misquote(f"{r[s.database_column]}.{r[s.table_column]}", r[s.health_time_column], field, text,
                                number, r[s.health_based_on_column]))
    return out
