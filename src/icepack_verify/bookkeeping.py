"""The bookkeeping of the release's objects and of what the cluster makes from them, each judged
by a second description of the same fact that some other component wrote.

* When: an object of the release's manifest was created no later than the apply that the newest Helm
  record (whatever its status: a failed or pending upgrade applied objects too) says last deployed it
  (`info.last_deployed` + `checks.release_apply_window`, Helm's --timeout, + `checks.clock_skew`:
  last_deployed is the Helm runner's clock, creationTimestamp the API server's). One created later was
  re-created outside Helm (deleted by hand, then a hand apply or a controller's copy), and the record
  no longer describes its history. Older is fine: objects live on across upgrades, and Helm 3 adopts
  objects that were there before the release.
* Who: an Event names its object by kind, name and uid (involvedObject). An Event last seen after
  the live object of that name was created, naming another uid, says the object the controllers
  report on is not the one live (a re-created object whose creationTimestamp was not renewed, or
  a rewritten uid). Older events about an earlier incarnation are normal: events outlive their
  objects by the API server's --event-ttl (1 h by default), so only events seen since the live
  object's creation (+ `checks.clock_skew`) are judged. Not Pods and Nodes (SAME_NAME_AGAIN): a
  StatefulSet or static pod comes back under its name while the kubelet still reports on the old
  one it tears down, and the kubelet names a Node by its name in involvedObject.uid; a Service's
  pods are identified by their EndpointSlices' targetRef.uid instead (below).
* Where traffic goes: a Service with a selector sends traffic to the endpoints of its
  EndpointSlices (kube-proxy and the AWS Load Balancer Controller's IP targets read them, not the
  pods). The ready endpoints must be exactly the pods the selector picks that the EndpointSlice
  controller lists ready (Ready and not being deleted, or any with an address when the Service sets
  spec.publishNotReadyAddresses), by address (status.podIP) and targetRef (name and uid); another
  selected pod with an IP may be listed only as not ready; nothing else may be listed ready (an endpoint
  listed not ready naming no listed pod is the trail of a pod created or deleted between the two
  listings). Each endpoint's node, serving and terminating conditions are its pod's; each slice's
  ports are the Service's ports with their targetPort resolved on its endpoints' pods (a named one
  through each pod's container ports: a rollout may change the number behind a name, and the controller
  writes one slice per mapping), its addressType one of the Service's ipFamilies, its labels include
  the Service's and name the EndpointSlice controller as its manager
  (`endpointslice.kubernetes.io/managed-by`), and it is owned by its Service, as the EndpointSlice
  controller writes them (pkg/controller/endpointslice, k8s.io/endpointslice podToEndpoint;
  discovery.k8s.io/v1 EndpointConditions: a nil `ready` means ready). The controller writes a change a
  moment after it happens, and Pods and EndpointSlices are listed at two moments: a pod whose Ready
  condition changed, or whose deletion began, within `checks.endpoint_settle` + `checks.clock_skew` is
  not judged by its conditions or by being listed (a rollout in progress).

Findings are (field, expected, actual, source) tuples, as icepack_verify.live_state's.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from icepack_verify.diagnosis import ABSENT, Said  # ABSENT: a slice's label or an endpoint's nodeName left out
from icepack_verify.live_state import event_seen
from icepack_verify.semantics import utc_instant

SERVICE_NAME = "kubernetes.io/service-name"
# Kubernetes' constants: the label naming a slice's manager, and the EndpointSlice controller's name in it
# (the mirroring controller's slices serve Services without a selector, which are not judged here)
MANAGED_BY, CONTROLLER = "endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"


# --- when: created by the release's apply ---------------------------------------------------------

def created_after_release(manifest: list[dict], live: dict[str, list[dict]], record: dict, window: timedelta,
                          skew: timedelta) -> list[tuple[str, tuple]]:
    """(resource, finding) for every live object of the manifest created after the apply of `record`, the
    newest Helm record whatever its status (a failed or pending upgrade's apply created objects too).
    info.last_deployed is the clock of the machine that ran Helm (a Terraform runner), creationTimestamp
    the API server's: `skew` (checks.clock_skew) allows for the two."""
    info = record.get("info") if isinstance(record.get("info"), dict) else {}
    last_deployed, status = info.get("last_deployed"), info.get("status")
    deployed = utc_instant(last_deployed)
    if deployed is None:
        return []  # the Helm record check judges a record without a readable last_deployed
    name = f"{record.get('namespace')}/{record.get('name')} revision {record.get('version')}"
    wanted = {(m["kind"], m["metadata"]["name"]) for m in manifest}
    out = []
    for kind, objs in live.items():
        for o in objs:
            meta = o["metadata"]
            created = utc_instant(meta.get("creationTimestamp"))
            if (kind, meta["name"]) in wanted and created and created > deployed + window + skew:
                out.append((f"{kind} {meta.get('namespace')}/{meta['name']}", (
                    "metadata.creationTimestamp",
                    Said(f"no later than {last_deployed} + {window} (created by the apply of {name}, "
                         f"status {status}), + {skew} for the clocks"),
                    meta.get("creationTimestamp"),
                    f"Helm record {name} ({status}: the newest, whatever its status) info.last_deployed + "
                    "checks.release_apply_window + checks.clock_skew (Helm's clock and the API server's): an object "
                    "created later was re-created outside Helm")))
    return out


# --- who: events name the live object --------------------------------------------------------------

SAME_NAME_AGAIN = frozenset({"Pod", "Node"})


def event_identity_findings(events: list[dict], live: dict[str, list[dict]], skew: timedelta) -> list[tuple[str, tuple]]:
    """(resource, finding) for every Event seen since the live object it names was created, naming another uid."""
    index = {(kind, o["metadata"]["name"]): o for kind, objs in live.items() if kind not in SAME_NAME_AGAIN for o in objs}
    out = []
    for e in events:
        ref = e.get("involvedObject") if isinstance(e.get("involvedObject"), dict) else {}
        obj = index.get((ref.get("kind"), ref.get("name")))
        if obj is None or not ref.get("uid") or ref.get("uid") == obj["metadata"].get("uid"):
            continue
        seen, created = event_seen(e), utc_instant(obj["metadata"].get("creationTimestamp"))
        if seen and created and seen > created + skew:
            meta = obj["metadata"]
            out.append((f"{ref['kind']} {meta.get('namespace')}/{meta['name']}", (
                "metadata.uid", Said(f"{ref['uid']} (the uid Event {e['metadata']['name']} ({e.get('reason')}) names, "
                                     f"seen {seen.isoformat()}, after this object's creationTimestamp)"),
                meta.get("uid"),
                f"Event involvedObject.uid, reported by {(e.get('source') or {}).get('component') or e.get('reportingComponent')}: "
                "the object was re-created (or its uid rewritten) without a new creationTimestamp")))
    return out


# --- where traffic goes: a Service's EndpointSlices --------------------------------------------------

def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [] if isinstance(c, dict))


def _terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def _terminal(pod: dict) -> bool:
    """A pod that ran to completion: the controller lists it nowhere, whatever the Service publishes."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def expected_conditions(service: dict, pod: dict) -> dict[str, bool]:
    """The conditions the EndpointSlice controller writes for a pod (podToEndpoint,
    k8s.io/endpointslice): serving when Ready, terminating when being deleted, ready when serving and not
    terminating; spec.publishNotReadyAddresses makes it serving and ready whatever its state."""
    publish = (service.get("spec") or {}).get("publishNotReadyAddresses") is True
    serving = publish or _ready(pod)
    terminating = _terminating(pod)
    return {"ready": publish or (serving and not terminating), "serving": serving, "terminating": terminating}


def settling(pod: dict, now: datetime | None, settle: timedelta) -> bool:
    """The pod's Ready condition changed, or its deletion began, within `settle` of now: the controller
    may not have written it into the slices yet (a rollout in progress)."""
    if now is None:
        return False
    meta = pod["metadata"]
    changes = [utc_instant(c.get("lastTransitionTime")) for c in (pod.get("status") or {}).get("conditions") or []
               if isinstance(c, dict) and c.get("type") == "Ready"]
    deadline, grace = utc_instant(meta.get("deletionTimestamp")), meta.get("deletionGracePeriodSeconds")
    if deadline is not None:  # deletionTimestamp is the end of the grace period the deletion began
        changes.append(deadline - timedelta(seconds=grace if isinstance(grace, int) else 0))
    return any(t is not None and t > now - settle for t in changes)


def _resolved(port: dict, pod: dict):
    """A Service port's targetPort on one pod: a number as is, a name through that pod's container ports
    (a rollout may change the number behind a name: the controller resolves it per pod); None: not found."""
    target = port.get("targetPort", port.get("port"))
    if not isinstance(target, str):
        return target
    return next((p.get("containerPort") for c in (pod.get("spec") or {}).get("containers") or []
                 for p in c.get("ports") or [] if p.get("name") == target), None)


def _ports(service: dict, pod: dict) -> tuple:
    """The slice ports of a pod's endpoint: the controller leaves out a port whose name the pod lacks, and
    groups endpoints with the same ports into a slice. A protocol left out is TCP (the API server's default
    for both kinds), an empty one is not."""
    return tuple(sorted((p.get("name") or "", n, p.get("protocol", "TCP"))
                        for p in (service.get("spec") or {}).get("ports") or [] if (n := _resolved(p, pod)) is not None))


def endpoint_findings(service: dict, pods: list[dict], slices: list[dict], now: datetime | None = None,
                      settle: timedelta = timedelta(0)) -> list[tuple]:
    """Findings on one Service with a selector: its slices against the pods the selector picks. A pod
    settling (its Ready or its deletion changed within `settle`: checks.endpoint_settle + checks.clock_skew)
    is not judged by its conditions or by being listed; an endpoint listed not ready naming no listed pod is
    the controller's trail of a pod created or deleted between the two listings (no traffic goes there)."""
    name, uid = service["metadata"]["name"], service["metadata"].get("uid")
    selector = (service.get("spec") or {}).get("selector") or {}
    picked = {p["metadata"]["name"]: p for p in pods if selector.items() <= (p["metadata"].get("labels") or {}).items()}
    mine = [s for s in slices if (s["metadata"].get("labels") or {}).get(SERVICE_NAME) == name]
    source = f"EndpointSlice controller: the pods Service {name}'s spec.selector picks"
    out: list[tuple] = []
    if picked and not mine:
        return [(f"EndpointSlices {SERVICE_NAME}={name}", Said("present (the Service selects pods)"), Said("none"), source)]
    listed: dict[tuple, bool] = {}  # (pod name, address) -> ready as listed
    misaddressed: set[str] = set()
    for s in mine:
        where = f"EndpointSlice {s['metadata']['name']}"
        owners = [r for r in s["metadata"].get("ownerReferences") or [] if isinstance(r, dict) and r.get("controller")]
        if [(r.get("kind"), r.get("name"), r.get("uid")) for r in owners] != [("Service", name, uid)]:
            out.append((f"{where} metadata.ownerReferences", Said(f"its Service {name} (uid {uid}) as controller"),
                        Said(", ".join(f"{r.get('kind')}/{r.get('name')} uid {r.get('uid')}" for r in owners) or "none"),
                        "EndpointSlice controller: it owns the slices it manages"))
        labels = s["metadata"].get("labels") or {}
        if labels.get(MANAGED_BY) != CONTROLLER:
            out.append((f"{where} metadata.labels[\"{MANAGED_BY}\"]", CONTROLLER, labels.get(MANAGED_BY, ABSENT),
                        "EndpointSlice controller: it keeps only the slices labelled as its own in step with the pods"))
        lost = {k: v for k, v in (service["metadata"].get("labels") or {}).items() if labels.get(k) != v}
        if lost:
            out.append((f"{where} metadata.labels", Said(f"the Service's labels too: {lost}"), labels,
                        "EndpointSlice controller: a slice carries its Service's labels"))
        families = (service.get("spec") or {}).get("ipFamilies") or ["IPv4"]
        if s.get("addressType") not in families:
            out.append((f"{where} addressType", Said(f"one of the Service's ipFamilies {families}"), s.get("addressType"),
                        f"Service {name} spec.ipFamilies: kube-proxy reads the slices of its address types only"))
        # the ports of the endpoints' pods, each resolved on its own pod (a slice holds one port mapping)
        want_ports = {_ports(service, pod) for ep in s.get("endpoints") or [] if isinstance(ep, dict)
                      and (pod := picked.get((ep.get("targetRef") or {}).get("name")))}
        got_ports = tuple(sorted(((p.get("name") or ""), p.get("port"), p.get("protocol", "TCP"))
                                 for p in s.get("ports") or [] if isinstance(p, dict)))
        if want_ports and want_ports != {got_ports}:  # a slice with no endpoints is a placeholder
            want = " or ".join(str(list(w)) for w in sorted(want_ports))
            mixed = " (its pods' differ: one mapping a slice)" if len(want_ports) > 1 else ""
            out.append((f"{where} ports", Said(want + mixed), Said(str(list(got_ports))),
                        f"Service {name} spec.ports, targetPort resolved on each endpoint's pod"))
        for i, ep in enumerate(s.get("endpoints") or []):
            if not isinstance(ep, dict):
                continue
            ref = ep.get("targetRef") or {}
            ready = (ep.get("conditions") or {}).get("ready") is not False  # nil means ready
            for address in ep.get("addresses") or []:
                listed[(ref.get("name"), address)] = ready
            pod = picked.get(ref.get("name")) if ref.get("kind") == "Pod" else None
            what = f"{where} endpoints[{ref.get('name') or i}]"
            if pod is None:
                if ready:
                    out.append((what, Said(f"a pod Service {name} selects"),
                                Said(f"{ref.get('kind')} {ref.get('name')} ({', '.join(ep.get('addresses') or [])})"),
                                source))
                continue
            ip = (pod.get("status") or {}).get("podIP")
            if (ep.get("addresses") or []) != [ip]:
                out.append((f"{what} addresses", [ip], ep.get("addresses"), f"Pod {ref['name']} status.podIP"))
                misaddressed.add(ref["name"])
            if ref.get("uid") != pod["metadata"].get("uid"):
                out.append((f"{what} targetRef.uid", pod["metadata"].get("uid"), ref.get("uid"), f"Pod {ref['name']} metadata.uid"))
            if ref.get("namespace", pod["metadata"].get("namespace")) != pod["metadata"].get("namespace"):
                out.append((f"{what} targetRef.namespace", pod["metadata"].get("namespace"), ref.get("namespace"),
                            f"Pod {ref['name']} metadata.namespace"))
            node = (pod.get("spec") or {}).get("nodeName")
            if ep.get("nodeName") != node:
                out.append((f"{what} nodeName", node, ep.get("nodeName", ABSENT), f"Pod {ref['name']} spec.nodeName"))
            if settling(pod, now, settle):
                continue
            want, conditions = expected_conditions(service, pod), ep.get("conditions") or {}
            for cond in ("serving", "terminating"):
                if conditions.get(cond) is not None and conditions.get(cond) is not want[cond]:
                    out.append((f"{what} conditions.{cond}", want[cond], conditions.get(cond),
                                f"Pod {ref['name']} status.conditions[Ready] and metadata.deletionTimestamp"
                                + (f", Service {name} spec.publishNotReadyAddresses" if cond == "serving" else "")))
            if ready and not want["ready"]:
                out.append((f"{what} conditions.ready", Said("false (the pod is not Ready or is being deleted)"),
                            Said("true (traffic is sent to it)"), f"Pod {ref['name']} status.conditions[Ready]"))
    for pod_name, pod in sorted(picked.items()):
        ip = (pod.get("status") or {}).get("podIP")
        if (ip and not _terminal(pod) and expected_conditions(service, pod)["ready"] and pod_name not in misaddressed
                and not settling(pod, now, settle) and listed.get((pod_name, ip)) is not True):
            why = (f"Service {name} spec.publishNotReadyAddresses: every pod with an address is listed ready"
                   if not _ready(pod) else f"Pod {pod_name} is Ready with status.podIP {ip}")
            out.append((f"EndpointSlices of Service {name} endpoint {pod_name}", Said(f"{ip} listed ready"),
                        Said("listed not ready" if (pod_name, ip) in listed else "absent (no traffic reaches it)"), why))
    return out
