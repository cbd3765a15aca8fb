"""What every Icepack workload runs: Icepack's image from ECR (deployment flow, step 3), one
repository for all, and the expected tag when the gate knows it (a tier-1 rollback flips it)."""
from __future__ import annotations

import pytest

from icepack_verify import Said, ecr_registry, image_tag, parse_image

STEP3 = "deployment document, deployment flow step 3: the image is built and pushed to ECR"


def _containers(objects):
    return [(w, c) for w in objects.workloads() for c in w.pod_spec.get("containers") or []]


def test_workloads_run_one_image_from_ecr(objects, diagnose):
    containers = _containers(objects)
    d = diagnose("Icepack workloads")
    first = parse_image(containers[0][1].get("image")) if containers else None
    for w, c in containers:
        image = c.get("image")
        d.expect(f"{w.label} container {c.get('name')} image registry", Said("an ECR registry"), image,
                 STEP3, same=lambda _, got: ecr_registry(got) is not None)
        parsed = parse_image(image)
        d.expect(f"{w.label} container {c.get('name')} image repository",
                 Said(f"{first.registry}/{first.repository} (the {containers[0][0].label} image)" if first else "one"),
                 image, STEP3 + " (one image for API, worker and CronJobs)",
                 same=lambda *_: parsed is not None and first is not None
                 and (parsed.registry, parsed.repository) == (first.registry, first.repository))
    d.conclude()


@pytest.mark.rollback(tier=1)
def test_workloads_run_the_expected_image_tag(objects, pytestconfig, diagnose):
    tag = pytestconfig.option.expect_image_tag
    if not tag:
        pytest.skip("no expected image tag: pass --expect-image-tag TAG (e.g. after a tier-1 rollback) to check it")
    d = diagnose("Icepack workloads")
    for w, c in _containers(objects):
        d.expect(f"{w.label} container {c.get('name')} image tag", tag, image_tag(c.get("image")), "--expect-image-tag")
    d.conclude()
