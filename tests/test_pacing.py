"""bot/pacing.py: one request at a time per route, also after the table of routes is trimmed; a request
that meets the limit while another is still in flight waits for the oldest response to age out."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import discord

from bot.pacing import GlobalPacer, pace


class GatedNetwork:
    """Stands in for the network under discord.py's HTTPClient.request: requests to channel 1 wait at a gate;
    notes when each request starts and ends (on the loop's clock) and the most in flight per channel."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.in_flight: dict[int, int] = defaultdict(int)
        self.most: dict[int, int] = defaultdict(int)
        self.started: dict[int, float] = {}
        self.finished: dict[int, float] = {}

    async def request(self, route: discord.http.Route, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        channel = int(route.channel_id or 0)
        self.started[channel] = loop.time()
        self.in_flight[channel] += 1
        self.most[channel] = max(self.most[channel], self.in_flight[channel])
        try:
            if channel == 1:
                await self.gate.wait()
            return {}
        finally:
            self.in_flight[channel] -= 1
            self.finished[channel] = loop.time()


def paced(limit: int, window: float) -> tuple[discord.http.HTTPClient, GatedNetwork]:
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    network = GatedNetwork()
    http.request = network.request  # type: ignore[method-assign]
    pace(http, GlobalPacer(limit=limit, window=window))
    return http, network


def message_route(channel_id: int) -> discord.http.Route:
    return discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)


async def started(network: GatedNetwork, channel: int) -> None:
    while not network.in_flight[channel]:
        await asyncio.sleep(0)


async def test_a_busy_route_keeps_its_turn_when_idle_routes_are_forgotten() -> None:
    http, network = paced(limit=1_000_000, window=1.0)
    first = asyncio.create_task(http.request(message_route(1)))
    await started(network, 1)
    for channel in range(2, 10_004):  # more idle routes than the pacer keeps: the table is trimmed
        await http.request(message_route(channel))
    second = asyncio.create_task(http.request(message_route(1)))
    for _ in range(20):
        await asyncio.sleep(0)
    assert network.in_flight[1] == 1  # the second request to channel 1 waits for the first
    network.gate.set()
    await asyncio.gather(first, second)
    assert network.most[1] == 1
    assert max(network.most.values()) == 1


async def test_at_the_limit_with_a_request_in_flight_the_next_waits_for_the_oldest_response() -> None:
    window = 0.05
    http, network = paced(limit=2, window=window)
    slow = asyncio.create_task(http.request(message_route(1)))  # holds one slot
    await started(network, 1)
    await http.request(message_route(2))  # one response in the window: the limit of 2 is reached
    await http.request(message_route(3))  # must wait until that response is a window old
    # the pacer's invariant, on the loop's own clock: no timing of the machine is asserted
    assert network.started[3] - network.finished[2] >= window
    network.gate.set()
    await slow
