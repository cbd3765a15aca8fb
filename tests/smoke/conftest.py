"""The smoke suite: is the deployed service up, does a dry-run job go through, is drain off?

The deployment document's recovery check: "GET /readyz returns 200 and submitting a test
dry-run job". Routes and fields the document does not fix come from environments.toml [api].
Each endpoint is read once per session.
"""
import pytest

from icepack_verify import Problem


@pytest.fixture(scope="session")
def conventions(environment):
    return environment.api


@pytest.fixture(scope="session")
def smoke_reads(api, environment, conventions):
    """read(name) -> the answer to the readiness route, the drain route or the UI, all three fetched
    once, concurrently (a 502/503/504 retried a bounded number of times while a rollout settles);
    a Problem that kept one from answering is raised where it is read."""
    calls = {"readiness": lambda: api.get(conventions.readiness_route),
             "drain": lambda: api.get(conventions.drain_route)}
    if environment.ui_url:  # the same client: timeouts, retries, body cap
        calls["ui"] = lambda: api.get(environment.ui_url, follow_redirects=True)
    answers = dict(zip(calls, api.concurrently(lambda call: call(), list(calls.values()))))

    def read(name: str):
        if isinstance(answer := answers[name], Problem):
            raise answer
        return answer
    return read


@pytest.fixture(scope="session")
def drain_answer(smoke_reads):
    return smoke_reads("drain")


@pytest.fixture(scope="session")
def drain_on(drain_answer, conventions) -> bool | None:
    """Drain mode as the API reports it; None when it did not say."""
    try:
        value = drain_answer.json().get(conventions.drain_field)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, bool) else None
