"""Postgres: internal (in the namespace, PVC-backed) or external (RDS), checked three ways, then,
where it is internal, its Deployment, PVC and live state."""
from __future__ import annotations

import pytest

from icepack_verify import ROWS, same_image, value_at

LEGACY_CLASS = "volume.beta.kubernetes.io/storage-class"  # the annotation spec.storageClassName replaced
MODE = "postgres.internal.enabled"  # the chart value the deployment document names


def _in_namespace(objects, environment) -> bool:
    return any(o["metadata"]["name"] == environment.names.postgres for o in objects.all("Deployment"))


def test_postgres_mode_matches_the_release(objects, released_values, revision, environment, expect, diagnose):
    """A wrong expectation must never hide the Postgres checks: the release's values and the namespace agree with it."""
    released = value_at(released_values, MODE)
    present = _in_namespace(objects, environment)
    source = environment.source("expect.postgres.internal")
    d = diagnose("Postgres mode")
    d.expect(f"{revision} values {MODE}", expect.postgres.internal, released,
             f"environments.toml expect.postgres.internal ({source})")
    d.expect(f"Deployment {environment.namespace}/{environment.names.postgres} present", expect.postgres.internal,
             present, f"environments.toml expect.postgres.internal ({source}); the release says {MODE}={released}")
    d.conclude()


@pytest.fixture
def internal_postgres(environment, expect, request):
    if not expect.postgres.internal:
        try:  # only for the skip's wording: test_postgres_mode_matches_the_release judges the release
            released = value_at(request.getfixturevalue("released_values"), MODE)
        except pytest.fail.Exception:
            released = "unknown (the release could not be read)"
        pytest.skip(f"external Postgres per environments.toml ({environment.source('expect.postgres.internal')}); "
                    f"the Helm release's values say {MODE}={released}"
                    + ("" if released is False else " (test_postgres_mode_matches_the_release reports it)")
                    + ": no in-cluster Deployment or PVC to check")


def test_postgres_deployment(internal_postgres, objects, environment, expect, diagnose):
    dep = objects.get("postgres")
    containers = dep["spec"]["template"]["spec"].get("containers") or [{}]
    container = next((c for c in containers if c.get("name") == "postgres"), containers[0])
    d = diagnose(objects.resource("postgres"))
    d.expect("spec.replicas", expect.postgres.replicas, dep["spec"].get("replicas"),
             environment.source("expect.postgres.replicas"))
    d.expect("containers[postgres].image", expect.postgres.image, container.get("image"),
             environment.source("expect.postgres.image"), same=same_image)
    d.expect("spec.strategy.type", expect.postgres.strategy, (dep["spec"].get("strategy") or {}).get("type", "RollingUpdate"),
             environment.source("expect.postgres.strategy"))
    d.conclude()


def test_postgres_pvc(internal_postgres, objects, environment, expect, diagnose):
    """The claim's spec (judged before apply too, on a render)."""
    pvc = objects.get("postgres_pvc")
    d = diagnose(objects.resource("postgres_pvc"))
    storage_class = pvc["spec"].get("storageClassName") or (pvc["metadata"].get("annotations") or {}).get(LEGACY_CLASS)
    d.expect("spec.storageClassName", expect.postgres.storage_class, storage_class,
             environment.source("expect.postgres.storage_class"))
    d.conclude()


def test_postgres_pvc_bound(internal_postgres, objects, diagnose):
    """A claim with the right class can still wait for a volume: the database would never start."""
    pvc = objects.get("postgres_pvc")
    d = diagnose(objects.resource("postgres_pvc") + " (live)")
    d.expect("status.phase", "Bound", (pvc.get("status") or {}).get("phase"), ROWS["postgres_pvc"].citation)
    d.conclude()


def test_postgres_available(internal_postgres, objects, cluster, expect, diagnose):
    """The spec can be right while the database is down: its Deployment must be available."""
    dep = objects.get("postgres")
    status = dep.get("status") or {}
    d = diagnose(objects.resource("postgres") + " (live)")
    d.expect("status.readyReplicas", dep["spec"].get("replicas", 1), status.get("readyReplicas", 0),
             "the Deployment's own spec.replicas", same=lambda want, got: got >= want)
    d.expect("status.conditions[Available]", "True", objects.condition(dep, "Available").get("status"),
             ROWS["postgres"].citation)
    if d.mismatches:
        d.attach("recent events", cluster.events_for("Deployment", dep["metadata"]["name"]))
    d.conclude()
