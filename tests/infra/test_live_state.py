"""Every live object of the release, not only the API: healthy by one table of what healthy means
per kind, owned as its controller made it, not being deleted, and no recent Warning that means
something is wrong now (icepack_verify.live_state)."""
from __future__ import annotations

from datetime import datetime, timezone

from icepack_verify import (COMPLETED_POD_CONDITIONS, HEALTHY_CONDITIONS, WRONG_NOW, condition_findings,
                            container_status_findings, deletion_findings, deployment_findings, digest_findings, event_line, finalizer_findings, finished_pod,
                            future_findings, node_findings, order_findings, owner_findings,
                            pod_findings, pvc_findings, scaledjob_findings, wrong_now)

KIND_RULES = {"Deployment": deployment_findings, "PersistentVolumeClaim": pvc_findings, "ScaledJob": scaledjob_findings}


def _mismatch(d, resource: str, finding: tuple) -> None:
    field, expected, actual, source = finding
    d.mismatch(f"{resource} {field}", expected, actual, source)


def test_release_objects_are_healthy(release_objects, cluster, environment, expect, diagnose):
    rel = release_objects
    d = diagnose(f"live objects of Helm release {environment.namespace}/{environment.names.release}")
    max_restarts = environment.checks.max_restarts
    now, skew = datetime.now(timezone.utc), environment.checks.clock_skew
    troubled: list[tuple[str, dict]] = []
    for kind, obj in rel.objects:
        findings = []
        if kind == "Pod":
            completed = finished_pod(obj)  # a Job's pod, Succeeded or Failed: the run is judged on the newest Job
            findings += condition_findings(kind, obj, COMPLETED_POD_CONDITIONS if completed else HEALTHY_CONDITIONS[kind],
                                           now, skew)
            findings += [(f, e, a, environment.source("checks.max_restarts") if s == "checks.max_restarts" else s)
                         for f, e, a, s in pod_findings(obj, max_restarts)]
            findings += container_status_findings(obj, skew)
        else:  # every kind's conditions are conditions (a status, its times); some kinds' types are judged too
            findings += condition_findings(kind, obj, HEALTHY_CONDITIONS.get(kind, {}), now, skew)
        findings += KIND_RULES.get(kind, lambda _: [])(obj) + future_findings(obj, now, skew)
        findings += order_findings(kind, obj, skew)
        for f in findings:
            _mismatch(d, rel.resource(kind, obj), f)
        if findings:
            troubled.append((kind, obj))
    for owner, f in digest_findings(rel.of_kind("Pod")):
        _mismatch(d, f"{owner} in {environment.namespace}", f)
    if cluster.readable("Node"):  # cluster-scoped, listed through an optional ClusterRole
        nodes = {n["metadata"]["name"]: n for n in cluster.list("Node")}
        hosts = sorted({(p.get("spec") or {}).get("nodeName") for p in rel.of_kind("Pod")} - {None})
        for host in hosts:
            if host not in nodes:
                d.mismatch(f"Node {host}", "present (it hosts a release pod)", "absent", "the pods' spec.nodeName")
                continue
            hosted = [p for p in rel.of_kind("Pod") if (p.get("spec") or {}).get("nodeName") == host]
            for f in node_findings(nodes[host], expect.api.node_arch, hosted, now, skew,
                                   tuple(environment.checks.node_condition_types),
                                   environment.checks.node_status_max_age, environment.checks.node_provider_id):
                _mismatch(d, f"Node {host}", f)
            for f in deletion_findings("Node", nodes[host], now, environment.checks.clock_skew):  # a drained node
                _mismatch(d, f"Node {host}", f)
        if any((p.get("status") or {}).get("phase") == "Pending" for p in rel.of_kind("Pod")):
            d.attach("nodes (a release pod is pending)", [
                f"{n} unschedulable={bool((nodes[n].get('spec') or {}).get('unschedulable'))} "
                f"ready={next((c.get('status') for c in (nodes[n].get('status') or {}).get('conditions') or [] if c.get('type') == 'Ready'), None)}"
                for n in sorted(nodes)])
    for kind, obj in troubled[:2]:
        d.attach(f"events of {rel.resource(kind, obj)}", cluster.events_for(kind, obj["metadata"]["name"]))
    d.conclude()


def test_release_objects_are_owned_as_their_controllers_made_them(release_objects, cluster, environment, diagnose):
    rel = release_objects
    d = diagnose(f"ownership of Helm release {environment.namespace}/{environment.names.release}'s objects")
    now = datetime.now(timezone.utc)
    for kind, obj in rel.objects:
        for f in owner_findings(rel, kind, obj) + deletion_findings(
                kind, obj, now, environment.checks.clock_skew):
            _mismatch(d, rel.resource(kind, obj), f)
    # finalizers on every object of the release, its Helm records too (Helm sets none on them): of the Secrets
    # the snapshot lists it keeps only those (labels owner=helm, name=<release>; cluster._keys_only), and
    # Release leaves Secrets out of rel.objects, so each is judged once
    records = [("Secret", s) for s in cluster.list("Secret")] if "Secret" in cluster.listings and \
        cluster.readable("Secret") else []
    for kind, obj in rel.objects + records:
        for f, e, a, s in finalizer_findings(obj, environment.checks.allowed_finalizers):
            _mismatch(d, rel.resource(kind, obj), (f, e, a, s.replace(
                "checks.allowed_finalizers", environment.source("checks.allowed_finalizers"))))
    d.conclude()


def test_no_recent_warning_means_something_is_wrong_now(release_objects, cluster, environment, diagnose):
    window = environment.checks.warning_event_window
    d = diagnose(f"events of Helm release {environment.namespace}/{environment.names.release}'s objects")
    events = cluster.list("Event")
    for e in events:  # their own times in order, whatever they say
        for f in order_findings("Event", e, environment.checks.clock_skew):
            _mismatch(d, f"Event {e['metadata'].get('namespace')}/{e['metadata'].get('name')}", f)
    for resource, _, e in wrong_now(events, release_objects, datetime.now(timezone.utc), window):
        d.mismatch(f"{resource} event {e.get('reason')}", f"no Warning of this reason in the last {window}",
                   event_line(e), f"{WRONG_NOW[e['reason']]} ({environment.source('checks.warning_event_window')})")
    d.conclude()
