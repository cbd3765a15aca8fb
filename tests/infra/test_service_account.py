"""IRSA: the ServiceAccount carries a role of the environment's own account, and every workload uses it."""
from __future__ import annotations

from icepack_verify import ROWS, Said, arn_problems

ROLE_ARN = "eks.amazonaws.com/role-arn"
IRSA = ROWS["service_account"].citation


def test_irsa_role_arn(objects, environment, diagnose):
    sa = objects.get("service_account")
    arn = (sa["metadata"].get("annotations") or {}).get(ROLE_ARN)
    d = diagnose(objects.resource("service_account"))
    # IAM is global: no region in the ARN, and the partition is the environment region's.
    wrong = arn_problems(arn, service="iam", account=environment.account_id, region=None, resource="role",
                         home_region=environment.region)
    d.expect(f"annotations[{ROLE_ARN}]",
             Said(f"an IAM role ARN of account {environment.account_id} (arn:aws:iam::<account>:role/<name>)"), arn,
             f"{IRSA}; {environment.source('account_id')}", same=lambda *_: not wrong, note="; ".join(wrong) or None)
    d.conclude()


def test_workloads_run_under_the_irsa_service_account(objects, environment, diagnose):
    want = environment.names.service_account
    d = diagnose("Icepack workloads")
    for w in objects.workloads():
        d.expect(f"{w.label} serviceAccountName", want, w.pod_spec.get("serviceAccountName", "default"),
                 f"{IRSA} [{environment.source('names.service_account')}]")
    d.conclude()
