"""NLB Service: an AWS NLB terminating TLS with the environment's own ACM certificate."""
from __future__ import annotations

import re

from icepack_verify import ROWS, Said

AWS = "service.beta.kubernetes.io/aws-load-balancer-"
DNS = "external-dns.alpha.kubernetes.io/hostname"
ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:(\d{12}):certificate/[A-Za-z0-9-]+$")
NLB_TYPES = ("external", "nlb")  # AWS Load Balancer Controller ("external") or the in-tree NLB ("nlb")
NLB = ROWS["service"].citation


def _same_ports(expected: int, actual: object) -> bool:
    return isinstance(actual, str) and str(expected) in [p.strip() for p in actual.split(",")]


def _own_account(account: str, arn: object) -> bool:
    m = ACM_ARN.match(arn) if isinstance(arn, str) else None
    return bool(m) and m.group(1) == account


def test_api_service_is_a_tls_nlb(objects, environment, expect, diagnose):
    svc = objects.get("service")
    notes = svc["metadata"].get("annotations") or {}
    d = diagnose(objects.resource("service"))
    d.expect("spec.type", expect.service.type, svc["spec"].get("type"), environment.source("expect.service.type"))
    d.expect(f"annotations[{AWS}type]", " or ".join(NLB_TYPES), notes.get(f"{AWS}type"),
             NLB, same=lambda _, got: got in NLB_TYPES)
    d.expect(f"annotations[{AWS}ssl-cert]", f"an ACM certificate ARN in account {environment.account_id}",
             notes.get(f"{AWS}ssl-cert"), f"{NLB} (ACM TLS termination); {environment.source('account_id')}",
             same=lambda _, got: _own_account(environment.account_id, got))
    d.expect(f"annotations[{AWS}ssl-ports]", str(expect.service.tls_port), notes.get(f"{AWS}ssl-ports"),
             environment.source("expect.service.tls_port"), same=_same_ports)
    d.expect(f"annotations[{DNS}]", environment.hostname, notes.get(DNS), environment.source("hostname"))
    d.conclude()


def test_api_service_load_balancer_provisioned(objects, cluster, diagnose):
    svc = objects.get("service")
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    d = diagnose(objects.resource("service") + " (load balancer)")
    d.expect("status.loadBalancer.ingress", Said("a provisioned NLB hostname or IP"),
             [i.get("hostname") or i.get("ip") for i in ingress], NLB, same=lambda _, got: any(got))
    if d.mismatches:
        d.attach("recent events", cluster.events_for("Service", svc["metadata"]["name"]))
    d.conclude()
