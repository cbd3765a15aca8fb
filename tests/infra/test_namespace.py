"""Everything in the Icepack namespace, every workload on the expected architecture."""
from __future__ import annotations

from icepack_verify.diagnosis import Diagnosis

ARCH = "kubernetes.io/arch"


def test_icepack_resources_live_in_the_namespace(objects, environment, expect):
    names = environment.names
    wanted = [("Deployment", names.api), ("Service", names.service), ("ScaledJob", names.worker),
              ("CronJob", names.orchestrator), ("CronJob", names.health_sync), ("ServiceAccount", names.service_account)]
    if expect.postgres.internal:
        wanted += [("Deployment", names.postgres), ("PersistentVolumeClaim", names.postgres_pvc)]
    d = Diagnosis(environment.name, f"namespace {environment.namespace}")
    for kind, name in wanted:  # every missing one is listed; an unreadable kind fails with its own sentence
        present = sorted(o["metadata"]["name"] for o in objects.all(kind))
        d.expect(f"{kind} {name}", "present", "present" if name in present else f"absent (present: {', '.join(present) or 'none'})",
                 "deployment document: all resources live in the icepack namespace")
    d.conclude()


def test_workloads_select_the_expected_arch(objects, environment, expect):
    d = Diagnosis(environment.name, "Icepack workloads")
    for w in objects.workloads():
        d.expect(f"{w.label} nodeSelector[{ARCH}]", expect.api.node_arch, (w.pod_spec.get("nodeSelector") or {}).get(ARCH),
                 environment.source("expect.api.node_arch"))
    d.conclude()
