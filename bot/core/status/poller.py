"""Poll the status feed: fetch (with ETag and device cursor), parse, and ingest in one transaction.

The scheduler only triggers `poll()`; running it twice, concurrently, or after a crash writes nothing
twice, because what was seen and what must be sent live in the database (see ingest.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.core.db import Database
from bot.core.feeds import FeedError, FeedSnapshot, parse_feed
from bot.core.feeds.fetch import FeedFetcher
from bot.core.kv import Kv
from bot.core.models import utcnow
from bot.core.outbox.rows import enqueue
from bot.core.outbox.wakeup import Wakeup
from bot.core.status.health import CURSOR_KEY, FeedHealthLog
from bot.core.status.ingest import UpdateIngest, source_of
from bot.core.status.recovery import DeviceStates
from bot.core.status.snapshot import StatusSnapshots

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollResult:
    ok: bool
    new: int = 0
    edited: int = 0
    devices_changed: int = 0
    notices: int = 0
    error: str | None = None
    not_modified: bool = False
    skipped: int = 0  # unreadable items left out of this poll (the rest went on)


class Poller:
    def __init__(
        self,
        db: Database,
        fetcher: FeedFetcher | None,
        *,
        feed_format: str,
        updates: UpdateIngest,
        devices: DeviceStates,
        health: FeedHealthLog,
        snapshots: StatusSnapshots,
        wakeup: Wakeup,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.fetcher = fetcher
        self.feed_format = feed_format
        self.updates = updates
        self.devices = devices
        self.health = health
        self.snapshots = snapshots
        self.wakeup = wakeup
        self.clock = clock
        self._lock = asyncio.Lock()

    async def poll(self) -> PollResult:
        """Fetch, parse and ingest once. Never raises for feed problems: they are recorded and alerted."""
        if self.fetcher is None:
            return PollResult(ok=False, error="no status feed configured")
        async with self._lock:
            async with self.db.sessions() as session:
                cursor = await Kv.get(session, CURSOR_KEY)
                etag = await Kv.get(session, "feed.etag")
                modified = await Kv.get(session, "feed.last_modified")
                last_url = await Kv.get(session, "feed.url")
                last_body = await Kv.get(session, "feed.body_hash")
            same_feed = last_url == self.fetcher.url
            try:
                fetched = await self.fetcher.fetch(
                    cursor=cursor,
                    etag=etag if same_feed and not cursor else None,
                    last_modified=modified if same_feed and not cursor else None,
                )
                body_hash = hashlib.sha256(fetched.body).hexdigest() if fetched.body is not None else None
                if fetched.body is None or (body_hash == last_body and same_feed):
                    # 304, or the very same bytes as last time (servers without ETags, local files)
                    await self.health.record_good()
                    return PollResult(ok=True, not_modified=True)
                snapshot = await asyncio.to_thread(
                    parse_feed, fetched.body, self.feed_format, fetched.content_type, self.clock()
                )
            except FeedError as exc:
                failures = await self.health.record_failure(str(exc))
                # a WARNING when it starts failing and when staff are alerted; each poll in between at INFO
                level = logging.WARNING if failures in (1, self.health.alert_after) else logging.INFO
                log.log(level, "status feed poll failed (%s; %d in a row): %s", exc.reason, failures, exc)
                return PollResult(ok=False, error=str(exc))
            extra = {
                "feed.etag": fetched.etag,
                "feed.last_modified": fetched.last_modified,
                "feed.url": self.fetcher.url,
                "feed.body_hash": body_hash,
            }
            return await self.ingest(snapshot, extra_kv=extra)

    async def ingest(self, snapshot: FeedSnapshot, *, extra_kv: dict[str, str | None] | None = None) -> PollResult:
        """Record a parsed feed and queue what it makes necessary, in one transaction."""
        for attempt in range(3):
            try:
                async with self.db.transaction() as session:
                    url = (extra_kv or {}).get("feed.url") or (self.fetcher.url if self.fetcher else None)
                    source = source_of(snapshot, url)
                    new, edited, rows = await self.updates.ingest(session, snapshot, source=source)
                    devices_changed, device_rows = await self.devices.ingest(session, snapshot.device_states)
                    skipped_rows = await self.health.skipped(session, snapshot.skipped)
                    queued = await enqueue(session, [*rows, *device_rows, *skipped_rows])
                    alerted = await self.health.good(session, {**(extra_kv or {}), CURSOR_KEY: snapshot.next_cursor})
            except IntegrityError:
                # a second instance ingested the same feed at the same moment: read again
                log.info("status ingest raced with another instance; retrying (attempt %d)", attempt + 1)
                continue
            self.snapshots.changed()
            if queued or alerted:
                self.wakeup.notify()
            return PollResult(
                ok=True,
                new=new,
                edited=edited,
                devices_changed=devices_changed,
                notices=queued,
                skipped=len(snapshot.skipped),
            )
        return PollResult(ok=False, error="could not record the feed after 3 attempts")
