"""The Helm release Terraform manages: deployed, with the bumped chart version."""
from __future__ import annotations

import pytest

from icepack_verify import chart_version, chart_yaml_version, release_status


def test_newest_release_is_deployed(release, revision, diagnose):
    d = diagnose(revision)
    d.expect("info.status", "deployed", release_status(release), "terraform apply leaves the newest revision deployed")
    d.conclude()


@pytest.fixture(scope="module")
def expected_chart_version(pytestconfig) -> tuple[str, str]:
    opt = pytestconfig.option
    if opt.expect_chart_version:
        return opt.expect_chart_version, "--expect-chart-version"
    if opt.expect_chart_yaml:  # checked before the run (a bad file is a usage error); read again here
        return chart_yaml_version(opt.expect_chart_yaml), f"--expect-chart-yaml {opt.expect_chart_yaml}"
    pytest.skip("no expected chart version: pass --expect-chart-version X.Y.Z or "
                "--expect-chart-yaml charts/icepack/Chart.yaml to check the chart version was bumped and deployed")


def test_release_carries_the_expected_chart_version(release, revision, expected_chart_version, diagnose):
    version, source = expected_chart_version
    d = diagnose(revision)
    d.expect("chart.metadata.version", version, chart_version(release),
             f"{source} (a template change without a Chart.yaml bump never deploys)")
    d.conclude()
