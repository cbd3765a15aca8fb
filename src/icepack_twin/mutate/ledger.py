"""The ledger (mutations.toml): the mutations that should not fail the suite, and why.

    [[harmless]]                       # equivalent to healthy: the suite must pass it
    id = "kube:Event/*:metadata.resourceVersion:*"   # an fnmatch pattern over mutation ids
    reason = "..."
    cite = "the document line, or the Kubernetes/Helm/HTTP behaviour, that makes it equivalent"

    [[unobservable]]                   # a real change the suite cannot see from outside
    id = "..."
    reason = "... and what would see it"

In patterns `*` and `?` are wildcards; brackets are literal, as ids use them for list items
(`containers[api]`). `except = ["pattern", ...]` keeps out of an entry the mutations of its family the
suite does catch, so a family's reason never claims them.
"""
from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path

KINDS = ("harmless", "unobservable")


@dataclass(frozen=True)
class Entry:
    kind: str
    id: str
    reason: str
    cite: str = ""
    excepted: tuple[str, ...] = ()

    def matches(self, mutation_id: str) -> bool:
        return _match(mutation_id, self.id) and not any(_match(mutation_id, p) for p in self.excepted)


def _match(mutation_id: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(mutation_id, pattern.replace("[", "[[]"))


class LedgerError(ValueError):
    """The ledger file is not what this module reads; the message is one sentence."""


def load(path: Path) -> list[Entry]:
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise LedgerError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(data) - set(KINDS)
    if unknown:
        raise LedgerError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}; known: {', '.join(KINDS)}")
    entries = []
    for kind in KINDS:
        for i, raw in enumerate(data.get(kind, [])):
            where = f"{path}: [[{kind}]] #{i + 1}"
            if not isinstance(raw.get("id"), str) or not raw["id"] or not isinstance(raw.get("reason"), str) or not raw["reason"]:
                raise LedgerError(f"{where} needs an id (a pattern) and a reason")
            if kind == "harmless" and not raw.get("cite"):
                raise LedgerError(f"{where} ({raw['id']}) needs a cite: what makes the mutation equivalent")
            excepted = raw.get("except", [])
            if not isinstance(excepted, list) or not all(isinstance(p, str) and p for p in excepted):
                raise LedgerError(f"{where} ({raw['id']}): except must be a list of id patterns")
            entries.append(Entry(kind, raw["id"], raw["reason"], raw.get("cite", ""), tuple(excepted)))
    return entries


def verdict(entries: list[Entry], mutation_id: str) -> Entry | None:
    """The first entry whose pattern matches the id."""
    return next((e for e in entries if e.matches(mutation_id)), None)
