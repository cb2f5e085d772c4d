"""Scheduled extras while an incident is open: a periodic summary post, and a reminder to staff when a
promised "next update by" time is about to pass. Each is queued once per slot or promise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.db import Database
from bot.core.models import utcnow
from bot.core.outbox.notices import Summary
from bot.core.outbox.rows import enqueue, outbox_row, text_post
from bot.core.outbox.wakeup import Wakeup
from bot.core.status.labels import RESOLVED
from bot.core.status.snapshot import StatusSnapshots
from bot.core.text.wording import plural


class StatusJobs:
    def __init__(
        self,
        db: Database,
        snapshots: StatusSnapshots,
        *,
        status_channel_id: int | None,
        staff_channel_id: int | None,
        reminder_minutes: int,
        wakeup: Wakeup,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.snapshots = snapshots
        self.status_channel_id = status_channel_id
        self.staff_channel_id = staff_channel_id
        self.reminder = timedelta(minutes=reminder_minutes) if reminder_minutes else None
        self.wakeup = wakeup
        self.clock = clock

    async def summary_tick(self, slot: str | None = None) -> bool:
        """Queue a short "still working on it" post when an incident is open. Once per slot."""
        if not self.status_channel_id:
            return False
        snap = await self.snapshots.snapshot()
        latest = await self.snapshots.latest_updates(1)
        if snap is None or not latest or latest[0].state in RESOLVED:
            return False
        slot = slot or self.clock().strftime("%Y-%m-%dT%H:%M")
        notice = Summary(text=snap.text, as_of=snap.as_of, stale=snap.stale)
        async with self.db.transaction() as session:
            queued = await enqueue(session, [outbox_row("post", self.status_channel_id, f"summary:{slot}", notice)])
        if queued:
            self.wakeup.notify()
        return bool(queued)

    async def reminder_tick(self) -> bool:
        """Remind staff once when a promised "next update by" time is about to pass without an update."""
        if self.reminder is None or not self.staff_channel_id:
            return False
        latest = await self.snapshots.latest_updates(1)
        if not latest or latest[0].next_update_by is None or latest[0].state in RESOLVED:
            return False
        due = latest[0].next_update_by
        now = self.clock()
        if not (due - self.reminder <= now):
            return False
        minutes = int((due - now).total_seconds() // 60)
        when_text = f"in {plural(minutes, 'minute')}" if minutes > 0 else "now (it has passed)"
        text = (
            f"Reminder: the status update of {latest[0].published_at:%d %b %H:%M UTC} promised the "
            f"next update by {due:%d %b %H:%M UTC}, which is {when_text}. "
            "Post one with `/admin status post` if the feed has nothing new."
        )
        async with self.db.transaction() as session:
            queued = await enqueue(
                session, [text_post(self.staff_channel_id, f"remind:{latest[0].key}:{due.isoformat()}", text)]
            )
        if queued:
            self.wakeup.notify()
        return bool(queued)
