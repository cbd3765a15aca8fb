"""The error contract: a table that cannot exist is a JSON 404, never a 500 or a load balancer's HTML page."""
import pytest

from icepack_verify.api import describe
from icepack_verify.contract import ENDPOINTS, endpoint_path
from icepack_verify.diagnosis import fail
from icepack_verify.errors import Unreachable

UNKNOWN_TABLE = "icepack_verify_probe.no_such_table_7f3a"  # a database nobody creates


@pytest.fixture(scope="session")
def unknown_table_responses(api):
    paths = [endpoint_path(UNKNOWN_TABLE, e) for e in ENDPOINTS]
    return api.get_many(paths)


def _json_object(response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def test_unknown_table_is_json_404(unknown_table_responses, environment):
    wrong = []
    for path, response in unknown_table_responses.items():
        if isinstance(response, Unreachable):
            wrong.append(f"  GET {path}: {response}")
        elif response.status_code != 404 or not _json_object(response):
            wrong.append(f"  GET {path}: expected 404 with a JSON body, actual {describe(response)}")
    if wrong:
        fail(f"[{environment.name}] unknown table {UNKNOWN_TABLE}: {len(wrong)} endpoint(s) break the error contract"
             f"  [from the API's documented 404 for an untracked table]\n" + "\n".join(wrong))
