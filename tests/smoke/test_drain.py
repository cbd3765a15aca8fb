"""Drain mode is an optional guard for a maintenance window; it must be off once live."""
import pytest

from icepack_verify import Said, describe


@pytest.mark.rollback(tier=0)  # drain left on after a window: turn it off, nothing to roll back
def test_drain_mode_matches_the_phase(environment, phase, drain_answer, drain_on, diagnose):
    d = diagnose(f"GET {environment.api_url}{drain_answer.request.url.path}")
    if drain_answer.status_code != 200 or drain_on is None:
        d.fail("response", Said("200 with a boolean drain_mode"), Said(describe(drain_answer)),
               "the API's drain-mode route")
    if drain_on and not phase.drain_allowed:
        d.fail("drain_mode", False, True, f"the runbook phase {phase.name}: {phase.doc}",
               hint="Drain left on after a maintenance window blocks manual maintenance submissions: turn it off")
