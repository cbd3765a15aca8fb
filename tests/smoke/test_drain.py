"""Drain mode is an optional guard for a maintenance window; it must be off once live."""
import pytest

from icepack_verify.api import describe
from icepack_verify.diagnosis import fail


@pytest.mark.rollback(tier=0)  # drain left on after a window: turn it off, nothing to roll back
def test_drain_mode_matches_the_phase(environment, phase, drain_answer, drain_on):
    where = f"[{environment.name}] GET {environment.api_url}/admin/drain"
    if drain_answer.status_code != 200 or drain_on is None:
        fail(f"{where}: expected 200 with a boolean drain_mode, actual {describe(drain_answer)}")
    if drain_on and not phase.drain_allowed:
        fail(f"{where}: drain_mode expected False in phase {phase.name}, actual True "
             f"[from the runbook phase {phase.name}: {phase.doc}]. Drain left on after a maintenance window "
             "blocks manual maintenance submissions")
