"""The checks of one table's read contracts (runbook step 5), as functions.

Each records its mismatches into a Diagnosis and leaves concluding to the caller: the
per-table tests conclude one table at a time; --all-tables runs them over every tracked
table and groups the findings (icepack_verify.fleet).
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from pydantic import ValidationError

from icepack_verify.contract import CONTRACT_SOURCE, ENDPOINTS, SPLIT_READ_CONTRACTS, key_diff
from icepack_verify.diagnosis import Diagnosis, Said
from icepack_verify.environments import Environment
from icepack_verify.quoted_numbers import numbers, report_misquote, unquoted
from icepack_verify.models import MODELS, aware_timestamp, table_id, timestamp_fields
from icepack_verify.semantics import interval

AGE_ROUNDING = 2  # seconds: an age in whole seconds, of timestamps that may each be cut to the second
BASED_ON = "status_collected_at"  # an assessment names the /status snapshot it was made of
RECOMMENDATION = "maintenance/recommendation"
KEY_SET_ERRORS = {"missing", "extra_forbidden"}  # test_keys' finding, not a type's
# What a pydantic error type means, in the runbook's words.
EXPECTED_TYPE = {"bool_type": "a JSON boolean (true/false)", "none_required": "null on a healthy table",
                 "list_type": "a JSON list", "string_type": "a JSON string"}


def check_keys(d: Diagnosis, endpoint: str, body: dict) -> None:
    """Exactly the documented top-level keys."""
    expected = SPLIT_READ_CONTRACTS[endpoint]
    if diff := key_diff(expected, set(body)):
        d.mismatch("top-level keys", Said(", ".join(sorted(expected))), Said(diff), CONTRACT_SOURCE)


def check_types(d: Diagnosis, table: str, endpoint: str, body: dict) -> None:
    """The documented fields that are there carry the right types (missing/extra keys: check_keys)."""
    try:
        MODELS[endpoint].model_validate(body, context={"table": table})
        return
    except ValidationError as exc:
        errors = [e for e in exc.errors() if e["type"] not in KEY_SET_ERRORS]
    for e in errors:
        d.mismatch(".".join(map(str, e["loc"])), Said(EXPECTED_TYPE.get(e["type"], e["msg"])), e["input"],
                   f"{CONTRACT_SOURCE}; types in the contract models")


def _when(body: dict, key: str) -> datetime | None:
    try:
        return aware_timestamp(body.get(key))
    except ValueError:
        return None  # not an aware ISO-8601 timestamp: check_types reports it


def check_agreement(d: Diagnosis, table: str, bodies: dict[str, dict], env: Environment,
                    reread: Callable[[str], dict | None]) -> str | None:
    """The three contracts of one table tell one story. Returns why the timestamps could not be
    compared (not ISO-8601 with a zone), or None when they were. `reread(endpoint)` reads one
    contract again (None if unreadable): a health-sync run may commit between the concurrent reads.

    /health and /maintenance/recommendation are assessments of a /status snapshot: their
    `status_collected_at` may not be newer than /status `collected_at`, nor older than it by
    more than one health-sync interval. No timestamp lies in the future beyond the clock skew.
    An assessment is made no earlier than the status it names (less the clock skew). Values defined by
    another: `stale` against the status's age (check_stale), the ages a recommendation states against its
    own times (check_ages), and a recommendation of the served status against it (check_evidence). A
    recommendation's actions are a set, none also skipped (check_actions); no list holds a record twice
    (check_repeats)."""
    for endpoint, body in bodies.items():
        d.expect(f"{endpoint}: table", table, table_id(body.get("table")) or body.get("table"),
                 f"{CONTRACT_SOURCE}: every contract names the requested table")

    check_actions(d, bodies[RECOMMENDATION], env)
    for endpoint, body in bodies.items():
        check_repeats(d, endpoint, body)

    times = {(e, k): _when(bodies[e], k) for e in ENDPOINTS for k in timestamp_fields(e)}
    if None in times.values():
        unreadable = ", ".join(f"{e} {k}" for (e, k), t in times.items() if t is None)
        return f"timestamps not comparable ({unreadable} not ISO-8601 with a zone; see test_field_types)"

    sync = interval(env.expect.health_sync.schedule)
    sync_source = f"{env.source('expect.health_sync.schedule')}: health-sync every {sync}"
    status, collected = bodies["status"], times[("status", "collected_at")]

    def read_status_again():  # the newest /status, or the one read before if this one is unreadable
        nonlocal status, collected
        again = reread("status") or {}
        if (when := _when(again, "collected_at")) is not None:
            status, collected = again, when

    assessments = [e for e in ENDPOINTS if (e, BASED_ON) in times]
    if any(times[(e, BASED_ON)] > collected for e in assessments):
        # A health-sync ran between the concurrent reads: read /status once more, after the assessments.
        read_status_again()
    tolerance = env.checks.assessment_tolerance
    for endpoint in assessments:
        based_on = times[(endpoint, BASED_ON)]
        own_key = next(k for k in timestamp_fields(endpoint) if k != BASED_ON)  # assessed_at, evaluated_at
        own = times[(endpoint, own_key)]
        stale = lambda b, o: o >= collected and collected - b > tolerance  # noqa: E731
        if stale(based_on, own):
            # Made after the newer /status was stamped, yet of an older one: stale input, or a
            # health-sync run that had stamped but not yet committed that status. Asked again now,
            # an assessment that still names the older status is the finding.
            fresh = reread(endpoint) or {}
            based_on, own = _when(fresh, BASED_ON) or based_on, _when(fresh, own_key) or own
            if based_on > collected:  # yet another run committed meanwhile: its status, read after
                read_status_again()
        d.expect(f"{endpoint}: {BASED_ON}", f"within {tolerance} of /status collected_at {collected.isoformat()} "
                 f"(it was {own_key} {own.isoformat()}, after that status existed)",
                 f"{based_on.isoformat()} ({_seconds(collected - based_on)} older: assessed from stale input)",
                 env.source("checks.assessment_tolerance"),
                 same=lambda _e, _a, b=based_on, o=own: not stale(b, o))
        d.expect(f"{endpoint}: {BASED_ON}", f"not newer than /status collected_at {collected.isoformat()}",
                 based_on.isoformat(), f"{CONTRACT_SOURCE}: assessments are made of a status snapshot",
                 same=lambda _e, _a, b=based_on: b <= collected)
        # one interval between two runs' collections, give or take how long each collection took
        d.expect(f"{endpoint}: {BASED_ON}", f"within {sync} (+ {tolerance}) of /status collected_at "
                 f"{collected.isoformat()}",
                 f"{based_on.isoformat()} ({_seconds(collected - based_on)} older: an assessment of an older status)",
                 f"{sync_source}; {env.source('checks.assessment_tolerance')}",
                 same=lambda _e, _a, b=based_on: collected - b <= sync + tolerance)
        skew = env.checks.clock_skew  # the assessing pod's clock against the collecting one's
        d.expect(f"{endpoint}: {own_key}", f"not before its {BASED_ON} {based_on.isoformat()} (less clock skew {skew})",
                 f"{own.isoformat()} ({_seconds(based_on - own) if own < based_on else 0} before the status it assessed)",
                 f"{CONTRACT_SOURCE}: an assessment is made of a collected status; {env.source('checks.clock_skew')}",
                 same=lambda _e, _a, b=based_on, o=own: o >= b - skew)

    latest = datetime.now(timezone.utc) + env.checks.clock_skew
    for (endpoint, key), when in times.items():
        d.expect(f"{endpoint}: {key}", f"not after {latest.isoformat()} (now + clock skew)", when.isoformat(),
                 env.source("checks.clock_skew"), same=lambda _e, _a, w=when: w <= latest)

    check_stale(d, bodies["status"], times[("status", "collected_at")], sync, sync_source, env)
    check_ages(d, bodies[RECOMMENDATION], times[(RECOMMENDATION, "evaluated_at")], env)
    if times.get((RECOMMENDATION, BASED_ON)) == collected:  # made of the /status read (again, if a health-sync ran between the reads)
        check_evidence(d, bodies[RECOMMENDATION], status, env.checks.quoted_numbers)
    return None


def check_stale(d: Diagnosis, status: dict, collected: datetime, sync: timedelta, sync_source: str,
                env: Environment) -> None:
    """`stale` says whether the status is out of date: a status no older than one health-sync interval
    (the newest a run can give) is not. How much older is stale is Icepack's own setting: not judged."""
    age = datetime.now(timezone.utc) - collected
    if status.get("stale") is True and age <= sync + env.checks.clock_skew:
        age = timedelta(seconds=round(age.total_seconds()))
        d.mismatch("status: stale", Said(f"false for a status {age} old (within one health-sync interval, {sync})"),
                   True, f"{CONTRACT_SOURCE}: stale means out of date; {sync_source}")


def _at(body: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        body = body.get(part) if isinstance(body, dict) else None
    return body


def check_ages(d: Diagnosis, recommendation: dict, evaluated: datetime, env: Environment) -> None:
    """Each age the recommendation states is the age of the timestamp it measures at evaluated_at, to AGE_ROUNDING:
    the evidence of a day-old status is not the served one's."""
    for field, measured in env.api.recommendation_age_fields.items():
        source = f"{env.source(f'api.recommendation_age_fields.{field}')}: the age of {measured} at evaluated_at"
        age, when = _at(recommendation, field), _when(recommendation, measured)
        if not _is_number(age) or when is None:
            continue  # absent or not a number: the schema's finding
        expected = (evaluated - when).total_seconds()
        d.expect(f"{RECOMMENDATION}: {field}", Said(f"{expected:.0f} (evaluated_at {evaluated.isoformat()} less "
                                                    f"{measured} {when.isoformat()}, in seconds)"), age, source,
                 same=lambda _e, a, x=expected: abs(a - x) <= AGE_ROUNDING)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_actions(d: Diagnosis, recommendation: dict, env: Environment) -> None:
    """recommended_actions is a set keyed by its action field (and the fields that name what it applies to,
    api.recommendation_target_fields), and skip_reasons say why the other actions are not recommended: no action
    is recommended twice for one target, and no skip reason is about a recommended action (its subject, the words
    it starts with)."""
    key, source = env.api.recommendation_action_field, env.source("api.recommendation_action_field")
    items = recommendation.get("recommended_actions")
    items = [i for i in items if isinstance(i, dict) and isinstance(i.get(key), str) and i[key]] \
        if isinstance(items, list) else []
    targets = env.api.recommendation_target_fields
    keyed = [(i[key], json.dumps([i.get(t) for t in targets])) for i in items]
    for action in sorted({a for a, t in keyed if keyed.count((a, t)) > 1}):
        times = max(keyed.count((a, t)) for a, t in keyed if a == action)
        keyed_by = ", ".join([key, *targets])
        d.mismatch(f"{RECOMMENDATION}: recommended_actions[{key}={action}]", Said(f"once (actions are keyed by "
                   f"{keyed_by})"), Said(f"{times} times"), f"{CONTRACT_SOURCE}; {source}")
    actions = list(dict.fromkeys(a for a, _ in keyed))
    reasons = recommendation.get("skip_reasons")
    for i, reason in enumerate(reasons if isinstance(reasons, list) else ()):
        named = [a for a in actions if isinstance(reason, str) and re.match(rf"\s*{re.escape(a)}(?![\w-])", reason)]
        if named:
            d.mismatch(f"{RECOMMENDATION}: skip_reasons[{i}]", Said(f"no reason for skipping a recommended action "
                       f"({', '.join(named)} is in recommended_actions)"), reason, f"{CONTRACT_SOURCE}; {source}")


def check_repeats(d: Diagnosis, endpoint: str, body: Any, path: str = "") -> None:
    """No list of records holds one record twice (an item served twice by a join or a retried append)."""
    if isinstance(body, dict):
        for key, value in body.items():
            check_repeats(d, endpoint, value, f"{path}.{key}" if path else key)
    elif isinstance(body, list):
        records = [json.dumps(v, sort_keys=True) for v in body if isinstance(v, dict)]
        for record in sorted({r for r in records if records.count(r) > 1}):
            d.mismatch(f"{endpoint}: {path}", Said("each record once"), Said(f"{record} {records.count(record)} times"),
                       f"{CONTRACT_SOURCE}: a list of records names each once")
        for i, value in enumerate(body):
            check_repeats(d, endpoint, value, f"{path}[{i}]")


def _leaves(body: Any, path: str = "") -> dict[str, list[tuple[str, Any]]]:
    """name -> [(path, value)] of every scalar in a JSON body."""
    out: dict[str, list[tuple[str, Any]]] = {}
    for key, value in (body.items() if isinstance(body, dict) else ()):
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            for name, found in _leaves(value, where).items():
                out.setdefault(name, []).extend(found)
        elif not isinstance(value, list):
            out.setdefault(key, []).append((where, value))
    return out


def check_evidence(d: Diagnosis, recommendation: dict, status: dict, quoted_numbers: str = "fail",
                   status_said: str = "/status") -> None:
    """A recommendation made of the very /status served (its status_collected_at is that status's
    collected_at) quotes that status: each evidence value named like exactly one value of the
    status is that value. `status_said` names where `status` was read (an older status row, say)."""
    evidence = recommendation.get("evidence")
    if not isinstance(evidence, dict):
        return
    leaves = _leaves(status)
    for name, quoted in evidence.items():
        if len(leaves.get(name, ())) != 1:
            continue  # not a status value, or ambiguous: the recommendation's own
        where, value = leaves[name][0]
        if not _same_number(quoted, value):
            d.mismatch(f"{RECOMMENDATION}: evidence.{name}", Said(f"{value!r} ({status_said} {where}, the same snapshot)"),
                       quoted, _made_of(status_said))
    check_quoted_numbers(d, recommendation, status, quoted_numbers, status_said)


def _made_of(status_said: str) -> str:
    return f"{CONTRACT_SOURCE}: a recommendation is made of the status it names ({BASED_ON} = {status_said} collected_at)"


def check_quoted_numbers(d: Diagnosis, recommendation: dict, status: dict, mode: str,
                         status_said: str = "/status") -> None:
    """A recommended action's reason made of the served status quotes that status's numbers (or the evidence and
    policy it states): a number no source holds is a reason of another snapshot."""
    items = recommendation.get("recommended_actions")
    known = numbers(status, recommendation.get("evidence"), recommendation.get("policy"))
    for i, item in enumerate(items if isinstance(items, list) else ()):
        for key, text in (item.items() if isinstance(item, dict) else ()):
            for written in unquoted(text, known) if isinstance(text, str) else ():
                report_misquote(d, mode, f"{RECOMMENDATION}: recommended_actions[{i}].{key}", Said(
                    f"numbers of the status it names ({status_said}, evidence, policy; {written} is none of them)"),
                    text, _made_of(status_said))


def _same_number(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b and type(a) is type(b)


def _seconds(delta):
    """A lag as people read it: whole seconds (0:09:59, not 0:09:58.963948)."""
    return delta - timedelta(microseconds=delta.microseconds)
