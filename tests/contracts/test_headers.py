"""What a client relies on besides the body, judged for every answer the run read.

The API client keeps the framing of each answer (status, headers, latency); one rule set
(icepack_verify.framing) judges them all, one test per rule family, after every other test
(marker `judges_the_run`): a route any suite reads, now or later, is judged the same way. The
read contracts, the readiness and the drain route are always among them, read as JSON.
"""
import pytest

from icepack_verify import Problem
from icepack_verify.framing import FAMILIES, conclude, read_as_json

pytestmark = pytest.mark.judges_the_run


@pytest.fixture(scope="session")
def heard(api, contract_responses, service_answers):
    """Every answer the run read so far (the client's record), the JSON routes among them marked."""
    for answer in [*contract_responses.values(), *(a for _, a in service_answers.values())]:
        if not isinstance(answer, Problem):
            read_as_json(answer)  # the suite reads each as JSON (contract_body, the schema and drain tests)
    return api


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_answer_read_is_framed_as_its_clients_rely_on(heard, environment, diagnose, family):
    d = diagnose(f"{family} of the {len(heard.heard)} answers read this run")
    conclude(d, family, list(heard.heard), environment, heard.unheard)
