"""The status feed and the LLM down for a while, under `python -m bot run` processes: the bot rides it out.

The feed server and the OpenAI-compatible server are the local fakes (tests/fakes/), failing as real ones
do: HTTP errors, a refused connection (the port closed), a hang. Each comes back, and the bot with it.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import aiohttp

from bot.sandbox import Message, SandboxServer
from tests.e2e.conftest import World
from tests.e2e.processes import BotProcess, bot_env, pg_database, quiet, until
from tests.fakes.feed_server import FeedResponse, FeedServer
from tests.fakes.openai_server import FakeOpenAI, Scripted
from tests.helpers import recovery_feed, upd

LONG_OUTAGE = 8  # failed polls, between both processes
_HEALTH_PORT = re.compile(r"health and metrics on http://127\.0\.0\.1:(\d+)/healthz")


def health_port(proc: BotProcess) -> int:
    found = _HEALTH_PORT.search(proc.output())
    assert found is not None, proc.output()[-2000:]
    return int(found[1])


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, await resp.text()


def status_posts(world: World) -> list[Message]:
    return [m for m in world.driver.bot_messages(world.status) if m.embeds]


def assert_quiet_logs(text: str) -> None:
    assert "Traceback" not in text, text[-3000:]
    assert " ERROR " not in text, text[-3000:]


async def test_the_feed_down_for_a_while_then_back_with_news(
    server: SandboxServer, world: World, tmp_path: Path, feed: FeedServer
) -> None:
    d = world.driver
    first = [upd("a", 8, "Investigating the sync outage.")]
    feed.serve(recovery_feed(first))
    async with pg_database() as db_url:
        env = bot_env(
            server, world, db_url,
            STATUS_FEED_URL=feed.url, STATUS_POLL_SECONDS="1", FEED_ALERT_AFTER_FAILURES="3", HEALTH_PORT="0",
        )
        procs = [BotProcess(env, tmp_path, f"bot-{i}") for i in (1, 2)]
        try:
            await asyncio.gather(*(p.wait_ready() for p in procs))
            ports = [health_port(p) for p in procs]
            await d.wait_for_message(lambda m: bool(m.embeds), channel=world.status, timeout=30)

            async def all_ready() -> bool:
                return [(await get(port, "/healthz"))[0] for port in ports] == [200] * len(ports)

            await until(all_ready)

            # down: first with errors, then with the port closed
            feed.current = FeedResponse(status=503, body=b"upstream unavailable")
            failing: list[str] = []

            async def all_failing() -> bool:
                answers = [await get(port, "/healthz") for port in ports]
                failing[:] = [body for _, body in answers]
                return all(status == 503 and '"feed": "failing (' in body for status, body in answers)

            await until(all_failing)
            assert all('"database": "ok"' in body and '"gateway": "ok"' in body for body in failing), failing
            await feed.stop()

            async def failing_a_while() -> bool:  # the port closed for a few polls of each process
                body = (await get(ports[0], "/healthz"))[1]
                found = re.search(r"failing \((\d+) polls in a row\)", body)
                return found is not None and int(found[1]) >= LONG_OUTAGE
            await until(failing_a_while)
            assert "ConnectError" in procs[0].output() + procs[1].output()
            assert [(await get(port, "/healthz"))[0] for port in ports] == [503, 503]

            # back, with news: posted once, by one of the two
            await feed.start(port=feed.port)
            feed.serve(recovery_feed([*first, upd("b", 9, "Contacts are coming back.")]))
            news = await d.wait_for_message(
                lambda m: bool(m.embeds) and "Contacts are coming back." in m.embeds[0]["description"],
                channel=world.status,
                timeout=30,
            )
            await until(all_ready)
            await d.wait_for_message(lambda m: "working again" in m.content, channel=world.staff, timeout=30)
            await quiet(d, seconds=3.0)  # several polls of the good feed by both processes
            assert all(p.proc.poll() is None for p in procs), "a bot process exited"
        finally:
            for p in procs:
                p.stop()
    posts = status_posts(world)
    assert len(posts) == 2 and posts[-1].id == news.id, [m.embeds[0]["description"] for m in posts]
    staff = [m.content for m in d.bot_messages(world.staff)]
    assert len([t for t in staff if "has failed 3 times in a row" in t]) == 1, staff
    assert len([t for t in staff if "working again" in t]) == 1, staff
    logs = "".join(p.output() for p in procs)
    assert_quiet_logs(logs)
    # a WARNING when the feed starts failing and one when staff are alerted, INFO for each poll in between
    assert len(re.findall(r" INFO .*status feed poll failed", logs)) >= LONG_OUTAGE - 2, logs[-3000:]
    # (two processes count the same failures: each may see the first and the alerting one)
    assert 1 <= len(re.findall(r" WARNING .*status feed poll failed", logs)) <= 4, logs[-3000:]
    assert "status feed works again after" in logs



BUDGET = 3  # LLM_TIMEOUT_SECONDS: the LLM's whole budget for one answer, retries included
SCRIPTED = "Here is what the assistant says about it."


def sources(db: Path) -> dict[str, str]:
    """Each recorded question's answer source, read from the bot's own database."""
    with sqlite3.connect(db) as conn:
        return {q: s for q, s in conn.execute("SELECT question, source FROM answers")}


async def test_the_llm_down_for_a_while_then_back(
    server: SandboxServer, world: World, tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    d = world.driver
    fake_llm.default = Scripted(text=SCRIPTED)
    db = tmp_path / "bot.db"
    env = bot_env(
        server, world, f"sqlite+aiosqlite:///{db}",
        OPENAI_API_KEY="test-key", OPENAI_BASE_URL=fake_llm.base_url, OPENAI_MODEL="fake-model",
        LLM_TIMEOUT_SECONDS=str(BUDGET), HEALTH_PORT="0",
    )
    proc = BotProcess(env, tmp_path, "bot")
    answers: dict[str, Message] = {}
    n = 0

    async def ask(question: str) -> Message:
        nonlocal n
        n += 1
        user = d.create_user(f"customer{n}")  # one question each: no rate limit, no history, no shared cache
        await d.add_member(world.guild, user)
        asked = await d.user_says(user, "dm", question)
        answers[question] = await d.wait_for_message(after=asked, channel=d.dm_channel(user), timeout=30)
        return answers[question]

    try:
        await proc.wait_ready()
        port = health_port(proc)
        assert SCRIPTED in (await ask("What happened?")).content

        # down three ways: HTTP 500s, the port closed, then a server that takes the connection and never answers
        fake_llm.default = Scripted(status=500)
        assert SCRIPTED not in (await ask("Is my data private?")).content
        await fake_llm.stop()
        assert SCRIPTED not in (await ask("Will I lose my text messages?")).content
        await fake_llm.start(port=fake_llm.port)
        fake_llm.default = Scripted(text=SCRIPTED, delay=600)
        assert SCRIPTED not in (await ask("Can I back up my phone now?")).content
        fake_llm.release()

        # back: the LLM answers again, the question it could not answer before included
        fake_llm.default = Scripted(text=SCRIPTED)
        assert SCRIPTED in (await ask("How do I find my phone's IMEI?")).content
        assert SCRIPTED in (await ask("Is my data private? Please tell me.")).content

        def counted() -> bool:
            return len(sources(db)) == 6

        await until(counted)  # answers are written behind
        _, metrics = await get(port, "/metrics")
        assert proc.proc.poll() is None, "the bot process exited"
    finally:
        proc.stop()

    assert sources(db) == {
        "What happened?": "llm",
        "Is my data private?": "offline",
        "Will I lose my text messages?": "offline",
        "Can I back up my phone now?": "offline",
        "How do I find my phone's IMEI?": "llm",
        "Is my data private? Please tell me.": "llm",
    }
    # the offline answers are the FAQ's own
    assert "stored encrypted" in answers["Is my data private?"].content
    lines = set(metrics.splitlines())
    assert {
        'supportbot_answers_stored{intent="faq",source="llm"} 3.0',
        'supportbot_answers_stored{intent="faq",source="offline"} 3.0',
        'supportbot_llm_errors_total{reason="InternalServerError"} 1.0',
        'supportbot_llm_errors_total{reason="APIConnectionError"} 1.0',
        'supportbot_llm_errors_total{reason="timeout"} 1.0',
        'supportbot_llm_seconds_count{outcome="error"} 3.0',
        'supportbot_llm_seconds_count{outcome="ok"} 3.0',
    } <= lines, metrics
    # each failed call, the hang included, ended within the budget (the bot's own clock; buckets 2.0, 4.0, ...)
    assert f'supportbot_llm_seconds_bucket{{le="{BUDGET + 1:.1f}",outcome="error"}} 3.0' in lines, metrics
    text = proc.output()
    assert_quiet_logs(text)
    assert len(re.findall(r" WARNING .*LLM", text)) == 1, text[-3000:]  # one per outage
    assert "the LLM answers again, after 3 failed calls" in text
