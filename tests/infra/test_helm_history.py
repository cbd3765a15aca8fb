"""The Helm history Terraform's helm_release keeps: every record readable and agreeing with its
Secret, one revision deployed and it is the newest, none left pending, and the previous revision
(Tier 2's rollback target) kept (icepack_verify.live_state.history_findings)."""
from __future__ import annotations

from icepack_verify import history_findings


def test_helm_history_is_whole_and_has_one_deployed_revision(release_records, release_name, environment, diagnose):
    d = diagnose(f"{release_name} history")
    if not release_records:
        d.cannot(f"not found: no release Secret (owner=helm,name={environment.names.release}) "
                 f"in namespace {environment.namespace}")
    revisions, findings = history_findings(release_records, environment.names.release)
    for field, expected, actual, source in findings:
        d.mismatch(field, expected, actual, source)
    d.attach("revisions", [f"{r.secret}: status {r.status} (label {r.label_status})"
                           for r in sorted(revisions, key=lambda r: r.version or -1)])
    d.hint(f"helm history -n {environment.namespace} {environment.names.release}")
    d.conclude()
