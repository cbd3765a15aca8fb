"""Numbers a text quotes, and whether a set of numbers holds them: the one rule the recommendation's reasons
(table_contract) and the health rows' messages (row_quotes) are judged by.

A number standing alone is a quote (`191 snapshots`, `0.22`, `22%`); numbers inside words, versions, dates, times
and paths are not. It quotes a known number rounded to the decimals written; `42%` quotes 0.42 or 42. The rule is
a heuristic about texts the document does not fix (a text may quote numbers of its own: a policy limit, "3 days
ago"), so what it finds is a warning unless `checks.quoted_numbers = "fail"` (where the texts are known).
"""
from __future__ import annotations

import re
from typing import Any

from icepack_verify.diagnosis import Diagnosis, Warned

NUMBER = re.compile(r"(?<![\w.:/\-])(\d+(?:\.\d+)?)(%?)(?![\w:/\-]|\.\d)")
SETTING = "checks.quoted_numbers"


class MisquotedNumber(Warned):
    """A text quotes a number its sources do not hold, reported as a warning (checks.quoted_numbers = "warn", the
    default)."""


def walk(value: Any, path: str = ""):
    """(path, leaf) of every leaf of a JSON value (lists as [i])."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, f"{path}[{i}]")
    else:
        yield path, value


def numbers(*values: Any) -> list[float]:
    return [v for value in values for _, v in walk(value) if isinstance(v, (int, float)) and not isinstance(v, bool)]


def quotes(written: str, percent: str, known: list[float]) -> bool:
    """'191' quotes 191; '0.22' quotes 0.2192 (rounded to the decimals written); '22%' quotes 0.2192 or 22."""
    decimals = len(written.partition(".")[2])
    scales = (1, 100) if percent else (1,)
    return any(abs(round(n * k, decimals) - float(written)) <= 10 ** -decimals / 2 for n in known for k in scales)


def unquoted(text: str, known: list[float]) -> list[str]:
    """The numbers a text quotes that none of `known` holds, as written."""
    return [n + p for n, p in NUMBER.findall(text) if not quotes(n, p, known)]


def report_misquote(d: Diagnosis, mode: str, field: str, expected: str, actual: Any, source: str) -> None:
    """A misquote as the setting asks: a mismatch (with the hint to the setting, once), or a warning."""
    if mode == "warn":
        d.warn(MisquotedNumber, f"{field}: expected {expected}, actual {actual!r}  [from {source}; {SETTING} = \"warn\"]")
        return
    d.mismatch(field, expected, actual, source)
    hint = (f"if these texts rightly quote numbers of their own (a policy limit, an age), set {SETTING} = \"warn\" "
            "for this environment in environments.toml")
    if hint not in d.hints:
        d.hint(hint)
