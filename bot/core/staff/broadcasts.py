"""Broadcasts: one message to every subscriber or every device owner, queued once through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from bot.core.db import Database
from bot.core.errors import UserFacingError
from bot.core.models import Broadcast, Device, Outbox, Subscription, utcnow
from bot.core.outbox.notices import BroadcastDm
from bot.core.outbox.rows import enqueue, outbox_counts, outbox_row, text_post
from bot.core.text.wording import plural

AUDIENCES = {"subscribers": "everyone subscribed to status updates", "devices": "everyone with a registered device"}
BROADCAST_MAX = 1800


@dataclass(frozen=True, slots=True)
class BroadcastView:
    id: int
    audience: str
    text: str
    status: str
    recipients: int
    counts: dict[str, int]


class Broadcasts:
    def __init__(self, db: Database, *, staff_channel_id: int | None, on_queued: Any = None) -> None:
        self.db = db
        self.staff_channel_id = staff_channel_id
        self.on_queued = on_queued or (lambda: None)

    async def audience_size(self, audience: str) -> int:
        async with self.db.sessions() as session:
            return len(await self._audience(session, audience))

    @staticmethod
    async def _audience(session: Any, audience: str) -> list[int]:
        if audience == "subscribers":
            return list(await session.scalars(select(col(Subscription.customer_id))))
        if audience == "devices":
            return list(await session.scalars(select(col(Device.customer_id)).distinct()))
        raise UserFacingError(f"Unknown audience {audience!r}: choose subscribers or devices.")

    async def draft(self, staff_id: int, audience: str, text: str) -> BroadcastView:
        text = text.strip()
        if not text:
            raise UserFacingError("The message is empty.")
        if len(text) > BROADCAST_MAX:
            raise UserFacingError(
                f"The message is {len(text)} characters; a broadcast can have at most {BROADCAST_MAX}. "
                "Please shorten it."
            )
        size = await self.audience_size(audience)
        async with self.db.transaction() as session:
            b = Broadcast(created_by=staff_id, audience=audience, text=text, recipients=size)
            session.add(b)
            await session.flush()
            assert b.id is not None
            return BroadcastView(b.id, audience, text, b.status, size, {})

    async def confirm(self, broadcast_id: int) -> BroadcastView:
        """Queue the messages, once: a second confirmation changes nothing."""
        async with self.db.transaction() as session:
            b = await session.get(Broadcast, broadcast_id)
            if b is None:
                raise UserFacingError(f"There is no broadcast #{broadcast_id}.")
            if b.status != "draft":
                return await self._view(b)
            people = await self._audience(session, b.audience)
            b.status, b.recipients, b.confirmed_at = "sending", len(people), utcnow()
            rows = [
                outbox_row(
                    "dm",
                    cid,
                    f"bc:{b.id}:{cid}",
                    BroadcastDm(content=b.text),
                    customer_id=cid,
                    broadcast_id=b.id,
                )
                for cid in people
            ]
            if self.staff_channel_id:
                rows.insert(
                    0,
                    text_post(
                        self.staff_channel_id,
                        f"bc-start:{b.id}",
                        f"Broadcast #{b.id} started: {plural(len(people), 'person')} ({AUDIENCES[b.audience]}).",
                    ),
                )
            await enqueue(session, rows)
        self.on_queued()
        return await self.get(broadcast_id)

    async def cancel(self, broadcast_id: int) -> BroadcastView:
        async with self.db.transaction() as session:
            b = await session.get(Broadcast, broadcast_id)
            if b is None:
                raise UserFacingError(f"There is no broadcast #{broadcast_id}.")
            if b.status in ("draft", "sending"):
                b.status = "cancelled"
                b.finished_at = utcnow()
                await session.execute(
                    update(Outbox)
                    .where(col(Outbox.broadcast_id) == broadcast_id, col(Outbox.status) == "pending")
                    .values(status="cancelled")
                )
        return await self.get(broadcast_id)

    async def get(self, broadcast_id: int) -> BroadcastView:
        async with self.db.sessions() as session:
            b = await session.get(Broadcast, broadcast_id)
            if b is None:
                raise UserFacingError(f"There is no broadcast #{broadcast_id}.")
            return await self._view(b)

    async def _view(self, b: Broadcast) -> BroadcastView:
        assert b.id is not None
        counts = await outbox_counts(self.db, broadcast_id=b.id)
        return BroadcastView(b.id, b.audience, b.text, b.status, b.recipients, counts)

    async def progress_tick(self) -> int:
        """Report finished broadcasts (and each quarter of the way) in the staff channel; returns reports queued."""
        async with self.db.sessions() as session:
            sending = list(await session.scalars(select(Broadcast).where(col(Broadcast.status) == "sending")))
        queued = 0
        for b in sending:
            assert b.id is not None
            counts = await outbox_counts(self.db, broadcast_id=b.id)
            done = counts.get("sent", 0) + counts.get("unreachable", 0) + counts.get("failed", 0)
            total = max(b.recipients, 1)
            finished = counts.get("pending", 0) == 0
            if finished:
                key, report = (
                    f"bc-done:{b.id}",
                    (
                        f"Broadcast #{b.id} finished: {counts.get('sent', 0)} sent, "
                        f"{counts.get('unreachable', 0)} not reachable (DMs closed), {counts.get('failed', 0)} failed."
                    ),
                )
            else:
                quarter = 25 * (100 * done // total // 25)
                key, report = f"bc-progress:{b.id}:{quarter}", f"Broadcast #{b.id}: {done} of {b.recipients} done."
            async with self.db.transaction() as session:
                if self.staff_channel_id and (finished or quarter):
                    queued += await enqueue(session, [text_post(self.staff_channel_id, key, report)])
                if finished:
                    await session.execute(
                        update(Broadcast).where(col(Broadcast.id) == b.id).values(status="done", finished_at=utcnow())
                    )
        if queued:
            self.on_queued()
        return queued
