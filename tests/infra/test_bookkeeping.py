"""The bookkeeping of the release's objects, each fact against a second description of it written by
another component (icepack_verify.bookkeeping): when an object was created against the Helm record's
apply, the uid the live object has against the one the events name, and where each Service sends
traffic (its EndpointSlices) against the ready pods it selects."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from icepack_verify import BadManifest, comparable_kinds, manifest_objects
from icepack_verify import created_after_release, endpoint_findings, event_identity_findings


@pytest.mark.rollback(tier=2)  # an object re-created by hand: apply the chart again, so Helm owns it
def test_release_objects_were_created_by_the_release(release, objects, cluster, environment, release_name, diagnose):
    d = diagnose(f"{release_name} revision {release.get('version')}: creation times")
    try:
        manifest = manifest_objects(release)
    except BadManifest as exc:
        d.cannot(f"could not read: {exc}")
    live = {kind: objects.all(kind) for kind in comparable_kinds(cluster)}
    for resource, (field, expected, actual, source) in created_after_release(
            manifest, live, release, environment.checks.release_apply_window, environment.checks.clock_skew):
        for key in ("checks.release_apply_window", "checks.clock_skew"):
            source = source.replace(key, f"{key} ({environment.source(key)})")
        d.mismatch(f"{resource} {field}", expected, actual, source)
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
    # a pod whose Ready changed this recently may not be in its slices yet (the controller lags, the lists are
    # two moments): checks.endpoint_settle, + checks.clock_skew between the kubelet's clock and ours
    now, settle = datetime.now(timezone.utc), environment.checks.endpoint_settle + environment.checks.clock_skew
    for svc in objects.all("Service"):
        if not (svc.get("spec") or {}).get("selector"):
            continue  # a Service without a selector keeps hand-made endpoints: no controller writes them
        for field, expected, actual, source in endpoint_findings(svc, pods, slices, now, settle):
            d.mismatch(f"Service {environment.namespace}/{svc['metadata']['name']} {field}", expected, actual, source)
    d.hint(f"kubectl -n {environment.namespace} get endpointslices -o wide; kubectl -n {environment.namespace} "
           "get pods -o wide")
    d.conclude()
