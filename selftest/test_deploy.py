"""deploy/: the scheduled check's manifests validate, and its Role is exactly what the suite
asks of Kubernetes (requests recorded by the twin's API emulator: no more, no less)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness import EXPECTATIONS, ROOT, edited_environments
from icepack_verify.report import EXIT_CODES

DEPLOY = ROOT / "deploy"
CORE_MANIFESTS = ["rbac.yaml", "rbac-nodes.yaml", "rbac-without-release-secrets.yaml", "cronjob.yaml"]  # PrometheusRule: promtool
VALIDATE = str(Path(sys.executable).parent / "kubernetes-validate")


def documents(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def one(name: str, kind: str) -> dict:
    return next(d for d in documents(name) if d["kind"] == kind)


@pytest.mark.parametrize("version", ["1.30.0", "1.33.0", "1.37.0"])
def test_manifests_validate_strictly(version):
    done = subprocess.run([VALIDATE, "--strict", "--quiet", "-k", version, *(str(DEPLOY / m) for m in CORE_MANIFESTS)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_strict_validation_rejects_a_misspelt_field(tmp_path):
    broken = tmp_path / "cronjob.yaml"
    broken.write_text((DEPLOY / "cronjob.yaml").read_text().replace("concurrencyPolicy:", "concurencyPolicy:"))
    done = subprocess.run([VALIDATE, "--strict", "--quiet", "-k", "1.30.0", str(broken)], capture_output=True, text=True)
    assert done.returncode != 0 and "concurencyPolicy" in done.stdout + done.stderr


def test_the_cronjob_is_the_read_only_check_every_15_minutes():
    cron = one("cronjob.yaml", "CronJob")
    spec, job = cron["spec"], cron["spec"]["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    container = pod["containers"][0]
    assert spec["schedule"] == "*/15 * * * *" and spec["concurrencyPolicy"] == "Forbid"
    assert spec["successfulJobsHistoryLimit"] >= 1 and spec["failedJobsHistoryLimit"] >= 1
    args = container["args"]
    deadline = float(next(a for a in args if a.startswith("--deadline=")).split("=")[1])
    assert deadline < job["activeDeadlineSeconds"]  # the suite ends itself (reports, metrics) before Kubernetes kills it
    assert args[args.index("-m") + 1] == "not mutating"  # never the dry-run job, whatever the environment allows
    assert not any("allow-dry-run" in a for a in args)
    assert pod["serviceAccountName"] == one("rbac.yaml", "ServiceAccount")["metadata"]["name"]
    dsn = next(e for e in container["env"] if e["name"] == "ICEPACK_DATABASE_URL")
    assert "secretKeyRef" in dsn["valueFrom"]
    assert container["securityContext"]["readOnlyRootFilesystem"] and pod["securityContext"]["runAsNonRoot"]


# --- the Role against what the suite asks for --------------------------------------------------

def rule_of(request: dict) -> tuple[str, str, str, bool]:
    """A recorded request -> (apiGroup, resource, verb, namespaced)."""
    assert request["method"] == "GET", f"the suite made a request no read-only Role grants: {request}"
    parts = request["path"].strip("/").split("/")
    group, rest = ("", parts[2:]) if parts[0] == "api" else (parts[1], parts[3:])
    namespaced = rest[:1] == ["namespaces"] and len(rest) > 2
    resource, name, sub = ((rest[2:] if namespaced else rest) + [None, None])[:3]
    return group, f"{resource}/{sub}" if sub else resource, "get" if name else "list", namespaced


def granted(*docs: dict) -> set[tuple[str, str, str, bool]]:
    return {(g, r, v, d["kind"] == "Role") for d in docs for rule in d["rules"]
            for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}


def requested(twin, tmp_path, *args) -> set:
    found = set()
    for drift in ((), ("pod-crash-looping",)):  # a crashing pod: its log tail is read too
        twin.configure("local", drifts=drift)
        twin.clear_kube_requests()
        twin.run_suite("local", *EXPECTATIONS, *args, paths=("tests/infra",))
        found |= {rule_of(r) for r in twin.kube_requests()}
    return found


def test_the_role_grants_exactly_what_the_suite_requests(twin, tmp_path):
    role = [one("rbac.yaml", "Role"), one("rbac-nodes.yaml", "ClusterRole")]
    assert requested(twin, tmp_path) == granted(*role)


def test_the_role_without_release_secrets_grants_exactly_what_the_suite_then_requests(twin, tmp_path):
    settings = edited_environments(tmp_path, ("read_release_secrets = true", "read_release_secrets = false"))
    variant = [one("rbac-without-release-secrets.yaml", "Role"), one("rbac-nodes.yaml", "ClusterRole")]
    assert requested(twin, tmp_path, f"--environments={settings}") == granted(*variant)


def test_the_role_binding_and_service_account_belong_together():
    sa, binding = one("rbac.yaml", "ServiceAccount"), one("rbac.yaml", "RoleBinding")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "icepack-verify"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                                    "namespace": sa["metadata"]["namespace"]}]
    assert all(v in ("get", "list") for rule in one("rbac.yaml", "Role")["rules"] for v in rule["verbs"])
    cluster_binding = one("rbac-nodes.yaml", "ClusterRoleBinding")
    assert cluster_binding["roleRef"]["name"] == one("rbac-nodes.yaml", "ClusterRole")["metadata"]["name"]
    assert cluster_binding["subjects"] == binding["subjects"]


# What a namespace admin may create: namespaced kinds in their namespace (an admin RoleBinding
# to the built-in `admin` ClusterRole grants no ClusterRole or ClusterRoleBinding).
NAMESPACED = {"ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret", "CronJob"}


@pytest.mark.parametrize("name", ["rbac.yaml", "rbac-without-release-secrets.yaml", "cronjob.yaml"])
def test_a_namespace_admin_can_apply_the_namespaced_manifests_whole(name):
    docs = documents(name)
    assert docs and all(d["kind"] in NAMESPACED and d["metadata"]["namespace"] == "icepack" for d in docs), \
        [(d["kind"], d["metadata"].get("namespace")) for d in docs]


def test_the_cluster_wide_read_is_its_own_file_and_every_reference_names_it():
    assert {d["kind"] for d in documents("rbac-nodes.yaml")} == {"ClusterRole", "ClusterRoleBinding"}
    readme = (ROOT / "README.md").read_text()
    assert "kubectl apply -f deploy/rbac-nodes.yaml" in readme and "(deploy/rbac-nodes.yaml)" in readme
    for path in [ROOT / "README.md", *DEPLOY.glob("*.yaml"), ROOT / "docs" / "runbook.md"]:
        text = path.read_text()
        assert "ClusterRole" not in text or "rbac-nodes.yaml" in text or path.name == "rbac-nodes.yaml", path


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    done = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# --- the Grafana dashboard (built as code: deploy/dashboard.py) ---------------------------------

def dashboard_code():
    import importlib.util

    spec = importlib.util.spec_from_file_location("icepack_dashboard", DEPLOY / "dashboard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_dashboard_is_what_its_code_generates():
    done = subprocess.run([sys.executable, str(DEPLOY / "dashboard.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads((DEPLOY / "grafana-dashboard.json").read_text()) == dashboard_code().build()


def test_the_dashboard_check_fails_on_a_hand_edited_json(tmp_path, monkeypatch):
    code = dashboard_code()
    edited = tmp_path / "grafana-dashboard.json"
    edited.write_text((DEPLOY / "grafana-dashboard.json").read_text().replace("Run duration", "Run time"))
    monkeypatch.setattr(code, "OUT", edited)
    assert code.main(["--check"]) == 1


def dashboard_queries() -> list[str]:
    board = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def test_the_dashboard_reads_only_metrics_the_suite_pushes_and_its_alert_threshold():
    from icepack_verify import metrics  # the library's own names: a renamed metric breaks the dashboard here

    pushed = {m.name for m in metrics.registry_for(
        {"environment": "x", "verdict": "safe", "exit_code": 0, "rollback_tier": None, "counts": {"passed": 1},
         "warnings": [], "results": [{"test": "tests/smoke/t.py::t", "outcome": "passed"}]}, 1.0).collect()}
    used = {name for expr in dashboard_queries() for name in re.findall(r"icepack_verify_\w+", expr)}
    assert used and used <= pushed, used - pushed
    wanted = {"icepack_verify_exit_code", "icepack_verify_last_safe_run_timestamp_seconds",
              "icepack_verify_check_state", "icepack_verify_run_duration_seconds"}  # verdict, since safe, failing, durations
    assert wanted <= used
    rule = yaml.safe_load((DEPLOY / "prometheus-rule.yaml").read_text())
    no_safe = next(r for g in rule["spec"]["groups"] for r in g["rules"] if r["alert"] == "IcepackNoSafeCheck")
    minutes, seconds = map(int, no_safe["expr"].rsplit(">", 1)[1].split("*"))
    assert dashboard_code().NO_SAFE_RUN_SECONDS == minutes * seconds
    verdicts = dashboard_code().VERDICTS.options
    assert {int(k): v.text for k, v in verdicts.items()} == {code: v for v, code in EXIT_CODES.items()}
