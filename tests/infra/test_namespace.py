"""Every inventory row in the Icepack namespace, every Icepack workload on the expected architecture."""
from __future__ import annotations

from icepack_verify import Said, allowed_arches, describe_arches, only_arch


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
        d.expect(f"{w.label} pod architectures (nodeSelector and required node affinity)", expect.api.node_arch,
                 Said(describe_arches(allowed_arches(w.pod_spec))), environment.source("expect.api.node_arch"),
                 same=lambda want, _, spec=w.pod_spec: only_arch(want, spec))
    d.conclude()
