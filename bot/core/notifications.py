"""The outbox and its delivery loop.

Rows are written in the same transaction as the change that causes them (a status update, a device's
recovery state, a broadcast). The loop delivers them through a `Sender` at a bounded rate. A row is
claimed by pushing its `next_attempt_at` into the future (a lease), so two instances never send the
same row at once; the row id is the Discord nonce (with enforce_nonce), so a resend after a crash
between Discord's acknowledgement and our commit returns the first message instead of a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import DmChannel, Outbox, StatusUpdate, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8
_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]


class RetryLater(Exception):
    def __init__(self, after: float, reason: str) -> None:
        super().__init__(reason)
        self.after = after


class Unreachable(Exception):
    """The recipient does not accept messages from the bot (Discord 403 / 50007)."""


class DeliveryFailed(Exception):
    """A permanent failure (e.g. the channel is gone)."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    kind: str  # post / edit / dm
    target_id: int
    payload: dict[str, Any]
    message_id: int | None
    attempts: int
    update_key: str | None

    @property
    def nonce(self) -> str:
        return f"ob{self.id}"


class Sender(Protocol):
    async def deliver(self, item: OutboxItem) -> int | None:
        """Send or edit; return the Discord message id. Raise RetryLater, Unreachable or DeliveryFailed."""
        ...


def outbox_row(
    kind: str,
    target_id: int,
    dedupe_key: str,
    payload: dict[str, Any],
    *,
    update_key: str | None = None,
    message_id: int | None = None,
    customer_id: int | None = None,
    broadcast_id: int | None = None,
) -> dict[str, Any]:
    now = utcnow()
    return {
        "kind": kind,
        "target_id": target_id,
        "dedupe_key": dedupe_key[:300],
        "payload": json.dumps(payload, separators=(",", ":")),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "update_key": update_key,
        "message_id": message_id,
        "customer_id": customer_id,
        "broadcast_id": broadcast_id,
        "created_at": now,
    }


def text_post(channel_id: int, dedupe_key: str, content: str) -> dict[str, Any]:
    """A plain message to a channel (staff alerts, reminders, reports)."""
    return outbox_row("post", channel_id, dedupe_key, {"kind": "text", "content": content})


def status_edit(channel_id: int, key: str, content_hash: str, message_id: int) -> dict[str, Any]:
    """Edit the message that shows a status update, once per version of its content."""
    return outbox_row(
        "edit",
        channel_id,
        f"edit:{key}:{content_hash}",
        {"kind": "status", "key": key},
        update_key=key,
        message_id=message_id,
    )


async def enqueue(session: AsyncSession, rows: Iterable[dict[str, Any]]) -> int:
    """Add rows inside the caller's transaction, skipping any whose dedupe key already exists."""
    rows = list(rows)
    if not rows:
        return 0
    keys = [r["dedupe_key"] for r in rows]
    existing: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        existing.update(
            (await session.execute(select(col(Outbox.dedupe_key)).where(col(Outbox.dedupe_key).in_(chunk)))).scalars()
        )
    fresh: list[dict[str, Any]] = []
    for r in rows:
        if r["dedupe_key"] not in existing:
            existing.add(r["dedupe_key"])
            fresh.append(r)
    for i in range(0, len(fresh), 1000):
        await session.execute(insert(_OUTBOX), fresh[i : i + 1000])
    return len(fresh)


class Pacer:
    """Spaces sends `1/rate` seconds apart."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self._next = 0.0

    async def wait(self) -> None:
        now = self.clock()
        if self._next > now:
            await asyncio.sleep(self._next - now)
            now = self.clock()
        self._next = max(self._next, now) + self.interval


class OutboxWorker:
    def __init__(self, db: Database, sender: Sender, *, dm_per_second: float = 0.5, batch: int = 50) -> None:
        self.db = db
        self.sender = sender
        self.batch = batch
        self.pacer = Pacer(dm_per_second)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-worker")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 2)  # an unfinished row is safe: lease + nonce
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                sent = await self.deliver_due()
            except Exception:
                log.exception("outbox delivery round failed")
                sent = 0
            if sent:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=await self._idle_seconds())

    async def _idle_seconds(self) -> float:
        async with self.db.sessions() as session:
            soonest = await session.scalar(
                select(func.min(Outbox.next_attempt_at)).where(col(Outbox.status) == "pending")
            )
        if soonest is None:
            return 30.0
        return min(30.0, max(0.05, (soonest - utcnow()).total_seconds()))

    async def deliver_due(self) -> int:
        """Deliver what is due now: channel posts and edits first, then DMs at the configured pace."""
        done = 0
        for kinds in (("post", "edit"), ("dm",)):
            for item in await self._due(kinds):
                if self._stopping:
                    return done
                if not await self._claim(item):
                    continue
                if item.kind == "dm":
                    await self.pacer.wait()
                await self._deliver(item)
                done += 1
        return done

    async def _due(self, kinds: tuple[str, ...]) -> list[OutboxItem]:
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(Outbox)
                .where(
                    col(Outbox.status) == "pending",
                    col(Outbox.kind).in_(kinds),
                    col(Outbox.next_attempt_at) <= utcnow(),
                )
                .order_by(col(Outbox.id))
                .limit(self.batch)
            )
            items = [
                OutboxItem(
                    r.id or 0, r.kind, r.target_id, json.loads(r.payload), r.message_id, r.attempts, r.update_key
                )
                for r in rows
            ]
            # status posts show the update as it is now, not as it was when queued
            keys = {i.payload["key"] for i in items if i.payload.get("kind") == "status"}
            if not keys:
                return items
            current = {
                u.key: u for u in await session.scalars(select(StatusUpdate).where(col(StatusUpdate.key).in_(keys)))
            }
        resolved = []
        for item in items:
            if item.payload.get("kind") == "status":
                row = current.get(item.payload["key"])
                if row is None:
                    continue
                payload = {**item.payload, "update": status_view(row), "hash": row.content_hash}
                item = OutboxItem(
                    item.id, item.kind, item.target_id, payload, item.message_id, item.attempts, item.update_key
                )
            resolved.append(item)
        return resolved

    async def _claim(self, item: OutboxItem) -> bool:
        now = utcnow()
        async with self.db.transaction() as session:
            result = await session.execute(
                update(Outbox)
                .where(col(Outbox.id) == item.id, col(Outbox.status) == "pending", col(Outbox.next_attempt_at) <= now)
                .values(next_attempt_at=now + LEASE, attempts=col(Outbox.attempts) + 1)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            message_id = await self.sender.deliver(item)
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
            if status == "sent" and item.kind == "post" and item.update_key and message_id:
                await self._posted(session, item, message_id)
        if status != "sent":
            log.warning("outbox row %d (%s) %s: %s", item.id, item.kind, status, error)

    async def _posted(self, session: AsyncSession, item: OutboxItem, message_id: int) -> None:
        """Remember which message shows a status update; if it was edited meanwhile, queue the edit."""
        row = await session.scalar(select(StatusUpdate).where(col(StatusUpdate.key) == item.update_key))
        if row is None:
            return
        row.message_id = message_id
        shown = item.payload.get("hash")
        row.posted_hash = shown or row.content_hash
        if shown and shown != row.content_hash:
            await enqueue(session, [status_edit(item.target_id, row.key, row.content_hash, message_id)])


class DmChannels:
    """Where each customer's DMs go: remembered after the first one, so later DMs cost one request.

    New entries are written behind, in batches: losing one to a crash only costs re-opening a channel.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[int, int] = {}
        self._unsaved: dict[int, int] = {}
        self._writer: asyncio.Task[None] | None = None

    async def get(self, customer_id: int) -> int | None:
        known = self._known.get(customer_id)
        if known is not None:
            return known
        async with self.db.sessions() as session:
            row = await session.get(DmChannel, customer_id)
        if row is not None:
            self._known[customer_id] = row.channel_id
            return row.channel_id
        return None

    def remember(self, customer_id: int, channel_id: int) -> None:
        if self._known.get(customer_id) == channel_id:
            return
        self._known[customer_id] = channel_id
        self._unsaved[customer_id] = channel_id
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._save(), name="dm-channels")

    async def _save(self) -> None:
        while self._unsaved:
            batch, self._unsaved = self._unsaved, {}
            try:
                async with self.db.transaction() as session:
                    present = set(
                        await session.scalars(
                            select(col(DmChannel.customer_id)).where(col(DmChannel.customer_id).in_(list(batch)))
                        )
                    )
                    session.add_all(
                        DmChannel(customer_id=c, channel_id=ch) for c, ch in batch.items() if c not in present
                    )
            except Exception as exc:  # only an optimisation: the channel is opened again next time
                log.warning("could not remember %d DM channels (%s)", len(batch), type(exc).__name__)

    async def flush(self) -> None:
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})

    def forget(self, customer_id: int) -> None:
        self._known.pop(customer_id, None)
        self._unsaved.pop(customer_id, None)


async def outbox_counts(db: Database, *, broadcast_id: int | None = None) -> dict[str, int]:
    async with db.sessions() as session:
        query = select(col(Outbox.status), func.count()).group_by(col(Outbox.status))
        if broadcast_id is not None:
            query = query.where(col(Outbox.broadcast_id) == broadcast_id)
        return {status: int(n) for status, n in await session.execute(query)}


def when(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def status_view(row: StatusUpdate) -> dict[str, Any]:
    """A status update as plain data for rendering (the transport turns it into an embed)."""
    return {
        "key": row.key,
        "incident": row.incident_title,
        "state": row.state,
        "impact": row.impact,
        "body": row.body,
        "progress": json.loads(row.progress or "{}"),
        "published_at": when(row.published_at),
        "next_update_by": when(row.next_update_by),
        "edited": row.edited,
    }
