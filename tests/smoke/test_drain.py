"""Drain mode is an optional guard for a maintenance window; it must be off once live."""
import pytest

from icepack_verify import Said, describe


@pytest.mark.rollback(tier=0)  # drain left on after a window: turn it off, nothing to roll back
def test_drain_mode_matches_the_phase(environment, phase, conventions, drain_answer, drain_on, diagnose):
    d = diagnose(f"GET {environment.api_url}{conventions.drain_route}")
    if drain_answer.status_code != 200 or drain_on is None:
        d.fail("response", Said(f"200 with a boolean {conventions.drain_field}"), Said(describe(drain_answer)),
               f"the drain route and field [{environment.source('api.drain_route')}]",
               hint="If the API serves drain mode elsewhere, set api.drain_route / api.drain_field in environments.toml")
    if drain_on and not phase.drain_allowed:
        d.fail(conventions.drain_field, False, True, f"the runbook phase {phase.name}: {phase.doc}",
               hint="Drain left on after a maintenance window blocks manual maintenance submissions: turn it off")
