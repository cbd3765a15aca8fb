"""Typed, read-mostly calls to the Icepack API over httpx.

Connection errors and 502/503/504 are retried a bounded number of times (a rollout or a
load balancer settling); everything else is returned to the caller as observed.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from tenacity import RetryError, Retrying, retry_if_exception_type, retry_if_result, stop_after_attempt, wait_exponential

from icepack_verify.diagnosis import Warned
from icepack_verify.errors import Unreachable

RETRY_STATUSES = {502, 503, 504}


class ApiClient:
    def __init__(self, base_url: str, *, timeout: timedelta, attempts: int):
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout.total_seconds(),
                                  headers={"User-Agent": "icepack-verify"}, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def _retrying(self, *, retry_statuses: bool) -> Retrying:
        retry = retry_if_exception_type(httpx.TransportError)
        if retry_statuses:
            retry = retry | retry_if_result(lambda r: r.status_code in RETRY_STATUSES)
        return Retrying(stop=stop_after_attempt(self.attempts), wait=wait_exponential(multiplier=0.2, max=2),
                        retry=retry, reraise=True)

    def request(self, method: str, path: str, *, retry_statuses: bool = True, **kwargs) -> httpx.Response:
        """One call, retried on transport errors (and on 502/503/504 unless told not to)."""
        try:
            return self._retrying(retry_statuses=retry_statuses)(self._http.request, method, path, **kwargs)
        except RetryError as exc:  # the last attempt still got a retryable status: report it as observed
            return exc.last_attempt.result()
        except httpx.TransportError as exc:
            raise Unreachable(f"API {self.base_url}", f"unreachable after {self.attempts} attempts "
                                                      f"({type(exc).__name__}: {exc or 'no detail'})") from None

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def write_once(self, method: str, path: str, **kwargs) -> httpx.Response:
        """A write, sent exactly once: never retried, since one that reached the server may have taken effect."""
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(f"{method} {self.base_url}{path}",
                              f"no answer ({type(exc).__name__}); not re-sent, the outcome is unknown: "
                              "look for the job before submitting another") from None

    def get_many(self, paths: list[str]) -> dict[str, httpx.Response | Unreachable]:
        """GET independent paths concurrently, one request each."""
        def one(path: str):
            try:
                return self.get(path)
            except Unreachable as exc:
                return exc
        with ThreadPoolExecutor(max_workers=min(16, len(paths) or 1)) as pool:
            return dict(zip(paths, pool.map(one, paths)))

    def probe(self, path: str) -> None:
        """Raise Unreachable if nothing answers at the base URL, or it refuses us (401/407/403);
        any other HTTP status is an answer for the tests to judge."""
        response = self.request("GET", path, retry_statuses=False)
        if response.status_code in (401, 403, 407):
            raise Unreachable(f"API {self.base_url}", f"refuses the suite: GET {path} answered {describe(response)}")


def describe(response: httpx.Response) -> str:
    """'502 text/html: <html><head><title>502 Bad Gateway...' for failure messages."""
    ctype = response.headers.get("content-type", "no content-type").split(";")[0]
    body = response.text.strip().replace("\n", " ")
    return f"{response.status_code} {ctype}: {body[:160] or '(empty body)'}"


class SlowResponse(Warned):
    """An answer past the latency warn threshold, not yet the fail one."""


def within_budget(d, response: httpx.Response, env) -> None:
    """Judge an answer's latency into a Diagnosis: past checks.latency_fail is a mismatch,
    past checks.latency_warn a warning."""
    elapsed, warn, fail = response.elapsed, env.checks.latency_warn, env.checks.latency_fail
    d.expect("latency", f"at most {fail.total_seconds():g}s", f"{elapsed.total_seconds():.2f}s",
             env.source("checks.latency_fail"), same=lambda *_: elapsed <= fail)
    if warn < elapsed <= fail:
        d.warn(SlowResponse, f"latency {elapsed.total_seconds():.2f}s, past the warn threshold "
                             f"{warn.total_seconds():g}s (fails after {fail.total_seconds():g}s)  "
                             f"[from {env.source('checks.latency_warn')}]")
