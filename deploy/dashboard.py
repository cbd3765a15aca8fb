"""The scheduled check's Grafana dashboard, as code (grafana-foundation-sdk, pinned in pyproject's
test extra): writes deploy/grafana-dashboard.json, which is what you import into Grafana.

    python deploy/dashboard.py            # regenerate deploy/grafana-dashboard.json
    python deploy/dashboard.py --check    # exit 1 if the committed JSON differs from this code

Panels over the metrics the suite pushes (icepack_verify.metrics; job icepack_verify): the verdict
per environment over time, the time since the last safe run (red from the 45 minutes after which
IcepackNoSafeCheck fires), the checks failing now, failures and not-run counts, and run durations.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, statetimeline, table, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import (DataSourceRef, DataTransformerConfig, GridPos, Threshold, ThresholdsMode, ValueMap,
                                                     ValueMappingResult, VariableRefresh)

OUT = Path(__file__).with_name("grafana-dashboard.json")
NO_SAFE_RUN_SECONDS = 45 * 60  # deploy/prometheus-rule.yaml, IcepackNoSafeCheck
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
SELECT = 'job="icepack_verify", environment=~"$environment"'
# The exit code carries the verdict (icepack_verify.report.EXIT_CODES): one series per environment.
VERDICTS = ValueMap({"0": ValueMappingResult(text="safe", color="green", index=0),
                     "1": ValueMappingResult(text="unsafe", color="red", index=1),
                     "75": ValueMappingResult(text="inconclusive", color="orange", index=2)})


def query(expr: str, legend: str = "{{environment}}", ref: str = "A", instant: bool = False) -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(DATASOURCE)
    return q.instant() if instant else q.range()


def thresholds(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    return dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
        [Threshold(value=v, color=c) for v, c in steps])


def build() -> dict:
    verdicts = (statetimeline.Panel().title("Verdict per environment")
                .description("Each scheduled run's verdict: safe, unsafe (a rollback tier applies) or inconclusive "
                             "(a dependency was down: never a rollback).")
                .with_target(query(f"max by (environment) (icepack_verify_exit_code{{{SELECT}}})"))
                .mappings([VERDICTS]).show_value("never").datasource(DATASOURCE)
                .grid_pos(GridPos(h=8, w=24, x=0, y=0)))
    since_safe = (stat.Panel().title("Time since the last safe run")
                  .description("IcepackNoSafeCheck fires at 45 minutes, whatever the reason (unsafe, inconclusive, "
                               "or the check not running).")
                  .with_target(query(f"time() - max by (environment) "
                                     f"(icepack_verify_last_safe_run_timestamp_seconds{{{SELECT}}})", instant=True))
                  .unit("s").decimals(0).datasource(DATASOURCE)
                  .thresholds(thresholds((None, "green"), (NO_SAFE_RUN_SECONDS, "red")))
                  .grid_pos(GridPos(h=6, w=8, x=0, y=8)))
    since_run = (stat.Panel().title("Time since the last run")
                 .description("IcepackCheckNotRunning fires at 45 minutes: the CronJob, or its push, stopped.")
                 .with_target(query(f"time() - max by (environment) "
                                    f"(icepack_verify_last_run_timestamp_seconds{{{SELECT}}})", instant=True))
                 .unit("s").decimals(0).datasource(DATASOURCE)
                 .thresholds(thresholds((None, "green"), (NO_SAFE_RUN_SECONDS, "orange")))
                 .grid_pos(GridPos(h=6, w=8, x=8, y=8)))
    tier = (stat.Panel().title("Rollback tier of the last run")
            .description("-1: none. 0 operational fix, 1 image tag back, 2 chart revert, 3 restore Postgres "
                         "(README, Verdicts, exit codes and rollback tiers).")
            .with_target(query(f"max by (environment) (icepack_verify_rollback_tier{{{SELECT}}})", instant=True))
            .mappings([ValueMap({"-1": ValueMappingResult(text="none", color="green", index=0)})])
            .thresholds(thresholds((None, "green"), (0, "orange"), (1, "red")))
            .datasource(DATASOURCE).grid_pos(GridPos(h=6, w=8, x=16, y=8)))
    failing = (table.Panel().title("Failing checks now")
               .description("Each check whose last run failed, by environment and suite (icepack_verify_check_state).")
               .with_target(query(f'icepack_verify_check_state{{{SELECT}, state="failed"}} == 1', legend="", instant=True)
                            .format("table"))
               .with_transformation(DataTransformerConfig(
                   id_val="organize", options={"excludeByName": {"Time": True, "Value": True, "__name__": True,
                                                                   "job": True, "instance": True, "state": True}}))
               .datasource(DATASOURCE).grid_pos(GridPos(h=8, w=24, x=0, y=14)))
    counts = (timeseries.Panel().title("Failures and checks not run")
              .with_target(query(f"icepack_verify_failures{{{SELECT}}}", "{{environment}} failed", "A"))
              .with_target(query(f"icepack_verify_not_run{{{SELECT}}}", "{{environment}} not run", "B"))
              .with_target(query(f"icepack_verify_warnings{{{SELECT}}}", "{{environment}} warnings", "C"))
              .min(0).decimals(0).datasource(DATASOURCE).grid_pos(GridPos(h=8, w=12, x=0, y=22)))
    durations = (timeseries.Panel().title("Run duration")
                 .description("Wall time of each run; the CronJob's --deadline ends a run at 540 s.")
                 .with_target(query(f"icepack_verify_run_duration_seconds{{{SELECT}}}"))
                 .unit("s").min(0).datasource(DATASOURCE).grid_pos(GridPos(h=8, w=12, x=12, y=22)))
    board = (dashboard.Dashboard("Icepack: scheduled verification").uid("icepack-verify")
             .tags(["icepack", "icepack-verify"]).refresh("1m").time("now-24h", "now").timezone("utc")
             .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
             .with_variable(dashboard.QueryVariable("environment").label("Environment").datasource(DATASOURCE)
                            .query('label_values(icepack_verify_verdict{job="icepack_verify"}, environment)')
                            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).multi(True).include_all(True))
             .with_panel(verdicts).with_panel(since_safe).with_panel(since_run).with_panel(tier)
             .with_panel(failing).with_panel(counts).with_panel(durations))
    return json.loads(json.dumps(board.build(), cls=JSONEncoder))


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if OUT.read_text() != text:
            print(f"{OUT} differs from deploy/dashboard.py: run python deploy/dashboard.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
