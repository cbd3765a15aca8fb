"""Every inventory row in the Icepack namespace, every Icepack workload on the expected architecture."""
from __future__ import annotations

from icepack_verify import Said

ARCH = "kubernetes.io/arch"


def test_icepack_resources_live_in_the_namespace(objects, inventory, environment, diagnose):
    d = diagnose(f"namespace {environment.namespace}")
    for row in inventory:  # every missing one is listed; an unreadable kind fails with its own sentence
        name = getattr(environment.names, row.role)
        present = sorted(o["metadata"]["name"] for o in objects.all(row.kind))
        if name not in present:
            d.mismatch(f"{row.kind} {name}", Said("present"), Said(f"absent (present: {', '.join(present) or 'none'})"),
                       f"{row.citation} ({environment.source(f'names.{row.role}')})")
    d.conclude()


def test_workloads_select_the_expected_arch(objects, environment, expect, diagnose):
    d = diagnose("Icepack workloads")
    for w in objects.workloads():
        d.expect(f"{w.label} nodeSelector[{ARCH}]", expect.api.node_arch, (w.pod_spec.get("nodeSelector") or {}).get(ARCH),
                 environment.source("expect.api.node_arch"))
    d.conclude()
