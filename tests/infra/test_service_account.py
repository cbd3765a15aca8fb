"""IRSA: the ServiceAccount carries a role of the environment's own account, and every workload uses it."""
from __future__ import annotations

import re

from icepack_verify import ROWS, Said

ROLE_ARN = "eks.amazonaws.com/role-arn"
IAM_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$")
IRSA = ROWS["service_account"].citation


def test_irsa_role_arn(objects, environment, diagnose):
    sa = objects.get("service_account")
    arn = (sa["metadata"].get("annotations") or {}).get(ROLE_ARN)
    d = diagnose(objects.resource("service_account"))
    m = IAM_ROLE.match(arn) if isinstance(arn, str) else None
    if d.expect(f"annotations[{ROLE_ARN}]", Said("an IAM role ARN (arn:aws:iam::<account>:role/<name>)"), arn,
                IRSA, same=lambda *_: m is not None):
        d.expect(f"annotations[{ROLE_ARN}] account", environment.account_id, f"{m.group(1)} (in {arn})",
                 environment.source("account_id"), same=lambda want, got: got.split(" ")[0] == want)
    d.conclude()


def test_workloads_run_under_the_irsa_service_account(objects, environment, diagnose):
    want = environment.names.service_account
    d = diagnose("Icepack workloads")
    for w in objects.workloads():
        d.expect(f"{w.label} serviceAccountName", want, w.pod_spec.get("serviceAccountName", "default"),
                 f"{IRSA} [{environment.source('names.service_account')}]")
    d.conclude()
