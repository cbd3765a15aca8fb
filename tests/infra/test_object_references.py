"""References between the namespace's objects resolve, end to end (icepack_verify.object_refs).

Every field of every listed object that names another object or a part of one (a selector,
a port by name or number, a key of a Secret or ConfigMap, a claim, a ServiceAccount, a
TriggerAuthentication, a scale target, an owner) is followed through one table of reference
kinds; what it finds must exist, be the one meant and be usable. And nothing outside the
release selects or targets the release's pods and workloads unless environments.toml says so.
"""
from __future__ import annotations

import pytest

import icepack_verify
from icepack_verify import Said, walk_references


@pytest.fixture(scope="module")
def references(cluster, objects, environment):
    # nodes too (cluster-scoped, read when the ClusterRole allows): their owner references are followed as well
    live = {kind: objects.all(kind) for kind in cluster.listings if kind not in ("Secret", "Event")
            and (kind != "Node" or cluster.readable("Node"))}
    served_as = {kind: icepack_verify.KINDS[kind].api_version for kind in live}  # the client, loaded by `cluster`
    return walk_references(live, cluster.secret_keys, environment.names.release, environment.expected_related,
                           served_as)


def _conclude(d, findings) -> None:
    for f in sorted(findings, key=lambda f: (f.referrer, f.field)):  # grouped per referring object
        d.mismatch(f"{f.referrer} {f.field}", Said(f.usable), Said(f.actual), f.source)
    d.conclude()


@pytest.mark.rollback(tier=2)  # the chart (or a hand edit) names what is not there: apply the chart again
def test_every_reference_resolves_to_something_usable(references, diagnose, environment):
    d = diagnose(f"references in namespace {environment.namespace}")
    d.attach("not followed (their kind is not read)", sorted(references.unchecked))
    d.hint(f"kubectl -n {environment.namespace} get <kind> <name> -o yaml for each object named above")
    _conclude(d, references.broken)


@pytest.mark.rollback(tier=0)  # an object outside the release: remove it, or declare it in expected_related
def test_nothing_outside_the_release_selects_or_targets_it(references, diagnose, environment):
    d = diagnose(f"objects selecting or targeting Helm release {environment.namespace}/{environment.names.release}")
    d.hint("remove the object, or list it as \"Kind/name\" in environments.toml expected_related "
           f"[environments.{environment.name}] if it is meant to be there")
    _conclude(d, references.related)
