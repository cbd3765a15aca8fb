"""Equality that means what Kubernetes, Helm, registries and AWS mean: one place per kind of value.

Every check compares through these functions, never by string:

* quantities: by value ('0.25' CPU is '250m', '268435456' bytes is '256Mi');
* schedules: by the instants they fire, evaluated as the CronJob controller does (with the
  object's spec.timeZone; '@hourly' is '0 * * * *');
* image references: what a container runtime would pull (docker.io and library/ defaults,
  tag and digest);
* scheduling constraints: the architectures a pod spec admits, from nodeSelector and
  required node affinity together; where a pod ran, from the node's reported architecture;
* ports and lists: the expected member present, unrelated extras allowed;
* ARNs: partition, service, region and account each checked;
* media types: application/json or any application/<x>+json, with or without parameters;
* timestamps: any ISO-8601 form of the same instant.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

# Fixed reference instants: a Monday midnight, and a month end.
_REFERENCES = (datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 2, 28, 13, 7, tzinfo=timezone.utc))
_SEASONS = (datetime(2024, 1, 15), datetime(2024, 7, 15))  # winter and summer offsets of a zone


# --- quantities ----------------------------------------------------------------------------

def quantity(value: object) -> Decimal | None:
    # Imported here: kubernetes.utils loads the whole client (~0.4 s), which only infra checks need.
    from kubernetes.utils import parse_quantity

    try:
        return parse_quantity(value) if value is not None else None
    except ValueError:
        return None


def same_quantity(expected: object, actual: object) -> bool:
    """'1' CPU equals '1000m'; '1Gi' equals '1024Mi'; a missing or bad quantity equals nothing."""
    e, a = quantity(expected), quantity(actual)
    return e is not None and a is not None and e == a


def effective_resources(resources: dict | None) -> dict[str, dict]:
    """requests and limits as the API server stores them: a request left out defaults to its limit."""
    resources = resources or {}
    limits = dict(resources.get("limits") or {})
    return {"requests": {**limits, **(resources.get("requests") or {})}, "limits": limits}


# --- schedules -------------------------------------------------------------------------------

def zone(name: object) -> tzinfo | None:
    """A CronJob's spec.timeZone; unset means the controller's zone, UTC on EKS. None: not a zone."""
    if not name:
        return timezone.utc
    try:
        tz = ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None
    # 'UTC', 'Etc/UTC', 'GMT'...: UTC all year round, so compared as UTC (the fast path below).
    return timezone.utc if all(tz.utcoffset(ref) == timedelta(0) for ref in _SEASONS) else tz


def fire_times(schedule: str, start: datetime, count: int, tz: tzinfo = timezone.utc) -> list[datetime]:
    it = croniter(schedule, start.astimezone(tz))
    return [it.get_next(datetime).astimezone(timezone.utc) for _ in range(count)]


@lru_cache(maxsize=64)
def _fires(schedule: str, count: int, tz: tzinfo) -> tuple[tuple[datetime, ...], ...]:
    return tuple(tuple(fire_times(schedule, ref, count, tz)) for ref in _REFERENCES)


def same_schedule(expected: str, actual: object, count: int = 800, time_zone: object = None) -> bool:
    """Two schedules are the same when they fire at the same instants: '0 */2 * * *' == '0 0-22/2 * * *',
    '@hourly' == '0 * * * *', and '*/15 * * * *' in Asia/Kolkata == '*/15 * * * *' in UTC. The
    expectation is read in UTC; the actual schedule in its CronJob's time zone."""
    tz = zone(time_zone)
    if not isinstance(actual, str) or not croniter.is_valid(actual) or tz is None:
        return False
    if tz == timezone.utc and croniter.expand(expected) == croniter.expand(actual):
        return True  # the same fields once expanded: the same instants, no need to enumerate them
    return _fires(expected, count, timezone.utc) == _fires(actual, count, tz)


def next_fires(schedule: object, time_zone: object = None, count: int = 3) -> str:
    """'00:00, 02:00, 04:00 UTC': the next fire times from a fixed Monday midnight, for messages."""
    tz = zone(time_zone)
    if not isinstance(schedule, str) or not croniter.is_valid(schedule) or tz is None:
        return "never (not a schedule)"
    return ", ".join(f"{t:%a %H:%M}" for t in fire_times(schedule, _REFERENCES[0], count, tz)) + " UTC"


@lru_cache(maxsize=64)
def interval(schedule: str, at: datetime | None = None) -> timedelta:
    """The longest gap between consecutive fire times over a day: the refresh guarantee."""
    it = croniter(schedule, at or _REFERENCES[0])
    first = previous = it.get_next(datetime)
    longest = timedelta(0)
    while previous < first + timedelta(days=1):  # every gap that starts within the day
        following = it.get_next(datetime)
        longest, previous = max(longest, following - previous), following
    return longest


def previous_fire(schedule: str, now: datetime, tz: tzinfo = timezone.utc) -> datetime:
    return croniter(schedule, now.astimezone(tz)).get_prev(datetime).astimezone(timezone.utc)


# --- image references --------------------------------------------------------------------------

DOCKER_HUB = "docker.io"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True)
class Image:
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    def __str__(self) -> str:
        return f"{self.registry}/{self.repository}" + (f":{self.tag}" if self.tag else "") + (
            f"@{self.digest}" if self.digest else "")


def parse_image(ref: object) -> Image | None:
    """What a runtime pulls for a reference: 'postgres:17-alpine' is docker.io/library/postgres:17-alpine;
    no tag and no digest means ':latest'."""
    if not isinstance(ref, str) or not ref or ref != ref.strip():
        return None
    name, _, digest = ref.partition("@")
    if digest and not re.fullmatch(r"[a-z0-9]+:[a-f0-9]{32,}", digest):
        return None
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first.lower(), rest
    else:
        registry, path = DOCKER_HUB, name
    registry = DOCKER_HUB if registry in _HUB_ALIASES else registry
    last = path.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        path, tag = path.rsplit(":", 1)
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    if not re.fullmatch(r"[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*", path):
        return None
    return Image(registry, path, tag or (None if digest else "latest"), digest or None)


def same_image(expected: object, actual: object) -> bool:
    """The same repository, and the expected tag (or digest) pinned: 'postgres:17-alpine' ==
    'docker.io/library/postgres:17-alpine' == 'postgres:17-alpine@sha256:…'."""
    e, a = parse_image(expected), parse_image(actual)
    if e is None or a is None or (e.registry, e.repository) != (a.registry, a.repository):
        return False
    return (e.digest is None or e.digest == a.digest) and (e.tag is None or e.tag == a.tag)


def image_tag(image: object) -> str | None:
    """The tag a reference runs: 'repo/icepack:2f9c1e7' and 'repo/icepack:2f9c1e7@sha256:…' -> '2f9c1e7';
    no tag -> 'latest'; a digest alone -> None (it names no tag)."""
    parsed = parse_image(image)
    return parsed.tag if parsed else None


def ecr_registry(image: object) -> tuple[str, str] | None:
    """(account, region) of an ECR registry ('411706531007.dkr.ecr.us-east-1.amazonaws.com'), else None."""
    parsed = parse_image(image)
    m = re.fullmatch(r"(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?", parsed.registry) \
        if parsed else None
    return (m.group(1), m.group(2)) if m else None


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


# --- ARNs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(value: object) -> Arn | None:
    parts = value.split(":", 5) if isinstance(value, str) else []
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(*parts[1:])


def partition_of(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def arn_problems(value: object, *, service: str, account: str, region: str | None, resource: str) -> list[str]:
    """What is wrong with an ARN for this use ([] when right): partition (from the region), service,
    region (None: global, must be empty), account, resource type prefix."""
    arn = parse_arn(value)
    if arn is None:
        return ["not an ARN"]
    wanted = {"partition": partition_of(region or "us-east-1"), "service": service, "region": region or "",
              "account": account}
    problems = [f"{k} {getattr(arn, k)!r}, expected {v!r}" for k, v in wanted.items() if getattr(arn, k) != v]
    if not re.fullmatch(rf"{re.escape(resource)}/[\w+=,.@/-]+", arn.resource):
        problems.append(f"resource {arn.resource!r}, expected {resource}/<name>")
    return problems


# --- media types ---------------------------------------------------------------------------------

def json_media_type(content_type: object) -> bool:
    """A JSON body announced as JSON: application/json or application/<x>+json, parameters allowed."""
    if not isinstance(content_type, str):
        return False
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


# --- timestamps ---------------------------------------------------------------------------------

def instant(value: object) -> datetime | None:
    """Any ISO-8601 form of an instant with a zone ('…Z', '…+00:00', '…+02:00', basic format);
    None for a naive or unparseable value."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
