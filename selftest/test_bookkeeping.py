"""The bookkeeping rules (icepack_verify.bookkeeping) and release vs live's metadata domains, on small
hand-written objects: each rule fails on the drift it exists for and passes on its equivalent forms.
The whole suite against the twin is the drift catalogue's (drifts/bookkeeping.py)."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

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


NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
SETTLE = timedelta(seconds=30) + timedelta(minutes=2)  # checks.endpoint_settle + checks.clock_skew


def _ready_since(pod: dict, ago: timedelta, ready: bool = True) -> dict:
    pod = copy.deepcopy(pod)
    pod["status"]["conditions"] = [{"type": "Ready", "status": "True" if ready else "False",
                                    "lastTransitionTime": (NOW - ago).strftime("%Y-%m-%dT%H:%M:%SZ")}]
    return pod


def test_a_pod_whose_ready_just_changed_is_not_judged_yet_one_settled_is():
    """A rollout: the new pod turned Ready seconds ago and is not in the slice yet; the old one turned not
    Ready seconds ago and is still listed ready. The controller catches up within the settle window."""
    new, old = _ready_since(B, timedelta(seconds=5)), _ready_since(A, timedelta(seconds=5), ready=False)
    slices = [_slice("api-1", _endpoint(A))]
    assert endpoint_findings(SERVICE, [old, new], slices, NOW, SETTLE) == []
    late_new, late_old = _ready_since(B, timedelta(minutes=10)), _ready_since(A, timedelta(minutes=10), ready=False)
    assert [f[0] for f in endpoint_findings(SERVICE, [late_old, late_new], slices, NOW, SETTLE)] == [
        "EndpointSlice api-1 endpoints[api-a] conditions.ready", "EndpointSlices of Service api endpoint api-b"]
    # a deletion begun seconds ago (deletionTimestamp: the end of its 30 s grace period), still listed ready
    leaving = copy.deepcopy(A)
    leaving["metadata"].update(deletionTimestamp=(NOW + timedelta(seconds=25)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                               deletionGracePeriodSeconds=30)
    assert endpoint_findings(SERVICE, [leaving, B], [_slice("api-1", _endpoint(A), _endpoint(B))], NOW, SETTLE) == []
    assert [f[0] for f in endpoint_findings(SERVICE, [leaving, B], [_slice("api-1", _endpoint(A), _endpoint(B))])] == [
        "EndpointSlice api-1 endpoints[api-a] conditions.ready"]  # no settle window: judged


def test_an_endpoint_listed_not_ready_naming_no_listed_pod_is_the_controllers_trail():
    gone = _pod("api-gone", "10.0.0.8")  # deleted between the two listings: terminating, not ready
    trail = _endpoint(gone, ready=False)
    trail["conditions"].update(serving=False, terminating=True)
    assert endpoint_findings(SERVICE, [A], [_slice("api-1", _endpoint(A), trail)]) == []
    assert [f[0] for f in endpoint_findings(SERVICE, [A], [_slice("api-1", _endpoint(A), _endpoint(gone))])] == [
        "EndpointSlice api-1 endpoints[api-gone]"]  # listed ready: traffic goes to a pod nobody selects


def test_publish_not_ready_addresses_lists_every_pod_ready_as_the_controller_does():
    """ready = publishNotReadyAddresses || (podReady && !terminating); serving likewise (podToEndpoint)."""
    service = copy.deepcopy(SERVICE)
    service["spec"]["publishNotReadyAddresses"] = True
    waiting = _pod("api-c", "10.0.0.3", ready=False)
    published = _endpoint(waiting)
    published["conditions"].update(serving=True, terminating=False)
    assert endpoint_findings(service, [A, waiting], [_slice("api-1", _endpoint(A), published)]) == []
    assert [f[0] for f in endpoint_findings(SERVICE, [A, waiting], [_slice("api-1", _endpoint(A), published)])] == [
        "EndpointSlice api-1 endpoints[api-c] conditions.serving", "EndpointSlice api-1 endpoints[api-c] conditions.ready"]
    held_back = _endpoint(waiting, ready=False)  # the controller would list it ready: the Service publishes it
    found = endpoint_findings(service, [A, waiting], [_slice("api-1", _endpoint(A), held_back)])
    assert [(f[0], f[2]) for f in found] == [("EndpointSlices of Service api endpoint api-c", "listed not ready")]
    assert "publishNotReadyAddresses" in found[0][3]


def test_a_named_target_port_resolves_on_each_pod_one_mapping_a_slice():
    """Mid-rollout the name http stands for 8000 on the old pods and 8080 on the new: the controller writes
    one slice per mapping; a slice mixing them, or naming another number, is found."""
    moved = copy.deepcopy(B)
    moved["spec"]["containers"][0]["ports"][0]["containerPort"] = 8080
    other = _slice("api-2", _endpoint(moved))
    other["ports"][0]["port"] = 8080
    assert endpoint_findings(SERVICE, [A, moved], [_slice("api-1", _endpoint(A)), other]) == []
    mixed = endpoint_findings(SERVICE, [A, moved], [_slice("api-1", _endpoint(A), _endpoint(moved))])
    assert [f[0] for f in mixed] == ["EndpointSlice api-1 ports"] and "one mapping a slice" in mixed[0][1]
    unnamed = copy.deepcopy(A)  # a pod without the port's name: the controller leaves that port out
    unnamed["spec"]["containers"][0]["ports"] = []
    bare = _slice("api-1", _endpoint(unnamed))
    bare["ports"] = []
    assert endpoint_findings(SERVICE, [unnamed], [bare]) == []


def test_a_service_selecting_pods_with_no_slice_is_found():
    assert endpoint_findings(SERVICE, [A], [])[0][2] == "none"


MANIFEST = [{"kind": "CronJob", "metadata": {"name": "orchestrator"}}]


def _live(created: str) -> dict:
    return {"CronJob": [{"metadata": {"name": "orchestrator", "namespace": "ns", "creationTimestamp": created}}],
            "Pod": [{"metadata": {"name": "made-later", "creationTimestamp": "2026-11-29T12:00:00Z"}}]}


def _helm_record(status: str = "deployed", last_deployed: str = "2026-11-28T10:00:00Z") -> dict:
    return {"name": "rel", "namespace": "ns", "version": 7, "info": {"status": status, "last_deployed": last_deployed}}


def test_an_object_created_after_the_apply_is_found_older_or_during_it_is_not():
    window, skew = timedelta(minutes=5), timedelta(minutes=2)
    found = created_after_release(MANIFEST, _live("2026-11-28T11:00:00Z"), _helm_record(), window, skew)
    assert [(r, f[0], f[2]) for r, f in found] == [("CronJob ns/orchestrator", "metadata.creationTimestamp", "2026-11-28T11:00:00Z")]
    assert "revision 7, status deployed" in found[0][1][1]
    # installed long before; during the apply; just past the window by a Helm runner's clock behind the API server's
    for created in ("2025-01-01T00:00:00Z", "2026-11-28T10:04:00Z", "2026-11-28T10:06:30Z"):
        assert created_after_release(MANIFEST, _live(created), _helm_record(), window, skew) == []
    assert created_after_release(MANIFEST, _live("2026-11-28T10:07:30Z"), _helm_record(), window, skew) != []


def test_objects_a_failed_or_pending_upgrade_created_are_its_apply_named_by_its_status():
    """v8 failed (or is still pending): its apply created objects at its own last_deployed, the record the
    newest whatever its status; judged against it, they are Helm's, and a later one names that status."""
    window, skew = timedelta(minutes=5), timedelta(minutes=2)
    for status in ("failed", "pending-upgrade"):
        upgrade = _helm_record(status, "2026-11-28T10:58:00Z")
        assert created_after_release(MANIFEST, _live("2026-11-28T11:00:00Z"), upgrade, window, skew) == []
        later = created_after_release(MANIFEST, _live("2026-11-28T12:00:00Z"), upgrade, window, skew)
        assert f"status {status}" in later[0][1][1] and f"({status}: the newest" in later[0][1][3]
    no_time = _helm_record(last_deployed=None)
    assert created_after_release(MANIFEST, _live("2026-11-28T12:00:00Z"), no_time, window, skew) == []


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
