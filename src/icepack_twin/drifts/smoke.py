"""Smoke drifts: readiness, the dry-run job and drain mode gone wrong, caught by tests/smoke."""
from __future__ import annotations

from icepack_twin.drifts import drift

drift("readyz-503", "smoke", "GET /readyz answers 503 (a dependency check failing)",
      behaviour=lambda b: setattr(b, "readyz_status", 503))
drift("dry-run-rejected", "smoke", "dry-run maintenance jobs rejected with 422",
      behaviour=lambda b: setattr(b, "dry_run", "reject"))
drift("dry-run-never-completes", "smoke", "dry-run jobs accepted but never picked up by a worker",
      behaviour=lambda b: setattr(b, "dry_run", "hang"))
drift("drain-left-on", "smoke", "drain mode left on after a maintenance window",
      behaviour=lambda b: setattr(b, "drain", True))
drift("ui-not-served", "smoke", "the UI route is gone: its URL answers the API's JSON 404",
      behaviour=lambda b: setattr(b, "ui_served", False))
