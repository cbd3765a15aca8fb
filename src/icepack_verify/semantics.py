"""Equality that means what Kubernetes, Helm, registries and AWS mean: one place per kind of value.

Every check compares through these functions, never by string. Each family of values lives in its
own module, written after the reference implementation that parses it, and is re-exported here:

* quantities (icepack_verify.quantities, apimachinery): by value ('0.25' CPU is '250m' and 0.25);
* schedules (icepack_verify.cron_schedules, robfig/cron v3 with Go's time): by the instants they fire,
  in the object's spec.timeZone ('@hourly' is '0 * * * *');
* image references (icepack_verify.image_references, distribution/reference): what a runtime pulls;
* ARNs (icepack_verify.arns, aws-sdk-go's arn package): partition, service, region, account, resource.

And here:

* scheduling constraints: the architectures a pod spec admits, from nodeSelector and
  required node affinity together; where a pod ran, from the node's reported architecture;
* ports and lists: the expected member present, unrelated extras allowed;
* media types: application/json or any application/<x>+json, with or without parameters;
* timestamps: any ISO-8601 form of the same instant.
"""
from __future__ import annotations

from datetime import datetime, timezone

from icepack_verify.arns import Arn, arn_problems, parse_arn, partition_of  # noqa: F401  (re-exported)
from icepack_verify.cron_schedules import (fire_times, interval, next_fires, previous_fire,  # noqa: F401
                                           same_schedule, valid_schedule, zone)
from icepack_verify.image_references import (DOCKER_HUB, Image, ecr_registry, image_tag, parse_image,  # noqa: F401
                                             same_image)
from icepack_verify.quantities import effective_resources, quantity, same_quantity  # noqa: F401


# --- scheduling constraints ----------------------------------------------------------------

ARCH_LABELS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")
ARCHES = frozenset({"amd64", "arm64", "arm", "386", "ppc64le", "s390x"})  # what kubelets report


def _term_arches(term: dict) -> frozenset[str] | None:
    """The architectures one nodeSelectorTerm admits (its expressions are ANDed); None: any."""
    allowed: frozenset[str] | None = None
    for expr in term.get("matchExpressions") or []:
        if expr.get("key") not in ARCH_LABELS:
            continue
        values = frozenset(expr.get("values") or [])
        op = expr.get("operator")
        here = values if op == "In" else ARCHES - values if op == "NotIn" else None
        if op == "DoesNotExist":
            here = frozenset()
        if here is not None:
            allowed = here if allowed is None else allowed & here
    return allowed


def allowed_arches(pod_spec: dict) -> frozenset[str] | None:
    """The architectures a pod spec can be scheduled on, from nodeSelector and required node
    affinity together (terms are ORed, expressions ANDed); None when nothing constrains it."""
    allowed: frozenset[str] | None = None
    for label in ARCH_LABELS:
        if label in (pod_spec.get("nodeSelector") or {}):
            allowed = frozenset({pod_spec["nodeSelector"][label]})
    required = ((((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                 .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms")) or []
    if required:
        per_term = [_term_arches(t) for t in required]
        if all(a is not None for a in per_term):
            union = frozenset().union(*per_term)
            allowed = union if allowed is None else allowed & union
    return allowed


def describe_arches(allowed: frozenset[str] | None) -> str:
    return "any architecture" if allowed is None else ", ".join(sorted(allowed)) or "no node at all"


def only_arch(expected: str, pod_spec: dict) -> bool:
    """The pod spec can run on the expected architecture and on nothing else."""
    return allowed_arches(pod_spec) == frozenset({expected})


def _expression_holds(expr: dict, values_of: dict) -> bool:
    """One node selector requirement against a node's labels (or fields), as the scheduler reads it."""
    key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
    if op in ("In", "NotIn"):
        return (values_of.get(key) in values) == (op == "In") and (op == "NotIn" or key in values_of)
    if op in ("Exists", "DoesNotExist"):
        return (key in values_of) == (op == "Exists")
    try:  # Gt, Lt: one integer value against the label's
        number, bound = int(values_of[key]), int(values[0])
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    return number > bound if op == "Gt" else number < bound if op == "Lt" else False


def unmet_node_selection(pod_spec: dict, node: dict) -> list[str]:
    """What of a pod spec's nodeSelector and required node affinity the node does not satisfy ([]: it
    admits the pod). nodeSelector entries are ANDed; nodeSelectorTerms ORed, each term's expressions
    ANDed; matchFields read the node's metadata.name (K8s assigning pods to nodes)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    fields = {"metadata.name": (node.get("metadata") or {}).get("name")}
    unmet = [f"nodeSelector {k}={v}" for k, v in (pod_spec.get("nodeSelector") or {}).items() if labels.get(k) != v]
    terms = ((((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
              .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms")) or []
    if terms and not any(all(_expression_holds(e, labels) for e in t.get("matchExpressions") or [])
                         and all(_expression_holds(e, fields) for e in t.get("matchFields") or [])
                         for t in terms if isinstance(t, dict)):
        unmet.append("required node affinity (no nodeSelectorTerm holds)")
    return unmet


def selected_labels(pod_spec: dict) -> list[str]:
    """The node labels a pod spec's nodeSelector and required node affinity name."""
    terms = ((((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
              .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms")) or []
    keys = list(pod_spec.get("nodeSelector") or {}) + [e.get("key") for t in terms if isinstance(t, dict)
                                                       for e in t.get("matchExpressions") or []]
    return sorted(set(k for k in keys if isinstance(k, str)))


def node_arch(node: dict) -> str | None:
    """Where a pod really ran: the node's reported architecture, else its label."""
    reported = ((node.get("status") or {}).get("nodeInfo") or {}).get("architecture")
    labels = (node.get("metadata") or {}).get("labels") or {}
    return reported or next((labels[k] for k in ARCH_LABELS if k in labels), None)


# --- ports and lists -----------------------------------------------------------------------------

def includes(expected: object, actual: object) -> bool:
    """The expected member is in the list; unrelated extras are allowed."""
    return isinstance(actual, (list, tuple, set)) and expected in actual


def tls_ports(annotation: object, service_ports: list[dict]) -> set[int]:
    """The Service ports an AWS load balancer terminates TLS on (aws-load-balancer-ssl-ports):
    numbers or port names, '*' or no annotation for all of them."""
    ports = {p.get("port") for p in service_ports if isinstance(p.get("port"), int)}
    if annotation is None or str(annotation).strip() == "*":
        return ports
    by_name = {p.get("name"): p.get("port") for p in service_ports if p.get("name")}
    found = set()
    for item in str(annotation).split(","):
        item = item.strip()
        port = int(item) if item.isdigit() else by_name.get(item)
        if port in ports:
            found.add(port)
    return found


# --- media types ---------------------------------------------------------------------------------

def json_media_type(content_type: object) -> bool:
    """A JSON body announced as JSON: application/json or application/<x>+json, parameters allowed."""
    if not isinstance(content_type, str):
        return False
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


# --- timestamps ---------------------------------------------------------------------------------

def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def instant(value: object) -> datetime | None:
    """Any ISO-8601 form of an instant with a zone ('…Z', '…+00:00', '…+02:00', basic format);
    None for a naive or unparseable value."""
    parsed = _timestamp(value)
    return parsed if parsed is not None and parsed.tzinfo else None


def utc_instant(value: object) -> datetime | None:
    """The same, a zone-less timestamp read as the UTC it renders (Kubernetes writes UTC; a missing
    zone is a contract test's finding, not another instant)."""
    parsed = _timestamp(value)
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
