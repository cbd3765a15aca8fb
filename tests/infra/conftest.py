"""The infra suite's shared observations: the Helm release Terraform manages, read once, and the
release's live objects (the derivation chains and the live state judge the same ones)."""
from __future__ import annotations

from datetime import datetime

import pytest

from icepack_verify import BadRelease, Problem, Release, decode_release, newest_release, release_values, utc_instant


@pytest.fixture(scope="session")
def release_name(environment) -> str:
    return f"Helm release {environment.namespace}/{environment.names.release}"


@pytest.fixture(scope="session")
def release_secret(objects, environment, diagnose, release_name) -> dict:
    if not environment.read_release_secrets:
        pytest.skip(f"{environment.name} sets read_release_secrets = false: the Helm release is not read "
                    "(its status, chart version and released values are not checked)")
    newest = newest_release(objects.all("Secret"))  # listed with the selector owner=helm,name=<release>
    if newest is None:
        diagnose(release_name).cannot(f"not found: no release Secret (owner=helm,name={environment.names.release}) "
                                      f"in namespace {environment.namespace}")
    return newest


@pytest.fixture(scope="session")
def release(release_secret, diagnose, release_name) -> dict:
    try:
        return decode_release(release_secret)
    except BadRelease as exc:
        diagnose(release_name).cannot(f"could not read: {exc}")


@pytest.fixture(scope="session")
def last_deployed(objects, environment) -> datetime | None:
    """When the release was last applied (its newest Helm record's info.last_deployed), None when the records
    are not read or not readable: a check that only narrows by it never depends on them."""
    if not environment.read_release_secrets:
        return None
    try:
        newest = newest_release(objects.all("Secret"))
        return utc_instant(((decode_release(newest) if newest else {}).get("info") or {}).get("last_deployed"))
    except (BadRelease, Problem):
        return None


@pytest.fixture(scope="session")
def revision(release_secret, release_name) -> str:
    """'Helm release icepack/icepack revision 7 (Secret sh.helm.release.v1.icepack.v7)'."""
    meta = release_secret["metadata"]
    return f"{release_name} revision {meta.get('labels', {}).get('version')} (Secret {meta['name']})"


@pytest.fixture(scope="session")
def released_values(release) -> dict:
    return release_values(release)


@pytest.fixture(scope="session")
def release_records(objects, environment) -> list[dict]:
    """Every revision record of the release (Secrets listed with owner=helm,name=<release>)."""
    if not environment.read_release_secrets:
        pytest.skip(f"{environment.name} sets read_release_secrets = false: the Helm history is not read")
    return objects.all("Secret")


@pytest.fixture(scope="module")
def release_objects(cluster, objects, environment, diagnose, release_name) -> Release:
    # every namespaced kind the snapshot lists (an unreadable one: not run); events and nodes are read apart
    lists = {kind: objects.all(kind) for kind in cluster.listings if kind not in ("Event", "Node")}
    rel = Release(lists, environment.names.release, environment.namespace)
    if not rel.objects:
        diagnose(release_name).cannot(
            f"not found: no object of the release (label app.kubernetes.io/instance={environment.names.release}) "
            f"in namespace {environment.namespace}")
    return rel
