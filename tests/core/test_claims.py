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
    assert await one.claim(message_key(1))
    assert not await two.claim(message_key(1))
    assert not await one.claim(message_key(1))  # a repeat delivery to the same process too
    assert await two.claim(interaction_key(1))  # another kind of event with the same id is another key
    assert (one.won, one.lost, two.won, two.lost) == (1, 1, 1, 1)


async def test_concurrent_claims_of_one_key_have_one_winner(database: Database) -> None:
    claimants = [Claims(database, owner=f"p{i}") for i in range(8)]
    for key in range(20):
        results = await asyncio.gather(*(c.claim(message_key(key)) for c in claimants))
        assert results.count(True) == 1


async def test_each_edit_is_its_own_event(database: Database) -> None:
    claims = Claims(database)
    first, second = utcnow(), utcnow() + timedelta(seconds=3)
    assert await claims.claim(edit_key(5, first))
    assert await claims.claim(edit_key(5, second))
    assert not await claims.claim(edit_key(5, first))


async def test_old_claims_are_pruned(database: Database) -> None:
    claims = Claims(database)
    await claims.claim(message_key(1))
    await claims.claim(message_key(2))
    async with database.begin() as conn:
        await conn.execute(
            update(Claim).where(Claim.key == message_key(1)).values(claimed_at=utcnow() - timedelta(days=2))  # type: ignore[arg-type]
        )
    assert await claims.prune() == 1
    async with database.begin() as conn:
        assert await conn.scalar(select(func.count()).select_from(Claim)) == 1
