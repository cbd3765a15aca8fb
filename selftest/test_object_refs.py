"""The references walk (tests/infra/test_object_references.py): what environments.toml declares is
not a finding, Secrets are read for their key names only, and without `list secrets` the walk
still runs and leaves Secrets' references aside."""
from __future__ import annotations

import base64

from harness import EXPECTATIONS, edited_environments

REFS = "tests/infra/test_object_references.py"
RESOLVE = REFS + "::test_every_reference_resolves_to_something_usable"
RELATED = REFS + "::test_nothing_outside_the_release_selects_or_targets_it"
TWIN_PASSWORD = "twin-not-a-secret"  # the value the twin's Secret icepack-db holds under `password`


def _run(twin, drift, *args):
    twin.configure("local", drifts=(drift,))
    run = twin.run_suite("local", *EXPECTATIONS, *args, paths=(REFS,))
    assert {r["test"] for r in run.results} == {RESOLVE, RELATED}, run.explain()
    return run


def test_an_object_declared_in_expected_related_is_not_a_finding(twin, tmp_path):
    assert RELATED in _run(twin, "hpa-targets-the-api").failed  # undeclared: a finding
    settings = edited_environments(tmp_path, ("expected_related = []",
                                              'expected_related = ["HorizontalPodAutoscaler/icepack-api-hpa"]'))
    run = _run(twin, "hpa-targets-the-api", f"--environments={settings}")
    assert not run.failed and run.summary["verdict"] == "safe", run.explain()


def test_secret_keys_are_named_and_their_values_never_shown(twin):
    run = _run(twin, "api-password-key-renamed")
    message = run.messages(RESOLVE)
    assert "Secret icepack-db has no key db-password (its keys: dbname, host, password, port, user)" in message
    for value in (TWIN_PASSWORD, base64.b64encode(TWIN_PASSWORD.encode()).decode()):
        assert value not in run.output and value not in message


def test_without_list_secrets_the_walk_runs_and_leaves_secrets_aside(twin, tmp_path):
    settings = edited_environments(tmp_path, ("read_release_secrets = true", "read_release_secrets = false"))
    run = _run(twin, "api-password-key-renamed", f"--environments={settings}")
    assert {r["outcome"] for r in run.results} == {"passed"}, run.explain()
    # everything but Secrets is still followed: a TriggerAuthentication that is not there fails
    run = _run(twin, "worker-trigger-auth-renamed", f"--environments={settings}")
    assert run.failed == {RESOLVE}, run.explain()


def test_an_owner_named_by_no_served_api_is_broken_an_adopting_younger_owner_is_not():
    from icepack_verify.object_refs import walk_references

    rs = {"metadata": {"name": "api-abc", "namespace": "icepack", "uid": "r1", "creationTimestamp": "2026-11-28T00:00:00Z",
                       "labels": {"app.kubernetes.io/instance": "icepack"}}, "spec": {}}
    pod = {"metadata": {"name": "api-abc-1", "namespace": "icepack", "uid": "p1", "creationTimestamp": "2026-11-28T00:00:05Z",
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-abc", "uid": "r1",
                                             "controller": True}]}, "spec": {"containers": []}}
    node = {"metadata": {"name": "n1", "uid": "n1", "creationTimestamp": "2026-11-20T00:00:00Z"}}
    live = {"ReplicaSet": [rs], "Pod": [pod], "Node": [node]}
    served = {"ReplicaSet": "apps/v1", "Pod": "v1", "Node": "v1"}
    assert walk_references(live, None, "icepack", (), served).broken == []
    pod["metadata"]["creationTimestamp"] = "2026-11-27T00:00:05Z"  # older than its ReplicaSet: adopted, healthy
    assert walk_references(live, None, "icepack", (), served).broken == []
    node["metadata"]["ownerReferences"] = [{"apiVersion": "karpenter.sh", "kind": "NodeClaim", "name": "c", "uid": "c1"}]
    broken = {(f.referrer, f.actual.split(":")[0].split(" created")[0]) for f in
              walk_references(live, None, "icepack", (), served).broken}
    assert broken == {("Node/n1", "apiVersion 'karpenter.sh'")}


# --- a CronJob's status.active names its running Jobs ------------------------------------
def test_a_cronjobs_active_reference_resolves_to_its_job_with_the_same_uid():
    from icepack_verify.object_refs import walk_references

    def world(active: list[dict], job_uid: str = "j1") -> dict:
        cron = {"metadata": {"name": "orch", "uid": "c1"}, "spec": {}, "status": {"active": active}}
        job = {"metadata": {"name": "orch-1", "uid": job_uid,
                            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "orch",
                                                 "uid": "c1", "controller": True}]}, "spec": {}}
        return {"CronJob": [cron], "Job": [job]}

    ref = {"apiVersion": "batch/v1", "kind": "Job", "name": "orch-1", "namespace": "icepack", "uid": "j1"}
    assert walk_references(world([ref]), None, "rel").broken == []
    assert [(f.field, f.actual) for f in walk_references(world([{}]), None, "rel").broken] == [
        ("status.active[0]", "no kind, name, uid")]
    assert [f.actual for f in walk_references(world([ref], job_uid="j2"), None, "rel").broken] == [
        "Job orch-1 is another object now (uid j2, the reference names j1)"]
    assert [f.actual for f in walk_references(world([{**ref, "name": "orch-0"}]), None, "rel").broken] == [
        "no Job orch-0 (the Jobs in the namespace: orch-1)"]


def test_a_secret_is_held_redacted_its_values_and_last_applied_copy_never():
    from icepack_verify.redaction import REDACTED, redacted_secret

    secret = {"metadata": {"name": "db", "labels": {"app": "x"}, "managedFields": [{"manager": "kubectl"}],
                           "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"data": {"pw": "c2VjcmV0"}}',
                                           "team": "data"}},
              "data": {"pw": "c2VjcmV0"}, "stringData": {"user": "icepack"}, "immutable": True}
    held = redacted_secret(secret)
    assert held == {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "immutable": True,
                    "metadata": {"name": "db", "labels": {"app": "x"}, "annotations": {
                        "kubectl.kubernetes.io/last-applied-configuration": REDACTED, "team": "data"}},
                    "data": {"pw": REDACTED, "user": REDACTED}}
    assert "c2VjcmV0" not in repr(held) and "icepack" not in repr(held)
