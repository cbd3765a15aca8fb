"""The runbook phases of a contract or schema migration (deployment document, steps 1-6).

A phase changes which expectations apply, never which tests exist.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    name: str
    doc: str
    orchestrator_suspended: bool | None  # None: either is acceptable
    health_sync_suspended: bool
    drain_allowed: bool                  # drain mode may be on (the document's optional extra guard)
    freshness_required: bool             # the snapshot tables must be freshly populated


PHASES = {
    p.name: p for p in (
        Phase("live", "normal operation: everything on", False, False, False, True),
        Phase("paused", "step 1: orchestrator and health-sync paused for the window", True, True, True, False),
        Phase("resumed", "step 4: health-sync resumed and populating; orchestrator may still be paused",
              None, False, True, True),
    )
}
