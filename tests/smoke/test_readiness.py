"""Recovery check, first half: GET /readyz returns 200."""
import pytest

from icepack_verify import Said, describe

READYZ = "deployment document, rollback tiers: 'verify recovery by checking GET /readyz returns 200'"


def test_readyz_returns_200(environment, smoke_reads, diagnose):
    path = environment.api.readiness_route
    response = smoke_reads("readiness")
    d = diagnose(f"GET {environment.api_url}{path}")
    d.expect("status", 200, response.status_code, READYZ,
             note=f"{describe(response)} (after {environment.checks.http_attempts} attempts)")
    d.conclude()  # its latency is the framing rules' (tests/contracts/test_headers.py), as every read's


def test_ui_answers_with_html(environment, smoke_reads, diagnose):
    if not environment.ui_url:
        pytest.skip(f"{environment.name} names no ui_url in environments.toml: no UI to check")
    d = diagnose(f"UI GET {environment.ui_url}")
    response = smoke_reads("ui")
    ctype = response.headers.get("content-type", "").split(";")[0].strip()
    d.expect("response", Said("200 text/html"), Said(describe(response)), environment.source("ui_url"),
             same=lambda *_: response.status_code == 200 and ctype == "text/html")
    d.conclude()
