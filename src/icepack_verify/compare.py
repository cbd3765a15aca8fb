"""Two live environments side by side (`--compare-with=ENV`): every difference is declared or a finding.

Promotion assumes stage and prod differ only where their values files say. environments.toml
writes those differences down: each environment's `expect.*` overrides, and where it lives
(its name, account, hostname, region, object names). A difference between two complete
descriptions of the environments (the released values, the inventory's objects, the read
contracts) is explained when one of those declarations accounts for both sides; any other
is a finding naming both values and both environments. Both are read with the suite's own
read-only clients (Kubernetes list, HTTP GET).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from icepack_verify import environments
from icepack_verify.diagnosis import ABSENT
from icepack_verify.environments import Environment
from icepack_verify.semantics import same_quantity

# The other environment's own overrides: ICEPACK_<NAME>_API_URL, ..._UI_URL, ..._KUBE_CONTEXT (the
# unprefixed ones point at the environment under test).
OTHER_VARS = ("API_URL", "UI_URL", "KUBE_CONTEXT")
# Set on apply per environment by the API server, controllers or Helm: never a promotion's difference.
NOT_DECLARABLE_ANNOTATIONS = ("deployment.kubernetes.io/", "kubectl.kubernetes.io/last-applied-configuration",
                              "pv.kubernetes.io/", "volume.kubernetes.io/", "meta.helm.sh/")
SERVER_SET_SPEC = {"clusterIP", "clusterIPs", "healthCheckNodePort", "nodePort", "volumeName"}
DECLARED_BY = "environments.toml declares no such difference (expect.*, names, account_id, hostname, region)"


def load_other(path: Path, name: str, environ: dict[str, str] | None = None) -> Environment:
    """The environment to compare with, its own ICEPACK_<NAME>_* overrides applied as the unprefixed ones
    are to the environment under test."""
    environ = os.environ if environ is None else environ
    prefix = f"ICEPACK_{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}_"
    own = {k: v for k, v in environ.items() if not k.startswith("ICEPACK_")}
    own |= {f"ICEPACK_{var}": environ[prefix + var] for var in OTHER_VARS if environ.get(prefix + var)}
    return environments.load(path, name, own)


def leaves(value, path: str = "") -> dict[str, object]:
    """Every leaf of a JSON-like value by dotted path; a list of named items by name ('env[PGHOST]'),
    so that an order the API gives no meaning to is never a difference."""
    if isinstance(value, dict) and value:
        out: dict[str, object] = {}
        for key, sub in value.items():
            out |= leaves(sub, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in value):
        out = {}
        for item in value:
            out |= leaves({k: v for k, v in item.items() if k != "name"} or {"name": item["name"]},
                          f"{path}[{item['name']}]")
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, item in enumerate(value):
            out |= leaves(item, f"{path}[{i}]")
        return out
    return {path: value}


@dataclass(frozen=True)
class Difference:
    path: str
    ours: object
    theirs: object
    declared: str | None  # the declaration that explains it; None: a finding


class Declarations:
    """What environments.toml declares different between two environments."""

    def __init__(self, ours: Environment, theirs: Environment):
        self.ours, self.theirs = ours, theirs
        mine, other = leaves(ours.expect.model_dump(mode="json")), leaves(theirs.expect.model_dump(mode="json"))
        self.overrides = {p: (mine.get(p), other.get(p)) for p in mine.keys() | other.keys() if mine.get(p) != other.get(p)}

    @staticmethod
    def _tokens(env: Environment) -> dict[str, str]:
        return {"hostname": env.hostname, "account_id": env.account_id, "region": env.region, "name": env.name,
                **{f"names.{k}": v for k, v in env.names.model_dump().items()}}

    def _identity(self, env: Environment) -> list[tuple[str, str]]:
        """Where this environment lives, as far as it differs from the other one."""
        mine, other = self._tokens(env), self._tokens(self.theirs if env is self.ours else self.ours)
        tokens = [(label, value) for label, value in mine.items() if value != other[label]]
        return sorted(tokens, key=lambda t: -len(t[1]))  # a hostname holds the name: the longest first

    def _placeheld(self, value: str, env: Environment) -> str:
        for label, token in self._identity(env):
            value = re.sub(rf"(?<![A-Za-z0-9]){re.escape(token)}(?![A-Za-z0-9])", f"<{label}>", value)
        return value

    def explain(self, ours: object, theirs: object, path: str = "") -> str | None:
        """The declaration that accounts for this pair of values (at this compared path), or None."""
        if ours == theirs or _same_quantity(ours, theirs):
            return "equal"
        if cause := self._follows(path):
            return cause
        if isinstance(ours, str) and isinstance(theirs, str):
            a, b = self._placeheld(ours, self.ours), self._placeheld(theirs, self.theirs)
            if a == b and a != ours:
                used = sorted(set(re.findall(r"<([\w.]+)>", a)))
                return "where each lives: " + ", ".join(used)
        for path, (mine, other) in self.overrides.items():
            if _same(ours, mine) and _same(theirs, other):
                return (f"expect.{path} ({self.ours.name}: {self.ours.source('expect.' + path)}; "
                        f"{self.theirs.name}: {self.theirs.source('expect.' + path)})")
        return None

    def _follows(self, path: str) -> str | None:
        """A declared expect.* difference the chart renders into this field too ([release.follows])."""
        for setting, patterns in self.ours.release.follows.items():
            declared = [p for p in self.overrides if p == setting or p.startswith(setting + ".")]
            if path and declared and any(_matches(path, pattern) for pattern in patterns):
                return (f"follows from expect.{setting} ({self.ours.name}: {self.ours.source('expect.' + setting)}; "
                        f"{self.theirs.name}: {self.theirs.source('expect.' + setting)}), "
                        f"{self.ours.source('release.follows.' + setting)}")
        return None

    def differences(self, ours: dict, theirs: dict, skip=lambda path: False) -> list[Difference]:
        a, b = leaves(ours), leaves(theirs)
        found = []
        for path in sorted(a.keys() | b.keys()):
            if skip(path):
                continue
            mine, other = a.get(path, ABSENT), b.get(path, ABSENT)
            why = self.explain(mine, other, path)
            if why != "equal":
                found.append(Difference(path, mine, other, why))
        return found


def _matches(path: str, pattern: str) -> bool:
    """A [release.follows] pattern: `*` stands for any text, everything else (brackets too) for itself."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), path) is not None




def _same_quantity(a: object, b: object) -> bool:
    return isinstance(a, (str, int, float)) and isinstance(b, (str, int, float)) and not isinstance(a, bool) \
        and not isinstance(b, bool) and str(a) != str(b) and same_quantity(str(a), str(b))


def _same(value: object, declared: object) -> bool:
    return value == declared or (str(value) == str(declared) and not isinstance(value, bool)) \
        or _same_quantity(value, declared)


def object_view(obj: dict) -> dict:
    """What a promotion carries of an object: its labels, annotations and spec (a ConfigMap's data), without
    what the API server, controllers or Helm set per environment on apply."""
    meta = obj.get("metadata") or {}
    notes = {k: v for k, v in (meta.get("annotations") or {}).items() if not k.startswith(NOT_DECLARABLE_ANNOTATIONS)}
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata", "status")}
    return {"metadata": {"labels": meta.get("labels") or {}, "annotations": notes}, **body}


def server_set(path: str) -> bool:
    return any(re.search(rf"(^|[.\]]){field}($|[.\[])", path) for field in SERVER_SET_SPEC)
