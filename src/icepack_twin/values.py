"""Helm values of the twin, shaped like the chart's values.yaml and values-<env>.yaml.

Numbers follow the deployment document (/work/shared/reference/icepack-deployment.md);
``values_for(env)`` deep-merges an environment's overrides onto the chart defaults,
exactly as ``helm upgrade -f values-<env>.yaml`` would.
"""
from __future__ import annotations

import copy

CHART_NAME = "icepack"
CHART_VERSION = "1.4.2"
PREVIOUS_CHART_VERSION = "1.4.1"  # what the superseded release revision carries
IMAGE_TAG = "2f9c1e7"
REGION = "us-east-1"
NAMESPACE = "icepack"
RELEASE = "icepack"

ACCOUNTS = {
    "dev": "411706531007",
    "stage": "174558682303",
    "preprod": "391322830928",
    "prod": "857967394368",
    "local": "123456789012",
}
CERT_UUID = "5d3c2b1a-8f7e-4a6b-9c0d-1e2f3a4b5c6d"  # fixed: the twin needs stable ARNs

CHART_DEFAULTS: dict = {
    "global": {"env": "", "region": REGION, "accountId": ""},
    "image": {"repository": "", "tag": IMAGE_TAG, "pullPolicy": "IfNotPresent"},
    "nodeSelector": {"kubernetes.io/arch": "arm64"},
    "serviceAccount": {"name": "icepack", "roleArn": ""},
    "api": {
        "replicas": 2,
        "port": 8000,
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
    },
    "service": {
        "type": "LoadBalancer",
        "port": 443,
        "hostname": "",
        "certificateArn": "",
        "scheme": "internet-facing",
    },
    "worker": {
        "keda": {
            "pollingInterval": 30,
            "maxReplicaCount": 5,
            "trigger": {
                "type": "postgresql",
                "query": "SELECT COUNT(*) FROM maintenance_jobs WHERE status = 'queued'",
                "targetQueryValue": "1",
            },
        },
        "resources": {
            "requests": {"cpu": "500m", "memory": "1Gi"},
            "limits": {"cpu": "1", "memory": "2Gi"},
        },
    },
    "orchestrator": {"schedule": "0 */2 * * *", "concurrencyPolicy": "Forbid", "suspend": False},
    "healthSync": {"schedule": "*/15 * * * *", "concurrencyPolicy": "Forbid", "suspend": False},
    "postgres": {
        "internal": {
            "enabled": False,
            "replicas": 1,
            "image": "postgres:17-alpine",
            "strategy": "Recreate",
            "storageClassName": "gp3",
            "size": "20Gi",
        },
        "external": {"host": ""},
        "database": "icepack",
        "user": "icepack",
        "port": 5432,
    },
}


def _identity(env: str) -> dict:
    """What Terraform sets per environment: account-bound ARNs, hostname, image repo."""
    account = ACCOUNTS[env]
    return {
        "global": {"env": env, "accountId": account},
        "image": {"repository": f"{account}.dkr.ecr.{REGION}.amazonaws.com/icepack"},
        "serviceAccount": {"roleArn": f"arn:aws:iam::{account}:role/icepack-{env}-irsa"},
        "service": {
            "hostname": f"icepack-api.{env}.example.com",
            "certificateArn": f"arn:aws:acm:{REGION}:{account}:certificate/{CERT_UUID}",
        },
    }


def _rds(env: str) -> dict:
    return {"postgres": {"external": {"host": f"icepack-{env}.cluster-c9x2k4.{REGION}.rds.amazonaws.com"}}}


_INTERNAL_PG = {"postgres": {"internal": {"enabled": True}}}
_SMALL_ENVS = {  # dev, stage and preprod: fewer workers, orchestrator hourly at :30
    "worker": {"keda": {"maxReplicaCount": 3}},
    "orchestrator": {"schedule": "30 * * * *"},
}

ENV_OVERRIDES: dict[str, dict] = {
    "dev": {
        "api": {"resources": {
            "requests": {"cpu": "500m", "memory": "1Gi"},
            "limits": {"cpu": "1", "memory": "8Gi"},
        }},
        **_SMALL_ENVS,
        **_INTERNAL_PG,
    },
    "stage": {**_SMALL_ENVS, **_rds("stage")},
    "preprod": {**_SMALL_ENVS, **_rds("preprod")},
    "prod": {**_rds("prod")},
    "local": {**_INTERNAL_PG},  # otherwise the chart defaults: max 5, every 2h, 250m...
}


def deep_merge(base: dict, override: dict) -> dict:
    """A fresh dict: ``override`` merged onto ``base``, nested dicts merged key by key."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def values_for(env: str) -> dict:
    if env not in ENV_OVERRIDES:
        raise ValueError(f"unknown environment {env!r}; known: {', '.join(ENV_OVERRIDES)}")
    return deep_merge(deep_merge(CHART_DEFAULTS, _identity(env)), ENV_OVERRIDES[env])
