"""The smoke suite: is the deployed service up, does a dry-run job go through, is drain off?

The deployment document's recovery check: "GET /readyz returns 200 and submitting a test
dry-run job". Each endpoint is read once per session.
"""
import pytest

DRAIN_PATH = "/admin/drain"  # the twin's drain-mode route (the document does not fix it)


@pytest.fixture(scope="session")
def drain_answer(api):
    return api.get(DRAIN_PATH)


@pytest.fixture(scope="session")
def drain_on(drain_answer) -> bool | None:
    """Drain mode as the API reports it; None when it did not say."""
    try:
        value = drain_answer.json().get("drain_mode")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, bool) else None
