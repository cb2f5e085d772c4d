"""bot/pacing.py: the bot's REST requests stay under Discord's global limit before Discord has to say so.

On a fake clock (tests/helpers.VirtualClockLoop) the pacer is checked for exactly when each request leaves;
on the wire, the real discord.py client sends through the sandbox, which enforces the global limit as
Discord does and counts its 429s.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bot.pacing import GlobalPacer, pace
from bot.sandbox import SandboxServer
from tests.helpers import run_on_virtual_clock

LATENCY = 0.05  # fake seconds from a request leaving to its response


class Recorder:
    """Stands in for the network under discord.py's HTTPClient.request: notes when each request leaves."""

    def __init__(self) -> None:
        self.started: list[tuple[float, str]] = []  # (time, route key)
        self.finished: list[float] = []
        self.overlap: dict[str, int] = defaultdict(int)  # route key -> most requests in flight at once
        self._in_flight: dict[str, int] = defaultdict(int)

    async def request(self, route: discord.http.Route, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        key = f"{route.method} {route.url.removeprefix(route.BASE)}"
        self.started.append((loop.time(), key))
        self._in_flight[key] += 1
        self.overlap[key] = max(self.overlap[key], self._in_flight[key])
        await asyncio.sleep(LATENCY)
        self._in_flight[key] -= 1
        self.finished.append(loop.time())
        return {}


def paced_client(limit: int, window: float) -> tuple[discord.http.HTTPClient, Recorder]:
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    recorder = Recorder()
    http.request = recorder.request  # type: ignore[method-assign]
    pace(http, GlobalPacer(limit=limit, window=window))
    return http, recorder


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


def message_route(channel_id: int) -> discord.http.Route:
    return discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)


def test_no_more_than_the_limit_leave_in_any_window_and_no_slot_is_wasted() -> None:
    async def scenario() -> Recorder:
        http, rec = paced_client(limit=50, window=1.0)
        await asyncio.gather(*(http.request(message_route(1000 + i)) for i in range(150)))
        return rec

    rec = run_on_virtual_clock(scenario())
    starts = [t for t, _ in rec.started]
    assert len(starts) == 150
    assert most_in_any_window(starts, 1.0) == 50
    # each batch of 50 leaves at once; the next when the first batch LEFT one window (and the pacer's
    # smallest margin) ago, not one window after its responses: a round trip costs no throughput
    cycle = 1.0 + GlobalPacer().min_margin
    assert sorted(set(round(t, 6) for t in starts)) == pytest.approx([0.0, cycle, 2 * cycle])
    assert max(rec.finished) == pytest.approx(2 * cycle + LATENCY)


def test_requests_to_one_route_go_one_at_a_time() -> None:
    async def scenario() -> Recorder:
        http, rec = paced_client(limit=50, window=1.0)
        await asyncio.gather(*(http.request(message_route(7)) for _ in range(5)))
        await asyncio.gather(*(http.request(message_route(8 + i)) for i in range(5)))
        return rec

    rec = run_on_virtual_clock(scenario())
    assert rec.overlap["POST /channels/7/messages"] == 1
    starts = [t for t, _ in rec.started]
    assert starts[:5] == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2])  # channel 7: one after another
    assert starts[5:] == pytest.approx([0.25] * 5)  # five channels: side by side


def test_interaction_responses_and_webhooks_are_not_paced() -> None:
    async def scenario() -> Recorder:
        http, rec = paced_client(limit=2, window=1.0)
        routes = [
            discord.http.Route("POST", "/interactions/{interaction_id}/{interaction_token}/callback",
                               interaction_id=i, interaction_token=f"t{i}")
            for i in range(10)
        ] + [
            discord.http.Route("POST", "/webhooks/{webhook_id}/{webhook_token}", webhook_id=1, webhook_token=f"t{i}")
            for i in range(10)
        ]
        await asyncio.gather(*(http.request(r) for r in routes), *(http.request(message_route(i)) for i in range(3)))
        return rec

    rec = run_on_virtual_clock(scenario())
    exempt = [t for t, key in rec.started if not key.startswith("POST /channels/")]
    paced = [t for t, key in rec.started if key.startswith("POST /channels/")]
    assert exempt == [0.0] * 20
    assert sorted(paced) == pytest.approx([0.0, 0.0, 1.0 + GlobalPacer().min_margin], abs=1e-5)  # the third waits


# -- on the wire ---------------------------------------------------------------------------------------

WIRE_LIMIT = 10
WIRE_WINDOW = 0.25  # the sandbox's global window, shortened so the test takes about a second


@pytest.fixture
async def sandbox(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(rate_limit_scale=0.05, global_rate_limit=WIRE_LIMIT) as srv:
        srv.ratelimiter.global_window = WIRE_WINDOW
        monkeypatch.setattr(discord.http.Route, "BASE", srv.api_base)
        yield srv


async def burst(srv: SandboxServer, paced: bool, users: int = 40) -> list[Any]:
    ids = [srv.driver.create_user(f"customer{i}").id for i in range(users)]
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    if paced:
        pace(http, GlobalPacer(limit=WIRE_LIMIT, window=WIRE_WINDOW))
    try:
        await http.static_login(srv.token)
        return list(await asyncio.gather(*(http.get_user(i) for i in ids)))  # one route per user: no route waits
    finally:
        await http.close()


async def test_a_paced_client_never_meets_the_global_limit_on_the_wire(sandbox: SandboxServer) -> None:
    users = await burst(sandbox, paced=True)
    assert len(users) == 40
    assert sandbox.driver.rate_limit_hits["global"] == 0
    accepted = [r.timestamp for r in sandbox.driver.requests("GET") if r.status == 200]
    assert len(accepted) == 41  # the login, then one per user
    assert most_in_any_window(accepted, WIRE_WINDOW) <= WIRE_LIMIT


async def test_without_the_pacer_the_same_burst_meets_the_global_limit(sandbox: SandboxServer) -> None:
    # the control: the sandbox does enforce the limit, so the test above could see a 429
    users = await burst(sandbox, paced=False)
    assert len(users) == 40  # discord.py retries after the 429s
    assert sandbox.driver.rate_limit_hits["global"] > 0
