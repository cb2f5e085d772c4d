"""pace(): every REST request of a discord.py HTTPClient goes through our buckets and the global window.

discord.py keeps its own per-bucket locks and, when a response says `Remaining: 0`, makes that call wait
`Reset-After` before returning. Two layers would serialise each other, so pace() takes over: discord.py's
buckets are replaced by a stand-in that never waits, and ours learn from the responses' headers, which an
aiohttp trace hands us for every try (429s included) together with the moment each request left (its
headers, or, for a request with a body, the body's first bytes: aiohttp sends small headers with them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Self

import aiohttp
import discord

from bot.pacing.buckets import Bucket, Buckets
from bot.pacing.window import GlobalPacer, Ticket

log = logging.getLogger(__name__)

#: Not counted against the global limit, as on Discord (their buckets still apply).
GLOBAL_EXEMPT = ("/interactions/", "/webhooks/")
#: Answered once per interaction, within 3 s: no bucket to wait for (discord.py's route key would put every
#: interaction's callback in one bucket).
UNBUCKETED = ("/interactions/",)
_CTX = "bot.pacing"


@dataclass
class _Call:
    route_key: str
    major: str
    bucket: Bucket
    ticket: Ticket | None


class _NeverWaits:
    """Stands in for discord.py's per-bucket Ratelimit: our buckets have already waited when needed."""

    remaining = 1

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def update(self, response: object, *, use_clock: bool = False) -> None:
        return None


_NEVER_WAITS = _NeverWaits()


class Pacing:
    """The pacing of one client: its global window, its buckets, and what they have seen."""

    def __init__(self, pacer: GlobalPacer) -> None:
        self.pacer = pacer
        self.buckets = Buckets()

    @property
    def queued(self) -> int:
        """Requests waiting for the global window right now."""
        return self.pacer.waiting

    def hot(self, route: discord.http.Route) -> bool:
        """Would one more request on this route wait for its bucket?"""
        return self.buckets.hot(route.key, route.major_parameters)

    def summary(self) -> str:
        st = self.pacer.stats
        return (
            f"pacing: {st.granted} requests, {st.waited} waited for the global window ({st.wait_seconds:.1f} s in "
            f"all), 429s: {st.global_429s} global, {st.bucket_429s} per route; margin now {self.pacer.margin:.3f} s"
        )

    def wait(self, route: discord.http.Route) -> float:
        """About how many seconds one more request on this route would wait for its bucket."""
        return self.buckets.wait(route.key, route.major_parameters, asyncio.get_running_loop().time())

    async def request(self, original: Any, route: discord.http.Route, **kwargs: Any) -> Any:
        if route.path.startswith(UNBUCKETED):
            return await original(route, **kwargs)
        route_key, major = route.key, route.major_parameters
        bucket = self.buckets.get(route_key, major)
        await bucket.gate.turn(bucket.room, bucket.take, spare=bucket.spare)
        try:
            ticket = None if route.path.startswith(GLOBAL_EXEMPT) else await self.pacer.acquire()
            try:
                ctx = dict(kwargs.pop("trace_request_ctx", None) or {})
                ctx[_CTX] = _Call(route_key, major, bucket, ticket)
                return await original(route, trace_request_ctx=ctx, **kwargs)
            finally:
                if ticket is not None:
                    self.pacer.release(ticket)
        finally:
            bucket.in_flight -= 1
            bucket.gate.wake()

    # -- the aiohttp trace ------------------------------------------------------------------------------
    def trace(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()
        self.attach(config)
        return config

    def attach(self, config: aiohttp.TraceConfig) -> None:
        config.on_request_headers_sent.append(self._on_sent)
        config.on_request_chunk_sent.append(self._on_body)
        config.on_request_end.append(self._on_end)

    async def _on_sent(self, session: object, ctx: SimpleNamespace, params: object) -> None:
        call = _call_of(ctx)
        if call is not None and call.ticket is not None:
            self.pacer.sent(call.ticket)

    async def _on_body(self, session: object, ctx: SimpleNamespace, params: object) -> None:
        call = _call_of(ctx)
        if call is not None and call.ticket is not None:
            self.pacer.body_sent(call.ticket)

    async def _on_end(self, session: object, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams) -> None:
        call = _call_of(ctx)
        if call is None:
            return
        headers = params.response.headers
        status = params.response.status
        is_global = status == 429 and (
            headers.get("X-RateLimit-Global", "").lower() == "true" or headers.get("X-RateLimit-Scope") == "global"
        )
        if call.ticket is not None:
            self.pacer.answered(call.ticket, global_429=is_global, server_time=_server_time(headers))
        if status == 429 and not is_global:
            self.pacer.stats.bucket_429s += 1
            log.info("429 on bucket %s (%s)", call.route_key, headers.get("X-RateLimit-Scope", "?"))
        if not is_global:
            self.buckets.learn(call.route_key, call.major, call.bucket, headers.get("X-RateLimit-Bucket"))
            call.bucket.update(asyncio.get_running_loop().time(), headers, status)
            call.bucket.gate.wake()


def _server_time(headers: Mapping[str, str]) -> float | None:
    """When the server counted the request, on its wall clock: the window's reset minus the time to it."""
    try:
        return float(headers["X-RateLimit-Reset"]) - float(headers["X-RateLimit-Reset-After"])
    except (KeyError, ValueError):
        return None


def _call_of(ctx: SimpleNamespace) -> _Call | None:
    request_ctx = getattr(ctx, "trace_request_ctx", None)
    call = request_ctx.get(_CTX) if isinstance(request_ctx, Mapping) else None
    return call if isinstance(call, _Call) else None


def pace(http: discord.http.HTTPClient, pacer: GlobalPacer) -> Pacing:
    """Make every REST request of this client follow Discord's buckets and wait for the global window.

    Call it before the client logs in: the trace that reports sends and response headers is attached
    to the session created at login. Without it (a replaced transport), nothing is learnt from headers:
    each route's requests then go one at a time, and a request counts from when it was let through.
    """
    pacing = Pacing(pacer)
    if http.http_trace is None:
        http.http_trace = pacing.trace()
    else:
        pacing.attach(http.http_trace)
    original = http.request

    async def request(route: discord.http.Route, **kwargs: Any) -> Any:
        return await pacing.request(original, route, **kwargs)

    http.request = request  # type: ignore[method-assign]
    http.get_ratelimit = lambda key: _NEVER_WAITS  # type: ignore[method-assign,assignment,return-value]
    return pacing
