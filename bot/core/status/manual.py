"""Staff in charge of posting: an update written by hand, and pausing or resuming automatic posts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.core.db import Database
from bot.core.feeds import FeedUpdate, content_hash
from bot.core.kv import Kv
from bot.core.models import StatusUpdate, utcnow
from bot.core.outbox.rows import enqueue
from bot.core.outbox.wakeup import Wakeup
from bot.core.status.ingest import PAUSED_KEY, STATUS_UPDATES, stored_row
from bot.core.status.snapshot import StatusSnapshots
from bot.core.status.subscriptions import announce, subscriber_ids


class StaffPosting:
    def __init__(
        self,
        db: Database,
        snapshots: StatusSnapshots,
        *,
        status_channel_id: int | None,
        wakeup: Wakeup,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.snapshots = snapshots
        self.status_channel_id = status_channel_id
        self.wakeup = wakeup
        self.clock = clock

    async def manual_post(
        self, draft_id: str, *, title: str, state: str, body: str, next_update_by: datetime | None = None
    ) -> bool:
        """Post an update written by staff, exactly like a feed update (once per draft). False if done before."""
        update_ = FeedUpdate(
            key=f"manual:{draft_id}",
            incident_key="manual",
            incident_title=title,
            state=state,
            body=body,
            published_at=self.clock(),
            content_hash=content_hash(title, state, body, {}),
            next_update_by=next_update_by,
        )
        try:
            async with self.db.transaction() as session:
                if await session.scalar(select(col(StatusUpdate.id)).where(col(StatusUpdate.key) == update_.key)):
                    return False
                await session.execute(insert(STATUS_UPDATES), [stored_row(update_, "queued")])
                await enqueue(session, announce(update_.key, await subscriber_ids(session), self.status_channel_id))
        except IntegrityError:
            return False
        self.snapshots.changed()
        self.wakeup.notify()
        return True

    async def set_paused(self, paused: bool) -> int:
        """Pause or resume automatic posting. Resuming posts what was held, in order; returns how many."""
        async with self.db.transaction() as session:
            await Kv.put(session, PAUSED_KEY, "1" if paused else None)
            if paused:
                return 0
            held = list(
                await session.scalars(
                    select(StatusUpdate)
                    .where(col(StatusUpdate.posted) == "held")
                    .order_by(col(StatusUpdate.published_at), col(StatusUpdate.id))
                )
            )
            subscribers = await subscriber_ids(session)
            rows = []
            for row in held:
                row.posted = "queued"
                rows.extend(announce(row.key, subscribers, self.status_channel_id))
            queued = await enqueue(session, rows)
        if queued:
            self.wakeup.notify()
        return len(held)
