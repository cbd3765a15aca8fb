"""Failures that read as diagnoses: environment, resource, field, expected, actual, source.

This is the one place a failure message is formatted. Every check builds a `Diagnosis`
for the resource it looks at (the `diagnose` fixture binds it to the environment),
records each mismatch, and concludes once, listing all of them:

    [stage] Deployment icepack/icepack-api: 2 fields differ
      spec.replicas: expected 2, actual 1  [from chart default (environments.toml [defaults.expect.api])]
      ...
      hint: what to look at next

A check that cannot observe its resource at all (unreachable, not found, unreadable)
says why in one sentence: ``[stage] <resource>: <reason>``.
"""
from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, NoReturn

import pytest


class Warned(UserWarning):
    """A check that ended in a warning: late or slow, not yet wrong (the base of every suite warning)."""


class Said(str):
    """A phrase written for the operator ("a provisioned NLB hostname"): shown as is, not quoted."""

    def __repr__(self) -> str:
        return str(self)


class _Absent:
    """A value that is not there (a key missing on one side), shown as `absent`; compared by identity."""

    def __repr__(self) -> str:
        return "absent"


ABSENT = _Absent()


@dataclass(frozen=True)
class Mismatch:
    field: str
    expected: Any
    actual: Any
    source: str
    note: str | None = None  # a second line that makes the difference obvious ("missing: stale")

    def __str__(self) -> str:
        line = f"  {self.field}: expected {self.expected!r}, actual {self.actual!r}  [from {self.source}]"
        return f"{line}\n    {self.note}" if self.note else line


@dataclass
class Diagnosis:
    """Collects every mismatch of one resource, then fails once listing them all."""

    env: str
    resource: str  # e.g. "Deployment icepack/icepack-api", "GET /readyz"
    mismatches: list[Mismatch] = field(default_factory=list)
    context: list[str] = field(default_factory=list)  # events, log lines: shown only on failure
    hints: list[str] = field(default_factory=list)    # what to look at next: shown only on failure
    warned: Callable[[str], None] | None = None  # where a warning is filed with the test's report (the session)
    strict: bool = False  # --fail-on-warning: a warning fails instead

    def expect(self, field: str, expected: Any, actual: Any, source: str,
               same: Callable[[Any, Any], bool] = operator.eq, note: str | None = None) -> bool:
        ok = same(expected, actual)
        if not ok:
            self.mismatches.append(Mismatch(field, expected, actual, source, note))
        return ok

    def mismatch(self, field: str, expected: Any, actual: Any, source: str, note: str | None = None) -> None:
        """Record a mismatch the caller has already judged."""
        self.mismatches.append(Mismatch(field, expected, actual, source, note))

    def hint(self, text: str) -> None:
        self.hints.append(text)

    def attach(self, title: str, lines: list[str]) -> None:
        if lines:
            self.context += [f"  {title}:"] + [f"    {line}" for line in lines]

    def conclude(self) -> None:
        if self.mismatches:
            fail(self.message())

    def fail(self, field: str, expected: Any, actual: Any, source: str, note: str | None = None,
             hint: str | None = None) -> NoReturn:
        """Record one more mismatch and fail now with everything recorded."""
        self.mismatch(field, expected, actual, source, note)
        if hint:
            self.hint(hint)
        fail(self.message())

    def cannot(self, reason: str) -> NoReturn:
        """The resource could not be observed (unreachable, not found, unreadable): one sentence."""
        fail(self.sentence(reason))

    def sentence(self, reason: str) -> str:
        return f"[{self.env}] {self.resource}: {reason}"

    def warn(self, category: type[Warned], reason: str) -> None:
        """Not wrong yet, worth a look: a warning in the same shape as a failure (a failure with --fail-on-warning)."""
        message = f"[{self.env}] {self.resource}: {reason}"
        if self.strict:
            fail(f"{message} (a warning; --fail-on-warning makes it a failure)")
        if self.warned is not None:
            self.warned(message)
        warnings.warn(category(message), stacklevel=2)

    def message(self) -> str:
        n = len(self.mismatches)
        head = f"[{self.env}] {self.resource}: {n} field{'s' if n > 1 else ''} differ{'s' if n == 1 else ''}"
        return "\n".join([head, *map(str, self.mismatches), *self.context, *(f"  hint: {h}" for h in self.hints)])


def fail(message: str) -> NoReturn:
    """Fail the current test with the diagnosis only: no Python traceback for the operator to read.

    `from None`: called inside an except block, the failure must not drag the caught
    exception along ("During handling of the above exception...").
    """
    raise pytest.fail.Exception(message, pytrace=False) from None
