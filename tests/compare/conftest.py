"""The environment compared with (--compare-with): read once, live and read-only, as the one under test is."""
from __future__ import annotations

import pytest

from icepack_verify import DECLARED_BY, Declarations, Diagnosis, Said, decode_release, newest_release


@pytest.fixture(scope="session")
def other_cluster(other_environment):
    from icepack_verify import ClusterSnapshot

    return ClusterSnapshot.collect(other_environment, timeout=other_environment.checks.http_timeout.total_seconds())


@pytest.fixture(scope="session")
def other_api(other_environment):
    from icepack_verify import ApiClient

    checks = other_environment.checks
    client = ApiClient(other_environment.api_url, timeout=checks.http_timeout, attempts=checks.http_attempts,
                       retry_budget=checks.retry_budget, max_body=checks.max_body_bytes,
                       concurrency=checks.http_concurrency)
    yield client
    client.close()


@pytest.fixture(scope="session")
def declarations(environment, other_environment) -> Declarations:
    return Declarations(environment, other_environment)


def _release(cluster, env) -> dict:
    newest = newest_release(cluster.list("Secret"))
    if newest is None:
        Diagnosis(env.name, f"Helm release {env.namespace}/{env.names.release}").cannot(
            f"not found: no release Secret (owner=helm,name={env.names.release}) in namespace {env.namespace}")
    return decode_release(newest)


@pytest.fixture(scope="session")
def releases(cluster, other_cluster, environment, other_environment) -> tuple[dict, dict]:
    """The newest Helm release record of each environment, decoded."""
    for env in (environment, other_environment):
        if not env.read_release_secrets:
            pytest.skip(f"{env.name} sets read_release_secrets = false: its Helm release is not read")
    return _release(cluster, environment), _release(other_cluster, other_environment)


@pytest.fixture
def compared(environment, other_environment):
    """conclude(d, what, differences): each undeclared difference a mismatch naming both values and both
    environments; the declared ones listed as context only when something else differs."""
    ours, theirs = environment.name, other_environment.name

    def conclude(d, what: str, differences) -> None:
        for diff in differences:
            if diff.declared is None:
                d.mismatch(f"{what} {diff.path}".strip(),
                           Said(f"{ours}'s {diff.ours!r} in {theirs} too, or a difference environments.toml declares"),
                           Said(f"{theirs} {diff.theirs!r}"), DECLARED_BY)
        if d.mismatches:
            declared = [f"{what} {x.path}".strip() + f": {ours} {x.ours!r}, {theirs} {x.theirs!r} ({x.declared})"
                        for x in differences if x.declared]
            d.attach("declared differences (not findings)", declared[:10])
        d.conclude()
    return conclude
