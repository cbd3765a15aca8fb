"""The read contracts of one table tell one story.

/health and /maintenance/recommendation are assessments of a /status snapshot: their
`status_collected_at` may not be newer than /status `collected_at`, nor older than it by
more than one health-sync interval (an assessment of a superseded snapshot). No timestamp
lies in the future beyond the allowed clock skew, and no assessment was made before the status it
names. Values one endpoint derives from another are recomputed: `stale` from the status's age (the
newest status a health-sync run gives is not stale), the ages a recommendation states from its own
times, and a recommendation made of the served status quotes it (its evidence values equal the
status's values of the same name, the numbers its reasons give are that snapshot's). The recommended
actions are a set keyed by their action, none of them also skipped; no list holds a record twice.
"""
import pytest

from icepack_verify import ENDPOINTS, check_agreement, endpoint_path


def test_endpoints_agree(contract_body, reread, environment, diagnose, table):
    d = diagnose(f"read contracts of {table}")
    bodies = {e: contract_body(table, e) for e in ENDPOINTS}
    not_comparable = check_agreement(d, table, bodies, environment, lambda e: reread(endpoint_path(table, e)))
    d.conclude()
    if not_comparable:
        pytest.skip(not_comparable)
