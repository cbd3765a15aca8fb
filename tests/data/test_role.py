"""The suite's own database role reads and nothing else (README, "What it needs (least privilege)").

Not a finding about Icepack: the verifier's credential is dangerous. A scheduled check and a deploy
gate hold this DSN unattended; a role that can write, own, create or grant turns a leaked or misused
DSN into a way to change what Icepack serves. The suite's sessions are read-only by request
(default_transaction_read_only), but a request is not enforcement: the role is.
"""
import pytest

from icepack_verify import Said, excess_privileges

LEAST = "README \"What it needs (least privilege)\": GRANT CONNECT, USAGE and SELECT on the two snapshot tables only"


@pytest.mark.rollback(tier=None)  # nothing of Icepack to roll back: take the privilege away, then re-run
def test_suite_role_can_only_read(database, diagnose):
    d = diagnose(f"{database.subject}: the suite's own role")
    for privilege, revoke in excess_privileges(database):
        d.mismatch(privilege, Said("not held (the role may only read)"), Said("held"), LEAST, note=f"remove: {revoke}")
    if d.mismatches:
        d.hint("the verifier's credential can change the database it checks: no rollback of Icepack, revoke the "
               "privileges above (the gate stays red while the DSN can write)")
    d.conclude()
