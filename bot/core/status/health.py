"""Feed health: the last good fetch, failures in a row, and telling staff once when the feed breaks
and once when it works again.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.db import Database
from bot.core.feeds import SkippedItem
from bot.core.kv import Kv
from bot.core.models import StatusUpdate, utcnow
from bot.core.outbox.rows import enqueue, text_post
from bot.core.outbox.wakeup import Wakeup
from bot.core.status.ingest import PAUSED_KEY
from bot.core.status.snapshot import LAST_GOOD_KEY

log = logging.getLogger(__name__)

CURSOR_KEY = "feed.cursor"
SKIPPED_KEY = "feed.skipped"
_NOW = re.compile(r"\s*\(now is [^)]*\)")
_POSITIONS = re.compile(r"\[\d+\]|\b(?:entry|item) \d+\b")


@dataclass(frozen=True, slots=True)
class FeedHealth:
    configured: bool
    paused: bool
    last_good_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    updates_seen: int
    skipped: int = 0  # items left out of the last poll as unreadable


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class FeedHealthLog:
    def __init__(
        self,
        db: Database,
        *,
        configured: bool,
        staff_channel_id: int | None,
        alert_after: int,
        wakeup: Wakeup,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.configured = configured
        self.staff_channel_id = staff_channel_id
        self.alert_after = alert_after
        self.wakeup = wakeup
        self.clock = clock

    async def good(self, session: AsyncSession, values: dict[str, str | None]) -> bool:
        """Record a good fetch (and `values`, e.g. the ETag) in the caller's transaction.

        True if it queued the "working again" message for staff: notify the worker after committing.
        """
        for k, v in values.items():
            if k == CURSOR_KEY and v is None:
                continue  # a null cursor means "keep the one you have"
            await Kv.put(session, k, v)
        await Kv.put(session, LAST_GOOD_KEY, self.clock().isoformat())
        failed = int(await Kv.get(session, "feed.failures") or 0)
        if failed:
            log.info("status feed works again after %d failed polls", failed)
        since = await Kv.get(session, "feed.alert")
        queued = 0
        if since is not None and self.staff_channel_id:
            queued = await enqueue(
                session,
                [
                    text_post(
                        self.staff_channel_id,
                        f"feed-up:{since}",
                        "The status feed is working again. Automatic updates continue.",
                    )
                ],
            )
        await Kv.put(session, "feed.alert", None)
        await Kv.put(session, "feed.failures", "0")
        return bool(queued)

    async def skipped(self, session: AsyncSession, items: Sequence[SkippedItem]) -> list[dict[str, Any]]:
        """Count the items the last poll left out; tell staff once about each (rows for the outbox).

        Once per problem: the dedupe key is the message without positions and without the clock, so
        the same bad item polled every minute (or moved down the list) is reported a single time.
        """
        await Kv.put(session, SKIPPED_KEY, str(len(items)))
        if not items or not self.staff_channel_id:
            return []
        rows = []
        for item in items:
            problem = _POSITIONS.sub("", _NOW.sub("", item.message))
            digest = hashlib.sha256(f"{item.reason}|{problem}".encode()).hexdigest()[:24]
            text = (
                f"The status feed has an item the bot cannot read, so it was left out ({item.where}): "
                f"{item.message[:300]}. The rest of the feed is posted as usual; fix the item at the source "
                "or post it by hand with `/admin status post`."
            )
            rows.append(text_post(self.staff_channel_id, f"feed-skip:{digest}", text))
        return rows

    async def record_good(self) -> None:
        """A good fetch with nothing new to ingest (not modified, or the same bytes)."""
        async with self.db.transaction() as session:
            queued = await self.good(session, {})
        if queued:
            self.wakeup.notify()

    async def record_failure(self, error: str) -> int:
        """Count a failed poll; returns the failures in a row, this one included."""
        now = self.clock()
        queued = 0
        async with self.db.transaction() as session:
            failures = int(await Kv.get(session, "feed.failures") or 0) + 1
            await Kv.put(session, "feed.failures", str(failures))
            await Kv.put(session, "feed.last_error", error[:500])
            await Kv.put(session, "feed.last_error_at", now.isoformat())
            if failures == 1:
                await Kv.put(session, "feed.failing_since", now.isoformat())
            if failures >= self.alert_after and not await Kv.get(session, "feed.alert"):
                since = await Kv.get(session, "feed.failing_since") or now.isoformat()
                await Kv.put(session, "feed.alert", since)
                if self.staff_channel_id:
                    alert = (
                        f"The status feed has failed {failures} times in a row (since {since}). "
                        f"Latest error: {error[:300]}. Customers still see the last good status, "
                        "marked as possibly out of date. You can post manually with `/admin status post`."
                    )
                    queued = await enqueue(session, [text_post(self.staff_channel_id, f"feed-down:{since}", alert)])
        if queued:
            self.wakeup.notify()
        return failures

    async def read(self) -> FeedHealth:
        async with self.db.sessions() as session:
            return FeedHealth(
                configured=self.configured,
                paused=await Kv.get(session, PAUSED_KEY) == "1",
                last_good_at=_dt(await Kv.get(session, LAST_GOOD_KEY)),
                last_error=await Kv.get(session, "feed.last_error"),
                last_error_at=_dt(await Kv.get(session, "feed.last_error_at")),
                failures=int(await Kv.get(session, "feed.failures") or 0),
                updates_seen=int(await session.scalar(select(func.count()).select_from(StatusUpdate)) or 0),
                skipped=int(await Kv.get(session, SKIPPED_KEY) or 0),
            )
