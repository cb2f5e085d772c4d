"""bot/sandbox/latency.py: the simulated distance to Discord."""

from __future__ import annotations

import asyncio
import random

import aiohttp
import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.latency import Latency


def test_each_leg_is_half_a_round_trip_give_or_take_half_the_jitter() -> None:
    lat = Latency(0.08, 0.02, rng=random.Random(7))
    legs = [lat.leg() for _ in range(2000)]
    assert min(legs) >= 0.03
    assert max(legs) <= 0.05
    assert max(legs) - min(legs) > 0.018  # the jitter is used, not just allowed


def test_jitter_larger_than_the_round_trip_is_refused() -> None:
    with pytest.raises(ValueError, match="jitter"):
        Latency(0.01, 0.02)


async def test_a_request_counts_against_the_limits_when_it_arrives_half_a_round_trip_later() -> None:
    async with SandboxServer(latency=0.2, jitter=0.0) as srv:
        loop = asyncio.get_running_loop()
        arrived: list[float] = []
        check = srv.ratelimiter.check

        def noting(*args: object) -> object:
            arrived.append(loop.time())
            return check(*args)  # type: ignore[arg-type]

        srv.ratelimiter.check = noting  # type: ignore[method-assign]
        async with aiohttp.ClientSession() as session:
            sent = loop.time()
            async with session.get(srv.api_base + "/users/@me", headers={"Authorization": f"Bot {srv.token}"}) as r:
                assert r.status == 200
                assert r.headers["X-RateLimit-Remaining"]
            answered = loop.time()
    # asyncio never wakes a sleeper early, so these lower bounds hold on any machine, however loaded
    assert arrived[0] - sent >= 0.099
    assert answered - arrived[0] >= 0.099
