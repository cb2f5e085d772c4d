"""Who hears of a status update: the status channel, and every subscriber by DM."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import Subscription, utcnow
from bot.core.outbox.notices import StatusPost
from bot.core.outbox.rows import outbox_row


async def subscriber_ids(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(col(Subscription.customer_id))))


def announce(key: str, subscribers: Sequence[int], status_channel_id: int | None) -> list[dict[str, Any]]:
    """The outbox rows for a new update: one post in the status channel, one DM per subscriber."""
    notice = StatusPost(key=key)
    rows = []
    if status_channel_id:
        rows.append(outbox_row("post", status_channel_id, f"post:{key}", notice, update_key=key))
    rows.extend(outbox_row("dm", cid, f"sub:{key}:{cid}", notice, customer_id=cid) for cid in subscribers)
    return rows


class Subscriptions:
    def __init__(self, db: Database) -> None:
        self.db = db

    # one statement each: of two concurrent calls (two presses, two processes) exactly one reports the change

    async def subscribe(self, customer_id: int) -> bool:
        """True if newly subscribed."""
        stmt = (
            self.db.insert(Subscription)
            .values(customer_id=customer_id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["customer_id"])
        )
        async with self.db.begin() as conn:
            return bool((await conn.execute(stmt)).rowcount)

    async def unsubscribe(self, customer_id: int) -> bool:
        """True if this call removed the subscription."""
        async with self.db.begin() as conn:
            result = await conn.execute(delete(Subscription).where(col(Subscription.customer_id) == customer_id))
            return bool(result.rowcount)

    async def is_subscribed(self, customer_id: int) -> bool:
        async with self.db.sessions() as session:
            return await session.get(Subscription, customer_id) is not None
