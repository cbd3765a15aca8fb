"""What the controllers made from the release's workloads is what they were made from
(icepack_verify.derivation).

A Deployment's template is its current ReplicaSet's, which is every one of its pods' (what
the API server, admission and the scheduler add aside); a CronJob's or the ScaledJob's job
template is every Job's they started, and those Jobs' pods'. A copy that differs runs a spec
nobody declared; an old ReplicaSet still scaled up, a pod its controller does not count, a Job
stuck past its deadline or the newest run failed are controllers not doing what they say.
And no list of named items in any object of the release (containers, env, volumes, ports,
conditions) names an item twice.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from icepack_verify import Chains, Injected, Said, duplicates, rollout_complete


def _conclude(d, findings) -> None:
    for f in findings:
        d.mismatch(f"{f.resource} {f.field}", f.expected, f.actual, f.source)
    d.conclude()


@pytest.mark.rollback(tier=0)  # a hand edit of what a controller made, or a controller stuck: no chart to revert
def test_what_controllers_made_is_what_they_were_made_from(release_objects, last_deployed, environment, diagnose):
    rel = release_objects
    lists = {kind: rel.of_kind(kind) for kind in ("ReplicaSet", "Job", "Pod")}
    chains = Chains(lists, datetime.now(timezone.utc), environment.checks.clock_skew,
                    environment.checks.max_job_runtime, environment.checks.controller_time_zone,
                    Injected(environment.checks.injected_env, environment.checks.injected_volumes), last_deployed)
    d = diagnose(f"what the controllers made from Helm release {environment.namespace}/{environment.names.release}")
    d.hint(f"kubectl -n {environment.namespace} get deploy,rs,cronjob,job,pod -o yaml; "
           f"[checks] max_job_runtime is {environment.source('checks.max_job_runtime')}")
    _conclude(d, chains.run(rel.objects, rollout_complete))


@pytest.mark.rollback(tier=2)  # the chart (or a hand edit) lists an item twice: apply the chart again
def test_no_object_of_the_release_names_an_item_twice(release_objects, cluster, environment, diagnose):
    rel = release_objects
    d = diagnose(f"named items of Helm release {environment.namespace}/{environment.names.release}'s objects")
    objects = [(rel.resource(kind, obj), obj) for kind, obj in rel.objects]
    if cluster.readable("Node"):
        hosts = {(p.get("spec") or {}).get("nodeName") for p in rel.of_kind("Pod")}
        objects += [(f"Node {n['metadata']['name']}", n) for n in cluster.list("Node") if n["metadata"]["name"] in hosts]
    for resource, obj in objects:
        for item, count in duplicates(obj):
            d.mismatch(f"{resource} {item}", Said("one item of that name"), Said(f"{count} items"),
                       "Kubernetes keys this list by that name (its merge key): a second item is rejected or "
                       "shadows the first")
    d.conclude()
