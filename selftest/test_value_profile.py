"""The value rules learned into the baselines (icepack_verify.value_profile): each rule fails on the value it
exists to refuse and passes the values it was learned from."""
from icepack_verify.value_profile import POSITIVE_FROM, learn, violations


def _health(status: str, issues: list, name: str) -> dict:
    return {"health_status": status, "issues": issues, "table": {"name": name}, "count": 3, "error": None}


ISSUE = {"code": "too_many_snapshots", "severity": "warning", "message": "186 snapshots retained"}
SEEN = [_health("degraded", [ISSUE], "events"), _health("degraded", [ISSUE], "orders"), _health("healthy", [], "log")]


def test_the_values_it_learned_from_pass():
    profile = learn(SEEN)
    assert all(violations(profile, o) == [] for o in SEEN)


def test_a_word_outside_the_set_seen_fails_and_names_are_no_words():
    profile = learn(SEEN)
    assert violations(profile, _health("degraded", [{**ISSUE, "code": "tóo"}], "new_table")) == [
        ("issues[0].code", "one of 'too_many_snapshots'", "tóo")]
    assert "words" not in profile.get("table.name", {})  # each table's own: not a set of words
    assert "words" not in profile.get("issues[].message", {})  # digits: a message, not a word


def test_a_list_a_word_decides_and_a_missing_key_and_a_sign():
    profile = learn(SEEN)
    wrong = {**_health("healthy", [ISSUE], "events"), "count": -1}
    del wrong["error"]
    assert sorted(violations(profile, wrong)) == [
        ("count", "0 or more", -1), ("error", "present (in every answer the baseline saw)", "absent"),
        ("issues", "empty where health_status is 'healthy'", "1 item")]


def test_never_zero_is_learned_from_many_observations_only():
    assert learn([{"n": 5}] * 3)["n"]["sign"] == "nonnegative"  # three answers of the moment prove nothing
    profile = learn([{"n": 5 + i} for i in range(POSITIVE_FROM)])
    assert violations(profile, {"n": 0}) == [("n", "more than 0", 0)]


def test_a_derived_number_and_a_repeated_item():
    seen = [{"total": 100 * n, "count": n, "avg": 100, "ratio": round(1 / n, 4), "small": 1, "reasons": ["a", "b"]}
            for n in range(1, POSITIVE_FROM + 1)]
    seen = [{**o, "avg": o["total"] // o["count"] + i % 3, "total": o["total"] + (i % 3) * o["count"]}
            for i, o in enumerate(seen)]  # avg varies: a derivation, not a constant
    profile = learn(seen)
    assert ["total", "count"] in profile["avg"]["quotient"]
    assert all(violations(profile, o) == [] for o in seen)
    wrong = {**seen[4], "avg": seen[4]["avg"] * 100, "reasons": ["a", "a"]}
    found = {(path, expected.split(" (")[0]) for path, expected, _ in violations(profile, wrong)}
    assert ("avg", "total / count") in found and ("reasons", "no item twice") in found
