"""IRSA: the ServiceAccount carries a role of the environment's own account, and every workload uses it."""
from __future__ import annotations

import re

from icepack_verify.diagnosis import Diagnosis

ROLE_ARN = "eks.amazonaws.com/role-arn"
IAM_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$")


def test_irsa_role_arn(objects, environment):
    name = environment.names.service_account
    sa = objects.require("ServiceAccount", name)
    arn = (sa["metadata"].get("annotations") or {}).get(ROLE_ARN)
    d = Diagnosis(environment.name, objects.resource("ServiceAccount", name))
    m = IAM_ROLE.match(arn) if isinstance(arn, str) else None
    if d.expect(f"annotations[{ROLE_ARN}]", "an IAM role ARN (arn:aws:iam::<account>:role/<name>)", arn,
                "deployment document: IRSA ServiceAccount", same=lambda *_: m is not None):
        d.expect(f"annotations[{ROLE_ARN}] account", environment.account_id, f"{m.group(1)} (in {arn})",
                 environment.source("account_id"), same=lambda want, got: got.split(" ")[0] == want)
    d.conclude()


def test_workloads_run_under_the_irsa_service_account(objects, environment):
    want = environment.names.service_account
    d = Diagnosis(environment.name, "Icepack workloads")
    for w in objects.workloads():
        d.expect(f"{w.label} serviceAccountName", want, w.pod_spec.get("serviceAccountName", "default"),
                 "deployment document: IRSA ServiceAccount (environments.toml [defaults.names])")
    d.conclude()
