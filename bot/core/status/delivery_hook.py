"""The status's part in delivery: a status message shows its update as it is when sent, and the
update remembers which message shows it (queueing an edit if it changed on the way).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.models import StatusUpdate
from bot.core.outbox.delivery import OutboxItem
from bot.core.outbox.notices import StatusEdit, StatusPost
from bot.core.outbox.rows import enqueue
from bot.core.status.ingest import status_edit
from bot.core.status.snapshot import view_of


class StatusDeliveryHook:
    async def prepare(self, session: AsyncSession, items: list[OutboxItem]) -> list[OutboxItem]:
        keys = {i.notice.key for i in items if isinstance(i.notice, StatusPost | StatusEdit)}
        if not keys:
            return items
        current = {
            u.key: u for u in await session.scalars(select(StatusUpdate).where(col(StatusUpdate.key).in_(keys)))
        }
        ready = []
        for item in items:
            if isinstance(item.notice, StatusPost | StatusEdit):
                row = current.get(item.notice.key)
                if row is None:
                    continue
                fresh = item.notice.model_copy(update={"update": view_of(row), "shown_hash": row.content_hash})
                item = replace(item, notice=fresh)
            ready.append(item)
        return ready

    async def sent(self, session: AsyncSession, item: OutboxItem, message_id: int) -> None:
        """A status post reached the channel: remember its message; if it is already out of date, edit it."""
        if item.route != "post" or not item.update_key or not isinstance(item.notice, StatusPost):
            return
        row = await session.scalar(select(StatusUpdate).where(col(StatusUpdate.key) == item.update_key))
        if row is None:
            return
        row.message_id = message_id
        shown = item.notice.shown_hash
        row.posted_hash = shown or row.content_hash
        if shown and shown != row.content_hash:
            await enqueue(session, [status_edit(item.target_id, row.key, row.content_hash, message_id)])
