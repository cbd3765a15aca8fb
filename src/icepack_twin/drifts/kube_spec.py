"""Drifts and probes of what a CronJob's and a Deployment's spec and status mean: a field
left out live is its Kubernetes default (release vs live compares that default with the rendered value),
a CronJob's schedule is read in its zone, the controller's when it names none ('' is none the API server
admits), and its status.lastScheduleTime is one of the instants its schedule fires.
Caught by tests/infra/test_release_matches_live.py, test_cronjobs.py and test_derivation.py."""
from __future__ import annotations

from datetime import datetime, timedelta

from icepack_twin import chart
from icepack_twin.drifts.base import DriftList
from icepack_twin.objects import Objects

DRIFTS = DriftList("infra")
PROBES = DriftList("equivalent")


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _last_scheduled_between_fires(objs: Objects) -> None:
    """Someone patched the orchestrator's status (kubectl edit --subresource=status) to ten minutes before its
    last run was due: a time its schedule never fires at, in the past, before its last success."""
    st = objs.get("CronJob", "icepack-orchestrator")["status"]
    st["lastScheduleTime"] = chart.ts(_stamp(st["lastScheduleTime"]) - timedelta(minutes=10))


def _empty_time_zone(objs: Objects) -> None:
    """The orchestrator's spec.timeZone set to '' (an API server that skipped CronJob validation)."""
    objs.get("CronJob", "icepack-orchestrator")["spec"]["timeZone"] = ""


def _same_fires_in_kolkata(objs: Objects) -> None:
    """The orchestrator written for Asia/Kolkata (UTC+5:30): '30 1-23/2 * * *' there is every even UTC hour, the
    very instants '0 */2 * * *' fires in UTC; its last schedule stays the same instant."""
    objs.get("CronJob", "icepack-orchestrator")["spec"].update(schedule="30 1-23/2 * * *", timeZone="Asia/Kolkata")


def _defaults_left_out_live(objs: Objects) -> None:
    """Every field the chart renders at its Kubernetes default is left out of the live CronJobs and API
    Deployment (the live value is that default), and the jobs' templates hold completions 1, what every
    Job made from them is defaulted to (batch/v1 SetDefaults_Job)."""
    for cj in objs.of_kind("CronJob"):
        spec = cj["spec"]
        if spec.get("suspend") is False:
            del spec["suspend"]
        job = spec["jobTemplate"]["spec"]
        job["completions"] = 1
        pod = job["template"]["spec"]
        pod.pop("terminationGracePeriodSeconds")
        for c in pod["containers"]:
            if c.get("imagePullPolicy") == "IfNotPresent" and not c["image"].endswith(":latest"):
                del c["imagePullPolicy"]
    api = objs.get("Deployment", "icepack-api")["spec"]
    for key in ("revisionHistoryLimit", "progressDeadlineSeconds", "strategy"):
        api.pop(key)


DRIFTS.add("orchestrator-last-scheduled-between-fires", "orchestrator status.lastScheduleTime 10 minutes before "
           "its last fire: no instant '0 */2 * * *' fires at", objects=_last_scheduled_between_fires)
DRIFTS.add("orchestrator-time-zone-empty", "orchestrator spec.timeZone '' (the API server refuses it)",
           objects=_empty_time_zone)
PROBES.add("orchestrator-same-fires-in-kolkata-time", "orchestrator '30 1-23/2 * * *' in Asia/Kolkata: every even "
           "UTC hour, as '0 */2 * * *' in UTC", objects=_same_fires_in_kolkata)
PROBES.add("rendered-defaults-left-out-live", "fields the chart renders at Kubernetes' defaults left out of the "
           "live CronJobs and API Deployment; the jobs' completions 1 written live", objects=_defaults_left_out_live)
