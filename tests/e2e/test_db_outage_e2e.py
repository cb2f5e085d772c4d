"""PostgreSQL crashes and comes back in the middle of customer traffic, under two `python -m bot run` processes.

The server is a private one (tests/e2e/pg_cluster.py), stopped with `-m immediate`: every connection is cut
with no checkpoint, as in a crash, and the next start replays the WAL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import asyncpg

from bot.sandbox import Message, SandboxServer, User
from tests.e2e.conftest import World
from tests.e2e.pg_cluster import PgCluster, pg_cluster  # noqa: F401  (the fixture)
from tests.e2e.processes import BotProcess, bot_env, quiet, until
from tests.fakes.openai_server import FakeOpenAI, Scripted

IMEI = "490154203237518"
DOWNTIME = 3.0
HOLDING = "holding work until it answers again"
SCRIPTED = "Here is what the assistant says about it."
IN_FLIGHT = "An answer that took the LLM a while."


async def _members(world: World, prefix: str, n: int) -> list[User]:
    users = []
    for i in range(n):
        u = world.driver.create_user(f"{prefix}{i}")
        await world.driver.add_member(world.guild, u)
        users.append(u)
    return users


async def _register(world: World, user: User, imei: str) -> str:
    d = world.driver
    opened = await d.run_slash(user, "device register", channel=world.general)
    modal = await opened.wait_modal(timeout=30)
    field_id = modal["components"][0]["components"][0]["custom_id"]
    done = await d.submit_modal(user, opened, {field_id: imei})
    return (await done.wait_message(timeout=30)).content


async def _subscribers(cluster: PgCluster) -> set[int]:
    conn = await asyncpg.connect(host="127.0.0.1", port=cluster.port, user="postgres", database="postgres")
    try:
        return {int(r["customer_id"]) for r in await conn.fetch("SELECT customer_id FROM subscriptions")}
    finally:
        await conn.close()


async def _count(cluster: PgCluster, table: str, expect: int | None = None) -> int | bool:
    conn = await asyncpg.connect(host="127.0.0.1", port=cluster.port, user="postgres", database="postgres")
    try:
        n = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()
    return n if expect is None else n == expect


async def _device_owners(cluster: PgCluster) -> set[int]:
    conn = await asyncpg.connect(host="127.0.0.1", port=cluster.port, user="postgres", database="postgres")
    try:
        return {int(r["customer_id"]) for r in await conn.fetch("SELECT customer_id FROM devices")}
    finally:
        await conn.close()


async def test_postgres_crash_and_restart_during_traffic(
    server: SandboxServer, world: World, tmp_path: Path, pg_cluster: PgCluster, fake_llm: FakeOpenAI  # noqa: F811
) -> None:
    d = world.driver
    early, crash, late = [await _members(world, p, n) for p, n in (("early", 4), ("crash", 7), ("late", 3))]
    fake_llm.default = Scripted(text=SCRIPTED)
    env = bot_env(
        server, world, pg_cluster.url,
        OPENAI_API_KEY="test-key", OPENAI_BASE_URL=fake_llm.base_url, OPENAI_MODEL="fake-model",
    )
    procs = [BotProcess(env, tmp_path, f"bot-{i}") for i in (1, 2)]
    try:
        await asyncio.gather(*(p.wait_ready() for p in procs))
        await d.sleep_until(lambda: len(server.gateway.sessions) == 2, timeout=10)

        # before the crash: questions answered, subscriptions and a registration acknowledged
        dms: list[tuple[User, Message]] = [(u, await d.user_says(u, "dm", "is my data lost?")) for u in early[:2]]
        for u in early[:2]:
            h = await d.run_slash(u, "subscribe", channel=world.general)
            assert (await h.wait_message(timeout=30)).content.startswith("You'll get every status update")
        assert "****7518" in await _register(world, early[2], IMEI)
        questions = [await d.user_says(early[3], world.support, "Should I reset my phone?")]
        for u, m in dms:
            await d.wait_for_message(after=m, channel=d.dm_channel(u), timeout=30)
        await d.wait_for_message(lambda r: r.channel_id == questions[0].id, timeout=30)

        # the crash, with customers writing: one question waiting for the LLM as it happens (its answer is sent,
        # and recorded, while the database is away), two more just sent, more while it is down
        fake_llm.default = Scripted(text=IN_FLIGHT, delay=60)
        asked_llm = len(fake_llm.requests)
        slow = await d.user_says(crash[6], "dm", "Will I lose my text messages?")
        await until(lambda: len(fake_llm.requests) > asked_llm)
        dms += [(u, await d.user_says(u, "dm", "is my data lost?")) for u in crash[:2]]
        pg_cluster.stop("immediate")
        fake_llm.default = Scripted(text=SCRIPTED)
        fake_llm.release()
        slow_answer = await d.wait_for_message(after=slow, channel=d.dm_channel(crash[6]), timeout=30)
        assert IN_FLIGHT in slow_answer.content  # the LLM's answer, though its tokens could not be counted yet
        dms.append((crash[6], slow))
        held_dms = [(u, await d.user_says(u, "dm", f"when will my photos be back? ({u.username})")) for u in crash[2:4]]
        await until(lambda: all(HOLDING in p.output() for p in procs))  # both met the outage
        held_questions = [await d.user_says(crash[4], world.support, "Is my data lost for good?")]
        refused = await d.run_slash(crash[5], "subscribe", channel=world.general)
        refused_text = (await refused.wait_message(timeout=30)).content
        not_registered = await _register(world, crash[5], IMEI)
        await asyncio.sleep(DOWNTIME)  # how long the restart takes: the scenario, not a wait for something
        held_channels = {d.dm_channel(u).id for u, _ in held_dms} | {m.id for m in held_questions}
        assert [m for m in d.bot_messages() if m.channel_id in held_channels] == []  # held, not answered blind
        assert all(p.proc.poll() is None for p in procs), "a bot process exited"
        pg_cluster.start()

        # after the restart: everything that arrived is answered, by one process
        dms += held_dms
        questions += held_questions
        for u, m in dms:
            await d.wait_for_message(after=m, channel=d.dm_channel(u), timeout=60)
        for q in questions:
            await d.wait_for_message(lambda r, q=q: r.channel_id == q.id, timeout=60)
        for u in late[:2]:
            m = await d.user_says(u, "dm", "is my data lost?")
            dms.append((u, m))
            await d.wait_for_message(after=m, channel=d.dm_channel(u), timeout=30)
        again = await d.run_slash(late[0], "subscribe", channel=world.general)
        assert (await again.wait_message(timeout=30)).content.startswith("You'll get every status update")
        # the delivery worker lived through it: a hand-over's notice to staff goes through the outbox
        await d.user_says(late[2], "dm", "I want to talk to a person")
        await d.wait_for_message(lambda m: "New ticket #1" in m.content, channel=world.staff, timeout=30)
        await quiet(d, seconds=2.0)
        assert all(p.proc.poll() is None for p in procs), "a bot process exited"
        # every message handled is marked done, those handled while the database was away included: no other
        # process takes one over (and answers it again) when its lease runs out (interactions are never taken
        # over, so they are not marked)
        await until(lambda: _count(pg_cluster, "claims WHERE key LIKE 'm:%' AND NOT done", 0))
    finally:
        for p in procs:
            p.stop()
    logs = [p.output() for p in procs]

    # every message answered exactly once, with an answer rather than an apology
    for u, _ in dms:
        sent = d.bot_messages(d.dm_channel(u))
        assert len(sent) == 1, (u.username, [m.content[:80] for m in sent])
        assert not sent[0].content.startswith("Sorry"), sent[0].content
    threads = Counter(ev.data["channel_id"] for ev in server.log.events if ev.kind == "thread_create")
    for q in questions:
        assert threads[q.id] == 1
        assert len([r for r in d.bot_messages() if r.channel_id == q.id and not r.ephemeral]) == 1
    assert d.bot_messages(world.support) == []
    # the command that came while the database was away got a friendly "try again", once
    assert refused_text.startswith("Sorry, I can't reach our records just now") and "try again" in refused_text
    assert refused.responded
    assert "could not be saved just now" in not_registered and "try again" in not_registered
    # what was acknowledged before the crash survived it; what was refused was not half-done
    assert await _subscribers(pg_cluster) == {early[0].id, early[1].id, late[0].id}
    assert await _device_owners(pg_cluster) == {early[2].id}
    # and every answer is on record, those given while the database was away included
    assert await _count(pg_cluster, "answers") == len(dms) + len(questions) + 1  # + the hand-over
    assert await _count(pg_cluster, f"answers WHERE answer LIKE '%{IN_FLIGHT}%' AND source = 'llm'") == 1
    assert "automatic recovery in progress" in pg_cluster.server_log()  # it was a crash, and the WAL replayed
    # each process said so once, and recovered: no tracebacks, no errors
    for text in logs:
        assert "Traceback" not in text, text[-3000:]
        assert " ERROR " not in text, text[-3000:]
        assert text.count(HOLDING) == 1, text[-3000:]
        assert "answers again after" in text
