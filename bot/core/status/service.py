"""The status parts wired together once, with the calls the transport, the scheduler and answers make.

Follow an update: poller (fetch) -> ingest + recovery (what changed, what to queue) -> outbox rows ->
delivery_hook (as it reads when sent) -> the transport. Answers read it through snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.feeds.fetch import FeedFetcher
from bot.core.models import utcnow
from bot.core.outbox.wakeup import Wakeup
from bot.core.status.delivery_hook import StatusDeliveryHook
from bot.core.status.health import FeedHealthLog
from bot.core.status.ingest import UpdateIngest
from bot.core.status.jobs import StatusJobs
from bot.core.status.manual import StaffPosting
from bot.core.status.poller import Poller
from bot.core.status.recovery import DeviceStates
from bot.core.status.snapshot import StatusSnapshots, stale_after
from bot.core.status.subscriptions import Subscriptions


class StatusService:
    def __init__(
        self,
        db: Database,
        cipher: DeviceCipher,
        *,
        fetcher: FeedFetcher | None,
        feed_format: str = "auto",
        status_channel_id: int | None = None,
        staff_channel_id: int | None = None,
        poll_seconds: float = 60.0,
        alert_after: int = 3,
        reminder_minutes: int = 15,
        serial_pattern: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        wakeup: Wakeup | None = None,
    ) -> None:
        wakeup = wakeup or Wakeup()
        self.fetcher = fetcher
        self.snapshots = StatusSnapshots(db, stale_after=stale_after(poll_seconds) if fetcher else None, clock=clock)
        self.subscriptions = Subscriptions(db)
        self.devices = DeviceStates(db, cipher, serial_pattern=serial_pattern, wakeup=wakeup, clock=clock)
        self.feed_health = FeedHealthLog(
            db,
            configured=fetcher is not None,
            staff_channel_id=staff_channel_id,
            alert_after=alert_after,
            wakeup=wakeup,
            clock=clock,
        )
        self.poller = Poller(
            db,
            fetcher,
            feed_format=feed_format,
            updates=UpdateIngest(status_channel_id=status_channel_id),
            devices=self.devices,
            health=self.feed_health,
            snapshots=self.snapshots,
            wakeup=wakeup,
            clock=clock,
        )
        self.jobs = StatusJobs(
            db,
            self.snapshots,
            status_channel_id=status_channel_id,
            staff_channel_id=staff_channel_id,
            reminder_minutes=reminder_minutes,
            wakeup=wakeup,
            clock=clock,
        )
        self.staff = StaffPosting(db, self.snapshots, status_channel_id=status_channel_id, wakeup=wakeup, clock=clock)
        self.delivery_hook = StatusDeliveryHook()

        # the calls made from outside, each answered by one part
        self.poll = self.poller.poll
        self.ingest = self.poller.ingest
        self.health = self.feed_health.read
        self.snapshot = self.snapshots.snapshot
        self.latest_updates = self.snapshots.latest_updates
        self.subscribe = self.subscriptions.subscribe
        self.unsubscribe = self.subscriptions.unsubscribe
        self.is_subscribed = self.subscriptions.is_subscribed
        self.device_status = self.devices.device_status
        self.mark_device = self.devices.mark_device
        self.summary_tick = self.jobs.summary_tick
        self.reminder_tick = self.jobs.reminder_tick
        self.manual_post = self.staff.manual_post
        self.set_paused = self.staff.set_paused
