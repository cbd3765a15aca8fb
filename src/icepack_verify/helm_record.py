"""The Helm release record judged as a whole: what it was installed with, what it rendered, what it
says about its chart and its times, and whether the revision before it is a whole rollback target.

Helm keeps each revision as one record (name, version, info, chart, config, manifest); `helm get
values --all` shows the values the chart rendered from (the chart's defaults under the supplied
ones), `helm get manifest` what it rendered. Four rules, each over every answer:

* values: every key of `[release.values_fields]` (environments.toml: which manifest fields the
  chart renders from which values key, and which expectation a key feeds) is present in the
  values, equals every one of those fields the record's own manifest holds (a field it leaves out
  is the chart writing it another way), and equals the expectation; keys the map does not name
  are listed, not judged (their meaning is the chart's).
* inventory: the manifest holds every object of the document's inventory (lines 107-115).
* chart and times: the labels the chart puts on its objects from the chart metadata
  (`app.kubernetes.io/version` from appVersion, `helm.sh/chart` from name-version) agree with it;
  every revision shares the release's first_deployed (Helm carries it over on every upgrade and
  rollback) and no revision was deployed before it, nor after the revision that followed it.
* rollback target: the revision before the deployed one (Tier 2, document lines 131-136) has
  chart metadata, a manifest that parses, and the inventory in it.

Nothing here reads a cluster; values are printed only for mapped keys (never a Secret's data).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import yaml

from icepack_verify.diagnosis import ABSENT as MISSING  # what a step of a path that finds nothing gives
from icepack_verify.semantics import same_quantity, utc_instant

GET_VALUES = "helm get values {release} -n {namespace} --all"
# The document's infrastructure inventory (lines 107-115): role in [names] -> the kind it is.
INVENTORY = {"api": "Deployment", "service": "Service", "worker": "ScaledJob", "orchestrator": "CronJob",
             "health_sync": "CronJob", "service_account": "ServiceAccount"}
INTERNAL_POSTGRES = {"postgres": "Deployment", "postgres_pvc": "PersistentVolumeClaim"}  # line 114
INVENTORY_SOURCE = "deployment document, infrastructure inventory (lines 107-115)"
ABSENT = "absent"


_STEP = re.compile(r"\.?([A-Za-z0-9_\-]+)|\['([^']+)'\]|\[([^\]]+)\]")


@dataclass(frozen=True)
class Finding:
    field: str
    expected: Any
    actual: Any
    source: str


# --- reading the record ----------------------------------------------------------------------

def manifest_docs(record: dict) -> list[dict] | str:
    """The manifest's objects, or one sentence saying why there are none."""
    text = record.get("manifest")
    if not isinstance(text, str) or not text.strip():
        return "no manifest" if text is None else "an empty manifest"
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        return f"a manifest that is not YAML ({str(exc).splitlines()[0][:120]})"
    if not all(isinstance(d, dict) and d.get("kind") and isinstance(d.get("metadata"), dict) for d in docs):
        return "a manifest with a document that is not a Kubernetes object"
    return docs


def _find(docs: list[dict], kind: str, name: str) -> dict | None:
    return next((d for d in docs if d.get("kind") == kind and d["metadata"].get("name") == name), None)


def leaves(values: Any, prefix: str = "") -> list[str]:
    """Dotted keys of every leaf (an empty map or a list is a leaf)."""
    if isinstance(values, dict) and values:
        return [k for key, sub in values.items() for k in leaves(sub, f"{prefix}.{key}" if prefix else str(key))]
    return [prefix] if prefix else []


def value_at(values: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(values, dict) or key not in values:
            return MISSING
        values = values[key]
    return values


def resolve(node: Any, path: str) -> list[tuple[str, Any]]:
    """(label, value) of every field the path names: `a.b`, `['dotted/key']`, `[name]` (the list item
    with that name), `[*]` (every item). A step that finds nothing gives one (label, MISSING)."""
    found: list[tuple[str, Any]] = [("", node)]
    pos = 0
    while pos < len(path):
        m = _STEP.match(path, pos)
        if not m:
            raise ValueError(f"bad field path {path!r} at {path[pos:]!r}")
        pos = m.end()
        key, quoted, item = m.groups()
        nxt = []
        for label, value in found:
            if item is None:
                k = key if key is not None else quoted
                shown = (f"{label}.{k}" if key is not None else f"{label}['{k}']").lstrip(".")
                nxt.append((shown, value.get(k, MISSING) if isinstance(value, dict) else MISSING))
            elif not isinstance(value, list) or (item == "*" and not value):
                nxt.append((f"{label}[{item}]", MISSING))
            elif item == "*":
                nxt += [(f"{label}[{x.get('name', i) if isinstance(x, dict) else i}]", x) for i, x in enumerate(value)]
            else:
                hit = next((x for x in value if isinstance(x, dict) and x.get("name") == item), MISSING)
                nxt.append((f"{label}[{item}]", hit))
        found = nxt
    return found


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def same(a: Any, b: Any) -> bool:
    """Equal as Helm renders them: by text (8000 and "8000"), quantities by value ("1" and "1000m")."""
    if a is MISSING or b is MISSING:
        return a is b
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return a == b
    return _text(a) == _text(b) or (isinstance(a, (str, int, float)) and isinstance(b, (str, int, float))
                                    and not isinstance(a, bool) and not isinstance(b, bool) and same_quantity(a, b))


# --- the rules -------------------------------------------------------------------------------

def values_findings(values: dict, docs: list[dict], mapping: dict, names: dict[str, str],
                    expectation=None, what: str = "values") -> list[Finding]:
    """Every mapped key: present, equal to every manifest field rendered from it, equal to its expectation.
    `expectation(path)` gives (value, source) of an environment setting; None judges the manifest only."""
    out: list[Finding] = []
    for key, spec in mapping.items():
        value = value_at(values, key)
        rendered = []
        for field in spec.fields:
            target, _, path = field.partition(":")
            kind, _, name = target.format_map(names).partition("/")
            if (doc := _find(docs, kind, name)) is not None:  # the chart left it out: nothing rendered
                rendered += [(f"{kind}/{name} {label}", got) for label, got in resolve(doc, path)]
        if value is MISSING:
            shown = ", ".join(f"{where} = {got!r}" for where, got in rendered if got is not MISSING)
            out.append(Finding(f"{what} {key}", f"present{' (the manifest renders ' + shown + ')' if shown else ''}",
                               ABSENT, "the release record: the chart renders the manifest from these values"))
            continue
        for where, got in rendered:  # a field left out is another form of the chart (an affinity, not a
            if got is not MISSING and not same(got, value):  # nodeSelector): only a field held otherwise contradicts
                out.append(Finding(f"{what} {key} -> manifest {where}", got, value,
                                   "the release record's own manifest (helm get manifest): the chart renders that "
                                   "field from this key (environments.toml [release.values_fields])"))
        if spec.expect and expectation is not None:
            want, source = expectation(spec.expect)
            if not same(want, value):
                out.append(Finding(f"{what} {key}", want, value, f"{source}, setting {spec.expect}"))
    return out


def unmapped(values: dict, mapping: dict) -> list[str]:
    """The values' leaf keys no mapped key names (nor lies under)."""
    return [k for k in leaves(values) if not any(k == m or k.startswith(m + ".") for m in mapping)]


def inventory_findings(docs: list[dict], names: dict[str, str], internal_postgres: bool, what: str) -> list[Finding]:
    """Every object of the document's inventory in the manifest, and no object in it twice (which of the two
    would be applied is undefined: Kubernetes keeps one object per kind, namespace and name)."""
    roles = {**INVENTORY, **(INTERNAL_POSTGRES if internal_postgres else {})}
    out = [Finding(f"{what} manifest", f"{kind}/{names[role]}", ABSENT, INVENTORY_SOURCE)
           for role, kind in roles.items() if _find(docs, kind, names[role]) is None]
    seen: dict[str, int] = {}
    for d in docs:
        key = f"{d.get('apiVersion')} {d['kind']}/{d['metadata'].get('namespace') or ''}/{d['metadata'].get('name')}"
        seen[key] = seen.get(key, 0) + 1
    out += [Finding(f"{what} manifest {key.split(' ', 1)[1].replace('//', '/')}", "once", f"{n} times",
                    "Kubernetes: one object per kind, namespace and name; Helm applies the manifest's documents in turn")
            for key, n in seen.items() if n > 1]
    return out


def chart_label_findings(record: dict, docs: list[dict], version_label: str, chart_label: str,
                         what: str) -> list[Finding]:
    """The labels the chart writes from its metadata, on every object of the manifest that carries them."""
    meta = (record.get("chart") or {}).get("metadata") or {}
    chart = f"{meta.get('name')}-{meta.get('version')}".replace("+", "_")  # Helm's chart label form
    out = []
    for label, want, field in ((version_label, meta.get("appVersion"), "chart.metadata.appVersion"),
                               (chart_label, chart, "chart.metadata.name-version")):
        said = {}
        for d in docs:
            value = (d["metadata"].get("labels") or {}).get(label) if label else None
            if value is not None and not same(value, want if want is not None else MISSING):
                said.setdefault(str(value), []).append(f"{d['kind']}/{d['metadata'].get('name')}")
        for value, objects in sorted(said.items()):
            out.append(Finding(f"{what} {field}", value, want if want is not None else ABSENT,
                               f"the label {label} the chart writes from it on {', '.join(objects[:3])}"
                               + (f" and {len(objects) - 3} more" if len(objects) > 3 else "")))
    return out



HELM_INFO = "Helm: an upgrade and a rollback carry info.first_deployed over; last_deployed is when the revision was made"
HELM_STORE = "Helm 3 secrets storage: a revision's record is created when the revision is made (at last_deployed)"


def time_findings(records: list[tuple[dict, dict]], namespace: str, skew: timedelta) -> list[Finding]:
    """`records`: (Secret, record) oldest first. One first_deployed for all, each last_deployed at or after it,
    at or after the revision before's and when its Secret was created (within the clock skew: Helm's clock is
    the client's); no deletion time unless uninstalled; each stored in the namespace it names."""
    out: list[Finding] = []
    newest = records[-1] if records else None
    first = utc_instant(((newest[1].get("info") or {}) if newest else {}).get("first_deployed"))
    before: tuple[str, datetime] | None = None
    for secret, r in records:
        name, info = secret["metadata"]["name"], r.get("info") or {}
        if r.get("namespace") != namespace:
            out.append(Finding(f"{name} namespace", namespace, r.get("namespace") or ABSENT,
                               "Helm 3 secrets storage: a release's records live in the release's namespace"))
        if info.get("deleted") and info.get("status") != "uninstalled":
            out.append(Finding(f"{name} info.deleted", "empty (set only when a revision is uninstalled)",
                               info["deleted"], f"Helm: info.status is {info.get('status')!r}"))
        own_first, last = utc_instant(info.get("first_deployed")), utc_instant(info.get("last_deployed"))
        if own_first is None or last is None:
            out.append(Finding(f"{name} info.first_deployed, info.last_deployed", "times",
                               f"{info.get('first_deployed')!r}, {info.get('last_deployed')!r}", HELM_INFO))
            continue
        if first is not None and own_first != first:
            out.append(Finding(f"{name} info.first_deployed", f"{newest[1]['info']['first_deployed']} (as "
                               f"{newest[0]['metadata']['name']})", info["first_deployed"], HELM_INFO))
        if last < own_first:
            out.append(Finding(f"{name} info.last_deployed", f"at or after first_deployed {info['first_deployed']}",
                               info["last_deployed"], HELM_INFO))
        if before is not None and last < before[1]:
            out.append(Finding(f"{name} info.last_deployed", f"at or after {before[0]}'s", info["last_deployed"],
                               HELM_INFO))
        created = utc_instant(secret["metadata"].get("creationTimestamp"))
        if created is not None and abs(created - last) > skew:
            out.append(Finding(f"{name} info.last_deployed", f"within {skew} of the Secret's creationTimestamp "
                               f"{secret['metadata']['creationTimestamp']}", info["last_deployed"], HELM_STORE))
        before = (name, last)
    return out


def deployed_secret_findings(secret: dict) -> list[Finding]:
    """The deployed revision's Secret as the next upgrade must update it (to superseded)."""
    if secret.get("immutable") is True:
        return [Finding(f"Secret {secret['metadata']['name']} immutable", "not set", True,
                        "Helm 3 secrets storage: the next upgrade marks this record superseded, which an immutable "
                        "Secret refuses")]
    return []


# --- a record being deleted -------------------------------------------------------------
def record_deletion_findings(secret: dict) -> list[Finding]:
    """The deployed revision's Secret is not being deleted: once gone, Helm knows no deployed release
    (`helm status` fails, the next upgrade installs afresh)."""
    meta = secret.get("metadata") or {}
    if not meta.get("deletionTimestamp"):
        return []
    held = f", held by finalizers {meta['finalizers']}" if meta.get("finalizers") else ""
    return [Finding(f"Secret {meta.get('name')} metadata.deletionTimestamp", "absent (not being deleted)",
                    f"{meta['deletionTimestamp']}: being deleted{held}",
                    "Helm 3 secrets storage: the release is its record; Kubernetes graceful deletion")]


def rollback_target_findings(record: dict, current: dict, names: dict[str, str], internal_postgres: bool,
                             what: str, version_label: str = "", chart_label: str = "") -> list[Finding]:
    """The previous revision as Tier 2 returns to it: its chart named and versioned, its manifest whole and
    labelled from that chart (as the deployed revision's is: chart_label_findings)."""
    source = "deployment document, Tier 2 (lines 131-136): Terraform rolls back to the previous chart version"
    meta = (record.get("chart") or {}).get("metadata") or {}
    want_name = ((current.get("chart") or {}).get("metadata") or {}).get("name")
    out = []
    if meta.get("name") != want_name:
        out.append(Finding(f"{what} chart.metadata.name", want_name, meta.get("name") or ABSENT, source))
    if not meta.get("version"):
        out.append(Finding(f"{what} chart.metadata.version", "the chart version to return to", ABSENT, source))
    docs = manifest_docs(record)
    if isinstance(docs, str):
        out.append(Finding(f"{what} manifest", "the objects it applied", docs, source))
    else:
        out += inventory_findings(docs, names, internal_postgres, what)
        out += chart_label_findings(record, docs, version_label, chart_label, what)
    return out
