"""Measure maintained-looking Python OpenAPI breaking-change libraries on the selftest's oasdiff cases.

Run in a venv that has them (not a dependency of the project):
    pip install api-schema-diff==1.0.4 api-diff-sentinel==1.0.2 pytest
    PYTHONPATH=src:selftest python bench/parity/measure_openapi_libraries.py
A case agrees when the library's verdict (breaking or not) is oasdiff's (an ERR finding, or none);
WARN-only cases count as "not breaking" (oasdiff's `breaking --fail-on ERR`).
"""
from __future__ import annotations

from test_parity_breaking_changes import CASES

from icepack_verify.breaking_changes import breaking_changes


def ours(base, revision) -> bool:
    return any(c.level == "ERR" for c in breaking_changes(base, revision))


def previous_rule(base, revision) -> bool:
    """The suite's rule before issue 24: removed or retyped response properties (openapi_surface.removals)."""
    from icepack_verify.openapi_surface import removals, surface
    return bool(removals(surface(base), surface(revision)))


def api_schema_diff(base, revision) -> bool:
    from schema_diff.openapi.diff import diff_openapi
    return bool(diff_openapi(base, revision).breaking)


def api_diff_sentinel(base, revision) -> bool:
    from api_diff_sentinel.differ import compare_specs
    return compare_specs(base, revision)["is_breaking"]


for name, judge in (("icepack_verify.breaking_changes", ours), ("openapi_surface.removals (before)", previous_rule),
                    ("api-schema-diff 1.0.4", api_schema_diff),
                    ("api-diff-sentinel 1.0.2", api_diff_sentinel)):
    agree, errors, wrong = 0, 0, []
    for rule, base, revision, expected in CASES:
        want = any(level == "ERR" for _, level in expected)
        try:
            got = judge(base, revision)
        except Exception as e:  # noqa: BLE001 (a measurement: a crash is a disagreement)
            errors += 1
            wrong.append(f"{rule} (raised {type(e).__name__})")
            continue
        if got == want:
            agree += 1
        else:
            wrong.append(rule)
    print(f"{name}: {agree}/{len(CASES)} agree ({100 * agree // len(CASES)} %), {errors} raised")
    for w in wrong[:60]:
        print(f"   - {w}")
