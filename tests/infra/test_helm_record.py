"""The Helm release record as a whole (icepack_verify.helm_record): the values the release was
installed with agree with what it rendered and with the environment, its chart metadata with the
labels it wrote, its times with its history; the revision before it is a whole rollback target."""
from __future__ import annotations

import pytest

from icepack_verify import (GET_VALUES, BadRelease, chart_label_findings, decode_release, deployed_secret_findings,
                            inventory_findings, manifest_docs, record_deletion_findings, release_status, release_values,
                            rollback_target_findings, time_findings, unmapped, values_findings)


@pytest.fixture(scope="module")
def names(environment) -> dict[str, str]:
    return environment.names.model_dump()


@pytest.fixture(scope="module")
def history(release_records) -> list[tuple[dict, dict]]:
    """(Secret, record) of every revision that decodes, oldest first (the history test judges the rest)."""
    out = []
    for secret in release_records:
        try:
            out.append((secret, decode_release(secret)))
        except BadRelease:
            continue
    return sorted(out, key=lambda r: r[1].get("version") if isinstance(r[1].get("version"), int) else -1)


def _conclude(d, findings) -> None:
    for f in findings:
        d.mismatch(f.field, f.expected, f.actual, f.source)
    d.conclude()


@pytest.mark.rollback(tier=2)  # the release was applied with other values than the environment's: apply them again
def test_released_values_agree_with_the_manifest_and_the_environment(release, revision, environment, names, diagnose):
    mapping = environment.release.values_fields
    if not mapping:
        pytest.skip("environments.toml maps no values key ([release.values_fields]): "
                    "the released values are not judged")
    d = diagnose(revision)
    docs = manifest_docs(release)
    if isinstance(docs, str):
        d.cannot(f"could not read its manifest: {docs}")
    values = release_values(release)
    findings = values_findings(values, docs, mapping, names,
                               lambda path: (environment.setting(path), environment.source(path)))
    d.attach("values keys not mapped in [release.values_fields] (listed, not judged)", unmapped(values, mapping))
    d.hint(GET_VALUES.format(release=environment.names.release, namespace=environment.namespace))
    _conclude(d, findings)


def test_release_record_agrees_with_its_chart_and_its_history(release, release_secret, revision, history, environment,
                                                              names, diagnose):
    d = diagnose(revision)
    docs = manifest_docs(release)
    if isinstance(docs, str):
        d.cannot(f"could not read its manifest: {docs}")
    findings = inventory_findings(docs, names, environment.expect.postgres.internal, "manifest")
    findings += chart_label_findings(release, docs, environment.release.version_label, environment.release.chart_label,
                                     "current")
    findings += time_findings(history, environment.namespace, environment.checks.clock_skew)
    findings += deployed_secret_findings(release_secret)
    findings += record_deletion_findings(release_secret)
    d.hint(f"helm history {environment.names.release} -n {environment.namespace}")
    _conclude(d, findings)


@pytest.mark.rollback(tier=None)  # what is deployed is fine; the way back is broken: no rollback repairs that
def test_previous_revision_is_a_whole_rollback_target(history, release, environment, names, release_name, diagnose):
    """Tier 2 (document lines 131-136) returns to the revision before the deployed one: the newest older
    revision that was superseded (a failed upgrade between is no target)."""
    deployed = release.get("version")
    older = [(s["metadata"]["name"], r) for s, r in history if isinstance(r.get("version"), int)
             and isinstance(deployed, int) and r["version"] < deployed and release_status(r) == "superseded"]
    if not older:
        pytest.skip(f"{release_name} has no superseded revision before the deployed one: nothing to roll back to "
                    "(the history test judges whether one is missing)")
    name, previous = older[-1]
    d = diagnose(f"{release_name} rollback target (Secret {name})")
    d.hint(f"helm get manifest {environment.names.release} -n {environment.namespace} "
           f"--revision {previous['version']}")
    _conclude(d, rollback_target_findings(previous, release, names, environment.expect.postgres.internal, "previous",
                                          environment.release.version_label, environment.release.chart_label))
