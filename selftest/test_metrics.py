"""The scheduled check's metrics, read back from a real Pushgateway (Debian's
prometheus-pushgateway) and from the textfile, and its alert rules run by promtool."""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from harness import EXPECTATIONS, ROOT, debian_tool as tool, kubeconfig

DEPLOYMENT = "infra/test_api_deployment.py::test_api_deployment_spec"
SECRET = "Metrics-secret-4471-zq"




@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    binary = tool("prometheus-pushgateway")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path_factory.mktemp("pushgateway") / "log", "wb")
    proc = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def samples(text: str) -> dict[tuple, float]:
    """(name, frozenset(labels without job/instance)) -> value."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = {k: v for k, v in s.labels.items() if k not in ("job", "instance")}
            out[(s.name, frozenset(labels.items()))] = s.value
    return out


def value(found: dict, name: str, **labels) -> float:
    return found[(name, frozenset({"environment": "local", **labels}.items()))]


def check_run(twin, tmp_path, *args, drift=None, environ=None):
    """The infra and smoke suites (any selection will do for the metrics), optionally drifted."""
    twin.configure("local", drifts=(drift,) if drift else ())
    report = tmp_path / "r.json"
    run = twin.run_suite("local", *EXPECTATIONS, f"--report-json={report}", *args, environ=environ,
                         paths=("tests/infra", "tests/smoke"))
    return run, json.loads(report.read_text())


def test_a_healthy_then_a_drifted_run_as_the_gateway_serves_them(twin, gateway, tmp_path):
    run, report = check_run(twin, tmp_path, f"--metrics-push={gateway}")
    assert run.returncode == 0 and report["metrics"]["push"]["ok"], run.output[-2000:]
    healthy = samples(httpx.get(f"{gateway}/metrics").text)
    assert value(healthy, "icepack_verify_verdict", verdict="safe") == 1
    assert value(healthy, "icepack_verify_rollback_tier") == -1 and value(healthy, "icepack_verify_failures") == 0
    checks = {dict(k[1])["check"]: v for k, v in healthy.items() if k[0] == "icepack_verify_check_passed"}
    assert len(checks) == len(report["results"]) and set(checks.values()) == {1}
    safe_at = value(healthy, "icepack_verify_last_safe_run_timestamp_seconds")
    assert safe_at == value(healthy, "icepack_verify_last_run_timestamp_seconds")

    environ = twin.environ(ICEPACK_DATABASE_URL=twin.state["database_url"].replace("twin-reader-secret", SECRET),
                           **kubeconfig(tmp_path, twin.state["kube_url"], {"token": SECRET + "-kube"}))
    environ["ICEPACK_KUBE_CONTEXT"] = "icepack-elsewhere"
    run, report = check_run(twin, tmp_path, f"--metrics-push={gateway}", drift="api-replicas-1", environ=environ)
    assert run.returncode == 1
    text = httpx.get(f"{gateway}/metrics").text
    drifted = samples(text)
    assert value(drifted, "icepack_verify_verdict", verdict="unsafe") == 1
    assert value(drifted, "icepack_verify_verdict", verdict="safe") == 0
    assert value(drifted, "icepack_verify_rollback_tier") == 2 and value(drifted, "icepack_verify_exit_code") == 1
    assert value(drifted, "icepack_verify_check_passed", suite="infra", check=DEPLOYMENT) == 0
    assert value(drifted, "icepack_verify_check_state", suite="infra", check=DEPLOYMENT, state="failed") == 1
    assert value(drifted, "icepack_verify_failures") == len(report["failures"]) >= 1
    assert value(drifted, "icepack_verify_last_safe_run_timestamp_seconds") == safe_at  # kept from the safe run
    assert value(drifted, "icepack_verify_last_run_timestamp_seconds") > safe_at
    assert SECRET not in text and "twin-reader-secret" not in text


def test_the_textfile_parses_and_keeps_the_last_safe_run(twin, tmp_path):
    path = tmp_path / "textfile" / "icepack_verify.prom"
    run, _ = check_run(twin, tmp_path, f"--metrics-textfile={path}")
    assert run.returncode == 0
    safe_at = value(samples(path.read_text()), "icepack_verify_last_safe_run_timestamp_seconds")
    run, _ = check_run(twin, tmp_path, f"--metrics-textfile={path}", drift="api-replicas-1")
    found = samples(path.read_text())
    assert value(found, "icepack_verify_verdict", verdict="unsafe") == 1
    assert value(found, "icepack_verify_last_safe_run_timestamp_seconds") == safe_at
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # written atomically: no temp file left


def test_a_failed_push_is_reported_and_the_verdict_stands(twin, tmp_path):
    run, report = check_run(twin, tmp_path, "--metrics-push=http://127.0.0.1:9")
    assert run.returncode == 0 and report["verdict"] == "safe"
    assert report["metrics"]["push"]["ok"] is False and "Connection refused" in report["metrics"]["push"]["error"]
    assert "metrics push http://127.0.0.1:9: FAILED" in run.output


def test_the_alert_rules_are_valid_and_fire_as_documented(tmp_path):
    promtool = tool("promtool")
    rule = yaml.safe_load((ROOT / "deploy" / "prometheus-rule.yaml").read_text())
    assert rule["kind"] == "PrometheusRule"
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule["spec"]))
    shutil.copy(ROOT / "deploy" / "prometheus-rule.test.yaml", tmp_path)
    for args in (["check", "rules", "rules.yaml"], ["test", "rules", "prometheus-rule.test.yaml"]):
        done = subprocess.run([promtool, *args], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_metric_names_follow_prometheus_conventions():
    from icepack_verify import metrics  # the library's own module: names only, no behaviour

    registry = metrics.registry_for({"environment": "x", "verdict": "safe", "exit_code": 0, "rollback_tier": None,
                                     "counts": {"passed": 1}, "warnings": [], "results": [
                                         {"test": "tests/smoke/t.py::t", "outcome": "passed"}]}, 1.0)
    names = {m.name for m in registry.collect()}
    assert all(n.startswith("icepack_verify_") and n == n.lower() for n in names)
    assert not any(n.endswith("_total") for n in names)  # gauges, not counters
    assert "icepack_verify_run_duration_seconds" in names and "icepack_verify_last_run_timestamp_seconds" in names


def test_every_alert_links_its_runbook_section_and_carries_a_release_label():
    rule = yaml.safe_load((ROOT / "deploy" / "prometheus-rule.yaml").read_text())
    assert rule["metadata"]["labels"].get("release")  # what the Prometheus Operator's ruleSelector matches
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    anchors = {re.sub(r"[^\w-]", "", h.strip().lower().replace(" ", "-")) for h in re.findall(r"^## (.+)$", runbook, re.M)}
    alerts = [r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]
    for alert in alerts:
        url = alert["annotations"].get("runbook_url", "")
        assert url.startswith("https://") and url.split("#")[0].endswith("docs/runbook.md"), alert["alert"]
        assert url.split("#")[1] in anchors, (alert["alert"], url)
    assert any(r["expr"].startswith("absent(") for r in alerts)  # something fires when the series vanish


def test_the_readmes_pushgateway_scrape_keeps_the_pushed_labels(tmp_path):
    promtool = tool("promtool")
    readme = (ROOT / "README.md").read_text()
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "honor_labels" in b)
    config = yaml.safe_load(block)
    assert all(job["honor_labels"] is True for job in config["scrape_configs"])
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    done = subprocess.run([promtool, "check", "config", "prometheus.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dashboards_queries_answer_as_its_panels_say(tmp_path):
    """Every panel's query through promtool (valid PromQL), and the main ones evaluated against two
    environments' pushed series: stage safe, prod unsafe with one failing check."""
    promtool = tool("promtool")
    board = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    exprs = {p["title"]: [t["expr"].replace("$environment", ".*") for t in p["targets"]] for p in board["panels"]}
    check = "infra/test_api_deployment.py::test_api_deployment_spec"
    series = [("icepack_verify_exit_code", 'environment="stage"', "0x30"),
              ("icepack_verify_exit_code", 'environment="prod"', "0x10 1x20"),
              ("icepack_verify_last_safe_run_timestamp_seconds", 'environment="stage"', "0+60x30"),
              ("icepack_verify_last_safe_run_timestamp_seconds", 'environment="prod"', "0+60x9 540x21"),
              ("icepack_verify_check_state", f'environment="prod",suite="infra",check="{check}",state="failed"',
               "0x10 1x20"),
              ("icepack_verify_check_state", f'environment="stage",suite="infra",check="{check}",state="failed"',
               "0x30")]
    failing = f'icepack_verify_check_state{{job="icepack_verify",environment="prod",suite="infra",check="{check}",state="failed"}}'
    tests = {"interval": "1m",
             "input_series": [{"series": f'{name}{{job="icepack_verify",{labels}}}', "values": values}
                              for name, labels, values in series],
             "promql_expr_test": [
                 {"expr": exprs["Verdict per environment"][0], "eval_time": "20m",
                  "exp_samples": [{"labels": '{environment="prod"}', "value": 1},
                                  {"labels": '{environment="stage"}', "value": 0}]},
                 {"expr": exprs["Time since the last safe run"][0], "eval_time": "20m",
                  "exp_samples": [{"labels": '{environment="prod"}', "value": 1200 - 540},
                                  {"labels": '{environment="stage"}', "value": 0}]},
                 {"expr": exprs["Failing checks now"][0], "eval_time": "20m",
                  "exp_samples": [{"labels": failing, "value": 1}]}]}
    (tmp_path / "none.yaml").write_text("groups: []\n")
    (tmp_path / "dashboard.test.yaml").write_text(yaml.safe_dump({"rule_files": ["none.yaml"], "tests": [tests]}))
    (tmp_path / "queries.yaml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query{i}", "expr": e} for i, e in enumerate(x for es in exprs.values() for x in es)]}]}))
    for args in (["check", "rules", "queries.yaml"], ["test", "rules", "dashboard.test.yaml"]):
        done = subprocess.run([promtool, *args], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
