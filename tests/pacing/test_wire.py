"""The real discord.py client, paced, against the sandbox (which enforces Discord's limits with real headers),
a simulated round trip away. Counts requests and 429s on the wire; no timing assertions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from aiohttp import web

from bot.pacing import GlobalPacer, Pacing, pace
from bot.sandbox import Channel, SandboxServer
from bot.sandbox.latency import Handler, Latency

LIMIT = 10
WINDOW = 0.5  # the sandbox's global window, shortened so the tests take about a second


class CountingLatency(Latency):
    """The sandbox's simulated distance, also noting how many requests per path the server holds at once."""

    def __init__(self, round_trip: float, jitter: float) -> None:
        super().__init__(round_trip, jitter)
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        self.now[path] = self.now.get(path, 0) + 1
        self.most[path] = max(self.most.get(path, 0), self.now[path])
        try:
            return await super().middleware(request, handler)
        finally:
            self.now[path] -= 1


@pytest.fixture
async def sandbox(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SandboxServer]:
    srv = SandboxServer(rate_limit_scale=0.2, global_rate_limit=LIMIT)
    srv.latency = CountingLatency(0.04, 0.01)
    srv.ratelimiter.global_window = WINDOW
    async with srv:
        monkeypatch.setattr(discord.http.Route, "BASE", srv.api_base)
        yield srv


async def dm_channels(srv: SandboxServer, n: int) -> list[Channel]:
    d = srv.driver
    guild = await d.create_guild("Support")
    users = [d.create_user(f"customer{i}") for i in range(n)]
    for u in users:
        await d.add_member(guild, u)
    return [d.dm_channel(u) for u in users]


async def client(srv: SandboxServer, paced: bool) -> tuple[discord.http.HTTPClient, Pacing | None]:
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    pacing = pace(http, GlobalPacer(limit=LIMIT, window=WINDOW)) if paced else None
    await http.static_login(srv.token)
    await asyncio.sleep(WINDOW)  # the login's window is over
    return http, pacing


def send(http: discord.http.HTTPClient, channel_id: int, text: str = "hello") -> Any:
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
    return http.request(route, json={"content": text, "allowed_mentions": {"parse": []}})


@pytest.mark.parametrize("paced", [True, False], ids=["paced", "discord.py alone"])
async def test_a_dm_burst_far_away_stays_under_the_global_limit(sandbox: SandboxServer, paced: bool) -> None:
    channels = await dm_channels(sandbox, 3 * LIMIT)
    http, _ = await client(sandbox, paced)
    try:
        await asyncio.gather(*(send(http, ch.id) for ch in channels))
    finally:
        await http.close()
    delivered = [r for r in sandbox.driver.requests("POST") if r.route == "/channels/{channel_id}/messages"]
    assert sum(r.status == 200 for r in delivered) == len(channels)
    if paced:
        assert sum(sandbox.driver.rate_limit_hits.values()) == 0
    else:  # the control: the same burst without our pacing does meet the limit
        assert sandbox.driver.rate_limit_hits["global"] > 0


async def test_one_channel_gets_as_many_requests_at_once_as_its_bucket_has_left(sandbox: SandboxServer) -> None:
    (channel,) = await dm_channels(sandbox, 1)
    http, pacing = await client(sandbox, paced=True)
    assert pacing is not None
    try:
        await send(http, channel.id, "first")  # learns the bucket: 5 per window, 4 left
        await asyncio.gather(*(send(http, channel.id, f"then {i}") for i in range(4)))
    finally:
        await http.close()
    assert isinstance(sandbox.latency, CountingLatency)
    assert sandbox.latency.most[f"/api/v10/channels/{channel.id}/messages"] == 4  # side by side, not one by one
    assert sum(sandbox.driver.rate_limit_hits.values()) == 0


async def test_the_call_that_empties_a_bucket_returns_before_the_bucket_resets(sandbox: SandboxServer) -> None:
    # discord.py alone sleeps until the reset inside the call that saw Remaining: 0
    (channel,) = await dm_channels(sandbox, 1)
    http, _ = await client(sandbox, paced=True)
    try:
        for i in range(5):
            await send(http, channel.id, f"message {i}")
        windows = [w for (name, major), w in sandbox.ratelimiter.buckets.items()
                   if name == "message-create" and major == str(channel.id)]
        assert len(windows) == 1
        assert windows[0].used == 5
        assert sandbox.ratelimiter.clock() < windows[0].reset_at  # returned while the window is still open
    finally:
        await http.close()


async def test_429s_caused_by_someone_else_are_counted_and_waited_out(sandbox: SandboxServer) -> None:
    (channel,) = await dm_channels(sandbox, 1)
    http, pacing = await client(sandbox, paced=True)
    other, _ = await client(sandbox, paced=False)
    assert pacing is not None
    try:
        await send(http, channel.id, "first")
        for i in range(3):  # a second process of the same bot spends most of the channel's budget
            await send(other, channel.id, f"other {i}")
        await asyncio.gather(send(http, channel.id, "after 1"), send(http, channel.id, "after 2"))
    finally:
        await http.close()
        await other.close()
    assert sandbox.driver.rate_limit_hits["message-create"] == 1
    assert sum(r.status == 200 for r in sandbox.driver.requests("POST")) == 6  # the 429 was retried
    assert pacing.pacer.stats.bucket_429s == sandbox.driver.rate_limit_hits["message-create"]
    assert pacing.pacer.stats.global_429s == 0


async def test_a_request_with_a_body_counts_from_when_the_body_left_not_when_its_headers_did(
    sandbox: SandboxServer,
) -> None:
    # aiohttp reports the headers as sent when it has only buffered them, to write them with the body from
    # a task of its own: on a busy loop, the request leaves turns later. Counted from the headers, its slot
    # would end before the server's window did (a 429 "paced" saw once on a loaded machine).
    (channel,) = await dm_channels(sandbox, 1)
    loop = asyncio.get_running_loop()
    busy_until: list[float] = []

    def busy() -> None:  # the loop has other work: the request's body task runs only after this
        time.sleep(0.05)
        busy_until.append(loop.time())

    async def on_headers(session: object, ctx: object, params: object) -> None:
        loop.call_soon(busy)

    http = discord.http.HTTPClient(loop)
    http.http_trace = aiohttp.TraceConfig()
    http.http_trace.on_request_headers_sent.append(on_headers)  # before the pacer's own
    pacing = pace(http, GlobalPacer(limit=LIMIT, window=WINDOW))
    await http.static_login(sandbox.token)
    try:
        busy_until.clear()
        await send(http, channel.id)
    finally:
        await http.close()
    slot = pacing.pacer._slots[-1]
    assert len(busy_until) == 1
    assert slot.sent_at >= busy_until[0]  # counted from when it left
