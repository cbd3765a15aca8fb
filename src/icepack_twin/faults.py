"""Faults between the suite and the twin: what a real network, load balancer or partition does.

Two small proxies sit in front of the twin when it is started with faults (or `--proxy`):
an HTTP one for the Icepack API and the Kubernetes API, a TCP one for Postgres. Their
faults are plain settings, changed at run time over the twin's control route, so one twin
serves every fault self-test:

    latency_ms, jitter_ms   every answer waits latency + uniform(0, jitter)
    error_rate              that share of HTTP requests answered 503 by "the load balancer"
    hang                    requests whose path starts with this never get an answer
    unavailable             ... are always answered 503 by "the load balancer" (never reach the twin)
    huge                    ... are answered 200 with a HUGE_BYTES JSON body
    truncate                ... are answered with the first half of their body (framing intact)
    malformed               ... are answered 200 application/json with a body that is not JSON
    slow, slow_ms           ... reach the twin at once, and their answer comes slow_ms later
    forbidden               ... are answered 403 (a Kubernetes Status body)
    failing                 ... are answered 500 (a Kubernetes Status body)
    cut                     ... are answered with the first half of their body, the framing announcing
                            all of it, and the connection closed (a body broken mid-answer)
    gzip_bomb               ... are answered 200 application/json, gzip-encoded: BOMB_BYTES once
                            inflated, ~200 KB on the wire (a decompression bomb)
    bad_gzip                ... are answered 200 application/json, "gzip"-encoded, not gzip
    deep                    ... are answered 200 application/json nested DEEP_LEVELS deep
    not_finite              ... are answered their body with every integer 1e400 and every fraction NaN
    bad_utf8                ... are answered their body with a byte that is not UTF-8 in its first string
    stall_after_bytes       TCP: each connection forwards this many bytes to the client, then goes silent
"""
from __future__ import annotations

import asyncio
import functools
import json
import random
import zlib
from dataclasses import asdict, dataclass, fields

import httpx
import uvicorn

HUGE_BYTES = 50 * 1024 * 1024
BOMB_BYTES = 200 * 1024 * 1024
DEEP_LEVELS = 100_000
TARGETS = ("api", "kube", "postgres")


@dataclass
class Faults:
    latency_ms: int = 0
    jitter_ms: int = 0
    error_rate: float = 0.0
    hang: str = ""
    unavailable: str = ""
    huge: str = ""
    truncate: str = ""
    malformed: str = ""
    slow: str = ""
    slow_ms: int = 0
    forbidden: str = ""
    failing: str = ""
    cut: str = ""
    gzip_bomb: str = ""
    bad_gzip: str = ""
    deep: str = ""
    not_finite: str = ""
    bad_utf8: str = ""
    stall_after_bytes: int = 0

    @classmethod
    def parse(cls, settings: dict) -> "Faults":
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(settings) - set(known)
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {', '.join(known)}")
        casts = {"int": int, "float": float, "str": str}
        return cls(**{k: casts[known[k]](v) for k, v in settings.items()})

    def matches(self, fault: str, path: str) -> bool:
        prefix = getattr(self, fault)
        return bool(prefix) and path.startswith(prefix)

    async def delay(self) -> None:
        wait = self.latency_ms + random.uniform(0, self.jitter_ms)
        if wait:
            await asyncio.sleep(wait / 1000)


def parse_cli(specs: list[str]) -> dict[str, dict]:
    """['api:error_rate=0.1', 'postgres:stall_after_bytes=4000'] -> {'api': {'error_rate': '0.1'}, ...}."""
    out: dict[str, dict] = {}
    for spec in specs:
        target, _, setting = spec.partition(":")
        knob, eq, value = setting.partition("=")
        if target not in TARGETS or not eq:
            raise ValueError(f"--fault {spec!r}: expected TARGET:KNOB=VALUE with TARGET one of {', '.join(TARGETS)}")
        out.setdefault(target, {})[knob] = value
    for target, settings in out.items():
        Faults.parse(settings)  # fail at start, not at the first request
    return out


class FaultBoard:
    """The current faults per target; replaced as a whole by the control route."""

    def __init__(self) -> None:
        self.by_target = {t: Faults() for t in TARGETS}

    def set(self, settings: dict[str, dict]) -> dict:
        parsed = {t: Faults.parse(settings.get(t, {})) for t in TARGETS}
        unknown = set(settings) - set(TARGETS)
        if unknown:
            raise ValueError(f"unknown fault target(s) {sorted(unknown)}; known: {', '.join(TARGETS)}")
        self.by_target = parsed
        return self.describe()

    def describe(self) -> dict:
        return {t: {k: v for k, v in asdict(f).items() if v} for t, f in self.by_target.items()}


# --- HTTP ------------------------------------------------------------------------------------

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "upgrade"}
LB_503 = b"<html><head><title>503 Service Temporarily Unavailable</title></head></html>"


class HttpFaultProxy:
    """An ASGI app forwarding every request to `upstream`, bent by the target's current faults."""

    def __init__(self, board: FaultBoard, target: str, upstream: str):
        self.board, self.target = board, target
        self.client = httpx.AsyncClient(base_url=upstream, timeout=None)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        faults = self.board.by_target[self.target]
        raw = scope.get("raw_path") or scope["path"].encode()
        path = raw.decode("latin-1") + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await faults.delay()
        if faults.matches("hang", path):
            await asyncio.Event().wait()  # until the client gives up (or the twin stops)
        if faults.matches("unavailable", path) or (faults.error_rate and random.random() < faults.error_rate):
            return await _answer(send, 503, "text/html", LB_503)
        if faults.matches("huge", path):
            return await _huge(send)
        if faults.matches("malformed", path):
            return await _answer(send, 200, "application/json", b"{'status': ok, <!-- not json")
        for fault, status in (("forbidden", 403), ("failing", 500)):
            if faults.matches(fault, path):
                return await _answer(send, status, "application/json", _kube_status(status, path))
        if faults.matches("gzip_bomb", path):
            return await _answer(send, 200, "application/json", _gzip_bomb(), encoding=b"gzip")
        if faults.matches("bad_gzip", path):
            return await _answer(send, 200, "application/json", b'{"not": "gzip"}' * 100, encoding=b"gzip")
        if faults.matches("deep", path):
            return await _answer(send, 200, "application/json", b"[" * DEEP_LEVELS + b"]" * DEEP_LEVELS)
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k.decode().lower() not in ("host", *HOP_BY_HOP)]
        upstream = await self.client.request(scope["method"], path, headers=headers, content=body)
        if faults.matches("slow", path):
            await asyncio.sleep(faults.slow_ms / 1000)  # the request took effect; its answer is late
        content = upstream.content
        if faults.matches("truncate", path):
            content = content[: len(content) // 2]
        if faults.matches("not_finite", path):
            content = _not_finite(content)
        if faults.matches("bad_utf8", path) and b'"' in content:
            at = content.index(b'"') + 1
            content = content[:at] + b"\xff\xfe" + content[at:]
        announced = len(content)
        if faults.matches("cut", path):
            content = content[: len(content) // 2]
        kept = [(k.encode(), v.encode()) for k, v in upstream.headers.multi_items() if k.lower() not in HOP_BY_HOP]
        await send({"type": "http.response.start", "status": upstream.status_code,
                    "headers": kept + [(b"content-length", str(announced).encode())]})
        await send({"type": "http.response.body", "body": content})  # short of `announced`: the server closes


async def _answer(send, status: int, ctype: str, body: bytes, encoding: bytes = b"") -> None:
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status,
                "headers": headers + ([(b"content-encoding", encoding)] if encoding else [])})
    await send({"type": "http.response.body", "body": body})


def _kube_status(status: int, path: str) -> bytes:
    reason = {403: "Forbidden", 500: "InternalError"}[status]
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": status,
                       "message": f"the fault proxy answers {status} for {path}"}).encode()


@functools.cache
def _gzip_bomb() -> bytes:
    """A JSON object of BOMB_BYTES, gzip-compressed (~200 KB), made once."""
    gz = zlib.compressobj(9, zlib.DEFLATED, 31)
    head, tail, chunk = b'{"padding": "', b'"}', b" " * (1024 * 1024)
    parts, left = [gz.compress(head)], BOMB_BYTES - len(head) - len(tail)
    while left > 0:
        parts.append(gz.compress(chunk[:left]))
        left -= len(chunk)
    return b"".join(parts + [gz.compress(tail), gz.flush()])


def _not_finite(content: bytes) -> bytes:
    """The JSON body with every integer (not boolean) 1e400 and every fraction NaN; other bodies as they are."""
    try:
        doc = json.loads(content)
    except ValueError:
        return content

    def bend(value):
        if isinstance(value, dict):
            return {k: bend(v) for k, v in value.items()}
        if isinstance(value, list):
            return [bend(v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool):
            return "\x00INF\x00"
        if isinstance(value, float):
            return float("nan")
        return value
    return json.dumps(bend(doc)).replace('"\\u0000INF\\u0000"', "1e400").encode()


async def _huge(send) -> None:
    chunk = b" " * (1024 * 1024)
    head, tail = b'{"padding": "', b'"}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(HUGE_BYTES).encode())]})
    await send({"type": "http.response.body", "body": head, "more_body": True})
    remaining = HUGE_BYTES - len(head) - len(tail)
    while remaining > 0:
        piece = chunk[:remaining]
        remaining -= len(piece)
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": tail})


async def serve_http(app: HttpFaultProxy) -> tuple[uvicorn.Server, asyncio.Task, str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise RuntimeError(f"the {app.target} fault proxy could not start")
        await asyncio.sleep(0.05)
    return server, task, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


# --- TCP (Postgres) ----------------------------------------------------------------------------

class TcpFaultProxy:
    """Forwards TCP connections to Postgres (a unix socket or host:port); `stall_after_bytes`
    makes each connection go silent after that many bytes toward the client, as in a partition."""

    def __init__(self, board: FaultBoard, target: str, unix_path: str | None = None, host: str = "", port: int = 0):
        self.board, self.target = board, target
        self.unix_path, self.host, self.port = unix_path, host, port
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server:
            self.server.close()

    async def _connection(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            if self.unix_path:
                up_r, up_w = await asyncio.open_unix_connection(self.unix_path)
            else:
                up_r, up_w = await asyncio.open_connection(self.host, self.port)
        except OSError:
            client_w.close()
            return
        faults = self.board.by_target[self.target]  # a connection keeps the faults it started with
        await asyncio.gather(self._pump(client_r, up_w, None), self._pump(up_r, client_w, faults),
                             return_exceptions=True)
        for w in (client_w, up_w):
            w.close()

    async def _pump(self, reader, writer, faults: Faults | None) -> None:
        sent = 0
        while data := await reader.read(65536):
            if faults:
                await faults.delay()
                if faults.stall_after_bytes and sent + len(data) > faults.stall_after_bytes:
                    writer.write(data[: max(0, faults.stall_after_bytes - sent)])
                    await writer.drain()
                    await asyncio.Event().wait()  # silent from here on: no FIN, no RST
            sent += len(data)
            writer.write(data)
            await writer.drain()
        writer.close()
