"""What the deployment document leaves open is configuration: API conventions, per-environment
OpenAPI baselines, and the Postgres mode checked against the release and the namespace."""
from __future__ import annotations

import re

import pytest

from harness import EXPECTATIONS, ROOT, Twin

DRAIN = "tests/smoke/test_drain.py::test_drain_mode_matches_the_phase"
DRY_RUN = "tests/smoke/test_dry_run.py::test_dry_run_job_completes_and_changes_nothing"
BASELINE = "tests/contracts/test_openapi.py::test_no_breaking_change_against_baseline"
MODE = "tests/infra/test_postgres.py::test_postgres_mode_matches_the_release"
# The twin's other API style (icepack_twin.app.API_STYLES["alt"]), as an operator would write it down.
ALT_API = """
[environments.alt.api]
drain_route = "/v2/admin/maintenance-mode"
drain_field = "enabled"
job_submit_route = "/v2/jobs/{database}/{table}"
job_id_field = "id"
job_status_route = "/v2/jobs/{job_id}"
job_state_field = "phase"
job_success_states = ["done"]
job_failure_states = ["error"]
job_idempotency_header = "X-Client-Token"
job_lookup_route = "/v2/jobs?client_token={key}"
job_lookup_items_field = "items"
"""


def environments_file(tmp_path, *, extra: str = "", local_postgres: str = "true", dry_run_timeout: str = "4s"):
    """environments.toml with an `alt` environment (local's settings) and any extra text."""
    text = (ROOT / "environments.toml").read_text()
    text = re.sub(r'(?m)^dry_run_timeout = ".*"', f'dry_run_timeout = "{dry_run_timeout}"', text)
    local = text[text.index("[environments.local]"):]
    text = text.replace("[environments.local.expect.postgres]\ninternal = true",
                        f"[environments.local.expect.postgres]\ninternal = {local_postgres}")
    path = tmp_path / "environments.toml"
    path.write_text(text + "\n" + local.replace("[environments.local", "[environments.alt") + ALT_API + extra)
    return f"--environments={path}"


@pytest.fixture(scope="module")
def alt_twin(tmp_path_factory):
    """A twin serving the other API style: drain, job submission and job status elsewhere, other fields."""
    twin = Twin(tmp_path_factory.mktemp("alt-twin"), extra=("--api-style", "alt"))
    yield twin
    twin.close()


def test_configured_conventions_pass_a_healthy_api_of_another_style(alt_twin, tmp_path):
    alt_twin.configure("local")
    run = alt_twin.run_suite("alt", *EXPECTATIONS, "--allow-dry-run", environments_file(tmp_path))
    assert run.returncode == 0 and run.summary["verdict"] == "safe", run.explain()
    assert {DRAIN, DRY_RUN} <= {r["test"] for r in run.results if r["outcome"] == "passed"}


@pytest.mark.parametrize("drift, words", [
    ("drain-left-on", {DRAIN: "enabled: expected False, actual True", DRY_RUN: "Drain mode is on"}),
    ("dry-run-rejected", {DRY_RUN: "expected 202 with a id, actual 422"}),
])
def test_configured_conventions_still_catch_drifts(alt_twin, tmp_path, drift, words):
    alt_twin.configure("local", drifts=(drift,))
    run = alt_twin.run_suite("alt", "--allow-dry-run", environments_file(tmp_path), paths=("tests/smoke",))
    assert run.failed == set(words), run.explain()
    for test, word in words.items():
        assert word in run.messages(test), run.messages(test)


def test_default_conventions_against_another_style_name_the_routes_they_tried(alt_twin, tmp_path):
    alt_twin.configure("local")
    run = alt_twin.run_suite("local", "--allow-dry-run", environments_file(tmp_path), paths=("tests/smoke",))
    assert run.failed == {DRAIN, DRY_RUN}, run.explain()
    assert "GET http://" in run.messages(DRAIN) and "/admin/drain: " in run.messages(DRAIN)
    assert "POST http://" in run.messages(DRY_RUN) and "/tables/analytics/events/maintenance/jobs" in run.messages(DRY_RUN)


def test_a_recorded_baseline_catches_a_removed_path_and_a_missing_one_says_how_to_record(twin, tmp_path):
    folder = tmp_path / "baselines"
    twin.configure("stage")
    recorded = twin.run_suite("stage", f"--baseline-dir={folder}", "--record-baseline", paths=("tests/contracts/test_openapi.py",))
    assert (folder / "stage.json").exists(), recorded.output[-2000:]
    assert "recorded the first OpenAPI baseline of stage" in recorded.output  # an empty folder: nothing to compare
    assert "against the previous one" not in recorded.output
    again = twin.run_suite("stage", f"--baseline-dir={folder}", "--record-baseline", paths=("tests/contracts/test_openapi.py",))
    assert "against the previous one, 0 breaking change(s), 0 addition(s)" in again.output, again.output[-2000:]
    twin.configure("stage", drifts=("openapi-endpoint-removed",))
    run = twin.run_suite("stage", f"--baseline-dir={folder}", paths=("tests/contracts/test_openapi.py",))
    assert BASELINE in run.failed and "path /tables/{database}/{table}/health removed" in run.messages(BASELINE)
    missing = twin.run_suite("prod", f"--baseline-dir={folder}", paths=("tests/contracts/test_openapi.py",))
    skipped = [r for r in missing.results if r["test"] == BASELINE]
    assert skipped and skipped[0]["outcome"] == "skipped"
    assert f"pytest --env prod --record-baseline --baseline-dir={folder} tests/contracts/test_openapi.py" in skipped[0]["message"]


@pytest.mark.parametrize("twin_env, internal, released", [("local", "false", "True"), ("stage", "true", "False")])
def test_a_postgres_expectation_the_release_contradicts_fails_naming_both(twin, tmp_path, twin_env, internal, released):
    twin.configure(twin_env)
    envs = environments_file(tmp_path, local_postgres=internal, extra=(
        f"\n[environments.stage.expect.postgres]\ninternal = {internal}\n" if twin_env == "stage" else ""))
    run = twin.run_suite(twin_env, envs, paths=("tests/infra/test_postgres.py",))
    assert MODE in run.failed, run.explain()
    message = run.messages(MODE)
    assert f"values postgres.internal.enabled: expected {internal.title()}, actual {released}" in message
    assert "environments.toml expect.postgres.internal" in message and "present" in message


def test_external_postgres_skips_its_checks_in_the_releases_words(twin):
    twin.configure("stage")
    run = twin.run_suite("stage", paths=("tests/infra/test_postgres.py",))
    assert not run.failed and MODE in run.outcome("passed"), run.explain()
    skips = [r["message"] for r in run.results if r["outcome"] == "skipped"]
    assert len(skips) == 4 and all("the Helm release's values say postgres.internal.enabled=False" in m for m in skips)


# The twin's third API style (icepack_twin.app.API_STYLES["body"]): the job submission takes the
# table in its body, so the route has no placeholders and the body carries them.
BODY_API = """
[environments.body.api]
job_submit_route = "/v3/maintenance/jobs"
job_submit_body = { action = "expire_snapshots", dry_run = true, target = { database = "{database}", table = "{table}" } }
job_status_route = "/v3/maintenance/jobs/{job_id}"
job_lookup_route = "/v3/maintenance/jobs?idempotency_key={key}"
"""


def body_environments(tmp_path, *api_settings: str) -> str:
    """environments.toml with a `body` environment (local's settings, BODY_API and these [api] lines)."""
    text = (ROOT / "environments.toml").read_text()
    local = text[text.index("[environments.local]"):]
    path = tmp_path / "environments.toml"
    path.write_text(text + "\n" + local.replace("[environments.local", "[environments.body") + BODY_API
                    + "".join(f"{line}\n" for line in api_settings))
    return f"--environments={path}"


@pytest.fixture(scope="module")
def body_twin(tmp_path_factory):
    twin = Twin(tmp_path_factory.mktemp("body-twin"), extra=("--api-style", "body"))
    yield twin
    twin.close()


def test_a_job_api_taking_the_table_in_its_body_is_configured_by_settings_alone(body_twin, tmp_path):
    body_twin.configure("local")
    before = body_twin.job_count()
    run = body_twin.run_suite("body", "--allow-dry-run", body_environments(tmp_path), paths=("tests/smoke",))
    assert run.returncode == 0 and DRY_RUN in run.outcome("passed"), run.explain()
    assert body_twin.job_count() == before + 1  # one job, for a tracked table (an untracked one is a 404)
    default = body_twin.run_suite("local", "--allow-dry-run", paths=("tests/smoke/test_dry_run.py",))
    assert DRY_RUN in default.failed and "/tables/analytics/events/maintenance/jobs" in default.messages(DRY_RUN)


def test_changed_nothing_compares_status_fields_only_where_a_setting_names_them(body_twin, tmp_path):
    """The document defines no /status fields for a job: by default the job's own changes field is
    the judge and /status is not read; api.job_unchanged_status_fields adds the comparison."""
    body_twin.configure("local")
    status = "GET /tables/analytics/events/status"
    body_twin.clear_api_requests()
    run = body_twin.run_suite("body", "--allow-dry-run", body_environments(tmp_path),
                              paths=("tests/smoke/test_dry_run.py",))
    assert DRY_RUN in run.outcome("passed") and body_twin.api_requests().get(status, 0) == 0, run.explain()
    body_twin.clear_api_requests()
    opted_in = body_environments(tmp_path, 'job_unchanged_status_fields = ["snapshot.snapshot_count", "no.such"]')
    run = body_twin.run_suite("body", "--allow-dry-run", opted_in, paths=("tests/smoke/test_dry_run.py",))
    assert body_twin.api_requests().get(status, 0) == 2  # before and after the job
    # a field /status does not carry cannot show it unchanged: the comparison is real
    assert DRY_RUN in run.failed and "status no.such: expected >= None (before the job), actual None" \
        in run.messages(DRY_RUN), run.explain()
    assert "snapshot.snapshot_count" not in run.messages(DRY_RUN)  # that one held
