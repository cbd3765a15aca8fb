"""Mutation layer `kube`: the Kubernetes objects as the cluster serves them (spec, metadata, status; Jobs, Pods, Events, revisions)."""
from __future__ import annotations

from icepack_twin.mutate import register
from icepack_twin.mutate.model import BaseLayer


class _Kube(BaseLayer):
    name = "kube"


LAYER = register(_Kube())
