"""The Helm release Terraform manages: deployed, with the bumped chart version and the expected image."""
from __future__ import annotations

import pytest
import yaml

from icepack_verify import helm
from icepack_verify.diagnosis import Diagnosis, fail


@pytest.fixture(scope="module")
def release_secret(objects, environment) -> dict:
    secrets = objects.all("Secret")  # listed with the selector owner=helm,name=<release>
    newest = helm.newest(secrets)
    if newest is None:
        fail(f"[{environment.name}] Helm release {environment.names.release!r}: no release Secret "
             f"(owner=helm,name={environment.names.release}) in namespace {environment.namespace} (not found)")
    return newest


@pytest.fixture(scope="module")
def release(release_secret, environment) -> dict:
    try:
        return helm.decode(release_secret)
    except helm.BadRelease as exc:
        fail(f"[{environment.name}] Helm release {environment.names.release!r}: could not read: {exc}")


def _resource(environment, secret: dict) -> str:
    return (f"Helm release {environment.namespace}/{environment.names.release} "
            f"revision {secret['metadata'].get('labels', {}).get('version')} (Secret {secret['metadata']['name']})")


def test_newest_release_is_deployed(release_secret, release, environment):
    d = Diagnosis(environment.name, _resource(environment, release_secret))
    d.expect("info.status", "deployed", helm.status(release), "terraform apply leaves the newest revision deployed")
    d.conclude()


@pytest.fixture(scope="module")
def expected_chart_version(pytestconfig) -> tuple[str, str]:
    opt = pytestconfig.option
    if opt.expect_chart_version:
        return opt.expect_chart_version, "--expect-chart-version"
    if opt.expect_chart_yaml:
        try:
            version = (yaml.safe_load(opt.expect_chart_yaml.read_text()) or {}).get("version")
        except (OSError, yaml.YAMLError, AttributeError) as exc:
            fail(f"--expect-chart-yaml {opt.expect_chart_yaml}: could not read a chart version ({type(exc).__name__})")
        if not version:
            fail(f"--expect-chart-yaml {opt.expect_chart_yaml}: no 'version' key")
        return str(version), f"--expect-chart-yaml {opt.expect_chart_yaml}"
    pytest.skip("no expected chart version: pass --expect-chart-version X.Y.Z or "
                "--expect-chart-yaml charts/icepack/Chart.yaml to check the chart version was bumped and deployed")


def test_release_carries_the_expected_chart_version(release_secret, release, expected_chart_version, environment):
    version, source = expected_chart_version
    d = Diagnosis(environment.name, _resource(environment, release_secret))
    d.expect("chart.metadata.version", version, helm.chart_version(release),
             f"{source} (a template change without a Chart.yaml bump never deploys)")
    d.conclude()


def _tag(image: object) -> str | None:
    if not isinstance(image, str) or "@" in image.rsplit("/", 1)[-1]:
        return None  # a digest-pinned image carries no tag
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


@pytest.mark.rollback(tier=1)
def test_workloads_run_the_expected_image_tag(objects, environment, pytestconfig):
    tag = pytestconfig.option.expect_image_tag
    if not tag:
        pytest.skip("no expected image tag: pass --expect-image-tag TAG (e.g. after a tier-1 rollback) to check it")
    d = Diagnosis(environment.name, "Icepack workloads")
    for w in objects.workloads():
        for c in w.pod_spec.get("containers") or []:
            d.expect(f"{w.label} container {c.get('name')} image tag", tag, _tag(c.get("image")), "--expect-image-tag")
    d.conclude()
