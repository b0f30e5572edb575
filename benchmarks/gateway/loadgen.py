"""A lean HTTPS load generator for the gateway benchmark.

The gateway refuses any TLS handshake without a client certificate; wrk and
h2load cannot present one, and Apache's `ab` (which can, with -E) only runs a
closed loop, so it is the benchmark's cross-check, not its generator. This is a
small asyncio client: one keep-alive mutual-TLS connection per viewer, raw
HTTP/1.1 `HEAD` requests, the status line and headers parsed by hand (no HTTP
library on the hot path), uvloop when installed.

Two modes:
- `open_loop`: every viewer asks at its own Poisson-distributed times (`rate`
  requests/s each, as an HLS player asks its next segment); latency is counted
  from the time the request was DUE, so a slow answer that delays the next
  request is charged to the gateway (no coordinated omission);
- `closed_loop`: every viewer asks again as soon as it is answered (saturation:
  what the gateway can do at most, and its queueing).
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds
    statuses: dict[int, int] = field(default_factory=dict)
    wall: float = 0.0
    lags: list[float] = field(default_factory=list)  # open loop: sent late by the generator


class Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, answers in order."""

    def __init__(self) -> None:
        self.buf = b""
        self.waiter: asyncio.Future | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end >= 0 and self.waiter is not None and not self.waiter.done():
            status = int(self.buf[9:12])
            self.buf = self.buf[end + 4 :]  # HEAD: no body follows
            self.waiter.set_result(status)

    def connection_lost(self, exc) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection closed: {exc}"))

    async def ask(self, request: bytes) -> int:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


def client_context(ca: str, cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    ctx.check_hostname = False  # the test server's certificate names 127.0.0.1
    return ctx


async def _connect(n: int, host: str, port: int, ctx: ssl.SSLContext) -> list[Connection]:
    loop = asyncio.get_running_loop()
    conns = []
    for _ in range(0, n, 50):  # handshakes in batches (not measured)
        batch = [
            loop.create_connection(Connection, host, port, ssl=ctx)
            for _ in range(min(50, n - len(conns)))
        ]
        conns += [proto for _t, proto in await asyncio.gather(*batch)]
    return conns


def request_bytes(path: str, token: str) -> bytes:
    return (
        f"HEAD {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()


async def _run(n, host, port, ctx, request, warmup, body, mark) -> Result:
    conns = await _connect(n, host, port, ctx)
    for c in conns:  # one request each: handshakes and session set-up are done
        await c.ask(request)
    for _ in range(warmup):
        await asyncio.gather(*(c.ask(request) for c in conns))
    res = Result()
    mark("start")  # the caller's CPU counters cover the measured part only
    t0 = time.perf_counter()
    await asyncio.gather(*(body(c, res) for c in conns))
    res.wall = time.perf_counter() - t0
    mark("end")
    for c in conns:
        c.transport.close()
    return res


def _nothing(_when: str) -> None:
    pass


def open_loop(n, host, port, ctx, path, token, rate, duration, mark=_nothing, seed=1) -> Result:
    """n viewers, each asking `rate` times a second on average for `duration` s."""
    request = request_bytes(path, token)

    async def viewer(c: Connection, res: Result) -> None:
        rnd = random.Random(seed + id(c))
        due = time.perf_counter() + rnd.expovariate(rate)
        end = time.perf_counter() + duration
        while due < end:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            res.lags.append(time.perf_counter() - due)  # the host scheduler's share, or ours
            status = await c.ask(request)
            res.latencies.append(time.perf_counter() - due)
            res.statuses[status] = res.statuses.get(status, 0) + 1
            due += rnd.expovariate(rate)

    return _loop_run(_run(n, host, port, ctx, request, 0, viewer, mark))


def closed_loop(n, host, port, ctx, path, token, per_viewer, mark=_nothing) -> Result:
    """n viewers, each asking again at once, `per_viewer` times."""
    request = request_bytes(path, token)

    async def viewer(c: Connection, res: Result) -> None:
        for _ in range(per_viewer):
            t = time.perf_counter()
            status = await c.ask(request)
            res.latencies.append(time.perf_counter() - t)
            res.statuses[status] = res.statuses.get(status, 0) + 1

    return _loop_run(_run(n, host, port, ctx, request, 1, viewer, mark))


def _loop_run(coro) -> Result:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)
