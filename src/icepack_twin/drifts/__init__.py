"""The catalogue of named drifts: realistic ways an Icepack environment goes wrong.

A drift edits one or more of the twin's three layers:

* ``values``    the Helm values before the chart is rendered (a values override lost, ...)
* ``objects``   the rendered Kubernetes objects, spec or live status (a rollout stuck, ...)
* ``behaviour`` the runtime switches of the API and the store (a key renamed, ...)

Drifts are grouped by the suite folder that must catch them; each group is one module
below, listed here explicitly. `equivalent` holds the opposite: healthy environments
written in another form, which every check must pass (equivalence probes). `generic`
holds the drifts and probes of the generic mechanisms (release vs live), `references` those of the
references walk, `framing` those of the framing rules (every answer's HTTP around its body), `live`
those of the live state of the release's objects and its Helm history, `data_generic` those of
the data mechanisms (the suite's role, the API against the newest rows, cadence), `openapi_rules`
those of the breaking-change rules, `promotion` those judged before apply (on the render) and across
two environments (--compare-with), `helm_record` those of the Helm release record as a whole (its values,
chart metadata, times and rollback target), `derivation` those of what controllers make from the
workloads (ReplicaSets, Jobs, Pods) and the nodes they run on, `data_invariants` those of the value rules
recorded with the baselines and the database's shape, `kube_generic` those of the generic rules over every
object the suite reads (times, owners, finalizers, node quantities, webhooks and templates, node ports,
objects being deleted, references in status, ready counts), `bookkeeping` those of the objects' metadata
against a second description (labels and annotations, creation times, uids, EndpointSlices), `recommendation`
those of the recommendation told in its own terms (its times, ages, actions, quoted numbers, records and
vocabulary), `scheduling` those of pods against the nodes they run on (labels, selectors), `controller_reports`
those of what kubelets and controllers report (a status per container, QoS, digests, pressures; a ReplicaSet's
copies of its Deployment and its counts; owner kinds).
"""
from __future__ import annotations

from icepack_twin.drifts import (bookkeeping, contracts, controller_reports, data, data_generic, data_invariants,
                                   derivation, equivalent, framing, generic, helm_record, infra, kube_generic, kube_spec,
                                   live, openapi_rules, promotion, recommendation, references, scheduling, smoke)
from icepack_twin.drifts.base import Drift


def _catalogue(*groups: list[Drift]) -> dict[str, Drift]:
    catalogue: dict[str, Drift] = {}
    for d in (d for group in groups for d in group):
        if d.name in catalogue:
            raise ValueError(f"drift {d.name!r} declared twice")
        catalogue[d.name] = d
    return catalogue


CATALOGUE = _catalogue(contracts.DRIFTS, infra.DRIFTS, smoke.DRIFTS, data.DRIFTS, generic.DRIFTS, equivalent.DRIFTS,
                       generic.PROBES, references.DRIFTS, references.PROBES, framing.DRIFTS, framing.PROBES,
                       live.DRIFTS, live.PROBES, data_generic.DRIFTS, data_generic.PROBES, openapi_rules.DRIFTS,
                       openapi_rules.PROBES, promotion.RENDERED, promotion.RENDERED_PROBES, promotion.LIVE_PART,
                       promotion.PROMOTED, promotion.PROMOTED_PROBES, helm_record.DRIFTS, helm_record.PROBES,
                       derivation.DRIFTS, derivation.PROBES, data_invariants.DRIFTS, kube_generic.DRIFTS,
                       kube_generic.PROBES, bookkeeping.DRIFTS, bookkeeping.PROBES, kube_spec.DRIFTS, kube_spec.PROBES,
                       recommendation.DRIFTS, recommendation.PROBES, scheduling.DRIFTS, scheduling.PROBES,
                       controller_reports.DRIFTS)


def lookup(names: list[str]) -> list[Drift]:
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise KeyError(f"unknown drift(s) {', '.join(unknown)}; known: {', '.join(sorted(CATALOGUE))}")
    return [CATALOGUE[n] for n in names]
