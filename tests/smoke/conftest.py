"""The smoke suite: is the deployed service up, does a dry-run job go through, is drain off?

The deployment document's recovery check: "GET /readyz returns 200 and submitting a test
dry-run job". Routes and fields the document does not fix come from environments.toml [api].
Each endpoint is read once per session.
"""
import pytest


@pytest.fixture(scope="session")
def conventions(environment):
    return environment.api


@pytest.fixture(scope="session")
def drain_answer(api, conventions):
    return api.get(conventions.drain_route)


@pytest.fixture(scope="session")
def drain_on(drain_answer, conventions) -> bool | None:
    """Drain mode as the API reports it; None when it did not say."""
    try:
        value = drain_answer.json().get(conventions.drain_field)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, bool) else None
