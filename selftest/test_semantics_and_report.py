"""Units: equality that means what operators mean, and the rollback hint."""
from datetime import timedelta

import pytest

from icepack_verify import report
from icepack_verify.contract import key_diff
from icepack_verify.semantics import (allowed_arches, arn_problems, ecr_registry, effective_resources, image_tag, instant,
                                      interval, json_media_type, node_arch, only_arch, same_image, same_quantity, unmet_node_selection,
                                      same_schedule, tls_ports)


@pytest.mark.parametrize("a, b", [("1", "1000m"), ("500m", "0.5"), ("1Gi", "1024Mi"), ("8Gi", "8192Mi")])
def test_equal_quantities(a, b):
    assert same_quantity(a, b)


@pytest.mark.parametrize("a, b", [("1", "100m"), ("512Mi", "512M"), ("1Gi", None), ("1Gi", "lots")])
def test_different_quantities(a, b):
    assert not same_quantity(a, b)


@pytest.mark.parametrize("a, b", [("0 */2 * * *", "0 0-22/2 * * *"), ("*/15 * * * *", "0,15,30,45 * * * *"),
                                  ("30 * * * *", "30 0-23 * * *")])
def test_equal_schedules(a, b):
    assert same_schedule(a, b)


@pytest.mark.parametrize("a, b", [("30 * * * *", "0 * * * *"), ("*/15 * * * *", "*/30 * * * *"),
                                  ("0 */2 * * *", "0 1-23/2 * * *"), ("30 * * * *", "not a cron"), ("30 * * * *", None)])
def test_different_schedules(a, b):
    assert not same_schedule(a, b)


@pytest.mark.parametrize("schedule, expected", [("*/15 * * * *", 15), ("30 * * * *", 60), ("0 */2 * * *", 120)])
def test_interval_of_a_schedule(schedule, expected):
    assert interval(schedule) == timedelta(minutes=expected)


def test_key_diff_names_missing_and_unexpected_keys():
    assert key_diff(frozenset({"stale", "table"}), {"staleness", "table"}) == "missing: stale; unexpected: staleness"
    assert key_diff(frozenset({"table"}), {"table"}) is None


def test_the_tier_comes_from_the_evidence_then_the_marker_then_the_folder():
    assert report.cause("tests/infra/x.py::t", 1, 'psycopg.errors.UndefinedColumn: column "x" does not exist')[0] == 3
    assert report.cause("tests/smoke/x.py::t", None, "503: drain mode is on: submissions are paused")[0] == 0
    assert report.cause("tests/infra/x.py::t", 1, "image tag differs") == (1, "what a failure of this check means "
                                                                           "(its rollback marker)")
    assert report.cause("tests/infra/x.py::t", report.UNMARKED, "spec.replicas differs") == (2, "a failing infra check")
    assert report.cause("elsewhere.py::t", report.UNMARKED, "x") == (None, "")


def test_every_implicated_tier_is_listed_most_severe_first_and_the_headline_is_the_first():
    failures = [{"test": "a", "outcome": "failed", "rollback_tier": 0, "evidence": "e0"},
                {"test": "b", "outcome": "failed", "rollback_tier": 2, "evidence": "e2"},
                {"test": "c", "outcome": "failed", "rollback_tier": 0, "evidence": "e0"}]
    data = report.summary("stage", "live", failures)
    assert [(c["tier"], c["tests"], c["evidence"]) for c in data["causes"]] == [(2, ["b"], ["e2"]), (0, ["a", "c"], ["e0"])]
    assert data["rollback_tier"] == 2 and data["rollback_hint"].startswith("Tier 2")


@pytest.mark.parametrize("results, interrupted, verdict", [
    ([{"outcome": "passed"}, {"outcome": "skipped"}], False, "safe"),
    ([{"outcome": "passed"}, {"outcome": "failed"}, {"outcome": "not run"}], False, "unsafe"),
    ([{"outcome": "passed"}, {"outcome": "not run"}], False, "inconclusive"),
    ([{"outcome": "skipped"}], False, "inconclusive"),
    ([], False, "inconclusive"),
    ([{"outcome": "passed"}], True, "inconclusive"),
])
def test_three_verdicts_and_their_exit_codes(results, interrupted, verdict):
    data = report.summary("stage", "live", [{"test": "t", **r} for r in results], interrupted=interrupted)
    assert data["verdict"] == verdict and data["exit_code"] == {"safe": 0, "unsafe": 1, "inconclusive": 75}[verdict]
    if verdict != "unsafe":
        assert data["rollback_tier"] is None and data["rollback_hint"] is None


# --- the forms treated as equal (README, "What counts as equal") ------------------------------
ECR = "411706531007.dkr.ecr.us-east-1.amazonaws.com/icepack"
DIGEST = "sha256:" + "0" * 64


@pytest.mark.parametrize("a, b", [("0.25", "250m"), ("268435456", "256Mi"), ("1e3", "1k"), ("0.5Gi", "512Mi")])
def test_more_equal_quantities(a, b):
    assert same_quantity(a, b)


def test_a_request_left_out_defaults_to_its_limit():
    assert effective_resources({"limits": {"cpu": "1"}}) == {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}
    assert effective_resources({"requests": {"cpu": "250m"}, "limits": {"cpu": "1"}})["requests"] == {"cpu": "250m"}
    assert effective_resources(None) == {"requests": {}, "limits": {}}


@pytest.mark.parametrize("a, b, tz", [("0 * * * *", "@hourly", None), ("0 0 * * *", "@daily", None),
                                      ("*/15 * * * *", "*/15 * * * *", "Asia/Kolkata"),
                                      ("30 * * * *", "30 * * * *", "Asia/Tokyo"), ("0 */2 * * *", "0 1-23/2 * * *", "Atlantic/Cape_Verde")])
def test_schedules_equal_in_their_time_zone(a, b, tz):
    assert same_schedule(a, b, time_zone=tz)


@pytest.mark.parametrize("a, b, tz", [("0 */2 * * *", "0 */2 * * *", "Asia/Kolkata"), ("30 * * * *", "30 * * * *", "Asia/Kathmandu"),
                                      ("*/15 * * * *", "*/15 * * * *", "Not/AZone")])
def test_schedules_that_fire_at_other_instants_in_their_zone(a, b, tz):
    assert not same_schedule(a, b, time_zone=tz)


@pytest.mark.parametrize("a, b", [("postgres:17-alpine", "docker.io/library/postgres:17-alpine"),
                                  ("postgres:17-alpine", "index.docker.io/library/postgres:17-alpine"),
                                  ("postgres:17-alpine", f"postgres:17-alpine@{DIGEST}"),
                                  ("bitnami/postgresql:17", "registry-1.docker.io/bitnami/postgresql:17"),
                                  ("postgres", "postgres:latest"), (f"{ECR}:2f9c1e7", f"{ECR}:2f9c1e7@{DIGEST}")])
def test_equal_images(a, b):
    assert same_image(a, b)


@pytest.mark.parametrize("a, b", [("postgres:17-alpine", "postgres:16-alpine"), ("postgres:17-alpine", "bitnami/postgres:17-alpine"),
                                  ("postgres:17-alpine", f"postgres@{DIGEST}"), ("postgres:17-alpine", "quay.io/postgres:17-alpine"),
                                  ("postgres:17-alpine", None), ("postgres:17-alpine", "Postgres:17-alpine")])
def test_different_images(a, b):
    assert not same_image(a, b)


@pytest.mark.parametrize("ref, tag", [(f"{ECR}:2f9c1e7", "2f9c1e7"), (f"{ECR}:2f9c1e7@{DIGEST}", "2f9c1e7"),
                                      (ECR, "latest"), (f"{ECR}@{DIGEST}", None), ("localhost:5000/icepack:x1", "x1")])
def test_image_tags(ref, tag):
    assert image_tag(ref) == tag


def test_ecr_registries():
    assert ecr_registry(f"{ECR}:2f9c1e7") == ("411706531007", "us-east-1")
    assert ecr_registry("docker.io/icepack/icepack:2f9c1e7") is None
    assert ecr_registry("public.ecr.aws/icepack/icepack:2f9c1e7") is None


def _affinity(*terms):
    return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": list(t)} for t in terms]}}}}


ARCH_IN = {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]}


@pytest.mark.parametrize("spec", [{"nodeSelector": {"kubernetes.io/arch": "arm64"}},
                                  {"nodeSelector": {"beta.kubernetes.io/arch": "arm64"}},
                                  _affinity([ARCH_IN]),
                                  _affinity([ARCH_IN, {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a"]}]),
                                  _affinity([ARCH_IN], [{**ARCH_IN}]),
                                  {"nodeSelector": {"kubernetes.io/arch": "arm64"},
                                   **_affinity([{"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64", "amd64"]}])}])
def test_specs_bound_to_arm64(spec):
    assert only_arch("arm64", spec)


@pytest.mark.parametrize("spec", [{}, {"nodeSelector": {"kubernetes.io/arch": "amd64"}},
                                  _affinity([{"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64", "amd64"]}]),
                                  _affinity([ARCH_IN], [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a"]}]),
                                  _affinity([{"key": "kubernetes.io/arch", "operator": "NotIn", "values": ["amd64"]}])])
def test_specs_not_bound_to_arm64(spec):
    assert not only_arch("arm64", spec)
    assert allowed_arches(spec) != frozenset({"arm64"})


NODE = {"metadata": {"name": "n1", "labels": {"kubernetes.io/arch": "arm64", "eks.amazonaws.com/nodegroup": "g",
                                             "rank": "5"}}}


@pytest.mark.parametrize("spec", [{}, {"nodeSelector": {"kubernetes.io/arch": "arm64"}}, _affinity([ARCH_IN]),
                                  _affinity([{"key": "zone", "operator": "In", "values": ["a"]}], [ARCH_IN]),
                                  _affinity([{"key": "zone", "operator": "DoesNotExist"},
                                             {"key": "eks.amazonaws.com/nodegroup", "operator": "Exists"},
                                             {"key": "kubernetes.io/arch", "operator": "NotIn", "values": ["amd64"]},
                                             {"key": "rank", "operator": "Gt", "values": ["4"]}])])
def test_a_node_whose_labels_meet_the_pods_selection(spec):
    assert unmet_node_selection(spec, NODE) == []


@pytest.mark.parametrize("spec", [{"nodeSelector": {"kubernetes.io/arch": "amd64"}},
                                  {"nodeSelector": {"kubernetes.io/os": "linux"}},
                                  _affinity([{"key": "zone", "operator": "In", "values": ["a"]}]),
                                  _affinity([{"key": "rank", "operator": "Lt", "values": ["5"]}]),
                                  _affinity([{"key": "kubernetes.io/arch", "operator": "DoesNotExist"}])])
def test_a_node_whose_labels_miss_the_pods_selection(spec):
    assert unmet_node_selection(spec, NODE)


def test_where_a_pod_ran_comes_from_the_node_report_first():
    node = {"metadata": {"labels": {"kubernetes.io/arch": "arm64"}}, "status": {"nodeInfo": {"architecture": "amd64"}}}
    assert node_arch(node) == "amd64"
    assert node_arch({"metadata": {"labels": {"kubernetes.io/arch": "arm64"}}}) == "arm64"


@pytest.mark.parametrize("annotation, ports", [("443", {443}), ("https", {443}), ("*", {443, 80}), (None, {443, 80}),
                                               ("443, 8443", {443}), ("http", {80}), ("8443", set())])
def test_tls_ports(annotation, ports):
    assert tls_ports(annotation, [{"name": "https", "port": 443}, {"name": "http", "port": 80}]) == ports


@pytest.mark.parametrize("arn, wrong", [
    ("arn:aws:acm:us-east-1:411706531007:certificate/5d3c2b1a", []),
    ("arn:aws:acm:eu-west-1:411706531007:certificate/5d3c2b1a", ["region"]),
    ("arn:aws:acm:us-east-1:857967394368:certificate/5d3c2b1a", ["account"]),
    ("arn:aws-cn:acm:us-east-1:411706531007:certificate/5d3c2b1a", ["partition"]),
    ("arn:aws:iam::411706531007:server-certificate/x", ["service", "region", "resource"]),
    ("not-an-arn", ["not an ARN"]), (None, ["not an ARN"])])
def test_acm_certificate_arns(arn, wrong):
    problems = arn_problems(arn, service="acm", account="411706531007", region="us-east-1", resource="certificate")
    assert [p.split(" ")[0] if p != "not an ARN" else p for p in problems] == wrong


@pytest.mark.parametrize("arn, ok", [("arn:aws:iam::411706531007:role/icepack-dev-irsa", True),
                                     ("arn:aws:iam::411706531007:role/service-role/icepack-dev-irsa", True),
                                     ("arn:aws:iam::411706531007:user/icepack", False),
                                     ("arn:aws:iam:us-east-1:411706531007:role/icepack", False),
                                     ("arn:aws:sts::411706531007:assumed-role/icepack/x", False)])
def test_iam_role_arns(arn, ok):
    assert (not arn_problems(arn, service="iam", account="411706531007", region=None, resource="role")) is ok


@pytest.mark.parametrize("a, b", [("2026-11-27T12:00:00+00:00", "2026-11-27T12:00:00Z"),
                                  ("2026-11-27T12:00:00+00:00", "2026-11-27T14:00:00+02:00"),
                                  ("2026-11-27T12:00:00+00:00", "2026-11-27T12:00:00.000000Z"),
                                  ("2026-11-27T12:00:00+00:00", "20261127T120000Z"),
                                  ("2026-11-27T12:00:00+00:00", "2026-11-27 12:00:00+00:00")])
def test_the_same_instant_in_any_iso_form(a, b):
    assert instant(a) == instant(b) is not None


@pytest.mark.parametrize("value", ["2026-11-27T12:00:00", "1764244800", "yesterday", None, 1764244800])
def test_not_an_instant(value):
    assert instant(value) is None


@pytest.mark.parametrize("value, ok", [("application/json", True), ("application/json; charset=utf-8", True),
                                       ("Application/JSON", True), ("application/problem+json", True),
                                       ("text/plain", False), ("text/json", False), (None, False), ("application/jsonl", False)])
def test_json_media_types(value, ok):
    assert json_media_type(value) is ok
