"""The read contracts of one table tell one story.

/health and /maintenance/recommendation are assessments of a /status snapshot: their
`status_collected_at` may not be newer than /status `collected_at`, nor older than it by
more than one health-sync interval (an assessment of a superseded snapshot). No timestamp
lies in the future beyond the allowed clock skew. Values one endpoint derives from another are
recomputed: `stale` from the status's age (the newest status a health-sync run gives is not
stale), and a recommendation made of the served status quotes it (its evidence values equal the
status's values of the same name).
"""
import pytest

from icepack_verify import ENDPOINTS, Problem, Said, check_agreement, describe, endpoint_path, route

RECOMMENDATION = "maintenance/recommendation"


def test_endpoints_agree(contract_body, reread, environment, diagnose, table):
    d = diagnose(f"read contracts of {table}")
    bodies = {e: contract_body(table, e) for e in ENDPOINTS}
    not_comparable = check_agreement(d, table, bodies, environment, lambda e: reread(endpoint_path(table, e)))
    d.conclude()
    if not_comparable:
        pytest.skip(not_comparable)


def test_history_names_jobs_the_api_serves(contract_body, api, environment, diagnose, table):
    """Each job the recommendation's `history` lists is one the API serves at its job route: a history of
    jobs nobody submitted (another table's, a cache's) is a record of nothing."""
    c = environment.api
    history = contract_body(table, RECOMMENDATION).get("history")
    named = [item.get(c.history_job_id_field) for item in history if isinstance(item, dict)] \
        if isinstance(history, list) else []
    paths = {job: route(c.job_status_route, job_id=str(job)) for job in named if job is not None}
    answers = api.get_many(list(paths.values()))
    d = diagnose(f"GET {endpoint_path(table, RECOMMENDATION)} history ({table})")
    for i, (job, path) in enumerate(paths.items()):
        answer = answers[path]
        if isinstance(answer, Problem):
            raise answer
        d.expect(f"history[{i}].{c.history_job_id_field} {job}", Said(f"a job GET {path} serves (200)"),
                 Said(describe(answer)), f"{environment.source('api.job_status_route')}",
                 same=lambda *_, a=answer: a.status_code == 200)
    d.conclude()
