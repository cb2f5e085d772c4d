"""Staff in charge of posting: an update written by hand, and pausing or resuming automatic posts.

A hand-written update continues the current incident (the feed's, unless staff start a new one): it
keeps the incident's key, so answers read one incident rather than two, and its progress per data type
is the current progress with what staff changed on top, so nothing the feed said is lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.db import Database
from bot.core.feeds import DataProgress, FeedUpdate, content_hash
from bot.core.kv import Kv
from bot.core.models import StatusUpdate, utcnow
from bot.core.outbox.rows import enqueue
from bot.core.outbox.wakeup import Wakeup
from bot.core.status.ingest import MANUAL_PREFIX, PAUSED_KEY, STATUS_UPDATES, stored_row
from bot.core.status.labels import RESOLVED
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
        self,
        draft_id: str,
        *,
        title: str,
        state: str,
        body: str,
        next_update_by: datetime | None = None,
        progress: Mapping[str, Mapping[str, Any]] | None = None,
        incident_key: str | None = None,
    ) -> bool:
        """Post an update written by staff, exactly like a feed update (once per draft). False if done before.

        `incident_key` is the incident it continues (default: the incident open now, if any); `progress`
        is laid over that incident's current progress per data type.
        """
        key = f"{MANUAL_PREFIX}{draft_id}"
        try:
            async with self.db.transaction() as session:
                if await session.scalar(select(col(StatusUpdate.id)).where(col(StatusUpdate.key) == key)):
                    return False
                current = await current_update(session, incident_key)
                if current is not None and incident_key is None and current.state in RESOLVED:
                    current = None  # the last incident is over: this one is new
                merged = {
                    name: DataProgress.model_validate(value)
                    for name, value in {**json.loads(current.progress if current else "{}"), **(progress or {})}.items()
                }
                update_ = FeedUpdate(
                    key=key,
                    incident_key=current.incident_key if current is not None else key,
                    incident_title=title,
                    state=state,
                    body=body,
                    published_at=self.clock(),
                    content_hash=content_hash(title, state, body, merged),
                    progress=merged,
                    next_update_by=next_update_by,
                    impact=current.impact if current is not None else "unknown",
                )
                await session.execute(insert(STATUS_UPDATES), [stored_row(update_, "queued")])
                await enqueue(session, announce(update_.key, await subscriber_ids(session), self.status_channel_id))
        except IntegrityError:
            return False
        self.snapshots.changed()
        self.wakeup.notify()
        return True

    async def current(self) -> StatusUpdate | None:
        """What a hand-written update continues: the latest update of the incident open now."""
        async with self.db.sessions() as session:
            return await current_update(session)

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


async def current_update(session: AsyncSession, incident_key: str | None = None) -> StatusUpdate | None:
    """The latest update of `incident_key`, or of the incident open now (else the latest update at all)."""
    query = select(StatusUpdate).order_by(col(StatusUpdate.published_at).desc(), col(StatusUpdate.id).desc())
    if incident_key is not None:
        return await session.scalar(query.where(col(StatusUpdate.incident_key) == incident_key))
    latest = await session.scalar(query)
    if latest is None or latest.state not in RESOLVED:
        return latest
    seen: set[str] = set()
    for row in await session.scalars(query.limit(200)):
        if row.incident_key in seen:
            continue
        seen.add(row.incident_key)
        if row.state not in RESOLVED:  # the newest row of this incident says it is still open
            return row
    return latest
