"""The words of each table's newest health row quote its own numbers: a number standing alone in a text of the
row's documents (an issue's message; a plain text column such as an error may quote anything: an HTTP status) is one of the status row the assessment names (`data.health_based_on_column`) or
of the health row itself, as written (rounded to the decimals written; `42%` quotes 0.42). A number neither holds is
the message of another run or another table. Numbers inside words, versions, dates, times and paths are not quotes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import sql

from icepack_verify.database import Database
from icepack_verify.quoted_numbers import numbers, unquoted, walk
from icepack_verify.references import PRECISION


@dataclass(frozen=True)
class Misquote:
    table: str
    at: datetime      # the health row's time
    field: str        # the column and path of the text
    text: str
    number: str       # the number as written
    based_on: datetime


def misquotes(row: dict, status_payload: dict, skip: set[str]) -> list[tuple[str, str, str]]:
    """(field, text, number) for each number a text of the health row quotes that neither row holds."""
    own = {k: v for k, v in row.items() if k not in skip and not isinstance(v, datetime)}
    known = numbers(status_payload, own)
    out = []
    for column, value in own.items():
        if not isinstance(value, (dict, list)):
            continue
        for path, text in walk(value, column):
            if isinstance(text, str):
                out += [(path, text, n) for n in unquoted(text, known)]
    return out


def newest_misquotes(db: Database) -> list[Misquote]:
    """The misquotes of each table's newest health row, against the status row it names, found as
    references.status_row_at finds it: within PRECISION (none named or found: the references check's finding,
    not this one's)."""
    s = db.settings
    rows = db.rows(sql.SQL(
        "SELECT h.*, s.payload AS status_payload_ FROM (SELECT DISTINCT ON ({d}, {t}) * FROM {health}"
        " ORDER BY {d}, {t}, {htime} DESC) h CROSS JOIN LATERAL (SELECT {p} AS payload FROM {status}"
        " WHERE {d} = h.{d} AND {t} = h.{t} AND {stime} BETWEEN h.{based} - %(precision)s AND h.{based} + %(precision)s"
        " ORDER BY abs(extract(epoch FROM {stime} - h.{based})) LIMIT 1) s ORDER BY h.{d}, h.{t}").format(
        d=sql.Identifier(s.database_column), t=sql.Identifier(s.table_column), p=sql.Identifier(s.status_payload_column),
        health=sql.Identifier(s.health_table), status=sql.Identifier(s.status_table),
        stime=sql.Identifier(s.status_time_column), htime=sql.Identifier(s.health_time_column),
        based=sql.Identifier(s.health_based_on_column)), {"precision": PRECISION})
    skip = {"id", s.database_column, s.table_column, "status_payload_"}
    out = []
    for r in rows:
        for field, text, number in misquotes(r, r["status_payload_"], skip):
            out.append(Misquote(f"{r[s.database_column]}.{r[s.table_column]}", r[s.health_time_column], field, text,
                                number, r[s.health_based_on_column]))
    return out
