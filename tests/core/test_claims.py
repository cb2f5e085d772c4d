"""Claims: of several processes on one database, exactly one gets each event."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.core.claims import Claim, Claims, edit_key, interaction_key, message_key
from bot.core.db import Database
from bot.core.models import utcnow


async def test_a_key_is_won_once_across_processes(database: Database) -> None:
    one, two = Claims(database, owner="one"), Claims(database, owner="two")
    assert await one.claim(message_key("answers", 1))
    assert not await two.claim(message_key("answers", 1))
    assert not await one.claim(message_key("answers", 1))  # a repeat delivery to the same process too
    assert await two.claim(interaction_key(1))  # another kind of event with the same id is another key
    assert (one.won, one.lost, two.won, two.lost) == (1, 1, 1, 1)


async def test_concurrent_claims_of_one_key_have_one_winner(database: Database) -> None:
    claimants = [Claims(database, owner=f"p{i}") for i in range(8)]
    for key in range(20):
        results = await asyncio.gather(*(c.claim(message_key("answers", key)) for c in claimants))
        assert results.count(True) == 1


async def test_each_edit_is_its_own_event(database: Database) -> None:
    claims = Claims(database)
    first, second = utcnow(), utcnow() + timedelta(seconds=3)
    assert await claims.claim(edit_key("hygiene", 5, first))
    assert await claims.claim(edit_key("hygiene", 5, second))
    assert not await claims.claim(edit_key("hygiene", 5, first))


async def test_old_claims_are_pruned(database: Database) -> None:
    claims = Claims(database)
    await claims.claim(message_key("answers", 1))
    await claims.claim(message_key("answers", 2))
    async with database.begin() as conn:
        await conn.execute(
            update(Claim).where(Claim.key == message_key("answers", 1)).values(claimed_at=utcnow() - timedelta(days=2))  # type: ignore[arg-type]
        )
    assert await claims.prune() == 1
    async with database.begin() as conn:
        assert await conn.scalar(select(func.count()).select_from(Claim)) == 1


async def test_two_listeners_of_one_process_each_get_the_message(database: Database) -> None:
    claims = Claims(database)
    assert await claims.claim(message_key("answers", 9))
    assert await claims.claim(message_key("hygiene", 9))


async def test_an_unfinished_claim_is_taken_over_once_its_lease_is_out(database: Database) -> None:
    dead = Claims(database, owner="dead", lease=timedelta(seconds=30))
    alive = Claims(database, owner="alive", lease=timedelta(seconds=30))
    key = message_key("answers", 7)
    assert (await dead.take(key)).won  # ... and the process is killed before it finishes
    busy = await alive.take(key)
    assert not busy.won and busy.retry_at is not None  # still leased: look again at retry_at
    async with database.begin() as conn:  # the lease runs out
        await conn.execute(
            update(Claim).where(Claim.key == key).values(lease_until=utcnow() - timedelta(seconds=1))  # type: ignore[arg-type]
        )
    assert (await alive.take(key)).won
    assert alive.taken_over == 1
    assert not (await dead.take(key)).won  # the new owner's lease holds against everyone, the dead one too


async def test_a_finished_claim_is_never_taken_over(database: Database) -> None:
    one, two = Claims(database, owner="one"), Claims(database, owner="two")
    key = message_key("answers", 8)
    assert (await one.take(key)).won
    await one.finish(key)
    async with database.begin() as conn:
        await conn.execute(
            update(Claim).where(Claim.key == key).values(lease_until=utcnow() - timedelta(seconds=1))  # type: ignore[arg-type]
        )
    outcome = await two.take(key)
    assert not outcome.won and outcome.retry_at is None  # done: drop it, nothing to watch


async def test_a_live_process_renews_what_it_has_not_finished(database: Database) -> None:
    busy = Claims(database, owner="busy", lease=timedelta(seconds=1))
    other = Claims(database, owner="other", lease=timedelta(seconds=1))
    key = message_key("answers", 11)
    try:
        assert (await busy.take(key)).won  # ... and its handler is queued behind a burst
        first = (await other.take(key)).retry_at
        assert first is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while True:  # the lease is pushed on while the work is unfinished
            later = (await other.take(key)).retry_at
            assert later is not None, "taken over from a live process"
            if later > first:
                break
            assert loop.time() < deadline, "the lease was never renewed"
            await asyncio.sleep(0.05)
    finally:
        await busy.close()
        await other.close()


async def test_a_burst_of_claims_is_written_in_a_few_transactions_each_won_once(database: Database) -> None:
    """Two processes each receive the same 200 events at once: every event has one winner, and each process
    writes its claims in a handful of batches rather than one transaction per event."""
    one, two = Claims(database, owner="one"), Claims(database, owner="two")
    keys = [message_key("answers", i) for i in range(200)]
    won_one, won_two = await asyncio.gather(
        asyncio.gather(*(one.claim(k) for k in keys)), asyncio.gather(*(two.claim(k) for k in keys))
    )
    assert all(a != b for a, b in zip(won_one, won_two, strict=True))  # exactly one of the two, for each
    assert one.won + two.won == 200 and one.lost + two.lost == 200
    assert one._takes.items == 200 and one._takes.batches <= 10
    # and a repeat inside one burst is lost by the same process, not won twice
    again = await asyncio.gather(*(one.claim(message_key("answers", 999)) for _ in range(3)))
    assert again.count(True) == 1


async def test_events_finished_together_are_all_marked_done(database: Database) -> None:
    claims = Claims(database, owner="one")
    keys = [message_key("answers", i) for i in range(50)]
    assert all(await asyncio.gather(*(claims.claim(k) for k in keys)))
    await asyncio.gather(*(claims.finish(k) for k in keys[:40]))
    assert claims._finishes.items == 40 and claims._finishes.batches < 40
    async with database.begin() as conn:
        done = (await conn.execute(select(Claim.key).where(Claim.done == True))).scalars().all()  # noqa: E712
    assert sorted(done) == sorted(keys[:40])
