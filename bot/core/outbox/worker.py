"""The delivery loop: lease a due row, hand it to the Sender, record the outcome.

A row is claimed by pushing its `next_attempt_at` into the future (a lease), so two instances never
send the same row at once; the row id is the Discord nonce (with enforce_nonce), so a resend after a
crash between Discord's acknowledgement and our commit returns the first message instead of a
duplicate. Channel posts and edits go first; DMs follow at the configured pace.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import cast

from sqlalchemy import func, select, update
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import Outbox, utcnow
from bot.core.outage import is_unavailable
from bot.core.outbox.delivery import (
    DeliveryFailed,
    DeliveryHook,
    NoHook,
    OutboxItem,
    RetryLater,
    Sender,
    Unreachable,
)
from bot.core.outbox.notices import BadNotice, Route, parse_notice
from bot.core.outbox.pacing import Pacer
from bot.core.outbox.wakeup import Wakeup

log = logging.getLogger(__name__)

# Short, and renewed every third of it while a delivery runs (a 429 wait can be long): a live process keeps
# its row, and a killed one's row is due again within LEASE.
LEASE = timedelta(seconds=15)
MAX_ATTEMPTS = 8
IDLE_SECONDS = 30.0
ERROR_PAUSE_SECONDS = 5.0  # after an unexpected failure of a round, before the next one
UNAVAILABLE_PAUSE_SECONDS = 0.2
_ROUNDS: tuple[tuple[Route, ...], ...] = (("post", "edit"), ("dm",))


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        *,
        wakeup: Wakeup | None = None,
        hook: DeliveryHook | None = None,
        dm_per_second: float = 0.5,
        batch: int = 50,
        lease: timedelta = LEASE,
    ) -> None:
        self.db = db
        self.lease = lease
        self.sender = sender
        self.wakeup = wakeup or Wakeup()
        self.hook: DeliveryHook = hook or NoHook()
        self.batch = batch
        self.pacer = Pacer(dm_per_second)
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        self._stopping = True
        self.wakeup.notify()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 2)  # an unfinished row is safe: lease + nonce
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                if await self.deliver_due():
                    continue
                self.wakeup.clear()
                idle = await self._idle_seconds()
            except Exception as exc:
                if is_unavailable(exc):
                    # the database is away (a restart): rows stay pending with their leases and nonces, and
                    # delivery resumes once it answers; nothing here to log but the outage itself
                    self.db.outage.failed("delivering the outbox", exc)
                    await self.db.outage.wait(IDLE_SECONDS)
                    await asyncio.sleep(UNAVAILABLE_PAUSE_SECONDS)  # never a busy loop, whatever the probe says
                    continue
                log.exception("outbox delivery round failed")
                self.wakeup.clear()
                idle = ERROR_PAUSE_SECONDS
            await self.wakeup.wait(idle)

    async def _idle_seconds(self) -> float:
        async with self.db.sessions() as session:
            soonest = await session.scalar(
                select(func.min(Outbox.next_attempt_at)).where(col(Outbox.status) == "pending")
            )
        if soonest is None:
            return IDLE_SECONDS
        return min(IDLE_SECONDS, max(0.05, (soonest - utcnow()).total_seconds()))

    async def deliver_due(self) -> int:
        """Deliver what is due now: channel posts and edits first, then DMs at the configured pace."""
        done = 0
        for routes in _ROUNDS:
            for item in await self.due(routes):
                if self._stopping:
                    return done
                if not await self.claim(item):
                    continue
                if item.route == "dm":
                    await self.pacer.wait()
                await self._deliver(item)
                done += 1
        return done

    async def due(self, routes: tuple[Route, ...]) -> list[OutboxItem]:
        """Pending rows of these routes that are due, as the hook says they should be sent now."""
        unreadable: list[tuple[int, str]] = []
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(Outbox)
                .where(
                    col(Outbox.status) == "pending",
                    col(Outbox.kind).in_(routes),
                    col(Outbox.next_attempt_at) <= utcnow(),
                )
                .order_by(col(Outbox.id))
                .limit(self.batch)
            )
            items = []
            for r in rows:
                try:
                    notice = parse_notice(r.payload, r.kind)
                except BadNotice as exc:
                    unreadable.append((r.id or 0, str(exc)))
                    continue
                route = cast(Route, r.kind)  # parse_notice checked it
                items.append(
                    OutboxItem(r.id or 0, route, r.target_id, notice, r.message_id, r.attempts, r.update_key)
                )
            items = await self.hook.prepare(session, items)
        for row_id, why in unreadable:
            # a row this version cannot read is failed on its own; the rest of the queue goes on
            await self._set_outcome(row_id, "failed", error=why)
        return items

    async def claim(self, item: OutboxItem) -> bool:
        """Take the row for one lease; False if another worker has it or it is no longer due."""
        now = utcnow()
        async with self.db.transaction() as session:
            result = await session.execute(
                update(Outbox)
                .where(col(Outbox.id) == item.id, col(Outbox.status) == "pending", col(Outbox.next_attempt_at) <= now)
                .values(next_attempt_at=now + self.lease, attempts=col(Outbox.attempts) + 1)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _send(self, item: OutboxItem) -> int | None:
        """The Sender's delivery, with the row's lease renewed until it returns."""
        done = asyncio.Event()
        beat = asyncio.get_running_loop().create_task(self._heartbeat(item.id, done), name="outbox-lease")
        try:
            return await self.sender.deliver(item)
        finally:
            done.set()
            await beat  # a renewal in flight ends before the outcome is written, never after it

    async def _heartbeat(self, row_id: int, done: asyncio.Event) -> None:
        every = self.lease.total_seconds() / 3
        while True:
            try:
                await asyncio.wait_for(done.wait(), every)
                return
            except TimeoutError:
                pass
            try:
                async with self.db.transaction() as session:
                    await session.execute(
                        update(Outbox)
                        .where(col(Outbox.id) == row_id, col(Outbox.status) == "pending")
                        .values(next_attempt_at=utcnow() + self.lease)
                    )
            except Exception as exc:  # the delivery goes on; at worst another process sends it too (same nonce)
                if is_unavailable(exc):
                    self.db.outage.failed("renewing an outbox lease", exc)
                else:
                    log.warning("could not renew the lease of outbox row %d (%s)", row_id, type(exc).__name__)

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            message_id = await self._send(item)
        except RetryLater as exc:
            if item.attempts + 1 >= MAX_ATTEMPTS:
                await self._finish(item, "failed", error=f"gave up after {item.attempts + 1} attempts: {exc}")
            else:
                await self._retry(item, exc.after, str(exc))
            return
        except Unreachable as exc:
            await self._finish(item, "unreachable", error=str(exc))
            return
        except DeliveryFailed as exc:
            await self._finish(item, "failed", error=str(exc))
            return
        except Exception as exc:  # a bug or an unexpected error: keep the row, try later
            log.exception("outbox row %d could not be delivered", item.id)
            await self._retry(item, 30.0 * (item.attempts + 1), type(exc).__name__)
            return
        await self._finish(item, "sent", message_id=message_id)
        self.delivered += 1

    async def _retry(self, item: OutboxItem, after: float, why: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(Outbox)
                .where(col(Outbox.id) == item.id)
                .values(next_attempt_at=utcnow() + timedelta(seconds=after), last_error=why[:500])
            )

    async def _finish(
        self, item: OutboxItem, status: str, *, error: str | None = None, message_id: int | None = None
    ) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(Outbox)
                .where(col(Outbox.id) == item.id)
                .values(status=status, last_error=error, sent_at=utcnow(), message_id=message_id or item.message_id)
            )
            if status == "sent" and message_id:
                await self.hook.sent(session, item, message_id)
        if status != "sent":
            log.warning("outbox row %d (%s) %s: %s", item.id, item.route, status, error)

    async def _set_outcome(self, row_id: int, status: str, *, error: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(Outbox)
                .where(col(Outbox.id) == row_id, col(Outbox.status) == "pending")
                .values(status=status, last_error=error[:500], sent_at=utcnow())
            )
        log.warning("outbox row %d %s: %s", row_id, status, error)
