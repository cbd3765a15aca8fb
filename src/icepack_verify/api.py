"""The one HTTP client of the suite: every call to the Icepack API (and its UI, and
Schemathesis' cases) goes through `ApiClient`.

Connection errors and 502/503/504 are retried a bounded number of times (a rollout or a
load balancer settling), within a total retry budget for the run, so a persistent fault
costs a bounded time; everything else is returned to the caller as observed. Writes are
never retried (see `write_once`).

What is an observation and what is not:
- not observed (Unreachable / Unreadable, a Problem: the tests that need it are not run): no
  answer, a connection broken mid-answer (a body shorter than its framing says), a body over
  the cap once DECODED, JSON nested deeper than bounded_json.MAX_DEPTH (not parsed);
- observed (the answer as served, for the checks to judge): any status, and a body read and
  decoded in full that is not valid JSON: bad syntax (also half a document with intact
  framing: nobody can tell it from a bug), invalid UTF-8, NaN, Infinity or 1e400;
- observed and wrong (Misframed: the tests that read it fail, saying so): a body whose
  Content-Encoding does not decode. The bytes arrived as framed (a broken connection is a
  transport error, not this), so the server said gzip of what is not gzip.
"""
from __future__ import annotations

import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import httpx
from tenacity import RetryError, Retrying, retry_if_exception, retry_if_result, stop_after_attempt, wait_exponential

from icepack_verify import bounded_json
from icepack_verify.diagnosis import Warned
from icepack_verify.errors import Misframed, Problem, Unreachable, Unreadable

RETRY_STATUSES = {502, 503, 504}
ACCEPTED_ENCODINGS = ("gzip", "deflate")  # what the client asks for, and inflates itself (_Inflating)
HEARD_AT_MOST = 20_000  # answers kept for the framing rules (~0.5 KB each, 10 MB at most): memory stays bounded


class BodyTooLarge(Exception):
    """An answer whose body passed the cap; raised while reading it (not an httpx.TransportError:
    a retry would only read it again)."""


class _Inflating(httpx.SyncByteStream):
    """A gzip or deflate body inflated 64 KiB at a time (httpx's own decoder inflates a whole
    network chunk at once: 64 KiB of a bomb is 64 MiB)."""

    STEP = 64 * 1024

    def __init__(self, inner: httpx.SyncByteStream, encoding: str):
        self.inner, self.encoding = inner, encoding

    def __iter__(self):
        z, head = None, b""
        try:
            for raw in self.inner:
                if z is None and raw:  # deflate is zlib-wrapped or raw: the first byte tells (as httpx does)
                    wbits = 31 if self.encoding == "gzip" else 15 if raw[0] & 0x0F == 8 else -15
                    z, head = zlib.decompressobj(wbits), raw[:64]
                while raw:
                    yield z.decompress(raw, self.STEP)
                    raw = z.unconsumed_tail
            if z is not None:
                yield z.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(f"{self.encoding}: {exc}; the body is {_what_bytes(head)}") from None

    def close(self) -> None:
        self.inner.close()


class _Answer(httpx.Response):
    """A response read within bounds: the cap counts DECODED bytes (a 200 KB gzip body that
    inflates to 200 MiB stops at the cap, 64 KiB past it at most), and `json()` parses with the
    nesting bounded and only finite numbers (bounded_json).

    A body nested too deep is not parsed (Unreadable: not observed); one that is read and
    decoded but is not valid JSON raises ValueError, as httpx's own `json()` does, and the
    checks judge it as what the API serves."""

    cap: int = 0
    served_encoding: str = ""  # the Content-Encoding as served (the transport removes what it inflated)
    heard: "Heard | None" = None

    def iter_bytes(self, chunk_size: int | None = None):
        seen = 0
        for chunk in super().iter_bytes(chunk_size):
            seen += len(chunk)
            if seen > self.cap:
                raise BodyTooLarge(f"more than {self.cap:,} bytes once decoded")
            yield chunk

    def json(self):
        if self.heard is not None:
            self.heard.read_as_json = True
        try:
            return bounded_json.loads(self.content)
        except bounded_json.TooDeep as exc:
            origin = f"{self.request.url.scheme}://{self.request.url.netloc.decode()}"
            raise Unreadable(f"API {origin}", f"{self.request.method} {self.request.url.raw_path.decode()} "
                                              f"answered JSON {exc}: not parsed, so not judged") from None


class _CappedTransport(httpx.BaseTransport):
    """httpx's own transport, answering `_Answer`s cut off at `cap` decoded bytes (a custom
    transport is httpx's public extension point; httpx returns the transport's response object)."""

    def __init__(self, cap: int):
        self.inner, self.cap = httpx.HTTPTransport(), cap

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.cap:
            response.close()
            raise BodyTooLarge(f"{int(length):,} bytes announced")
        headers, stream = response.headers, response.stream
        served = headers.get("content-encoding", "")
        if (encoding := served.strip().lower()) in ACCEPTED_ENCODINGS:
            headers = httpx.Headers([(k, v) for k, v in headers.multi_items()
                                     if k.lower() not in ("content-encoding", "content-length")])
            stream = _Inflating(stream, encoding)
        answer = _Answer(response.status_code, headers=headers, extensions=response.extensions,
                         stream=stream, request=request)
        answer.cap, answer.served_encoding = self.cap, served
        return answer

    def close(self) -> None:
        self.inner.close()


@dataclass(slots=True)
class Heard:
    """One answer as served, for the framing rules (icepack_verify.framing): what a client of
    the route relies on besides the body."""
    method: str
    route: str          # the path (and query) on the API, or the whole URL elsewhere (the UI)
    status: int
    content_type: str
    content_encoding: str
    cache_control: str
    expires: str
    date: str
    location: str
    elapsed: float      # seconds, the whole answer read
    read_as_json: bool = False  # the suite parsed its body as JSON (set by `_Answer.json`)


class RetryBudget:
    """Retries the whole run may spend on one dependency: a persistent fault costs a bounded time."""

    def __init__(self, retries: int):
        self.left, self.total = retries, retries
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


class ApiClient:
    def __init__(self, base_url: str, *, timeout: timedelta, attempts: int, retry_budget: int = 50,
                 max_body: int = 10 * 1024 * 1024, concurrency: int = 16):
        self.base_url = base_url.rstrip("/")
        self.concurrency = concurrency  # requests in flight at once (checks.http_concurrency)
        self.attempts = attempts
        self.budget = RetryBudget(retry_budget)
        self.max_body = max_body
        self.heard: list[Heard] = []  # every answer read, in order (the first HEARD_AT_MOST)
        self.unheard = 0              # answers past that, not kept
        self._heard_lock = threading.Lock()
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout.total_seconds(),
                                  headers={"User-Agent": "icepack-verify",
                                           "Accept-Encoding": ", ".join(ACCEPTED_ENCODINGS)},
                                  follow_redirects=False,
                                  transport=_CappedTransport(max_body))

    def close(self) -> None:
        self._http.close()

    def _retrying(self, *, retry_statuses: bool) -> Retrying:
        # A read timeout is not retried: the server had the request and the full timeout to answer,
        # and waiting again would multiply a hung endpoint's cost by the attempts.
        retryable = retry_if_exception(lambda e: isinstance(e, httpx.TransportError)
                                       and not isinstance(e, (httpx.ReadTimeout, httpx.WriteTimeout)))
        if retry_statuses:
            retryable = retryable | retry_if_result(lambda r: r.status_code in RETRY_STATUSES)
        return Retrying(stop=stop_after_attempt(self.attempts), wait=wait_exponential(multiplier=0.2, max=2),
                        retry=lambda state: retryable(state) and self.budget.take(), reraise=True)

    def _spent(self) -> str:
        return "" if self.budget.left else f"; the run's retry budget for the API ({self.budget.total}) is spent"

    def request(self, method: str, path: str, *, retry_statuses: bool = True, **kwargs) -> httpx.Response:
        """One call, retried on transport errors (and on 502/503/504 unless told not to)."""
        retrying = self._retrying(retry_statuses=retry_statuses)
        try:
            return self._hear(retrying(self._http.request, method, path, **kwargs))
        except RetryError as exc:  # the last attempt still got a retryable status: report it as observed
            return self._hear(exc.last_attempt.result())
        except httpx.TransportError as exc:
            tries = retrying.statistics.get("attempt_number", 1)
            raise Unreachable(f"API {self.base_url}", f"{method} {path} unreachable after {tries} "
                                                      f"attempt{'s' if tries > 1 else ''} ({_transport_error(exc)})"
                                                      f"{self._spent()}") from None
        except BodyTooLarge as exc:
            raise Unreadable(f"API {self.base_url}", f"{method} {path} answered a body of {exc}, over the "
                                                     f"{self.max_body:,}-byte cap (checks.max_body_bytes): "
                                                     "not read further") from None
        except httpx.TooManyRedirects:
            raise Unreadable(f"API {self.base_url}", f"{method} {path} redirected more than "
                                                     f"{self._http.max_redirects} times: no answer to read") from None
        except httpx.DecodingError as exc:
            raise _misframed(f"API {self.base_url}", f"{method} {path}", exc) from None

    def _hear(self, response: httpx.Response) -> httpx.Response:
        """Keep the framing of an answer read in full (a few header reads: nothing measurable)."""
        url, h = str(response.request.url), response.headers
        route = url[len(self.base_url):] if url.startswith(self.base_url + "/") else url
        heard = Heard(response.request.method, route, response.status_code, h.get("content-type", ""),
                      getattr(response, "served_encoding", h.get("content-encoding", "")), h.get("cache-control", ""),
                      h.get("expires", ""), h.get("date", ""), h.get("location", ""),
                      response.elapsed.total_seconds())
        if isinstance(response, _Answer):
            response.heard = heard
        with self._heard_lock:  # reads run concurrently (get_many)
            if len(self.heard) < HEARD_AT_MOST:
                self.heard.append(heard)
            else:
                self.unheard += 1
        return response

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def write_once(self, method: str, path: str, **kwargs) -> httpx.Response:
        """A write, sent once: never retried here, since one that reached the server may have taken
        effect (`jobs.submit_exactly_once` decides whether a second send is safe)."""
        try:
            return self._hear(self._http.request(method, path, **kwargs))
        except httpx.TransportError as exc:
            raise Unreachable(f"{method} {self.base_url}{path}", f"no answer ({_transport_error(exc)})") from None
        except BodyTooLarge as exc:
            raise Unreadable(f"{method} {self.base_url}{path}", f"answered a body of {exc}, over the cap") from None
        except httpx.DecodingError as exc:
            raise _misframed(f"API {self.base_url}", f"{method} {path}", exc) from None

    def get_many(self, paths: list[str]) -> dict[str, httpx.Response | Problem]:
        """GET independent paths concurrently, one request each (a failure is returned, not raised)."""
        return dict(zip(paths, self.concurrently(self.get, paths)))

    def concurrently(self, call, items: list) -> list:
        """call(item) for every item, at most `concurrency` at a time; results in order, an
        Unreachable or Unreadable returned in its place rather than raised."""
        def one(item):
            try:
                return call(item)
            except (Unreachable, Unreadable, Misframed) as exc:
                return exc
        if len(items) <= 1:
            return [one(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items)), thread_name_prefix="api") as pool:
            return list(pool.map(one, items))

    def probe(self, path: str) -> None:
        """Raise Unreachable if nothing answers at the base URL, or it refuses us (401/407/403);
        any other HTTP status is an answer for the tests to judge, and so is a body that cannot be
        read (too large, misframed): something answered, and the test of that route says what."""
        try:
            response = self.request("GET", path, retry_statuses=False)
        except (Unreadable, Misframed):
            return
        if response.status_code in (401, 403, 407):
            raise Unreachable(f"API {self.base_url}", f"refuses the suite: GET {path} answered {describe(response)}")


def _transport_error(exc: httpx.TransportError) -> str:
    kind = {httpx.ReadTimeout: "no answer within checks.http_timeout; not retried, the server had the request",
            httpx.ConnectTimeout: "no connection within the timeout",
            httpx.RemoteProtocolError: "the connection broke mid-answer"}.get(type(exc))
    return f"{type(exc).__name__}: {kind or exc or 'no detail'}"


def _misframed(subject: str, call: str, exc: httpx.DecodingError) -> Misframed:
    """A body that does not decode as its Content-Encoding says: route, header, what the body is."""
    said = (str(exc).splitlines() or [type(exc).__name__])[0][:240]
    coding, _, detail = said.partition(": ")
    if coding not in ACCEPTED_ENCODINGS:  # httpx's own decoder (a coding the suite did not ask for)
        coding, detail = "(as served)", said
    return Misframed(subject, f"{call} answered Content-Encoding: {coding} over a body that does not decode so "
                              f"({detail}): the framing lies about the body (RFC 9110 section 8.4: the coding must "
                              "have been applied to the content)")


def _what_bytes(head: bytes) -> str:
    """What the first bytes of an undecodable body are, for the message."""
    if head[:2] == b"\x1f\x8b":
        return "gzip-framed, but corrupt or cut"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return f"binary: it begins {head[:16].hex(' ')}"
    kind = "JSON" if text.lstrip()[:1] in ("{", "[") else "text"
    return f"uncompressed {kind}: it begins {text[:40]!r}"


def describe(response: httpx.Response) -> str:
    """'502 text/html: <html><head><title>502 Bad Gateway...' for failure messages."""
    ctype = response.headers.get("content-type", "no content-type").split(";")[0]
    body = response.text.strip().replace("\n", " ")
    said = f"{response.status_code} {ctype}: {body[:160] or '(empty body)'}"
    if "json" in ctype and body:
        try:
            bounded_json.loads(response.content)
        except bounded_json.TooDeep as exc:
            said += f" -- JSON {exc}: not parsed"
        except bounded_json.InvalidJson as exc:
            ends = " (it ends early: truncated?)" if exc.msg.startswith("Unterminated") or exc.pos >= len(body) - 1 \
                else ""
            said += f" -- not valid JSON: {exc.msg} (character {exc.pos} of {len(body)}){ends}"
    return said


class SlowResponse(Warned):
    """An answer past the latency warn threshold, not yet the fail one."""
