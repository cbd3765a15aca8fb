"""Recovery check, first half: GET /readyz returns 200."""
import httpx
import pytest

from icepack_verify.api import describe
from icepack_verify.diagnosis import fail


def test_readyz_returns_200(environment, api):
    response = api.get("/readyz")  # 502/503/504 retried a bounded number of times while a rollout settles
    if response.status_code != 200:
        fail(f"[{environment.name}] GET {environment.api_url}/readyz: status expected 200, actual {describe(response)} "
             f"(after {environment.checks.http_attempts} attempts) [from the deployment document, rollback tiers: "
             "'verify recovery by checking GET /readyz returns 200']")


def test_ui_answers_with_html(environment):
    if not environment.ui_url:
        pytest.skip(f"{environment.name} names no ui_url in environments.toml: no UI to check")
    try:
        response = httpx.get(environment.ui_url, timeout=environment.checks.http_timeout.total_seconds(),
                             follow_redirects=True)
    except httpx.TransportError as exc:
        fail(f"[{environment.name}] UI {environment.ui_url}: unreachable ({type(exc).__name__}: {exc or 'no detail'})")
    ctype = response.headers.get("content-type", "").split(";")[0].strip()
    if response.status_code != 200 or ctype != "text/html":
        fail(f"[{environment.name}] UI GET {environment.ui_url}: expected 200 text/html, actual {describe(response)} "
             f"[from {environment.source('ui_url')}]")
