"""The Helm release against the live namespace: what Terraform applied is what runs.

Every object of the deployed release's manifest is live and holds every field the manifest
sets (Kubernetes' defaults, controllers' and webhooks' additions and equal forms aside: see
icepack_verify.release_diff), and nothing else in the namespace claims the release. A
difference is a hand change since the release (kubectl edit, a console) that the next apply
silently undoes, or a release applied only in part.
"""
from __future__ import annotations

import pytest

from icepack_verify import BadManifest, comparable_live, diff_release, manifest_objects


@pytest.fixture(scope="module")
def release_vs_live(release, objects, cluster, environment, release_name, diagnose):
    try:
        manifest = manifest_objects(release)
    except BadManifest as exc:
        diagnose(release_name).cannot(f"could not read: {exc}")
    live = comparable_live(cluster, objects)
    return diff_release(manifest, live, release.get("name") or environment.names.release,
                        environment.checks.controller_metadata_domains,
                        controller_zone=environment.checks.controller_time_zone)


@pytest.fixture(scope="module")
def manifest_source(release) -> str:
    return f"Helm release {release.get('name')} revision {release.get('version')} manifest " \
           "(changed by hand since the release?)"


@pytest.fixture
def d(release, release_name, diagnose):
    """The diagnosis of the comparison, with the command that shows the same diff."""
    d = diagnose(f"{release_name} revision {release.get('version')} vs live")
    d.hint(f"the same diff: helm -n {release.get('namespace')} get manifest {release.get('name')} "
           "| kubectl diff -f - ; terraform apply restores the release")
    return d


@pytest.mark.rollback(tier=2)  # a chart-managed field changed outside the release: apply the chart again
def test_live_objects_hold_what_the_release_applied(release_vs_live, d, manifest_source, request):
    for f in release_vs_live.changed:
        d.mismatch(f.field, f.desired, f.live, manifest_source, f.note)
    if d.mismatches and all(f.operational for f in release_vs_live.changed):
        # only suspended or paused by hand: an operational state to undo, nothing to roll back
        request.node.add_marker(pytest.mark.rollback(tier=0), append=False)
    d.conclude()


@pytest.mark.rollback(tier=2)
def test_release_objects_are_live_and_nothing_else_claims_the_release(release_vs_live, d, manifest_source):
    for f in release_vs_live.missing + release_vs_live.extra:
        d.mismatch(f.field, f.desired, f.live, manifest_source)
    d.conclude()
