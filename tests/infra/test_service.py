"""NLB Service: an AWS NLB terminating TLS with the environment's own ACM certificate."""
from __future__ import annotations

from icepack_verify import ROWS, Said, arn_problems, event_line, tls_ports

AWS = "service.beta.kubernetes.io/aws-load-balancer-"
DNS = "external-dns.alpha.kubernetes.io/hostname"
NLB_TYPES = ("external", "nlb")  # AWS Load Balancer Controller ("external") or the in-tree NLB ("nlb")
NLB = ROWS["service"].citation


def test_api_service_is_a_tls_nlb(objects, environment, expect, diagnose):
    svc = objects.get("service")
    notes = svc["metadata"].get("annotations") or {}
    d = diagnose(objects.resource("service"))
    d.expect("spec.type", expect.service.type, svc["spec"].get("type"), environment.source("expect.service.type"))
    d.expect(f"annotations[{AWS}type]", " or ".join(NLB_TYPES), notes.get(f"{AWS}type"),
             NLB, same=lambda _, got: got in NLB_TYPES)
    cert = notes.get(f"{AWS}ssl-cert")
    wrong = arn_problems(cert, service="acm", account=environment.account_id, region=environment.region,
                         resource="certificate")
    d.expect(f"annotations[{AWS}ssl-cert]",
             Said(f"an ACM certificate ARN in account {environment.account_id}, region {environment.region}"),
             cert, f"{NLB} (ACM TLS termination); {environment.source('account_id')}, {environment.source('region')}",
             same=lambda *_: not wrong, note="; ".join(wrong) or None)
    ports = svc["spec"].get("ports") or []
    tls = expect.service.tls_port
    d.expect("spec.ports[].port", Said(f"includes {tls}"), [p.get("port") for p in ports],
             environment.source("expect.service.tls_port"), same=lambda *_: any(p.get("port") == tls for p in ports))
    d.expect(f"annotations[{AWS}ssl-ports]", Said(f"covers port {tls} (a number, the port's name, '*' or unset)"),
             notes.get(f"{AWS}ssl-ports"), environment.source("expect.service.tls_port"),
             same=lambda _, got: tls in tls_ports(got, ports) or not any(p.get("port") == tls for p in ports))
    d.expect(f"annotations[{DNS}]", environment.hostname, notes.get(DNS), environment.source("hostname"))
    d.conclude()


# What the service controller and the AWS Load Balancer Controller report about a Service's load balancer.
LB_EVENTS = {"EnsuringLoadBalancer", "EnsuredLoadBalancer", "SyncLoadBalancerFailed", "UpdatedLoadBalancer",
             "SuccessfullyReconciled", "FailedDeployModel", "FailedBuildModel", "FailedUpdateStatus"}


def test_api_service_load_balancer_provisioned(objects, cluster, diagnose):
    svc = objects.get("service")
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    d = diagnose(objects.resource("service") + " (load balancer)")
    d.expect("status.loadBalancer.ingress", Said("a provisioned NLB hostname or IP"),
             [i.get("hostname") or i.get("ip") for i in ingress], NLB, same=lambda _, got: any(got))
    # An ingress stays from the last success: the newest load-balancer event says whether the latest sync worked.
    lb_events = [e for e in cluster.events_of("Service", svc["metadata"]["name"]) if e.get("reason") in LB_EVENTS]
    if lb_events:
        d.expect("newest load balancer event", Said("a successful sync (Normal)"), Said(event_line(lb_events[-1])),
                 f"{NLB}: the controller's latest reconcile", same=lambda *_: lb_events[-1].get("type") == "Normal")
    if d.mismatches:
        d.attach("recent events", cluster.events_for("Service", svc["metadata"]["name"]))
    d.conclude()
