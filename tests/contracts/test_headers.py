"""What a client relies on besides the body, judged for every answer the run read.

The API client keeps the framing of each answer (status, headers, latency); one rule set
(icepack_verify.framing) judges them all, one test per rule family, after every other test
(marker `judges_the_run`): a route any suite reads, now or later, is judged the same way. The
read contracts, the readiness and the drain route are always among them, read as JSON.
"""
import pytest

from icepack_verify import Problem, conclude, read_as_json

pytestmark = pytest.mark.judges_the_run


@pytest.fixture(scope="session")
def heard(api, contract_responses, service_answers):
    """Every answer the run read so far (the client's record), the JSON routes among them marked."""
    for answer in [*contract_responses.values(), *(a for _, a in service_answers.values())]:
        if not isinstance(answer, Problem):
            read_as_json(answer)  # the suite reads each as JSON (contract_body, the schema and drain tests)
    return api


def judge(family: str, heard, environment, diagnose) -> None:
    conclude(diagnose(f"{family} of the {len(heard.heard)} answers read this run"), family, list(heard.heard),
             environment, heard.unheard)


def test_json_is_announced_as_json_in_utf8(heard, environment, diagnose):
    judge("content-type", heard, environment, diagnose)


def test_no_content_encoding_the_client_did_not_ask_for(heard, environment, diagnose):
    judge("encoding", heard, environment, diagnose)


def test_every_read_answers_within_the_latency_budget(heard, environment, diagnose):
    judge("latency", heard, environment, diagnose)


def test_no_shared_cache_may_serve_live_data(heard, environment, diagnose):
    judge("caching", heard, environment, diagnose)


def test_every_read_answers_200_where_it_was_asked(heard, environment, diagnose):
    judge("status", heard, environment, diagnose)
