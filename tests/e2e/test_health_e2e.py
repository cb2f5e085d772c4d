"""/healthz and /metrics on HEALTH_PORT, served by the running bot."""

from __future__ import annotations

import aiohttp

from tests.e2e.conftest import StartBot, World, eventually
from tests.fakes.feed_server import FeedResponse, FeedServer


async def _get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, await resp.text()


async def test_ready_and_metrics(world: World, start_bot: StartBot) -> None:
    runner = await start_bot(health_port=0)
    health = runner.bot.health  # type: ignore[attr-defined]
    assert health is not None and health.port
    status, body = await _get(health.port, "/healthz")
    assert status == 200, body
    assert '"gateway": "ok"' in body and '"database": "ok"' in body

    d = world.driver
    # three customers, three intents: what the router decided is counted with how each was answered
    asks = ((world.alice, "is my data lost?"), (world.bob, "hello!"), (world.jordan, "what's the weather in Paris?"))
    for user, question in asks:
        asked = await d.user_says(user, "dm", question)
        await runner.wait(d.wait_for_message(after=asked, channel=d.dm_channel(user)))
    expected = {
        'supportbot_answers_stored{intent="faq",source="offline"} 1.0',
        'supportbot_answers_stored{intent="smalltalk",source="offline"} 1.0',
        'supportbot_answers_stored{intent="offtopic",source="offline"} 1.0',
        'supportbot_questions_stored{intent="faq"} 1.0',
        'supportbot_questions_stored{intent="smalltalk"} 1.0',
        'supportbot_questions_stored{intent="offtopic"} 1.0',
    }
    scraped: list[str] = []

    async def answers_counted() -> bool:  # answers are written behind, a moment after they are sent
        status, text = await _get(health.port, "/metrics")
        assert status == 200
        scraped.append(text)
        return expected <= set(text.splitlines())

    await eventually(answers_counted, timeout=10)
    text = scraped[-1]
    assert 'supportbot_events_total{claim="won"}' in text
    assert "supportbot_outbox_delivered_total" in text
    assert "supportbot_llm_seconds" in text


async def test_not_ready_while_the_feed_has_never_been_fetched(
    world: World, start_bot: StartBot, feed: FeedServer
) -> None:
    feed.current = FeedResponse(status=500)  # the feed is down from the start
    runner = await start_bot(health_port=0, status_feed_url=feed.url, status_poll_seconds=3600)
    status, body = await _get(runner.bot.health.port, "/healthz")  # type: ignore[attr-defined]
    assert status == 503
    assert '"feed": "stale (never fetched)"' in body and '"gateway": "ok"' in body
