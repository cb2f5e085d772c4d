"""Two `python -m bot run` processes on one token, one sandbox and one PostgreSQL database.

Every process receives every message and interaction; each must be acted on once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from bot.sandbox import Message, SandboxServer, User
from tests.e2e.conftest import World
from tests.e2e.processes import BotProcess, bot_env, pg_database, quiet
from tests.helpers import buttons

CALLBACK = "/interactions/{interaction_id}/{token}/callback"
CUSTOMERS = 6


async def test_two_processes_answer_every_message_and_interaction_once(
    server: SandboxServer, world: World, tmp_path: Path
) -> None:
    d = world.driver
    customers: list[User] = []
    for i in range(CUSTOMERS):
        u = d.create_user(f"customer{i}")
        await d.add_member(world.guild, u)
        customers.append(u)
    async with pg_database() as db_url:
        env = bot_env(server, world, db_url)
        procs = [BotProcess(env, tmp_path, f"bot-{i}") for i in (1, 2)]
        try:
            await asyncio.gather(*(p.wait_ready() for p in procs))
            await d.sleep_until(lambda: len(server.gateway.sessions) == 2, timeout=10)

            asked = [
                await d.user_says(u, world.support, f"Should I reset my phone? (customer {i})")
                for i, u in enumerate(customers)
            ]
            dms = [await d.user_says(u, "dm", "is my data lost?") for u in customers]
            slash = [
                await d.run_slash(u, "ask", {"question": "will I get compensation?"}, channel=world.general)
                for u in customers
            ]
            subs = [await d.run_slash(u, "subscribe", channel=world.general) for u in customers]

            answers: list[Message] = []
            for m in asked:
                answers.append(await d.wait_for_message(lambda r, m=m: r.channel_id == m.id, after=m, timeout=30))
            for u, m in zip(customers, dms, strict=True):
                await d.wait_for_message(after=m, channel=d.dm_channel(u), timeout=30)
            for h in slash:
                await h.wait_message(timeout=30)
            sub_texts = [(await h.wait_message(timeout=30)).content for h in subs]
            clicks = [await d.click(u, a, buttons(a)["Helpful"]) for u, a in zip(customers, answers, strict=True)]
            for h in clicks:
                await h.wait_message(timeout=30)
            await quiet(d)
        finally:
            for p in procs:
                p.stop()
        logs = [p.output() for p in procs]

    # each support question: one thread, one answer in it, nothing in the channel
    threads = Counter(ev.data["channel_id"] for ev in server.log.events if ev.kind == "thread_create")
    assert {m.id for m in asked} <= set(threads)
    assert all(threads[m.id] == 1 for m in asked)
    for m in asked:
        in_thread = [r for r in d.bot_messages() if r.channel_id == m.id and not r.ephemeral]
        assert len(in_thread) == 1, in_thread
    assert d.bot_messages(world.support) == []
    # each DM: one answer
    for u in customers:
        assert len(d.bot_messages(d.dm_channel(u))) == 1
    # each interaction: answered by exactly one process, with nothing refused as "already acknowledged"
    callbacks = Counter(r.path.split("/")[2] for r in d.requests("POST", CALLBACK))
    for h in slash + subs + clicks:
        assert callbacks[str(h.id)] == 1, (h.id, callbacks[str(h.id)])
    assert all(r.status in (200, 204) for r in d.requests("POST", CALLBACK))
    assert all("subscribed to status updates" not in t for t in sub_texts)
    assert all(t.startswith("You'll get every status update") for t in sub_texts)
    # and no process logged an error
    for text in logs:
        assert " ERROR " not in text, text[-3000:]


async def test_kill_9_of_one_process_during_traffic_loses_and_duplicates_nothing(
    server: SandboxServer, world: World, tmp_path: Path
) -> None:
    d = world.driver
    customers: list[User] = []
    for i in range(24):
        u = d.create_user(f"asker{i}")
        await d.add_member(world.guild, u)
        customers.append(u)
    async with pg_database() as db_url:
        env = bot_env(server, world, db_url)
        procs = [BotProcess(env, tmp_path, f"bot-{i}") for i in (1, 2)]
        try:
            await asyncio.gather(*(p.wait_ready() for p in procs))
            await d.sleep_until(lambda: len(server.gateway.sessions) == 2, timeout=10)
            first, second = customers[:12], customers[12:]
            asked = [await d.user_says(u, "dm", f"is my data lost? ({u.username})") for u in first]
            # SIGKILL the first process as soon as it has answered someone: it is mid-burst, holding claims
            await d.sleep_until(lambda: len(d.bot_messages()) >= 2, timeout=30)
            procs[0].kill()
            asked += [await d.user_says(u, "dm", f"is my data lost? ({u.username})") for u in second]
            for u, m in zip(customers, asked, strict=True):  # the survivor answers the rest, and takes over
                await d.wait_for_message(after=m, channel=d.dm_channel(u), timeout=60)
            await quiet(d, seconds=3.0)
            survivor_log = procs[1].output()
        finally:
            for p in procs:
                p.stop()
    for u in customers:
        assert len(d.bot_messages(d.dm_channel(u))) == 1, u.username
    assert " ERROR " not in survivor_log, survivor_log[-3000:]
