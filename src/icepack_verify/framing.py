"""One rule set for the framing of every answer the suite read: what a client of a route relies
on besides the body, judged the same way for every route read now or later.

The API client keeps each answer's framing (`ApiClient.heard`, `api.Heard`); each rule family
below turns the answers into `Break`s, and `conclude` reports them per route, one line per way
of breaking (the routes that break alike on one line). The families:

- content-type: a body the suite reads as JSON is announced as JSON, in UTF-8;
- encoding: no Content-Encoding the client did not ask for (it may not decode it);
- latency: every read within checks.latency_warn / checks.latency_fail;
- caching: a shared cache may keep live data no longer than checks.shared_cache_max_age;
- status: a read answers 200 where it was asked (no other 2xx, no redirect).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime

from icepack_verify.api import ACCEPTED_ENCODINGS, Heard, SlowResponse
from icepack_verify.diagnosis import Diagnosis, Said
from icepack_verify.semantics import json_media_type

SHOWN = 4  # routes named per way of breaking; the rest counted

RFC_JSON = "RFC 8259 §8.1 and §11: JSON between systems is UTF-8, served as application/json; clients decode by the header"
RFC_ENCODING = ("RFC 9110 §12.5.3: a server sends only a content coding the request's Accept-Encoding accepts "
                "(the suite asks for {}); a client cannot decode another")
RFC_CACHE = "RFC 9111 §5.2.2: public, s-maxage, max-age and Expires let a shared cache serve the answer that long"
RUNBOOK_CURL = ("deployment document line 52-54: runbook step 5 reads the contracts with `curl -s` (no -L): "
                "a redirect shows no keys")
RFC_200 = "RFC 9110 §15.3.1 and §9.3.1: a GET's answer carrying the representation is 200"


@dataclass(frozen=True)
class Break:
    route: str      # "GET /readyz"
    what: str       # "Content-Type"
    expected: str
    actual: str
    source: str
    warn: bool = False  # not wrong yet (slow, not too slow)


def read_as_json(response) -> None:
    """Declare an answer one the suite reads as JSON (as if its body were parsed)."""
    if (heard := getattr(response, "heard", None)) is not None:
        heard.read_as_json = True


def _setting(env, path: str) -> str:
    return f"{path}, {env.source(path)}"


def _route(h: Heard) -> str:
    return f"{h.method} {h.route}"


def _params(content_type: str) -> dict[str, str]:
    pairs = (p.partition("=") for p in content_type.split(";")[1:])
    return {k.strip().lower(): v.strip().strip('"').lower() for k, _, v in pairs}


def media_type(heard: list[Heard], env) -> list[Break]:
    out = []
    for h in heard:
        if not h.read_as_json:
            continue
        charset = _params(h.content_type).get("charset", "utf-8")
        if not json_media_type(h.content_type) or charset not in ("utf-8", "utf8"):
            out.append(Break(_route(h), "Content-Type", "application/json (or application/<x>+json) in UTF-8",
                             h.content_type or "absent", RFC_JSON))
    return out


def encoding(heard: list[Heard], env) -> list[Break]:
    fine = {*ACCEPTED_ENCODINGS, "identity", ""}
    return [Break(_route(h), "Content-Encoding", f"none or one of {', '.join(ACCEPTED_ENCODINGS)}", h.content_encoding,
                  RFC_ENCODING.format(", ".join(ACCEPTED_ENCODINGS)))
            for h in heard if any(c.strip().lower() not in fine for c in h.content_encoding.split(","))]


def latency(heard: list[Heard], env) -> list[Break]:
    warn, fail = env.checks.latency_warn.total_seconds(), env.checks.latency_fail.total_seconds()
    worst: dict[str, float] = {}
    for h in heard:
        if h.method == "GET":
            worst[_route(h)] = max(worst.get(_route(h), 0.0), h.elapsed)
    return [Break(route, "latency", f"at most {fail:g}s" if took > fail else f"at most {warn:g}s (warns after)",
                  f"{took:.2f}s", _setting(env, "checks.latency_fail" if took > fail else "checks.latency_warn"),
                  warn=took <= fail)
            for route, took in worst.items() if took > warn]


def shared_lifetime(h: Heard) -> timedelta | None:
    """How long a shared cache may serve the answer without asking again (RFC 9111 §4.2.1);
    None for `public` without a lifetime (the cache picks one heuristically: unbounded here)."""
    directives = {k.strip().lower(): v.strip().strip('"') for k, _, v in
                  (d.partition("=") for d in h.cache_control.split(",") if d.strip())}
    if directives.keys() & {"no-store", "private", "no-cache"}:
        return timedelta(0)
    for name in ("s-maxage", "max-age"):
        if name in directives:
            return timedelta(seconds=int(directives[name])) if directives[name].isdigit() else timedelta(0)
    if h.expires:
        try:
            return max(parsedate_to_datetime(h.expires) - parsedate_to_datetime(h.date), timedelta(0))
        except (TypeError, ValueError):  # an invalid Expires (or no Date) means already expired
            return timedelta(0)
    return None if "public" in directives else timedelta(0)


def caching(heard: list[Heard], env) -> list[Break]:
    allowed, out = env.checks.shared_cache_max_age, []
    for h in heard:
        if not h.read_as_json:
            continue
        lifetime = shared_lifetime(h)
        if lifetime is None or lifetime > allowed:
            said = f"{h.cache_control or ''}{'; Expires ' + h.expires if h.expires else ''}".strip("; ")
            out.append(Break(_route(h), "shared cache lifetime", f"at most {allowed}",
                             f"{'unbounded' if lifetime is None else lifetime} ({said})",
                             f"{RFC_CACHE}; {_setting(env, 'checks.shared_cache_max_age')}"))
    return out


def status(heard: list[Heard], env) -> list[Break]:
    out = []
    for h in heard:
        if h.method != "GET" or h.status == 200 or not 200 <= h.status < 400:
            continue  # errors are judged by the test that reads the route
        redirect = 300 <= h.status < 400
        out.append(Break(_route(h), "status", "200 where it was asked" if redirect else "200",
                         f"{h.status} to {h.location or '(no Location)'}" if redirect else str(h.status),
                         RUNBOOK_CURL if redirect else RFC_200))
    return out


FAMILIES = {"content-type": media_type, "encoding": encoding, "latency": latency, "caching": caching, "status": status}


def conclude(d: Diagnosis, family: str, heard: list[Heard], env, unheard: int = 0) -> None:
    """Judge every answer heard by one rule family into `d` (one mismatch per way of breaking,
    a warning for the not-yet-wrong), then conclude it."""
    breaks = FAMILIES[family](heard, env)
    ways: dict[tuple, list[str]] = defaultdict(list)
    for b in breaks:
        key = (b.what, b.expected, b.actual, b.source, b.warn)
        if b.route not in ways[key]:
            ways[key].append(b.route)
    for (what, expected, actual, source, warn), routes in sorted(ways.items(), key=lambda w: (-len(w[1]), min(w[1]))):
        routes = sorted(routes, key=lambda r: (len(r), r))  # shortest first: /readyz before a table's routes
        more = len(routes) - SHOWN
        named = ", ".join(routes[:SHOWN]) + (f" and {more} more route{'s' if more > 1 else ''}" if more > 0 else "")
        if warn:
            d.warn(SlowResponse, f"{named} {what} {actual}, past the warn threshold ({expected})  [from {source}]")
        else:
            d.mismatch(f"{named} {what}", Said(expected), Said(actual), source)
    if unheard and d.mismatches:
        d.attach("not judged", [f"{unheard} more answers past the first {len(heard)} (memory bound)"])
    d.conclude()
