"""The one place the suite touches Schemathesis: a served spec in, the GET operations' findings out.

Written against Schemathesis 4.32.5 (pinned in pyproject.toml). Its public pytest
integration, `schemathesis.pytest.from_fixture`, sets `Node._nodeid`, which pytest 9.2
no longer has; so the per-operation Hypothesis tests are built with Schemathesis' own
builder (`schemathesis.pytest._test_builder`, private), one operation at a time. On an
upgrade, check whether from_fixture works again and drop the private import.
"""
from __future__ import annotations

from icepack_verify.environments import Environment

SEED = 20240101  # deterministic: the same cases on every run
CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "response_schema_conformance")


def openapi_schema_for(document: dict, env: Environment):
    """The served spec as a Schemathesis schema: positive cases only, bounded, seeded, against env's API."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    config = SchemathesisConfig.from_dict({
        "seed": SEED,
        "base-url": env.api_url,
        "request-timeout": env.checks.http_timeout.total_seconds(),
        "generation": {"mode": "positive", "max-examples": env.checks.schemathesis_max_examples,
                       "database": "none"},  # no example database: no files written, nothing replayed
        "phases": {"stateful": {"enabled": False}},
    })
    return schemathesis.openapi.from_dict(document, config=config)


def check_get_operations(schema, api) -> tuple[int, dict[str, str]]:
    """Run every GET operation of the schema; (how many ran, {operation label: what broke}).

    Schemathesis builds the cases and judges the answers; the calls go through the suite's
    own client (`api`), so they get the same timeouts, bounded retries and body cap as every
    other request (Schemathesis' own requests session would not)."""
    from schemathesis.checks import load_all_checks, not_a_server_error
    from schemathesis.core.failures import FailureGroup
    from schemathesis.core.result import Ok
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.pytest._test_builder import build_operation_test
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    load_all_checks()
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]

    def call(case) -> None:
        sent = case.as_transport_kwargs()
        body = {k: sent[k] for k in ("json", "data") if k in sent}
        cookies = "; ".join(f"{k}={v}" for k, v in (sent.get("cookies") or {}).items())
        headers = {**sent["headers"], **({"Cookie": cookies} if cookies else {})}
        response = api.request(sent["method"], sent["url"], params=sent.get("params"), headers=headers,
                               **({"content": body["data"]} if "data" in body else body))
        case.validate_response(response, checks=checks, headers=headers, transport_kwargs=sent)

    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok) and r.ok().method.upper() == "GET"]
    found = {}
    for operation in operations:
        run = build_operation_test(config=schema.config, operation=operation, test_func=call, given_kwargs={},
                                   feedback=FeedbackSources())
        try:
            run()
        except (FailureGroup, AssertionError) as exc:
            found[operation.label] = str(exc).strip()
    return len(operations), found
