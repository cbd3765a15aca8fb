"""The error contract: a table that cannot exist is a JSON 404, never a 500 or a load balancer's HTML page."""
import pytest

from icepack_verify import ENDPOINTS, Problem, Said, describe, endpoint_path, json_media_type

UNKNOWN_TABLE = "icepack_verify_probe.no_such_table_7f3a"  # a database nobody creates


@pytest.fixture(scope="session")
def unknown_table_responses(api):
    return api.get_many([endpoint_path(UNKNOWN_TABLE, e) for e in ENDPOINTS])


def _json_object(response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def test_unknown_table_is_json_404(unknown_table_responses, diagnose):
    d = diagnose(f"unknown table {UNKNOWN_TABLE}")
    for path, response in unknown_table_responses.items():
        fine = not isinstance(response, Problem) and response.status_code == 404 and _json_object(response) \
            and json_media_type(response.headers.get("content-type"))
        if not fine:
            actual = str(response) if isinstance(response, Problem) else describe(response)
            d.mismatch(f"GET {path}", Said("404 with a JSON body announced as JSON"), Said(actual),
                       "the API's documented 404 for an untracked table")
    d.conclude()
