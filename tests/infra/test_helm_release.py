"""The Helm release Terraform manages: deployed, with the bumped chart version."""
from __future__ import annotations

import pytest
import yaml

from icepack_verify import BadRelease, chart_version, decode_release, newest_release, release_status


@pytest.fixture(scope="module")
def release_name(environment) -> str:
    return f"Helm release {environment.namespace}/{environment.names.release}"


@pytest.fixture(scope="module")
def release_secret(objects, environment, diagnose, release_name) -> dict:
    newest = newest_release(objects.all("Secret"))  # listed with the selector owner=helm,name=<release>
    if newest is None:
        diagnose(release_name).cannot(f"not found: no release Secret (owner=helm,name={environment.names.release}) "
                                      f"in namespace {environment.namespace}")
    return newest


@pytest.fixture(scope="module")
def release(release_secret, diagnose, release_name) -> dict:
    try:
        return decode_release(release_secret)
    except BadRelease as exc:
        diagnose(release_name).cannot(f"could not read: {exc}")


@pytest.fixture(scope="module")
def revision(release_secret, release_name) -> str:
    """'Helm release icepack/icepack revision 7 (Secret sh.helm.release.v1.icepack.v7)'."""
    meta = release_secret["metadata"]
    return f"{release_name} revision {meta.get('labels', {}).get('version')} (Secret {meta['name']})"


def test_newest_release_is_deployed(release, revision, diagnose):
    d = diagnose(revision)
    d.expect("info.status", "deployed", release_status(release), "terraform apply leaves the newest revision deployed")
    d.conclude()


@pytest.fixture(scope="module")
def expected_chart_version(pytestconfig, diagnose) -> tuple[str, str]:
    opt = pytestconfig.option
    if opt.expect_chart_version:
        return opt.expect_chart_version, "--expect-chart-version"
    if opt.expect_chart_yaml:
        d = diagnose(f"--expect-chart-yaml {opt.expect_chart_yaml}")
        try:
            version = (yaml.safe_load(opt.expect_chart_yaml.read_text()) or {}).get("version")
        except (OSError, yaml.YAMLError, AttributeError) as exc:
            d.cannot(f"could not read a chart version ({type(exc).__name__})")
        if not version:
            d.cannot("no 'version' key")
        return str(version), f"--expect-chart-yaml {opt.expect_chart_yaml}"
    pytest.skip("no expected chart version: pass --expect-chart-version X.Y.Z or "
                "--expect-chart-yaml charts/icepack/Chart.yaml to check the chart version was bumped and deployed")


def test_release_carries_the_expected_chart_version(release, revision, expected_chart_version, diagnose):
    version, source = expected_chart_version
    d = diagnose(revision)
    d.expect("chart.metadata.version", version, chart_version(release),
             f"{source} (a template change without a Chart.yaml bump never deploys)")
    d.conclude()
