"""What the values of a healthy environment's answers and rows look like, learned once and recorded
with the baseline, then checked for every answer and row: a rule a schema cannot state.

Learned from every observation of a path (`issues[].code`: every item of every observation):

- keys: the keys an object holds in every observation (a free-form object, such as a map of
  numbers, has no `required` in its schema);
- words: a string path whose values are words (letters, `_`, `-`, `:`, `.`, spaces; no digits,
  so no ids, sizes, messages or timestamps) and repeat, or were seen once: the set seen. A word
  outside it is a value nobody wrote (a path whose schema has an enum is the schema's to judge);
- sign: a number never negative stays so; with at least POSITIVE_FROM observations (a day of
  rows, not three answers of the moment, which may hold an age of zero), one never zero stays so;
- follows: a list whose emptiness a word decides (`health_status` healthy: `issues` empty,
  degraded: not): seen both empty and not, each word always one way;
- unique: a list of words or numbers never seen holding one twice (one seen with two at least);
- quotient: with at least POSITIVE_FROM observations, a number that is always another divided by a
  third (an average, a ratio: `derived.avg_file_bytes` is `files.total_data_bytes` over
  `files.data_file_count`), to the precision it is rounded to.

The rules are in the baseline file for a person to read and edit; a legitimate change is recorded
anew (`--record-baseline`).
"""
from __future__ import annotations

import re
from typing import Any, Iterable

WORD = re.compile(r"^[A-Za-z_][A-Za-z_ :.\-]{0,63}$")
POSITIVE_FROM = 20  # observations before "never zero" is a rule, not a coincidence
SHOWN_WORDS = 12


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _walk(value: Any, path: str, out: dict[str, list]) -> None:
    out.setdefault(path, []).append(value)
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        for v in value:
            _walk(v, f"{path}[]", out)


def _values(observations: Iterable[Any]) -> dict[str, list]:
    out: dict[str, list] = {}
    for o in observations:
        _walk(o, "", out)
    return out


def learn(observations: list[Any], enumerated: Iterable[str] = ()) -> dict:
    """{path: {rule: ...}} from the observations; `enumerated`: paths whose schema already has an enum."""
    observations = list(observations)
    values, skip = _values(observations), set(enumerated)
    profile: dict[str, dict] = {}
    for path, seen in values.items():
        rules: dict = {}
        objects = [v for v in seen if isinstance(v, dict)]
        if objects and len(objects) == len(seen):
            keys = set.intersection(*(set(o) for o in objects))
            if keys:
                rules["keys"] = sorted(keys)
        strings = [v for v in seen if v is not None]
        if strings and path not in skip and all(isinstance(v, str) and WORD.match(v) for v in strings):
            if len(set(strings)) < len(strings) or len(strings) == 1:
                rules["words"] = sorted(set(strings))
        numbers = [v for v in seen if v is not None]
        if numbers and all(_is_number(v) for v in numbers):
            if len(numbers) >= POSITIVE_FROM and min(numbers) > 0:
                rules["sign"] = "positive"
            elif min(numbers) >= 0:
                rules["sign"] = "nonnegative"
        lists = [v for v in seen if isinstance(v, list)]
        if lists and len(lists) == len(seen) and any(len(v) > 1 for v in lists) and all(
                all(isinstance(x, (str, int, float)) for x in v) and len(set(v)) == len(v) for v in lists):
            rules["unique"] = True
        if rules:
            profile[path] = rules
    _learn_follows(observations, profile)
    if len(observations) >= POSITIVE_FROM:
        _learn_quotients(observations, profile)
    return profile


def _numbers(o: Any) -> dict[str, float]:
    """The numbers of an observation at paths without lists."""
    out: dict[str, float] = {}

    def walk(v: Any, path: str) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{path}.{k}" if path else str(k))
        elif _is_number(v):
            out[path] = v
    walk(o, "")
    return out


def _is_quotient(x: float, y: float, z: float) -> bool:
    """x is y / z as an average or a ratio is written: floored to an integer, or rounded to x's own decimals."""
    if z == 0:
        return False
    if isinstance(x, int):
        return x == y // z
    decimals = len(repr(x).split(".")[1]) if "." in repr(x) and "e" not in repr(x) else 6
    return abs(round(y / z, decimals) - x) <= 10 ** -decimals


def _learn_quotients(observations: list[Any], profile: dict) -> None:
    rows = [_numbers(o) for o in observations]
    paths = sorted(set.intersection(*(set(r) for r in rows))) if rows else []
    for x in paths:
        for y in paths:
            for z in paths:
                if len({x, y, z}) < 3 or not all(_is_quotient(r[x], r[y], r[z]) for r in rows[:POSITIVE_FROM]):
                    continue  # most triples fail on the first rows: the rest are read for the few that hold
                if len({r[y] / r[z] if r[z] else None for r in rows}) < 2:
                    continue  # a constant ratio is no evidence of a derivation
                if all(_is_quotient(r[x], r[y], r[z]) for r in rows):
                    profile.setdefault(x, {}).setdefault("quotient", []).append([y, z])


def _scalars_and_lists(o: Any) -> tuple[dict[str, Any], dict[str, bool]]:
    """The words at paths without lists, and the emptiness of every list, of one observation."""
    words: dict[str, Any] = {}
    lists: dict[str, bool] = {}

    def walk(v: Any, path: str) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{path}.{k}" if path else str(k))
        elif isinstance(v, list):
            lists[path] = not v
        elif isinstance(v, str) and WORD.match(v):
            words[path] = v
    walk(o, "")
    return words, lists


def _learn_follows(observations: list[Any], profile: dict) -> None:
    seen: dict[tuple[str, str], dict[str, set[bool]]] = {}
    words_of: dict[str, list] = {}
    for o in observations:
        words, lists = _scalars_and_lists(o)
        for w, word in words.items():
            words_of.setdefault(w, []).append(word)
            for lst, empty in lists.items():
                seen.setdefault((w, lst), {}).setdefault(word, set()).add(empty)
    for (w, lst), by_word in seen.items():
        repeated = len(set(words_of[w])) < len(words_of[w])  # a kind of thing, not each table's own name
        if repeated and len(by_word) > 1 and all(len(e) == 1 for e in by_word.values()) \
                and {next(iter(e)) for e in by_word.values()} == {True, False}:
            profile.setdefault(lst, {}).setdefault("follows", {})[w] = {
                word: "empty" if next(iter(e)) else "not empty" for word, e in sorted(by_word.items())}


def _concrete(value: Any, path: str, out: list[tuple[str, str, Any]]) -> None:
    """(pattern path, concrete path, value) for every node: `issues[].code` and `issues[1].code`."""
    def walk(v: Any, pattern: str, concrete: str) -> None:
        out.append((pattern, concrete or "(body)", v))
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{pattern}.{k}" if pattern else str(k), f"{concrete}.{k}" if concrete else str(k))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, f"{pattern}[]", f"{concrete}[{i}]")
    walk(value, path, path)


def _shown(words: list[str]) -> str:
    more = len(words) - SHOWN_WORDS
    return "one of " + ", ".join(map(repr, words[:SHOWN_WORDS])) + (f" and {more} more" if more > 0 else "")


def violations(profile: dict, value: Any) -> list[tuple[str, str, Any]]:
    """(concrete path, what the profile expects, what the value holds) for every rule it breaks."""
    nodes: list[tuple[str, str, Any]] = []
    _concrete(value, "", nodes)
    out: list[tuple[str, str, Any]] = []
    words_here, _ = _scalars_and_lists(value)
    numbers = _numbers(value)
    for pattern, concrete, v in nodes:
        rules = profile.get(pattern)
        if not rules:
            continue
        if "keys" in rules and isinstance(v, dict):
            out += [(f"{concrete}.{k}" if pattern else k, "present (in every answer the baseline saw)", "absent")
                    for k in rules["keys"] if k not in v]
        if "words" in rules and isinstance(v, str) and v not in rules["words"]:
            out.append((concrete, _shown(rules["words"]), v))
        if "sign" in rules and _is_number(v) and (v < 0 or (rules["sign"] == "positive" and v == 0)):
            out.append((concrete, "more than 0" if rules["sign"] == "positive" else "0 or more", v))
        if rules.get("unique") and isinstance(v, list):
            twice = sorted({repr(x) for x in v if v.count(x) > 1})
            if twice:
                out.append((concrete, "no item twice", f"{', '.join(twice)} twice"))
        for y, z in rules.get("quotient", []) if concrete == pattern else []:
            if _is_number(v) and y in numbers and z in numbers and not _is_quotient(v, numbers[y], numbers[z]):
                out.append((concrete, f"{y} / {z} ({numbers[y]} / {numbers[z]})", v))
        for w, by_word in rules.get("follows", {}).items():
            word = words_here.get(w)
            if isinstance(v, list) and concrete == pattern and word in by_word:
                if (by_word[word] == "empty") != (not v):
                    out.append((concrete, f"{by_word[word]} where {w} is {word!r}",
                                f"{len(v)} item{'s' if len(v) != 1 else ''}"))
    return out


def enum_paths(schema: Any, prefix: str = "", depth: int = 0) -> set[str]:
    """The paths of a response schema (resolved, as the baseline records it) whose values it enumerates."""
    out: set[str] = set()
    if not isinstance(schema, dict) or depth > 8:
        return out
    if "enum" in schema or "const" in schema:
        out.add(prefix)
    for member in schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf") or []:
        out |= enum_paths(member, prefix, depth + 1)
    for name, sub in (schema.get("properties") or {}).items():
        out |= enum_paths(sub, f"{prefix}.{name}" if prefix else name, depth + 1)
    if isinstance(schema.get("items"), dict):
        out |= enum_paths(schema["items"], f"{prefix}[]", depth + 1)
    return out


def pooled(bodies: dict[str, Any]) -> dict[str, Any]:
    """One observation of a table: its answers by endpoint (`health.issues`), so a rule may join them."""
    return {endpoint: body for endpoint, body in bodies.items() if isinstance(body, dict)}
