"""The bookkeeping of the release's objects and of what the cluster makes from them, each judged
by a second description of the same fact that some other component wrote.

* When: an object of the release's manifest was created no later than the apply that the Helm
  record says last deployed it (`info.last_deployed` + `checks.release_apply_window`, Helm's
  --timeout). One created later was re-created outside Helm (deleted by hand, then a hand apply or
  a controller's copy), and the record no longer describes its history. Older is fine: objects
  live on across upgrades, and Helm 3 adopts objects that were there before the release.
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
  pods). The ready endpoints must be exactly the ready pods the selector picks, by address
  (status.podIP) and targetRef (name and uid); a selected pod with an IP that is not ready may be
  listed only as not ready; nothing else may be listed. Each endpoint's node, serving and
  terminating conditions are its pod's; each slice's ports are the Service's ports with their
  targetPort resolved (a named one through the pods' container ports), its addressType one of the
  Service's ipFamilies, its labels include the Service's and name the EndpointSlice controller as
  its manager (`endpointslice.kubernetes.io/managed-by`), and it is owned by its Service, as the
  EndpointSlice controller writes them
  (pkg/controller/endpointslice; discovery.k8s.io/v1 EndpointConditions: a nil `ready` means
  ready).

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

def created_after_release(manifest: list[dict], live: dict[str, list[dict]], last_deployed: str | None,
                          window: timedelta, record: str) -> list[tuple[str, tuple]]:
    """(resource, finding) for every live object of the manifest created after the record's apply."""
    deployed = utc_instant(last_deployed)
    if deployed is None:
        return []  # the Helm record check judges a record without a readable last_deployed
    wanted = {(m["kind"], m["metadata"]["name"]) for m in manifest}
    out = []
    for kind, objs in live.items():
        for o in objs:
            meta = o["metadata"]
            created = utc_instant(meta.get("creationTimestamp"))
            if (kind, meta["name"]) in wanted and created and created > deployed + window:
                out.append((f"{kind} {meta.get('namespace')}/{meta['name']}", (
                    "metadata.creationTimestamp",
                    Said(f"no later than {last_deployed} + {window} (created by the apply of {record})"),
                    meta.get("creationTimestamp"),
                    f"Helm record {record} info.last_deployed + checks.release_apply_window: an object created "
                    "later was re-created outside Helm")))
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


def _resolved(port: dict, pods: list[dict]):
    target = port.get("targetPort", port.get("port"))
    if not isinstance(target, str):
        return target
    found = {p.get("containerPort") for pod in pods for c in (pod.get("spec") or {}).get("containers") or []
             for p in c.get("ports") or [] if p.get("name") == target}
    return found.pop() if len(found) == 1 else None


def endpoint_findings(service: dict, pods: list[dict], slices: list[dict]) -> list[tuple]:
    """Findings on one Service with a selector: its slices against the pods the selector picks."""
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
        # a protocol left out is TCP (the API server's default for both kinds), an empty one is not
        want_ports = sorted((p.get("name") or "", _resolved(p, list(picked.values())), p.get("protocol", "TCP"))
                            for p in (service.get("spec") or {}).get("ports") or [])
        got_ports = sorted(((p.get("name") or ""), p.get("port"), p.get("protocol", "TCP"))
                           for p in s.get("ports") or [] if isinstance(p, dict))
        if s.get("endpoints") and got_ports != want_ports:  # a slice with no endpoints is a placeholder
            out.append((f"{where} ports", Said(str(want_ports)), Said(str(got_ports)),
                        f"Service {name} spec.ports, targetPort resolved on its pods"))
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
                out.append((what, Said(f"a pod Service {name} selects"),
                            Said(f"{ref.get('kind')} {ref.get('name')} ({', '.join(ep.get('addresses') or [])})"), source))
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
            conditions = ep.get("conditions") or {}
            for cond, want in (("serving", _ready(pod)), ("terminating", _terminating(pod))):
                if conditions.get(cond) is not None and conditions.get(cond) is not want:
                    out.append((f"{what} conditions.{cond}", want, conditions.get(cond),
                                f"Pod {ref['name']} status.conditions[Ready] and metadata.deletionTimestamp"))
            if ready and not (_ready(pod) and not _terminating(pod)):
                out.append((f"{what} conditions.ready", Said("false (the pod is not Ready or is being deleted)"),
                            Said("true (traffic is sent to it)"), f"Pod {ref['name']} status.conditions[Ready]"))
    for pod_name, pod in sorted(picked.items()):
        ip = (pod.get("status") or {}).get("podIP")
        if (ip and _ready(pod) and not _terminating(pod) and pod_name not in misaddressed
                and listed.get((pod_name, ip)) is not True):
            out.append((f"EndpointSlices of Service {name} endpoint {pod_name}", Said(f"{ip} listed ready"),
                        Said("listed not ready" if (pod_name, ip) in listed else "absent (no traffic reaches it)"),
                        f"Pod {pod_name} is Ready with status.podIP {ip}"))
    return out
