"""Claims: of several processes on one database, exactly one gets each event."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import event, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from bot.core.claims import BATCH, Claim, Claims, edit_key, interaction_key, message_key
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


class Statements:
    """Counts the statements that reach the database, by their first words."""

    def __init__(self, database: Database) -> None:
        self.seen: list[str] = []
        event.listen(database.engine.sync_engine, "before_cursor_execute", self._note)
        self._engine = database.engine.sync_engine

    def _note(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        self.seen.append(" ".join(statement.split()[:3]).upper())

    def count(self, prefix: str) -> int:
        return sum(s.startswith(prefix) for s in self.seen)

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._note)


async def test_a_burst_of_claims_is_written_in_a_few_statements_not_one_each(database: Database) -> None:
    claims = Claims(database, owner="one")
    statements = Statements(database)
    try:
        keys = [message_key("answers", i) for i in range(200)]
        results = await asyncio.gather(*(claims.claim(k) for k in keys))
        assert all(results)
        inserts = statements.count("INSERT INTO CLAIMS")
        assert 1 <= inserts <= 1 + -(-len(keys) // BATCH)  # the first alone, then the rest together
        for k in keys:
            claims.finish_soon(k)
        await claims.close()
        assert statements.count("UPDATE CLAIMS SET") <= 1 + -(-len(keys) // BATCH)
    finally:
        statements.close()
    async with database.begin() as conn:
        assert await conn.scalar(select(func.count()).select_from(Claim).where(Claim.done == True)) == 200  # type: ignore[arg-type]  # noqa: E712


async def test_one_event_delivered_twice_at_once_is_handled_once(database: Database) -> None:
    claims = Claims(database)
    key = message_key("answers", 21)
    results = await asyncio.gather(claims.take(key), claims.take(key), claims.take(message_key("answers", 22)))
    assert [r.won for r in results] == [True, False, True]
    assert (claims.won, claims.lost) == (2, 1)


async def test_a_claim_whose_handler_was_cancelled_is_left_for_another_process(database: Database) -> None:
    mine = Claims(database, owner="mine", lease=timedelta(seconds=30))
    other = Claims(database, owner="other", lease=timedelta(seconds=30))
    key = message_key("answers", 31)
    try:
        waiting = asyncio.ensure_future(mine.take(key))
        await asyncio.sleep(0)  # asked: in the next statement
        waiting.cancel()  # the handler is cut short (a shutdown) while its claim is being written
        while mine._taker is not None and not mine._taker.done():
            await asyncio.sleep(0.01)
        assert waiting.cancelled()
        assert mine._held == set()  # not renewed: its lease runs out, and then another process takes it
        outcome = await other.take(key)
        assert not outcome.won and outcome.retry_at is not None
    finally:
        await mine.close()
        await other.close()


async def test_when_the_statement_fails_every_claim_in_it_hears_so(database: Database) -> None:
    claims = Claims(database)
    async with database.begin() as conn:
        await conn.execute(text("DROP TABLE claims"))
    asked = asyncio.gather(*(claims.take(message_key("answers", i)) for i in range(3)), return_exceptions=True)
    results = await asyncio.wait_for(asked, 30)  # (not a timing check: a claim left waiting would hang the test)
    assert all(isinstance(r, SQLAlchemyError) for r in results)
