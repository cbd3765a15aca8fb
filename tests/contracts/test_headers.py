"""What a client relies on besides the body: each read contract announces its JSON as JSON and
answers within the latency budget."""
from icepack_verify import Problem, endpoint_path, json_media_type, within_budget


def test_read_contract_is_announced_as_json(contract_responses, diagnose, table, endpoint):
    response = contract_responses[(table, endpoint)]
    d = diagnose(f"GET {endpoint_path(table, endpoint)} ({table})")
    if isinstance(response, Problem):
        raise response  # no answer to judge: not run
    d.expect("Content-Type header", "application/json (or application/<x>+json)", response.headers.get("content-type"),
             "RFC 8259: a JSON body is served as application/json; clients parse by it",
             same=lambda _, got: json_media_type(got))
    d.conclude()


def test_read_contract_answers_within_budget(contract_responses, environment, diagnose, table, endpoint):
    response = contract_responses[(table, endpoint)]
    d = diagnose(f"GET {endpoint_path(table, endpoint)} ({table})")
    if isinstance(response, Problem):
        raise response  # no answer to judge: not run
    within_budget(d, response, environment)
    d.conclude()
