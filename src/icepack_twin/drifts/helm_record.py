"""Drifts and probes of the Helm release record as a whole, caught by tests/infra/test_helm_record.py:
what only the record's values, its chart metadata and times, or the revision before it show (the live
objects and the manifest they are compared with stay as they were)."""
from __future__ import annotations

from typing import Callable

from icepack_twin import chart
from icepack_twin.drifts.base import DriftList
from icepack_twin.objects import Objects
from icepack_twin.values import ACCOUNTS, CHART_DEFAULTS

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")


def _record(role: int, edit: Callable[[dict], None]) -> Callable[[Objects], None]:
    """An edit of one revision's record: 0 the deployed one, 1 the one before it."""
    return lambda objs: chart.edit_release(chart.release_secrets(objs)[role], edit)


def _other_account(record: dict) -> None:
    """values-<env>.yaml copied from dev with dev's account left in global.accountId: it renders nothing the
    twin's objects show (the ARNs are set apart by Terraform), only the released values say it."""
    record["config"]["global"]["accountId"] = ACCOUNTS["dev"]


def _stale_app_version(record: dict) -> None:
    """Chart.yaml's appVersion left at the image before (Terraform sets image.tag), while the chart labels
    its objects app.kubernetes.io/version from the image it runs."""
    record["chart"]["metadata"]["appVersion"] = "1a2b3c4"


def _worker_missing_before(record: dict) -> None:
    """The previous chart version rendered no ScaledJob (KEDA off in that revision): Tier 2 would drop the worker."""
    record["manifest"] = chart.dump_manifest([d for d in chart.manifest_docs(record) if d["kind"] != "ScaledJob"])


def _defaults_in_the_chart(record: dict) -> None:
    """As Helm stores it: the chart's defaults in chart.values, only what Terraform supplied in config."""
    supplied = record["config"]
    record["chart"]["values"] = CHART_DEFAULTS
    record["config"] = _difference(supplied, CHART_DEFAULTS)


def _difference(values: dict, defaults: dict) -> dict:
    out = {}
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(defaults.get(key), dict):
            if sub := _difference(value, defaults[key]):
                out[key] = sub
        elif defaults.get(key, object()) != value:
            out[key] = value
    return out


def _other_forms(record: dict) -> None:
    """The same values in the forms Helm renders alike: a port as a string, quantities in other units."""
    api = record["config"]["api"]
    api["port"] = str(api["port"])
    for resources in api["resources"].values():
        resources["cpu"] = {"250m": "0.25", "500m": "0.5", "1": "1000m"}.get(resources["cpu"], resources["cpu"])
        resources["memory"] = {"256Mi": "268435456", "512Mi": "0.5Gi", "1Gi": "1024Mi"}.get(resources["memory"],
                                                                                         resources["memory"])


def _previous_app_version_unrendered(record: dict) -> None:
    """The revision before's record names an appVersion its manifest's objects do not carry: the record's chart
    is not the one that rendered what a rollback would apply (a record rewritten by hand or by a tool)."""
    record["chart"]["metadata"]["appVersion"] = "1a2b3c4"


DRIFTS.add("release-values-from-another-account", "the deployed revision's values carry dev's global.accountId",
           objects=_record(0, _other_account))
DRIFTS.add("release-app-version-stale", "the deployed revision's chart appVersion is the image before",
           objects=_record(0, _stale_app_version))
DRIFTS.add("helm-rollback-target-lacks-the-worker", "the revision before the deployed one rendered no ScaledJob",
           objects=_record(1, _worker_missing_before))
PROBES.add("release-values-defaults-in-the-chart", "the chart's defaults in chart.values, config only what was supplied",
           objects=_record(0, _defaults_in_the_chart))
PROBES.add("release-values-in-other-forms", "api.port a string, CPU and memory in other units",
           objects=_record(0, _other_forms))
DRIFTS.add("helm-previous-record-names-another-app-version", "the revision before's chart appVersion is not the "
           "one its manifest's objects are labelled with", objects=_record(1, _previous_app_version_unrendered))
