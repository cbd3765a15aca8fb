"""Drifts and probes of the two questions asked before and across deploys (issue 25).

Before apply (`python -m icepack_twin render --drift NAME`, judged with the suite's
`--manifests`): a values file or template change the render already shows, each caught by
the infra check that judges that spec live. The probes render a healthy release in another
form the checks must take as the same.

Across environments (the compared twin configured with the drift, judged with
`--compare-with`): a difference between stage and prod that environments.toml does not
declare. The probes make differences of form only, which must not be findings.
"""
from __future__ import annotations

from icepack_twin.drifts.base import DriftList, released, switch
from icepack_twin.drifts.equivalent import _api_arch_by_affinity, _api_resources_in_other_units, _pinned_by_digest
from icepack_twin.drifts.generic import _env_reversed
from icepack_twin.drifts.infra import _rollout_paused, _scaledjob_paused
from icepack_twin.drifts.shared import internal_postgres, set_value
from icepack_twin.objects import Objects
from icepack_twin.values import ACCOUNTS, REGION

RENDERED = DriftList("infra")        # caught before apply, by tests/infra on the render
RENDERED_PROBES = DriftList("equivalent")
PROMOTED = DriftList("compare")      # caught by tests/compare, on the compared environment
PROMOTED_PROBES = DriftList("equivalent")


# --- before apply: a values file or a template edit, seen in the render ----------------------------

RENDERED.add("render-api-memory-limit-halved", "values: the API's memory limit 256Mi instead of 512Mi",
             values=lambda v: v["api"]["resources"]["limits"].update({"memory": "256Mi"}))
RENDERED.add("render-orchestrator-every-hour", "values: the orchestrator every hour on the hour, not at :30",
             values=set_value("orchestrator", "schedule", value="0 * * * *"))
RENDERED.add("render-worker-max-replicas-10", "values: KEDA may run 10 workers, not 3",
             values=set_value("worker", "keda", "maxReplicaCount", value=10))
RENDERED.add("render-image-from-docker-hub", "values: the image repository is Docker Hub's, not ECR",
             values=set_value("image", "repository", value="docker.io/icepack/icepack"))
RENDERED.add("render-certificate-of-prod", "values: the NLB's ACM certificate is prod's account's",
             values=set_value("service", "certificateArn",
                         value=f"arn:aws:acm:{REGION}:{ACCOUNTS['prod']}:certificate/5d3c2b1a-8f7e-4a6b-9c0d-1e2f3a4b5c6d"))
RENDERED.add("render-orchestrator-suspended", "values: the orchestrator CronJob rendered suspended",
             values=set_value("orchestrator", "suspend", value=True))
RENDERED.add("render-irsa-role-of-dev", "values: the IRSA role is dev's account's",
             values=set_value("serviceAccount", "roleArn",
                              value=f"arn:aws:iam::{ACCOUNTS['dev']}:role/icepack-dev-irsa"))

# A spec field read in the same check as a live-only status (judged first; the status left not run).
RENDERED.add("render-pvc-gp2", "values: the internal Postgres claim on storage class gp2, not gp3",
             values=set_value("postgres", "internal", "storageClassName", value="gp2"))
RENDERED.add("render-worker-paused", "template: the ScaledJob rendered with autoscaling.keda.sh/paused: 'true'",
             objects=_scaledjob_paused)
RENDERED.add("render-api-rollout-paused", "template: the API Deployment rendered with spec.paused: true",
             objects=_rollout_paused)

LIVE_PART = DriftList("infra")  # the live half of a check split from its spec


def _pvc_pending(objs: Objects) -> None:
    internal_postgres(objs, "PersistentVolumeClaim")["status"] = {"phase": "Pending"}


LIVE_PART.add("pvc-pending", "the internal Postgres claim is right and Pending: no volume bound",
              objects=_pvc_pending)

RENDERED_PROBES.add("render-resources-in-other-units", "the API's resources rendered as 0.25 CPU and bytes",
                    objects=_api_resources_in_other_units)
RENDERED_PROBES.add("render-arch-by-node-affinity", "the API bound to arm64 by required node affinity",
                    objects=_api_arch_by_affinity)
RENDERED_PROBES.add("render-images-pinned-by-digest", "Icepack images rendered as <repo>:<tag>@sha256:<digest>",
                    objects=_pinned_by_digest)


def _namespaced(objs: Objects) -> None:
    """A chart that writes `namespace: {{ .Release.Namespace }}` itself."""
    for obj in objs:
        if obj["kind"] != "Node":
            obj["metadata"]["namespace"] = "icepack"


RENDERED_PROBES.add("render-with-explicit-namespace", "every object rendered with metadata.namespace icepack",
                    objects=_namespaced)


# --- across environments: prod differs from stage where nothing declares it ------------------------

def _probe_path(objs: Objects) -> None:
    for spec in objs.pod_specs("api"):
        spec["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/healthz"


PROMOTED.add("prod-runs-another-image-tag", "prod's values pin image tag 0ddba11, not the tag stage verified",
             values=set_value("image", "tag", value="0ddba11"))
PROMOTED.add("prod-worker-polls-every-60s", "prod's values set KEDA's pollingInterval to 60 (none declares it)",
             values=set_value("worker", "keda", "pollingInterval", value=60))
PROMOTED.add("prod-status-key-renamed", "prod's API serves /status with `stale` renamed `staleness`",
             behaviour=switch(rename_keys={"status": {"stale": "staleness"}}))
PROMOTED.add("prod-database-on-another-cluster",
             "prod's values point every workload at another RDS cluster (same Postgres mode as stage: nothing follows)",
             values=set_value("postgres", "external", "host",
                              value=f"icepack-prod.cluster-zz9q7w.{REGION}.rds.amazonaws.com"))
PROMOTED.add("prod-api-readiness-on-healthz", "prod's chart probes API readiness on /healthz",
             objects=released(_probe_path))

PROMOTED_PROBES.add("prod-resources-in-other-units", "prod's API resources written 0.25 CPU and bytes",
                    objects=released(_api_resources_in_other_units))
PROMOTED_PROBES.add("prod-env-reordered", "prod's containers list their env in reverse order",
                    objects=released(_env_reversed))
