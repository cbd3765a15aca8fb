"""Faults between the suite and the twin: what a real network, load balancer or partition does.

Two small proxies sit in front of the twin when it is started with faults (or `--proxy`):
an HTTP one for the Icepack API and the Kubernetes API, a TCP one for Postgres. Their
faults are plain settings, changed at run time over the twin's control route, so one twin
serves every fault self-test:

    latency_ms, jitter_ms   every answer waits latency + uniform(0, jitter)
    error_rate              that share of HTTP requests answered 503 by "the load balancer"
    slow_ms                 how late a `slow` answer comes
    stall_after_bytes       TCP: each connection forwards this many bytes to the client, then goes silent

and the path knobs (HTTP), each a path prefix: a request whose path starts with it is spoiled as
PATH_FAULTS says (or `hang`: never answered; `slow`: reaches the twin at once, its answer comes
slow_ms later).
"""
from __future__ import annotations

import asyncio
import functools
import json
import random
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields
from typing import NamedTuple

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
    slow_ms: int = 0
    stall_after_bytes: int = 0
    paths: dict[str, str] = field(default_factory=dict)  # path knob -> the prefix it spoils

    @classmethod
    def parse(cls, settings: dict) -> "Faults":
        numbers = {f.name: f.type for f in fields(cls) if f.name != "paths"}
        unknown = set(settings) - set(numbers) - set(PATH_KNOBS)
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {', '.join([*numbers, *PATH_KNOBS])}")
        casts = {"int": int, "float": float}
        return cls(**{k: casts[numbers[k]](v) for k, v in settings.items() if k in numbers},
                   paths={k: str(v) for k, v in settings.items() if k in PATH_KNOBS and v})

    def matches(self, fault: str, path: str) -> bool:
        prefix = self.paths.get(fault, "")
        return bool(prefix) and path.startswith(prefix)

    def describe(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if v and k != "paths"}, **self.paths}

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
        return {t: f.describe() for t, f in self.by_target.items()}


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
        if faults.error_rate and random.random() < faults.error_rate:
            return await PATH_FAULTS["unavailable"].answer(send, path)
        instead = [f for knob, f in PATH_FAULTS.items() if isinstance(f, Instead) and faults.matches(knob, path)]
        if instead:
            return await instead[0].answer(send, path)
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k.decode().lower() not in ("host", *HOP_BY_HOP)]
        upstream = await self.client.request(scope["method"], path, headers=headers, content=body)
        if faults.matches("slow", path):
            await asyncio.sleep(faults.slow_ms / 1000)  # the request took effect; its answer is late
        content = upstream.content
        for knob, f in PATH_FAULTS.items():
            if isinstance(f, Spoil) and faults.matches(knob, path):
                content = f.bend(content)
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


def _bad_utf8(content: bytes) -> bytes:
    """The body with two bytes that are not UTF-8 at the start of its first string (no string: as it is)."""
    if b'"' not in content:
        return content
    at = content.index(b'"') + 1
    return content[:at] + b"\xff\xfe" + content[at:]


class Instead(NamedTuple):
    """A fault that answers in the twin's place: the request never reaches it."""
    answer: Callable[[Callable, str], Awaitable[None]]  # (send, path)


class Spoil(NamedTuple):
    """A fault that bends the twin's own answer: its body as it is sent (the framing then says its length)."""
    bend: Callable[[bytes], bytes]


JSON = "application/json"
# The path knobs, in the order they are tried: knob -> what a request whose path starts with the knob's
# prefix gets. `hang`, `slow` and `cut` are timing and framing, not bodies: HttpFaultProxy has them.
PATH_FAULTS: dict[str, Instead | Spoil] = {
    "unavailable": Instead(lambda send, path: _answer(send, 503, "text/html", LB_503)),  # "the load balancer"
    "huge": Instead(lambda send, path: _huge(send)),  # 200 with a HUGE_BYTES JSON body
    "malformed": Instead(lambda send, path: _answer(send, 200, JSON, b"{'status': ok, <!-- not json")),
    "forbidden": Instead(lambda send, path: _answer(send, 403, JSON, _kube_status(403, path))),  # a Status body
    "failing": Instead(lambda send, path: _answer(send, 500, JSON, _kube_status(500, path))),
    # BOMB_BYTES once inflated, ~200 KB on the wire (a decompression bomb)
    "gzip_bomb": Instead(lambda send, path: _answer(send, 200, JSON, _gzip_bomb(), encoding=b"gzip")),
    "bad_gzip": Instead(lambda send, path: _answer(send, 200, JSON, b'{"not": "gzip"}' * 100, encoding=b"gzip")),
    "deep": Instead(lambda send, path: _answer(send, 200, JSON, b"[" * DEEP_LEVELS + b"]" * DEEP_LEVELS)),
    "truncate": Spoil(lambda body: body[: len(body) // 2]),  # the first half, framing intact
    "not_finite": Spoil(_not_finite),  # every integer 1e400, every fraction NaN
    "bad_utf8": Spoil(_bad_utf8),  # two bytes that are not UTF-8 in its first string
}
# `cut`: the first half of the body, the framing announcing all of it, the connection closed
PATH_KNOBS = ("hang", *PATH_FAULTS, "slow", "cut")


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
