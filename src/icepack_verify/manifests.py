"""Rendered manifests as the infra suite's cluster collection: `--manifests=PATH`, before apply.

The output of `helm template` (or several renders in one file) is read into the same
kind-keyed collection the live snapshot offers (`list`, `get`, `readable`, `secret_keys`), so
the same infra tests judge the spec unchanged. What only a live environment has is never
guessed: reading an object's `status`, listing the kinds only controllers and Helm create
(Pods, ReplicaSets, Events, Nodes, the Helm release records) or connecting to the API or the
database ends that test as "not run: needs a live environment", one cause for all of them.
Each object remembers where it came from (file and document), named in every diagnosis.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from icepack_verify.cluster import named, supporting
from icepack_verify.environments import Environment
from icepack_verify.errors import ConfigError
from icepack_verify.inventory import rows
from icepack_verify.session import LIVE_ENVIRONMENT as NEEDS_LIVE  # the one not-run cause of manifests mode

WHY = ("--manifests judges rendered manifests: status, pods, events, nodes, the Helm release record, "
       "the API and the database exist only once applied")
# Kinds a render never holds: controllers, the kubelet and Helm itself create them on apply.
LIVE_ONLY = ("Pod", "ReplicaSet", "Event", "Node", "Secret")
MAX_FILE_BYTES = 32 * 1024 * 1024


def needs_live():
    """End the running test as not run: what it reads exists only in a live environment."""
    pytest.skip(f"not run: {NEEDS_LIVE} ({WHY})")


class LiveOnly(dict):
    """An object's `status` in a render: any look at it ends the test as not run (never an empty
    status judged as a stuck rollout)."""

    def _live(self, *_args, **_kwargs):
        needs_live()

    __bool__ = __len__ = __iter__ = __getitem__ = __contains__ = get = keys = items = values = _live


def _documents(path: Path) -> list[tuple[int, object]]:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise ConfigError(None, f"--manifests {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
        raise ConfigError(None, f"--manifests {path}: not a regular file of at most {MAX_FILE_BYTES:,} bytes")
    try:
        text = path.read_text(encoding="utf-8")
        return list(enumerate(yaml.safe_load_all(text), start=1))
    except UnicodeDecodeError:
        raise ConfigError(None, f"--manifests {path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(None, f"--manifests {path}: not YAML{where} ({getattr(exc, 'problem', None) or exc})") from None


def _objects(path: Path) -> list[tuple[str, dict]]:
    """(origin, object) of every Kubernetes object in the file, a `kind: List` opened up."""
    found = []
    for index, doc in _documents(path):
        if doc is None:  # an empty document (a template that rendered nothing)
            continue
        items = doc.get("items") if isinstance(doc, dict) and doc.get("kind") == "List" else [doc]
        for obj in items if isinstance(items, list) else [None]:
            meta = obj.get("metadata") if isinstance(obj, dict) else None
            if not (isinstance(obj, dict) and isinstance(obj.get("kind"), str) and isinstance(meta, dict)
                    and isinstance(meta.get("name"), str)):
                raise ConfigError(None, f"--manifests {path}: document {index} is not a Kubernetes object "
                                        "(a mapping with kind and metadata.name)")
            found.append((f"{path.name} document {index}", obj))
    if not found:
        raise ConfigError(None, f"--manifests {path}: holds no Kubernetes object")
    return found


class ManifestSnapshot:
    """The rendered objects of one release, in the namespace the environment deploys it to, read
    as the live snapshot is (the cluster fixture in manifests mode)."""

    def __init__(self, env: Environment, path: Path, kinds: list[str]):
        self.env = env
        self.path = path
        self.origins: dict[tuple[str, str], str] = {}
        # every kind the live snapshot would list (a check iterating over them meets the live-only ones too)
        self.listings: dict[str, list[dict]] = {kind: [] for kind in [*kinds, *LIVE_ONLY]}
        self.secret_keys: dict[str, list[str]] = {}  # a rendered Secret's keys (the references walk needs them)
        for origin, obj in _objects(path):
            namespace = obj["metadata"].get("namespace")
            if namespace not in (None, env.namespace):  # `helm template -n` leaves it out: the release's own
                continue
            kind, name = obj["kind"], obj["metadata"]["name"]
            if kind == "Secret":
                data = {**(obj.get("data") or {}), **(obj.get("stringData") or {})}
                self.secret_keys[name] = sorted(data)  # keys only: a rendered value is never kept
                continue
            obj = {**obj, "status": LiveOnly()}  # what apply makes of it is not in the render
            listing = self.listings.setdefault(kind, [])
            listing[:] = [o for o in listing if o["metadata"]["name"] != name]  # applied in order: the last wins
            listing.append(obj)
            self.origins[(kind, name)] = origin

    @classmethod
    def read(cls, env: Environment, path: Path) -> "ManifestSnapshot":
        return cls(env, path, [row.kind for row in rows(env)] + list(supporting(env)))

    def origin(self, kind: str, name: str) -> str | None:
        return self.origins.get((kind, name))

    def list(self, kind: str) -> list[dict]:
        if kind in LIVE_ONLY:
            needs_live()
        return self.listings.get(kind, [])

    def get(self, kind: str, name: str) -> dict:
        return named(self.list(kind), kind, name, self.env.namespace, among="rendered",
                     looked_in=f" in the rendered manifests {self.path}")

    def readable(self, kind: str) -> bool:
        return kind not in LIVE_ONLY

    def events_of(self, kind: str, name: str) -> list[dict]:
        return []  # a render has no events; a check attaches them only as context

    def events_for(self, kind: str, name: str, limit: int = 5) -> list[str]:
        return []

    def pod_log_tail(self, pod: str, container: str | None = None, lines: int = 20) -> str:
        needs_live()
