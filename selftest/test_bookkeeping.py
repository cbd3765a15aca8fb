"""The bookkeeping rules (icepack_verify.bookkeeping) and release vs live's metadata domains, on small
hand-written objects: each rule fails on the drift it exists for and passes on its equivalent forms.
The whole suite against the twin is the drift catalogue's (drifts/bookkeeping.py)."""
from __future__ import annotations

import copy
from datetime import timedelta

from icepack_verify.bookkeeping import created_after_release, endpoint_findings, event_identity_findings
from icepack_verify.release_diff import controller_key, diff_release

DOMAINS = ("kubernetes.io", "k8s.io", "meta.helm.sh", "helm.sh")


def _pod(name: str, ip: str, ready: bool = True, uid: str | None = None, **meta) -> dict:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "ns", "uid": uid or f"uid-{name}",
                                        "labels": {"app": "api"}, **meta},
            "spec": {"containers": [{"name": "api", "ports": [{"name": "http", "containerPort": 8000}]}]},
            "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


SERVICE = {"kind": "Service", "metadata": {"name": "api", "namespace": "ns", "uid": "svc-uid"},
           "spec": {"selector": {"app": "api"}, "ports": [{"name": "https", "port": 443, "targetPort": "http"}]}}


def _endpoint(pod: dict, ready: bool | None = True) -> dict:
    ep = {"addresses": [pod["status"]["podIP"]], "conditions": {"ready": ready},
          "targetRef": {"kind": "Pod", "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}}
    if ready is None:
        del ep["conditions"]["ready"]
    return ep


def _slice(name: str, *endpoints: dict) -> dict:
    return {"kind": "EndpointSlice",
            "metadata": {"name": name, "labels": {"kubernetes.io/service-name": "api",
                                                  "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
                         "ownerReferences": [{"kind": "Service", "name": "api", "uid": "svc-uid", "controller": True}]},
            "addressType": "IPv4", "endpoints": list(endpoints), "ports": [{"name": "https", "port": 8000, "protocol": "TCP"}]}


A, B = _pod("api-a", "10.0.0.1"), _pod("api-b", "10.0.0.2")


def test_ready_pods_listed_ready_by_ip_and_target_pass():
    assert endpoint_findings(SERVICE, [A, B], [_slice("api-1", _endpoint(A), _endpoint(B))]) == []


def test_split_slices_a_nil_ready_and_a_not_ready_pod_listed_not_ready_pass():
    waiting = _pod("api-c", "10.0.0.3", ready=False)
    slices = [_slice("api-1", _endpoint(A, ready=None)), _slice("api-2", _endpoint(B), _endpoint(waiting, ready=False))]
    assert endpoint_findings(SERVICE, [A, B, waiting], slices) == []


def test_a_pod_whose_ip_is_not_where_traffic_goes_is_found():
    moved = copy.deepcopy(A)
    moved["status"]["podIP"] = "10.0.0.9"
    found = endpoint_findings(SERVICE, [moved, B], [_slice("api-1", _endpoint(A), _endpoint(B))])
    assert [(f[0], f[1], f[2]) for f in found] == [("EndpointSlice api-1 endpoints[api-a] addresses", ["10.0.0.9"], ["10.0.0.1"])]


def test_traffic_to_a_pod_not_ready_and_a_ready_pod_left_out_are_found():
    waiting = _pod("api-a", "10.0.0.1", ready=False)
    fields = [f[0] for f in endpoint_findings(SERVICE, [waiting, B], [_slice("api-1", _endpoint(A))])]
    assert fields == ["EndpointSlice api-1 endpoints[api-a] conditions.ready", "EndpointSlices of Service api endpoint api-b"]


def test_an_endpoint_of_no_selected_pod_a_stale_uid_wrong_ports_and_owner_are_found():
    stray = _pod("other", "10.0.0.7")
    stale = _endpoint(B)
    stale["targetRef"]["uid"] = "old-uid"
    bad = _slice("api-1", _endpoint(A), stale, _endpoint(stray))
    bad["ports"][0]["port"] = 8080
    bad["metadata"]["ownerReferences"][0]["uid"] = "another-service"
    bad["addressType"] = "FQDN"
    bad["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] = "someone-else"
    bad["endpoints"][0].update(nodeName="node-9", conditions={"ready": True, "serving": True, "terminating": True})
    service = copy.deepcopy(SERVICE)
    service["metadata"]["labels"] = {"app.kubernetes.io/instance": "rel"}
    fields = [f[0] for f in endpoint_findings(service, [A, B], [bad])]
    assert fields == ["EndpointSlice api-1 metadata.ownerReferences",
                      'EndpointSlice api-1 metadata.labels["endpointslice.kubernetes.io/managed-by"]',
                      "EndpointSlice api-1 metadata.labels",
                      "EndpointSlice api-1 addressType", "EndpointSlice api-1 ports",
                      "EndpointSlice api-1 endpoints[api-a] nodeName", "EndpointSlice api-1 endpoints[api-a] conditions.terminating",
                      "EndpointSlice api-1 endpoints[api-b] targetRef.uid", "EndpointSlice api-1 endpoints[other]"]


def test_a_service_selecting_pods_with_no_slice_is_found():
    assert endpoint_findings(SERVICE, [A], [])[0][2] == "none"


MANIFEST = [{"kind": "CronJob", "metadata": {"name": "orchestrator"}}]


def _live(created: str) -> dict:
    return {"CronJob": [{"metadata": {"name": "orchestrator", "namespace": "ns", "creationTimestamp": created}}],
            "Pod": [{"metadata": {"name": "made-later", "creationTimestamp": "2026-11-29T12:00:00Z"}}]}


def test_an_object_created_after_the_apply_is_found_older_or_during_it_is_not():
    window = timedelta(minutes=5)
    found = created_after_release(MANIFEST, _live("2026-11-28T11:00:00Z"), "2026-11-28T10:00:00Z", window, "ns/rel 7")
    assert [(r, f[0], f[2]) for r, f in found] == [("CronJob ns/orchestrator", "metadata.creationTimestamp", "2026-11-28T11:00:00Z")]
    for created in ("2025-01-01T00:00:00Z", "2026-11-28T10:04:00Z"):  # installed long before; during the apply
        assert created_after_release(MANIFEST, _live(created), "2026-11-28T10:00:00Z", window, "ns/rel 7") == []


def _event(uid: str, seen: str) -> dict:
    return {"metadata": {"name": "e1"}, "reason": "SawCompletedJob", "source": {"component": "cronjob-controller"},
            "involvedObject": {"kind": "CronJob", "name": "orchestrator", "uid": uid}, "lastTimestamp": seen}


def test_an_event_since_creation_naming_another_uid_is_found_history_is_not():
    live = {"CronJob": [{"metadata": {"name": "orchestrator", "namespace": "ns", "uid": "new",
                                      "creationTimestamp": "2026-11-28T10:00:00Z"}}]}
    skew = timedelta(minutes=2)
    found = event_identity_findings([_event("old", "2026-11-29T10:00:00Z")], live, skew)
    assert [(r, f[0], f[2]) for r, f in found] == [("CronJob ns/orchestrator", "metadata.uid", "new")]
    assert event_identity_findings([_event("old", "2026-11-28T09:00:00Z")], live, skew) == []  # an earlier incarnation
    assert event_identity_findings([_event("new", "2026-11-29T10:00:00Z")], live, skew) == []
    pod = {"Pod": [{"metadata": {"name": "orchestrator", "uid": "new", "creationTimestamp": "2026-11-28T10:00:00Z"}}]}
    trailing = _event("old", "2026-11-29T10:00:00Z")
    trailing["involvedObject"]["kind"] = "Pod"  # a StatefulSet's pod back under its name, the old one still reported
    assert event_identity_findings([trailing], pod, skew) == []


def test_controller_keys_are_those_under_a_domain_or_its_subdomains():
    assert controller_key("deployment.kubernetes.io/revision", DOMAINS)
    assert controller_key("meta.helm.sh/release-name", DOMAINS)
    assert not controller_key("ops.example.com/owner", DOMAINS)
    assert not controller_key("notkubernetes.io/x", DOMAINS)  # a domain, not a suffix of a word
    assert not controller_key("owner", DOMAINS)               # no prefix: no one's


def test_release_vs_live_finds_a_label_or_annotation_only_live_outside_the_domains():
    manifest = [{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "orchestrator", "labels": {"app": "x"}}}]
    live = copy.deepcopy(manifest[0])
    live["metadata"]["labels"]["team"] = "data"
    live["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": "now", "meta.helm.sh/release-name": "rel",
                                       "ops.example.com/owner": "alice"}
    found = diff_release(manifest, {"CronJob": [live]}, "rel", DOMAINS).changed
    assert [(f.path, f.live) for f in found] == [("metadata.labels.team", "data"),
                                                  ('metadata.annotations["ops.example.com/owner"]', "alice")]
