"""The bookkeeping of the release's objects, each fact against a second description of it written by
another component (icepack_verify.bookkeeping): when an object was created against the Helm record's
apply, the uid the live object has against the one the events name, and where each Service sends
traffic (its EndpointSlices) against the ready pods it selects."""
from __future__ import annotations

import pytest

from icepack_verify import BadManifest, comparable_kinds, manifest_objects
from icepack_verify import created_after_release, endpoint_findings, event_identity_findings


def _record(release) -> str:
    return f"{release.get('namespace')}/{release.get('name')} revision {release.get('version')}"


@pytest.mark.rollback(tier=2)  # an object re-created by hand: apply the chart again, so Helm owns it
def test_release_objects_were_created_by_the_release(release, objects, cluster, environment, release_name, diagnose):
    d = diagnose(f"{release_name} revision {release.get('version')}: creation times")
    try:
        manifest = manifest_objects(release)
    except BadManifest as exc:
        d.cannot(f"could not read: {exc}")
    live = {kind: objects.all(kind) for kind in comparable_kinds(cluster)}
    window = environment.checks.release_apply_window
    for resource, (field, expected, actual, source) in created_after_release(
            manifest, live, (release.get("info") or {}).get("last_deployed"), window, _record(release)):
        d.mismatch(f"{resource} {field}", expected, actual, source.replace(
            "checks.release_apply_window",
            f"checks.release_apply_window ({environment.source('checks.release_apply_window')})"))
    d.conclude()


@pytest.mark.rollback(tier=0)  # a re-created object or a rewritten uid: nothing in the chart to revert
def test_events_name_the_live_objects(objects, cluster, environment, diagnose):
    d = diagnose(f"identity of the objects in namespace {environment.namespace}")
    live = {kind: objects.all(kind) for kind in cluster.listings if kind != "Event" and cluster.readable(kind)}
    for resource, (field, expected, actual, source) in event_identity_findings(
            objects.all("Event"), live, environment.checks.clock_skew):
        d.mismatch(f"{resource} {field}", expected, actual, source)
    d.conclude()


@pytest.mark.rollback(tier=0)  # the cluster's endpoint bookkeeping, not the chart: the controller or a hand edit
def test_services_send_traffic_to_their_ready_pods(objects, environment, diagnose):
    d = diagnose(f"Services of namespace {environment.namespace} and their EndpointSlices")
    slices, pods = objects.all("EndpointSlice"), objects.all("Pod")
    for svc in objects.all("Service"):
        if not (svc.get("spec") or {}).get("selector"):
            continue  # a Service without a selector keeps hand-made endpoints: no controller writes them
        for field, expected, actual, source in endpoint_findings(svc, pods, slices):
            d.mismatch(f"Service {environment.namespace}/{svc['metadata']['name']} {field}", expected, actual, source)
    d.hint(f"kubectl -n {environment.namespace} get endpointslices -o wide; kubectl -n {environment.namespace} "
           "get pods -o wide")
    d.conclude()
