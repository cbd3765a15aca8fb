"""The error contract: a table that cannot exist is a JSON 404, never a 500 or a load balancer's HTML page."""
from icepack_verify import Problem, Said, describe, json_media_type


def _json_object(response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def test_unknown_table_is_json_404(unknown_table, unknown_table_responses, diagnose):
    d = diagnose(f"unknown table {unknown_table}")
    for path, response in unknown_table_responses.items():
        if isinstance(response, Problem):
            raise response  # no answer to judge: not run
        if not (response.status_code == 404 and _json_object(response)
                and json_media_type(response.headers.get("content-type"))):
            d.mismatch(f"GET {path}", Said("404 with a JSON body announced as JSON"), Said(describe(response)),
                       "the API's documented 404 for an untracked table")
    d.conclude()
