"""The Helm release record's rules (icepack_verify.helm_record) on the twin's own records, rendered for
every environment: healthy ones pass, each kind of break is named; the [release] settings refuse what they
cannot mean; the mutation ids name a record by its role, not its revision number."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from icepack_twin import chart, values
from icepack_verify import environments
from icepack_verify.errors import ConfigError
from icepack_verify.helm import release_values
from icepack_verify.helm_record import (MISSING, chart_label_findings, deployed_secret_findings, inventory_findings, manifest_docs, resolve,
                                        rollback_target_findings, same, time_findings, unmapped, values_findings)

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def _world(env: str):
    e = environments.load(ROOT / "environments.toml", env)
    objs = chart.render(values.values_for(env), NOW)
    secrets = chart.release_secrets(objs)  # newest first
    return e, objs, secrets, [chart.decode_release(s) for s in secrets]


def _values(e, record):
    return values_findings(release_values(record), manifest_docs(record), e.release.values_fields,
                           e.names.model_dump(), lambda p: (e.setting(p), e.source(p)))


def _history(secrets, records):
    return list(zip(reversed(secrets), reversed(records)))


@pytest.mark.parametrize("env", ["dev", "stage", "preprod", "prod", "local"])
def test_healthy_records_pass_every_rule(env):
    e, _, secrets, (current, previous) = _world(env)
    names = e.names.model_dump()
    docs = manifest_docs(current)
    assert _values(e, current) == []
    assert inventory_findings(docs, names, e.expect.postgres.internal, "manifest") == []
    assert chart_label_findings(current, docs, e.release.version_label, e.release.chart_label, "current") == []
    assert time_findings(_history(secrets, [current, previous]), e.namespace, e.checks.clock_skew) == []
    assert rollback_target_findings(previous, current, names, e.expect.postgres.internal, "previous") == []
    assert deployed_secret_findings(secrets[0]) == []
    assert [f.field for f in deployed_secret_findings({**secrets[0], "immutable": True})] == \
        ["Secret sh.helm.release.v1.icepack.v7 immutable"]
    assert unmapped(release_values(current), e.release.values_fields) == ["image.repository", "image.tag",
                                                                          "postgres.external.host"]


def test_a_value_that_disagrees_is_named_with_its_field_and_its_expectation():
    e, _, _, (current, _) = _world("local")
    current["config"]["worker"]["keda"]["maxReplicaCount"] = 10
    del current["config"]["api"]["port"]
    found = {(f.field, str(f.expected), str(f.actual)) for f in _values(e, current)}
    assert ("values worker.keda.maxReplicaCount -> manifest ScaledJob/icepack-worker spec.maxReplicaCount",
            "5", "10") in found
    assert ("values worker.keda.maxReplicaCount", "5", "10") in found
    assert any(f == "values api.port" and "containerPort = 8000" in want and got == "absent" for f, want, got in found)


def test_equal_forms_are_equal_and_missing_is_missing():
    assert same(8000, "8000") and same("500m", "0.5") and same("1Gi", "1024Mi") and same(True, "true")
    assert not same("", "250m") and not same(MISSING, None) and not same(5, 10)
    pod = {"spec": {"containers": [{"name": "api", "env": [{"name": "A", "value": "1"}]}]}}
    assert resolve(pod, "spec.containers[api].env[A].value") == [("spec.containers[api].env[A].value", "1")]
    assert resolve(pod, "spec.containers[*].env[B].value") == [("spec.containers[api].env[B].value", MISSING)]
    assert resolve({"metadata": {"annotations": {"a.b/c": "x"}}}, "metadata.annotations['a.b/c']") == \
        [("metadata.annotations['a.b/c']", "x")]


def test_times_out_of_order_or_rewritten_are_named():
    e, _, secrets, records = _world("local")
    current, previous = copy.deepcopy(records)
    current["info"]["first_deployed"] = chart.ts(NOW - timedelta(days=100))
    previous["info"]["deleted"] = chart.ts(NOW)
    previous["namespace"] = "elsewhere"
    found = [f.field for f in time_findings(_history(secrets, [current, previous]), "icepack", timedelta(minutes=2))]
    assert found == ["sh.helm.release.v1.icepack.v6 namespace", "sh.helm.release.v1.icepack.v6 info.deleted",
                     "sh.helm.release.v1.icepack.v6 info.first_deployed"]
    moved = copy.deepcopy(records[0])
    moved["info"]["last_deployed"] = chart.ts(NOW - timedelta(days=30))  # before the previous revision, and its Secret
    found = [f.expected for f in time_findings(_history(secrets, [moved, records[1]]), "icepack", timedelta(minutes=2))]
    assert any("at or after sh.helm.release.v1.icepack.v6's" in w for w in found)
    assert any("of the Secret's creationTimestamp" in w for w in found)


def test_rollback_target_without_manifest_or_chart_or_with_an_object_twice():
    e, _, _, (current, previous) = _world("local")
    names = e.names.model_dump()
    broken = {**previous, "manifest": None, "chart": {}}
    found = {(f.field, f.actual) for f in rollback_target_findings(broken, current, names, True, "previous")}
    assert found == {("previous chart.metadata.name", "absent"), ("previous chart.metadata.version", "absent"),
                     ("previous manifest", "no manifest")}
    first_doc = previous["manifest"].split("---\n")[1]
    twice = {**previous, "manifest": previous["manifest"] + "---\n" + first_doc}
    fields = [f.field for f in rollback_target_findings(twice, current, names, True, "previous")]
    assert fields == ["previous manifest ServiceAccount/icepack"]


LINE = ('"api.resources.requests.cpu" = { fields = ["Deployment/{api}:spec.template.spec.containers[*].resources.requests.cpu"], '
        'expect = "expect.api.requests.cpu" }')


@pytest.mark.parametrize("line, words", [
    (LINE.replace("{api}", "{apii}"), "{apii} is no key of [names]"),
    (LINE.replace("Deployment/{api}:", ""), "is not 'Kind/{name-role}:path'"),
    (LINE.replace('"expect.api.requests.cpu"', '"expect.api.request.cpu"'), "names no setting"),
])
def test_release_settings_refuse_an_unknown_role_or_setting(tmp_path, line, words):
    text = (ROOT / "environments.toml").read_text()
    assert LINE in text
    path = tmp_path / "environments.toml"
    path.write_text(text.replace(LINE, line))
    with pytest.raises(ConfigError) as info:
        environments.load(path, "local")
    assert words in str(info.value)


def test_mutation_ids_name_helm_records_by_role():
    from icepack_twin.mutate.kube import LAYER
    objs = json.loads(json.dumps(list(chart.render(values.values_for("local"), NOW))))
    ids = {m.id for m in LAYER.generate({"objects": objs})}
    assert "kube:Secret/sh.helm.release.v1.icepack@current:data.release{helm}.config.api.port:remove" in ids
    assert "kube:Secret/sh.helm.release.v1.icepack@previous:data.release{helm}.manifest:remove" in ids
    assert not any(".icepack.v6:" in i or ".icepack.v7:" in i for i in ids)


# --- the deployed record being deleted ---------------------------------------------------
def test_a_record_being_deleted_is_a_finding_one_that_is_not_is_none():
    from icepack_verify.helm_record import record_deletion_findings
    secret = {"metadata": {"name": "sh.helm.release.v1.icepack.v7"}}
    assert record_deletion_findings(secret) == []
    secret["metadata"].update(deletionTimestamp="2026-01-01T00:00:00Z", finalizers=["x/hold"])
    [f] = record_deletion_findings(secret)
    assert "being deleted, held by finalizers ['x/hold']" in str(f.actual) and "deletionTimestamp" in f.field
