"""Is the other environment running what this one verified? Two complete descriptions side by side
(icepack_verify.compare): the released values, the chart version and image tags, the inventory's
objects, the read contracts' key sets and schemas. A difference environments.toml does not
declare is a finding naming both values and both environments."""
from __future__ import annotations

import pytest

from icepack_verify import (CONTRACT_SOURCE, ENDPOINTS, INVENTORY, Difference, NotFound, chart_version,
                            Said, contract_template, endpoint_path, image_tag, key_diff, leaves, object_view, release_values,
                            response_schemas, server_set)

pytestmark = pytest.mark.compare


def _pair(environment, other_environment) -> str:
    return f"{environment.name} vs {other_environment.name}"


def test_released_values_differ_only_where_declared(releases, declarations, compared, environment,
                                                    other_environment, diagnose):
    ours, theirs = releases
    d = diagnose(f"{_pair(environment, other_environment)}: Helm release {environment.names.release} values")
    compared(d, "values", declarations.differences(release_values(ours), release_values(theirs)))


def _images(cluster, env) -> dict[str, str | None]:
    """'CronJob icepack-orchestrator container orchestrator' -> the tag it runs, for every Icepack workload."""
    tags = {}
    for row in INVENTORY:
        if not (row.icepack_image and row.deployed(env)):
            continue
        try:
            obj = cluster.get(row.kind, getattr(env.names, row.role))
        except NotFound:
            continue  # the inventory comparison reports an object missing on one side
        spec = obj
        for key in row.pod_spec:
            spec = spec.get(key) or {}
        for c in spec.get("containers") or []:
            tags[f"{row.kind} {getattr(env.names, row.role)} container {c.get('name')}"] = image_tag(c.get("image"))
    return tags


def test_same_chart_version_and_image_tags(releases, cluster, other_cluster, compared, environment,
                                           other_environment, diagnose):
    """What promotion carries unchanged: no declaration can explain another chart or another tag."""
    ours, theirs = releases
    d = diagnose(f"{_pair(environment, other_environment)}: chart version and image tags")
    mine, other = _images(cluster, environment), _images(other_cluster, other_environment)
    differences = [Difference("chart.metadata.version", chart_version(ours), chart_version(theirs), None)]
    differences += [Difference(f"{w} image tag", mine.get(w), other.get(w), None) for w in sorted(mine.keys() | other.keys())]
    compared(d, "", [x for x in differences if x.ours != x.theirs])


@pytest.mark.parametrize("row", INVENTORY, ids=lambda row: row.role.replace("_", "-"))
def test_inventory_object_differs_only_where_declared(row, cluster, other_cluster, declarations, compared,
                                                      environment, other_environment, diagnose):
    d = diagnose(f"{_pair(environment, other_environment)}: {row.kind} {environment.namespace}/"
                 f"{getattr(environment.names, row.role)}")
    deployed = row.deployed(environment), row.deployed(other_environment)
    if not any(deployed):
        pytest.skip(f"neither {environment.name} nor {other_environment.name} deploys {row.document} "
                    "(environments.toml)")
    objects = []
    for env, snapshot, here in ((environment, cluster, deployed[0]), (other_environment, other_cluster, deployed[1])):
        try:
            objects.append(snapshot.get(row.kind, getattr(env.names, row.role)) if here else None)
        except NotFound:
            objects.append(None)
    ours, theirs = objects
    if (ours is None) != (theirs is None):
        declared = deployed[0] != deployed[1]
        compared(d, "", [Difference("present", ours is not None, theirs is not None,
                                    "expect.postgres.internal" if declared else None)])
        return
    if ours is None:
        d.cannot(f"not found in either environment ({row.citation})")
    compared(d, "", declarations.differences(object_view(ours), object_view(theirs), skip=server_set))


def test_read_contracts_have_the_same_keys_and_schemas(api, other_api, environment, other_environment, compared,
                                                       diagnose):
    common = [t for t in environment.known_tables if t in other_environment.known_tables]
    if not common:
        pytest.skip(f"{environment.name} and {other_environment.name} share no known table (known_tables)")
    table = common[0]
    d = diagnose(f"{_pair(environment, other_environment)}: read contracts ({CONTRACT_SOURCE})")
    docs = []
    for client in (api, other_api):
        response = client.get("/openapi.json")
        docs.append(response_schemas(response.json()) if response.status_code == 200 else {})
    differences = []
    for endpoint in ENDPOINTS:
        bodies = []
        for client in (api, other_api):
            response = client.get(endpoint_path(table, endpoint))
            body = response.json() if response.status_code == 200 else None
            bodies.append(set(body) if isinstance(body, dict) else f"HTTP {response.status_code}")
        if bodies[0] != bodies[1]:
            said = (key_diff(frozenset(bodies[0]), bodies[1]) if all(isinstance(b, set) for b in bodies)
                    else f"{bodies[1]}")
            differences.append(Difference(f"GET {endpoint_path(table, endpoint)} top-level keys",
                                          Said(", ".join(sorted(bodies[0])) if isinstance(bodies[0], set) else bodies[0]),
                                          Said(said), None))
        schemas = [leaves(doc.get(contract_template(endpoint), {}).get("get", {}).get("200", {})) for doc in docs]
        for path in sorted(schemas[0].keys() | schemas[1].keys()):
            mine, other = schemas[0].get(path, "absent"), schemas[1].get(path, "absent")
            if mine != other:
                differences.append(Difference(f"/openapi.json {contract_template(endpoint)} 200 schema {path}",
                                              mine, other, None))
    compared(d, "", differences)
