"""The suite's own database role reads and nothing else (README, "What it needs (least privilege)"),
and its credential is the one agreed: not expired, no role-level settings that change its sessions.

Not a finding about Icepack: the verifier's credential is dangerous or about to break. A scheduled
check and a deploy gate hold this DSN unattended; a role that can write, own, create or grant turns a
leaked or misused DSN into a way to change what Icepack serves. The suite's sessions are read-only by
request (default_transaction_read_only), but a request is not enforcement: the role is.
"""
import pytest

from icepack_verify import Said, Warned, excess_privileges, missing_reads, unagreed_settings

LEAST = "README \"What it needs (least privilege)\": GRANT CONNECT, USAGE and SELECT on the two snapshot tables only"


class CredentialExpiring(Warned):
    """The suite's role stops logging in within data.suite_role_expiry_warning."""


@pytest.mark.rollback(tier=None)  # nothing of Icepack to roll back: take the privilege away, then re-run
def test_suite_role_can_only_read(database, diagnose):
    d = diagnose(f"{database.subject}: the suite's own role")
    for privilege, revoke in excess_privileges(database):
        d.mismatch(privilege, Said("not held (the role may only read)"), Said("held"), LEAST, note=f"remove: {revoke}")
    if d.mismatches:
        d.hint("the verifier's credential may do more than read the two snapshot tables (write, own, or read every "
               "table): no rollback of Icepack, revoke the privileges above (the gate stays red until then)")
    d.conclude()


@pytest.mark.rollback(tier=None)  # the verifier's credential, not Icepack
def test_suite_role_credential_is_as_agreed(database, environment, diagnose):
    """VALID UNTIL in the past: password logins are refused (this run got in another way, or the next will
    not); within data.suite_role_expiry_warning of it: a warning, before the gate breaks. Role-level
    settings reach every session of the suite unless it sends its own at connection start: those of
    data.suite_role_denied_settings fail (idle_session_timeout ends one mid-run, search_path changes what it
    reads); any other (pgaudit.log, log_statement: what the server logs) passes."""
    d = diagnose(f"{database.subject}: the suite's own role")
    role = database.role  # read as the session opened (role_credential): this session may not last
    if "unread" in role:
        raise role["unread"]  # not run, in its one sentence
    until, now, window = role["valid_until"], role["now"], environment.data.suite_role_expiry_warning
    if role["expired"]:
        d.mismatch("VALID UNTIL", Said("in the future (or none)"),
                   until.isoformat(timespec="seconds") if until else role["said"],
                   "PostgreSQL CREATE ROLE: after VALID UNTIL the role's password is no longer valid",
                   note="renew it: ALTER ROLE <role> VALID UNTIL '<a later date>' (or 'infinity'), and the DSN's "
                        "secret if the password changes")
    elif until is not None and until - now <= window:
        left = until - now
        d.warn(CredentialExpiring, f"VALID UNTIL {until.isoformat(timespec='seconds')}: the role's password expires "
                                   f"in {left.days} days {left.seconds // 3600} hours, within data.suite_role_expiry_"
                                   f"warning ({window.days} days, {environment.source('data.suite_role_expiry_warning')}"
                                   "); renew it before the gate's logins are refused")
    denied, where = environment.data.suite_role_denied_settings, environment.source("data.suite_role_denied_settings")
    for name, value in unagreed_settings(role["settings"], denied).items():
        d.mismatch(f"setting {name}", Said("not set on the role (data.suite_role_denied_settings: it changes what "
                                           "the suite's sessions read or ends them)"), value,
                   f"data.suite_role_denied_settings, {where}",
                   note=f"remove: ALTER ROLE <role> RESET {name} (or take it out of data.suite_role_denied_settings)")
    d.conclude()


@pytest.mark.rollback(tier=None)  # the verifier's credential, not Icepack: grant it, then re-run
def test_suite_role_can_read_the_snapshot_tables(database, environment, diagnose):
    """The DSN's credentials were accepted and the role cannot read a table the deployment document says
    health-sync populates (runbook step 4): evidence about the role, not a database down. (A login the
    server refuses stays "not run": from outside, a wrong DSN and a broken role look alike.)"""
    d = diagnose(f"{database.subject}: the suite's own role")
    for table, grant in missing_reads(database):
        d.mismatch(f"SELECT on {table}", Said("held (the suite reads it)"), Said("not held"),
                   f"{LEAST}; {environment.source('data.status_table')}", note=f"grant: {grant}")
    if d.mismatches:
        d.hint("the data checks of these tables are not run until the role can read them")
    d.conclude()
