"""Before apply and across environments (issue 25): the healthy twin's render passes the infra suite
with --manifests for every environment and nothing live to reach, still giving a verdict that says what
it judged; bad input is one sentence; two healthy twins compare equal where environments.toml declares
their differences, and the comparison is never run without --compare-with. (Each drift and probe of
both modes: test_drift_catalogue.py, block "before apply and across environments".)"""
from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

import promotion_runs
from drift_table import API, CRON, IMAGES, NS, PG, SA, SVC, WORKER
from harness import EXPECTATIONS, ROOT

SPEC_CHECKS = {API + "test_api_deployment_spec", CRON + "test_cronjob_spec", CRON + "test_cronjob_suspension_matches_phase",
               IMAGES + "test_workloads_run_one_image_from_ecr", IMAGES + "test_workloads_run_the_expected_image_tag",
               NS + "test_icepack_resources_live_in_the_namespace", NS + "test_workloads_select_the_expected_arch",
               SVC + "test_api_service_is_a_tls_nlb", SA + "test_irsa_role_arn", WORKER + "test_worker_scaled_job_spec",
               SA + "test_workloads_run_under_the_irsa_service_account"}
LIVE_ONLY = {API + "test_api_rollout_complete", API + "test_api_pods_healthy", CRON + "test_cronjob_recent_success",
             SVC + "test_api_service_load_balancer_provisioned", "tests/infra/test_helm_release.py::test_newest_release_is_deployed"}


def functions(run, outcome: str) -> set[str]:
    return {t.split("[")[0] for t in run.outcome(outcome)}


@pytest.mark.parametrize("env", ["dev", "stage", "preprod", "prod", "local"])
def test_healthy_render_passes_with_nothing_live(tmp_path, env):
    run = promotion_runs.judge_render(tmp_path, env, (), EXPECTATIONS)
    assert run.returncode == 0 and run.summary["verdict"] == "safe", run.explain()
    assert SPEC_CHECKS <= functions(run, "passed"), SPEC_CHECKS - functions(run, "passed")
    assert LIVE_ONLY <= functions(run, "not run")
    if env in ("dev", "local"):  # internal Postgres: its claim's spec is judged, whether it is bound is not
        assert PG + "test_postgres_pvc" in functions(run, "passed")
        assert PG + "test_postgres_pvc_bound" in functions(run, "not run")
    # one cause for every check only a live environment answers, and the verdict line says what was judged
    assert [g["cause"].split(" (")[0] for g in run.summary["not_run_causes"]] == ["not run: needs a live environment"]
    assert run.summary["judged"].startswith(f"the rendered manifests {tmp_path / 'rendered.yaml'}")
    assert f"{env} (phase live, judged the rendered manifests" in run.output
    assert "preflight: judging the rendered manifests" in run.output and "Kubernetes: DOWN" not in run.output


def test_the_whole_suite_on_a_render_gives_a_verdict(tmp_path):
    """Contracts, smoke and data need the API and the database: not run, never a connection attempted."""
    path = promotion_runs.render(tmp_path, "stage")
    run = promotion_runs.suite(tmp_path, "stage", (*EXPECTATIONS, f"--manifests={path}"), ("tests",),
                               promotion_runs.offline())
    assert run.returncode == 0 and run.summary["verdict"] == "safe", run.explain()
    suites = {t.split("/")[1] for t in run.outcome("not run")}
    assert {"contracts", "smoke", "data", "infra"} <= suites
    assert len(run.summary["not_run_causes"]) == 1


def test_the_render_is_what_helm_template_writes(tmp_path):
    docs = [d for d in yaml.safe_load_all(promotion_runs.render(tmp_path, "local").read_text()) if d]
    kinds = sorted({d["kind"] for d in docs})
    assert kinds == ["CronJob", "Deployment", "PersistentVolumeClaim", "ScaledJob", "Secret", "Service",
                     "ServiceAccount", "TriggerAuthentication"], kinds
    for d in docs:
        assert "status" not in d and set(d["metadata"]) <= {"name", "labels", "annotations"}, d["metadata"]
        assert d.get("type") != "helm.sh/release.v1"
        assert not any(k.startswith(("meta.helm.sh/", "deployment.kubernetes.io/"))
                       for k in d["metadata"].get("annotations") or {})
    assert "clusterIP" not in next(d for d in docs if d["kind"] == "Service")["spec"]


@pytest.mark.parametrize("content, words", [
    ("kind: [unclosed\n", "not YAML at line 2 (expected ',' or ']'"),
    ("---\n- just\n- a list\n", "document 1 is not a Kubernetes object"),
    ("---\n# nothing rendered\n", "holds no Kubernetes object"),
])
def test_a_bad_render_is_one_sentence(tmp_path, content, words):
    path = tmp_path / "rendered.yaml"
    path.write_text(content)
    run = promotion_runs.suite(tmp_path, "stage", (f"--manifests={path}",), ("tests/infra",), promotion_runs.offline())
    assert run.returncode == 4 and words in run.output and "Traceback" not in run.output, run.output[-2000:]


def test_a_missing_render_is_one_sentence(tmp_path):
    run = promotion_runs.suite(tmp_path, "stage", (f"--manifests={tmp_path / 'nope.yaml'}",), ("tests/infra",),
                               promotion_runs.offline())
    assert run.returncode == 4 and "No such file or directory" in run.output and "Traceback" not in run.output


@pytest.mark.parametrize("args, words", [
    (("--compare-with=stage",), "compare stage with another environment"),
    (("--compare-with=qa",), "unknown environment 'qa'"),
])
def test_compare_with_bad_input_is_one_sentence(tmp_path, args, words):
    run = promotion_runs.suite(tmp_path, "stage", args, ("tests/compare",), promotion_runs.offline())
    assert run.returncode == 4 and words in run.output and "Traceback" not in run.output, run.output[-2000:]


def test_the_comparison_runs_only_with_compare_with(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pytest", "--env", "stage", "-p", "no:cacheprovider", "--collect-only",
                           "-q", "tests/compare"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=promotion_runs.offline())
    assert "deselected" in proc.stdout and "test_promotion.py::" not in proc.stdout, proc.stdout


@pytest.mark.parametrize("env, other", [("stage", "prod"), ("preprod", "prod"), ("dev", "stage")])
def test_healthy_twins_compare_equal(tmp_path, twin, other_twin, env, other):
    run = promotion_runs.judge_pair(tmp_path, twin, other_twin, env, other, (), EXPECTATIONS)
    assert run.returncode == 0 and run.summary["verdict"] == "safe", run.explain()
    passed = functions(run, "passed")
    assert {f"tests/compare/test_promotion.py::{t}" for t in (
        "test_released_values_differ_only_where_declared", "test_same_chart_version_and_image_tags",
        "test_inventory_object_differs_only_where_declared", "test_read_contracts_have_the_same_keys_and_schemas")} <= passed


def test_an_unreachable_other_environment_is_not_run(tmp_path, twin):
    twin.configure("stage")
    environ = {**twin.environ(), "ICEPACK_PROD_KUBE_CONTEXT": "nowhere", "ICEPACK_PROD_API_URL": "http://127.0.0.1:9"}
    run = promotion_runs.suite(tmp_path, "stage", (*EXPECTATIONS, "--compare-with=prod"), ("tests/compare",), environ)
    assert run.summary["verdict"] == "inconclusive" and not run.failed, run.explain()
    assert "kube context 'nowhere'" in run.output


def test_a_file_of_several_renders_reads_as_applying_them_in_order(tmp_path):
    from icepack_verify import environments
    from icepack_verify.manifests import ManifestSnapshot

    env = environments.load(ROOT / "environments.toml", "stage", environ={})
    path = tmp_path / "renders.yaml"
    path.write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "icepack-api"}, "spec": {"replicas": 1}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "icepack-db"}, "data": {"password": "c2VjcmV0"}}]},
        None,
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "icepack-api", "namespace": "icepack"},
         "spec": {"replicas": 2}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "elsewhere", "namespace": "other"}},
    ]))
    snapshot = ManifestSnapshot.read(env, path)
    assert [o["spec"]["replicas"] for o in snapshot.list("Deployment")] == [2]  # the later document replaced it
    assert snapshot.origin("Deployment", "icepack-api") == "renders.yaml document 3"
    assert snapshot.secret_keys == {"icepack-db": ["password"]} and "c2VjcmV0" not in repr(vars(snapshot))
    with pytest.raises(pytest.skip.Exception, match="needs a live environment"):
        snapshot.list("Pod")
    with pytest.raises(pytest.skip.Exception, match="needs a live environment"):
        bool(snapshot.get("Deployment", "icepack-api").get("status") or {})


def test_a_failing_render_says_do_not_apply_once_per_cause(tmp_path):
    """Before apply nothing is rolled back: the verdict, the JSON report and the job summary say "do not
    apply" (the tier applying it would have called for is context), and what needs a live environment is
    one notice for all its tests, never a warning per test."""
    from icepack_verify import github
    from icepack_verify.report import DO_NOT_APPLY

    run = promotion_runs.judge_render(tmp_path, "dev", ("render-pvc-gp2",), EXPECTATIONS)
    data = run.summary
    assert data["verdict"] == "unsafe" and data["rollback_tier"] is None and data["rollback_hint"] is None, run.explain()
    assert data["action"] == DO_NOT_APPLY and [c["tier"] for c in data["causes"]] == [2]
    assert f"action: {DO_NOT_APPLY}" in run.output and "  had it been applied: Tier 2 (chart regression)" in run.output
    assert "\nrollback: " not in run.output
    commands = github.annotations(data)
    assert [c.split("::")[1] for c in commands] == ["error title=dev%3A test_postgres_pvc", "notice title=dev%3A not run"]
    assert f"{len(data['not_run'])} tests" in commands[1] and len(data["not_run"]) > 1
    text = github.summary(data)
    assert f"**Action:** {DO_NOT_APPLY}" in text and "**Rollback:**" not in text
    assert f"judged {data['judged']}" in text


def test_what_follows_from_a_declared_mode_is_explained_and_nothing_else():
    from icepack_verify import environments
    from icepack_verify.compare import Declarations

    def load(name):
        return environments.load(ROOT / "environments.toml", name, environ={})

    rds = "icepack-stage.cluster-c9x2k4.us-east-1.rds.amazonaws.com"
    modes = Declarations(load("dev"), load("stage"))  # in-cluster against RDS: declared in expect.postgres.internal
    for path in ("spec.triggers[0].metadata.host", "spec.template.spec.containers[api].env[PGHOST].value"):
        assert modes.explain("icepack-postgres", rds, path).startswith("follows from expect.postgres.internal")
    assert modes.explain("disable", "require", "spec.triggers[0].metadata.sslmode").startswith("follows from")
    assert modes.explain(5432, 5433, "spec.triggers[0].metadata.port") is None  # not what the mode decides
    same_mode = Declarations(load("stage"), load("prod"))  # both on RDS: a host differing is a finding
    assert same_mode.explain(rds, "icepack-prod.cluster-zz9q7w.us-east-1.rds.amazonaws.com",
                             "spec.triggers[0].metadata.host") is None
