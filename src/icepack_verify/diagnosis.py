"""Failures that read as diagnoses: environment, resource, field, expected, actual, source."""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Callable, NoReturn

import pytest


@dataclass
class Mismatch:
    field: str
    expected: Any
    actual: Any
    source: str

    def __str__(self) -> str:
        return f"  {self.field}: expected {self.expected!r}, actual {self.actual!r}  [from {self.source}]"


@dataclass
class Diagnosis:
    """Collects every mismatch of one resource, then fails once listing them all."""

    env: str
    resource: str  # e.g. "Deployment icepack/icepack-api"
    mismatches: list[Mismatch] = field(default_factory=list)
    context: list[str] = field(default_factory=list)  # events, log lines: shown only on failure

    def expect(self, field: str, expected: Any, actual: Any, source: str,
               same: Callable[[Any, Any], bool] = operator.eq) -> bool:
        ok = same(expected, actual)
        if not ok:
            self.mismatches.append(Mismatch(field, expected, actual, source))
        return ok

    def attach(self, title: str, lines: list[str]) -> None:
        if lines:
            self.context += [f"  {title}:"] + [f"    {line}" for line in lines]

    def conclude(self) -> None:
        if self.mismatches:
            fail(self.message())

    def message(self) -> str:
        n = len(self.mismatches)
        head = f"[{self.env}] {self.resource}: {n} field{'s' if n > 1 else ''} differ{'s' if n == 1 else ''}"
        return "\n".join([head, *map(str, self.mismatches), *self.context])


def fail(message: str) -> NoReturn:
    """Fail the current test with the diagnosis only: no Python traceback for the operator to read.

    `from None`: called inside an except block, the failure must not drag the caught
    exception along ("During handling of the above exception...").
    """
    raise pytest.fail.Exception(message, pytrace=False) from None
