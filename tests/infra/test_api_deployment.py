"""API Deployment: the spec the values promise, and a settled, healthy rollout."""
from __future__ import annotations

import pytest

from icepack_verify import (ROWS, Said, allowed_arches, describe_arches, effective_resources, includes, node_arch,
                            only_arch, same_quantity)


def _container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"].get("containers") or [{}]
    return next((c for c in containers if c.get("name") == "api"), containers[0])


def test_api_deployment_spec(objects, environment, expect, diagnose):
    dep = objects.get("api")
    pod = dep["spec"]["template"]["spec"]
    container = _container(dep)
    d = diagnose(objects.resource("api"))
    d.expect("spec.replicas", expect.api.replicas, dep["spec"].get("replicas"), environment.source("expect.api.replicas"))
    d.expect("spec.template.spec architectures (nodeSelector and required node affinity)", expect.api.node_arch,
             Said(describe_arches(allowed_arches(pod))), environment.source("expect.api.node_arch"),
             same=lambda want, _: only_arch(want, pod))
    d.expect("containers[api].ports[].containerPort", Said(f"includes {expect.api.port}"),
             [p.get("containerPort") for p in container.get("ports") or []], environment.source("expect.api.port"),
             same=lambda _, got: includes(expect.api.port, got))
    resources = effective_resources(container.get("resources"))  # a request left out is its limit
    for section in ("requests", "limits"):
        wanted = getattr(expect.api, section)
        for res in ("cpu", "memory"):
            d.expect(f"containers[api].resources.{section}.{res}", getattr(wanted, res),
                     resources[section].get(res), environment.source(f"expect.api.{section}.{res}"),
                     same=same_quantity)
    d.conclude()


def test_api_rollout_complete(objects, cluster, diagnose):
    dep = objects.get("api")
    desired = dep["spec"].get("replicas", 1)
    d = diagnose(objects.resource("api") + " (rollout)")
    src = "the Deployment's own spec (a finished rollout)"
    d.expect("spec.paused", False, bool(dep["spec"].get("paused", False)),
             "terraform apply: a paused Deployment never rolls out the applied template")
    status = dep.get("status") or {}  # after the spec: in a render, reading it ends the check (session.py)
    d.expect("status.observedGeneration", dep["metadata"].get("generation"), status.get("observedGeneration"), src)
    for field in ("updatedReplicas", "readyReplicas", "availableReplicas"):
        d.expect(f"status.{field}", desired, status.get(field, 0), src)
    progressing = objects.condition(dep, "Progressing")
    if progressing.get("status") == "False":
        d.mismatch("status.conditions[Progressing]", "True",
                   f"False ({progressing.get('reason')}: {progressing.get('message')})", src)
    if d.mismatches:
        d.attach("recent events", cluster.events_for("Deployment", dep["metadata"]["name"]))
    d.conclude()


def _api_pods(objects, dep: dict) -> list[dict]:
    selector = dep["spec"].get("selector", {}).get("matchLabels") or {}
    return [p for p in objects.all("Pod")
            if selector and selector.items() <= (p["metadata"].get("labels") or {}).items()]


@pytest.mark.rollback(tier=1)  # pods crash on a new image far more often than on a chart change
def test_api_pods_healthy(objects, environment, cluster, expect, diagnose):
    dep = objects.get("api")
    pods = _api_pods(objects, dep)
    d = diagnose(objects.resource("api") + " pods")
    d.expect("number of pods", dep["spec"].get("replicas", 1), len(pods), "the Deployment's spec.replicas",
             same=lambda want, got: got >= max(want, 1))
    arch_of = {n["metadata"]["name"]: node_arch(n) for n in cluster.list("Node")} if cluster.readable("Node") else None
    max_restarts = environment.checks.max_restarts
    failing: list[str] = []
    for pod in pods:
        pname = pod["metadata"]["name"]
        before = len(d.mismatches)
        d.expect(f"pod {pname} condition Ready", "True", objects.condition(pod, "Ready").get("status"),
                 ROWS["api"].citation + " (a serving API pod is Ready)")
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            d.expect(f"pod {pname} container {cs['name']} state", "not CrashLoopBackOff",
                     waiting.get("reason"), "a healthy container", same=lambda _, got: got != "CrashLoopBackOff")
            d.expect(f"pod {pname} container {cs['name']} restartCount", f"<= {max_restarts}",
                     cs.get("restartCount", 0), environment.source("checks.max_restarts"),
                     same=lambda _, got: got <= max_restarts)
        if arch_of is not None and pod["spec"].get("nodeName"):
            node = pod["spec"]["nodeName"]
            d.expect(f"pod {pname} node {node} architecture", expect.api.node_arch, arch_of.get(node),
                     environment.source("expect.api.node_arch"))
        if len(d.mismatches) > before:
            failing.append(pname)
    for pname in failing[:2]:  # enough context to start; the rest says the same
        d.attach(f"events of pod {pname}", cluster.events_for("Pod", pname))
        d.attach(f"last log lines of pod {pname}", _log_lines(cluster.pod_log_tail(pname, "api")))
    d.conclude()


def _log_lines(tail: object) -> list[str]:
    # an API server that answers the log subresource with something other than text gives no log
    if not isinstance(tail, str):
        return ["(log unavailable: the API returned no log text)"]
    return tail.splitlines()[-20:]
