"""What a kubelet reports of the pods it runs, against what the pod's spec says it runs: a status for
each container and for no other, one state each, a container started before its pod became ready,
the QoS class the API server derived from the resources, pod IPs that agree with podIP, no reason on
a running pod; and across the pods one controller made, one image digest per image reference (a tag
pushed again between two pulls runs two builds under one name). Kubernetes API reference (PodStatus,
ContainerStatus, ContainerState) and the QoS rules of pkg/apis/core/helper/qos."""
from __future__ import annotations

from datetime import timedelta

from icepack_verify.diagnosis import Said
from icepack_verify.quantities import effective_resources
from icepack_verify.semantics import utc_instant

POD_STATUS = "K8s PodStatus"
STATES = ("running", "terminated", "waiting")
# spec list -> the status list the kubelet reports it in, one entry per container
REPORTED = {"containers": "containerStatuses", "initContainers": "initContainerStatuses"}
QOS_RESOURCES = ("cpu", "memory")  # the resources QoS classes are made of


def _names(items) -> list:
    return [i.get("name") for i in items or [] if isinstance(i, dict)]


def container_status_findings(pod: dict, skew: timedelta) -> list[tuple]:
    """(field, expected, actual, source) of one pod's status against its spec."""
    spec, st = pod.get("spec") or {}, pod.get("status") or {}
    phase, out = st.get("phase"), []
    for spec_key, status_key in REPORTED.items() if phase in ("Running", "Succeeded", "Failed") else ():
        want, got = _names(spec.get(spec_key)), _names(st.get(status_key))
        if sorted(map(str, want)) != sorted(map(str, got)):
            out.append((f"status.{status_key}", Said(f"one per container of spec.{spec_key}: {want}"), got,
                        f"the kubelet reports every container of a pod it has started, and no other ({POD_STATUS})"))
    for status_key in REPORTED.values():  # the pod's own containers (a debug container's status is kubectl debug's)
        for cs in (c for c in st.get(status_key) or [] if isinstance(c, dict)):
            for key in ("state", "lastState"):
                held = [s for s in STATES if isinstance(cs.get(key), dict) and s in cs[key]]
                if len(held) not in ((0, 1) if key == "lastState" else (1,)):
                    out.append((f"status.{status_key}[{cs.get('name')}].{key}",
                                Said("one of running, terminated, waiting" + (" (or none)" if key == "lastState" else "")),
                                Said(", ".join(held)), "K8s ContainerState: only one of its members may be specified"))
    if phase == "Running":
        for key in ("reason", "message"):
            if st.get(key):
                out.append((f"status.{key}", Said("none on a running pod"), st[key],
                            "the kubelet or the node controller write a pod's reason when they evict, reject or "
                            f"shut it down, and kubectl shows it as the pod's status ({POD_STATUS})"))
        out += _started_before_ready(st, skew)
    if "podIPs" in st:
        ips = [i.get("ip") for i in st.get("podIPs") or [] if isinstance(i, dict)]
        if not ips or not all(ips) or st.get("podIP") not in ips[:1]:
            out.append(("status.podIPs", Said(f"addresses, the first its podIP {st.get('podIP')!r}"), st.get("podIPs"),
                        f"podIPs lists the pod's addresses, podIP its first ({POD_STATUS})"))
    derived = qos_class(spec)
    if derived is not None and st.get("qosClass") and st["qosClass"] != derived:  # none: the kubelet derives it
        out.append(("status.qosClass", Said(f"{derived} (derived from its containers' requests and limits)"),
                    st["qosClass"], "the API server sets the QoS class from the resources when it admits the pod; "
                    "the kubelet evicts and OOM-scores by it, derived again only where none is set (K8s pod QoS classes)"))
    return out


def _started_before_ready(st: dict, skew: timedelta) -> list[tuple]:
    """A running container says when it (re)started; a ready pod's containers became ready after that."""
    ready = next((c for c in st.get("conditions") or [] if isinstance(c, dict) and c.get("type") == "ContainersReady"
                  and c.get("status") == "True"), None)
    out = []
    for cs in (c for c in st.get("containerStatuses") or [] if isinstance(c, dict)):
        running = (cs.get("state") or {}).get("running") if isinstance(cs.get("state"), dict) else None
        if not isinstance(running, dict):
            continue
        where, started = f"status.containerStatuses[{cs.get('name')}].state.running.startedAt", running.get("startedAt")
        at = utc_instant(started) if isinstance(started, str) else None
        if at is None:
            out.append((where, Said("when the container last (re)started"), started or Said("absent"),
                        "the kubelet stamps a running container's start (K8s ContainerStateRunning)"))
        elif ready and (became := utc_instant(ready.get("lastTransitionTime"))) and became < at - skew:
            out.append((where, Said(f"not after conditions[ContainersReady].lastTransitionTime "
                                    f"{ready.get('lastTransitionTime')}"), started,
                        "a container is ready after it starts: a restart makes ContainersReady False, then True "
                        f"again ({POD_STATUS}; checks.clock_skew)"))
    return out


def qos_class(spec: dict) -> str | None:
    """The QoS class the API server gives a pod of this spec (pkg/apis/core/helper/qos GetPodQOS), or None
    where pod-level resources decide it (not judged)."""
    from kubernetes.utils import parse_quantity  # only here: the suite loads the client lazily

    if spec.get("resources"):
        return None
    requests, limits, guaranteed = {}, {}, True
    for c in (c for key in REPORTED for c in spec.get(key) or [] if isinstance(c, dict)):
        resources = effective_resources(c.get("resources"))
        try:
            asked = {r: parse_quantity(q) for r, q in resources["requests"].items() if r in QOS_RESOURCES}
            capped = {r: parse_quantity(q) for r, q in resources["limits"].items() if r in QOS_RESOURCES}
        except (ValueError, TypeError):
            return None  # not quantities: the spec checks say so
        for r, q in asked.items():
            if q > 0:
                requests[r] = requests.get(r, 0) + q
        for r, q in capped.items():
            if q > 0:
                limits[r] = limits.get(r, 0) + q
        if not all(capped.get(r, 0) > 0 for r in QOS_RESOURCES):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and requests == limits:
        return "Guaranteed"
    return "Burstable"


def digest_findings(pods: list[dict]) -> list[tuple[str, tuple]]:
    """(controller, finding) where the pods one controller made run one image reference from more than one
    digest (status.containerStatuses[].imageID), or from another than the digest the reference pins."""
    runs: dict[tuple, dict[str, list[str]]] = {}
    for pod in pods:
        owner = next((f"{r.get('kind')} {r.get('name')}" for r in pod["metadata"].get("ownerReferences") or []
                      if isinstance(r, dict) and r.get("controller")), None)
        images = {c.get("name"): c.get("image") for c in (pod.get("spec") or {}).get("containers") or []
                  if isinstance(c, dict)}
        for cs in (c for c in (pod.get("status") or {}).get("containerStatuses") or [] if isinstance(c, dict)):
            image_id = cs.get("imageID")
            if owner and isinstance(image_id, str) and "@" in image_id and images.get(cs.get("name")):
                key = (owner, cs.get("name"), images[cs.get("name")])
                runs.setdefault(key, {}).setdefault(image_id.rsplit("@", 1)[1], []).append(pod["metadata"]["name"])
    out = []
    for (owner, container, image), digests in sorted(runs.items()):
        pinned = image.rsplit("@", 1)[1] if "@" in image else None
        if len(digests) > 1 or (pinned and set(digests) != {pinned}):
            out.append((owner, (f"pods' containers[{container}] imageID",
                                Said(f"{pinned} (the digest {image} pins)" if pinned else
                                     f"one digest for {image} (pods of one template run one build)"),
                                Said("; ".join(f"{d} ({', '.join(sorted(p))})" for d, p in sorted(digests.items()))),
                                "the node pulls the reference at start: two digests under one tag mean it was pushed "
                                "again between the pulls (a mutable tag; ECR tag immutability or a digest pin prevents "
                                "it; K8s ContainerStatus.imageID)")))
    return out
