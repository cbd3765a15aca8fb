"""Smoke drifts: readiness, the dry-run job and drain mode gone wrong, caught by tests/smoke."""
from __future__ import annotations

from icepack_twin.drifts.base import DriftList

DRIFTS = DriftList("smoke")

DRIFTS.add("readyz-503", "GET /readyz answers 503 (a dependency check failing)",
      behaviour=lambda b: setattr(b, "readyz_status", 503))
DRIFTS.add("dry-run-rejected", "dry-run maintenance jobs rejected with 422",
      behaviour=lambda b: setattr(b, "dry_run", "reject"))
DRIFTS.add("dry-run-never-completes", "dry-run jobs accepted but never picked up by a worker",
      behaviour=lambda b: setattr(b, "dry_run", "hang"))
DRIFTS.add("drain-left-on", "drain mode left on after a maintenance window",
      behaviour=lambda b: setattr(b, "drain", True))
DRIFTS.add("ui-not-served", "the UI route is gone: its URL answers the API's JSON 404",
      behaviour=lambda b: setattr(b, "ui_served", False))
DRIFTS.add("readyz-slow", "GET /readyz answers 200 after 3.2 s (past the 3 s budget)",
           behaviour=lambda b: b.slow.update({"readyz": 3.2}))
