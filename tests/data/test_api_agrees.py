"""The API serves what the snapshot tables hold, and every status an assessment names was collected.

/status is the newest status row (its columns by name, its payload's keys at every depth), /health the
newest health row (its columns by name, and by name the payload of the status it names: its `collection`).
A cache in front of /status, a value taken from another table or from an older run, a count the API
rescales: each serves a leaf the row does not hold. The status an assessment names (`status_collected_at`)
is a row of the status table, of its table: the recommendation's (it serves no row as it is), the newest
health row's of every table (health-sync assessing a status it never collected, or a table nobody collects), and
every health row's of the history the cadence judges (status rows pruned or lost behind their assessments).
A recommendation quotes the row it names (its evidence, the numbers of its reasons), whichever row that is. And
every status row of that history is assessed: health-sync writes a status and its assessment in one run.
"""
import itertools
from datetime import datetime

import pytest

from icepack_verify import (TRACKED_WITHIN, Diagnosis, Problem, Said, aware_timestamp, check_evidence, collected_near,
                            dangling_assessments, describe, differences, endpoint_path, newest_rows, resolves,
                            served_values, stale_assessments, status_row_at, unassessed_statuses)

SERVED = ("status", "health")  # the read contracts that serve a snapshot table's newest row as it is
RECOMMENDATION = "maintenance/recommendation"  # names the status it was made of, serves no row as it is


def _body(answer):
    """The JSON object an answer serves, or None."""
    try:
        body = answer.json() if answer.status_code == 200 else None
    except (ValueError, AttributeError):
        return None
    return body if isinstance(body, dict) else None


def _observe(api, database, tables):
    """The newest rows just before and just after the API's answers, and the answers."""
    before = {k: newest_rows(database, k, tables) for k in SERVED}
    answers = api.get_many([endpoint_path(t, k) for k in (*SERVED, RECOMMENDATION) for t in tables])
    after = {k: newest_rows(database, k, tables) for k in SERVED}
    return before, answers, after


def _held(settings, kind, table, rows) -> dict | None:
    """What the rows say the contract serves: /status its newest row; /health its newest row, and by name
    the payload of the status it names (its `collection`) when that is the newest status row."""
    row = rows[kind][table]
    if row is None:
        return None
    held = served_values(row, settings)
    status = rows["status"][table]
    if kind == "health" and status is not None and status[settings.status_time_column] == \
            row.get(settings.health_based_on_column):
        held = {**status[settings.status_payload_column], **held}
    return held


def _agrees(settings, kind, table, rows, answer) -> bool:
    if isinstance(answer, Problem):
        return True  # no answer to judge: raised below
    held = _held(settings, kind, table, rows)
    if held is None:
        return answer.status_code == 404  # no row and a 404 agree; an empty table is the freshness test's finding
    body = _body(answer)
    return body is not None and not differences(held, body)


def _named(answer):
    """The instant a recommendation names as the status it was made of, or None (unreadable: the contract
    tests' finding)."""
    body = _body(answer) if not isinstance(answer, Problem) else None
    try:
        return aware_timestamp(body.get("status_collected_at")) if body else None
    except (ValueError, TypeError, AttributeError):
        return None


def _unresolved(database, answers, tables) -> dict[str, datetime]:
    """{table: the instant its recommendation names} where no status row of the table was collected then."""
    named = {t: i for t in tables if (i := _named(answers[endpoint_path(t, RECOMMENDATION)])) is not None}
    return {t: i for t, i in named.items() if not resolves(i, collected_near(database, t, [i]))}


def _named_rows(database, answers, tables) -> dict[str, tuple[datetime, dict]]:
    """{table: (the instant its recommendation names, that status row)}, newest or older (a name no row answers
    is the unresolved finding's)."""
    out = {}
    for t in tables:
        instant = _named(answers[endpoint_path(t, RECOMMENDATION)])
        if instant is not None and (row := status_row_at(database, t, instant)) is not None:
            out[t] = (instant, row)
    return out


@pytest.mark.rollback(tier=1)  # the API image serves something the database does not hold
def test_api_serves_the_newest_rows(environment, api, database, thresholds, diagnose):
    s, tables = environment.data, environment.known_tables
    recent = thresholds.interval * s.cadence_intervals  # the history the cadence judges
    before, answers, after = _observe(api, database, tables)

    def agree(k, t):  # health-sync may write a row between the reads: either side of the API call is the truth
        answer = answers[endpoint_path(t, k)]
        return _agrees(s, k, t, before, answer) or _agrees(s, k, t, after, answer)

    unresolved = _unresolved(database, answers, tables)  # a run may commit its status after the API read
    if unresolved or not all(agree(k, t) for k in SERVED for t in tables):
        before, answers, after = _observe(api, database, tables)  # one re-read for a refresh race
        unresolved = _unresolved(database, answers, tables)
    dangling = dangling_assessments(database, TRACKED_WITHIN, recent)
    if dangling:  # health-sync may commit a run's health rows before its status rows: read once more
        dangling = dangling_assessments(database, TRACKED_WITHIN, recent)
    if not dangling and not any(after[k][t] for k in SERVED for t in tables):
        pytest.skip(f"no known table has a row in {s.status_table} or {s.health_table}: nothing to compare "
                    "(the freshness test says why)")
    d = diagnose(f"the read contracts of each known table versus the newest snapshot rows, and the {s.status_table} "
                 "row each assessment names")

    def row_of(table):
        return Said(f"the {s.status_time_column} of a {s.status_table} row of {table}")

    collected = f"{environment.source('data.health_based_on_column')}: an assessment is made of a collected status"
    for table, instant in unresolved.items():
        d.mismatch(f"{table} /{RECOMMENDATION} status_collected_at", row_of(table), instant.isoformat(),
                   collected, note=f"no row of {table} collected at that instant")
    for table, (instant, row) in _named_rows(database, answers, tables).items():
        # its evidence and reasons are the named row's, newest or older: the contract tests judge only a
        # recommendation of the /status they read, and a health-sync run between their reads and these
        # leaves a recommendation neither read judges
        of = Diagnosis(d.env, d.resource, warned=d.warned, strict=d.strict)
        check_evidence(of, _body(answers[endpoint_path(table, RECOMMENDATION)]) or {}, served_values(row, s),
                       environment.checks.quoted_numbers, f"the {s.status_table} row of {instant.isoformat()}")
        for m in of.mismatches:
            d.mismatch(f"{table} /{m.field}", m.expected, m.actual, m.source, m.note)
        d.hints += [h for h in of.hints if h not in d.hints]
    lag = thresholds.interval + environment.checks.assessment_tolerance
    for row in stale_assessments(database, TRACKED_WITHIN, lag, environment.checks.clock_skew):
        d.mismatch(f"{row['table']} {s.health_based_on_column} of the assessment of {row['assessed_at'].isoformat()}",
                   Said(f"within {lag} of {row['newest_status'].isoformat()}, the newest {s.status_table} row of "
                        f"{row['table']} collected by then"), row["based_on"].isoformat(),
                   f"{thresholds.source}; checks.assessment_tolerance [{environment.source('checks.assessment_tolerance')}]",
                   note="an assessment of an older run under a fresh time: health-sync carried an old assessment over?")
    for table, rows in itertools.groupby(dangling, key=lambda r: r["table"]):  # newest first per table
        newest, *older = rows
        more = (f"; nor for {len(older)} earlier assessment(s) of the last {recent}, back to "
                f"{older[-1]['assessed_at'].isoformat()}: status rows pruned or lost behind them") if older else ""
        d.mismatch(f"{table} {s.health_based_on_column} of the assessment of {newest['assessed_at'].isoformat()}",
                   row_of(table), newest["based_on"].isoformat(), collected,
                   note=f"no row of {table} collected then{more}")
    for row in unassessed_statuses(database, recent, environment.checks.assessment_tolerance):
        d.mismatch(f"{row['table']} status collected at {row['collected_at'].isoformat()}",
                   Said(f"named by a {s.health_table} row of {row['table']} (its assessment)"), Said("none names it"),
                   f"{environment.source('data.health_based_on_column')}: health-sync writes a status and its "
                   "assessment in one run", note="health-sync skipped or lost the assessment of this run")
    for k in SERVED:
        snapshot = s.status_table if k == "status" else s.health_table
        source = (f"the newest {snapshot} row, read-only session "
                  f"[{environment.source('data.status_payload_column' if k == 'status' else 'data.health_table')}]")
        for t in tables:
            answer, row = answers[endpoint_path(t, k)], after[k][t]
            if isinstance(answer, Problem):
                raise answer  # no answer to judge: not run
            if agree(k, t):
                continue
            if row is None:
                d.mismatch(f"{t} /{k}", Said(f"404 (no row in {snapshot})"), Said(describe(answer)), source)
                continue
            body = _body(answer)
            if body is None:
                d.mismatch(f"{t} /{k}", Said("200 with a JSON object serving the newest row"),
                           Said(describe(answer)), source)
                continue
            for path, held, served in differences(_held(s, k, t, after), body)[:20]:
                d.mismatch(f"{t} /{k} {path}", held.isoformat() if isinstance(held, datetime) else held, served,
                           source)
    d.conclude()
