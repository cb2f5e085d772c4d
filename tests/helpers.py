"""Shared test helpers: status feeds to serve, a fake clock, outbox inspection, a recording Sender.

Test modules import from here (or use fixtures), never from each other.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.feeds.fetch import FeedFetcher
from bot.core.models import Outbox
from bot.core.outbox.delivery import OutboxItem, Unreachable
from bot.core.status.service import StatusService
from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parents[1]
STATUS_FEEDS = ROOT / "tests" / "fixtures" / "status-feeds"
STATUS_CH, STAFF_CH = 111, 222
IMEI = "490154203237518"


def recovery_feed(
    updates: list[dict[str, Any]],
    devices: list[dict[str, Any]] | None = None,
    cursor: str | None = None,
    state: str = "recovering",
) -> bytes:
    """A recovery-format feed with one incident holding `updates`, and optionally a page of device states."""
    doc: dict[str, Any] = {
        "version": 1,
        "generated_at": "2026-11-28T12:00:00Z",
        "incidents": [
            {
                "id": "inc1",
                "title": "Contacts and photos unavailable",
                "state": state,
                "impact": "critical",
                "created_at": "2026-11-27T08:00:00Z",
                "updated_at": "2026-11-28T12:00:00Z",
                "updates": updates,
            }
        ],
    }
    if devices is not None:
        doc["devices"] = {"items": devices, "next_cursor": cursor}
    return json.dumps(doc).encode()


def upd(uid: str, hour: int, body: str, state: str = "recovering", **extra: Any) -> dict[str, Any]:
    """One update of the recovery feed's incident, published on 28 Nov 2026 at `hour`:00 UTC."""
    return {"id": uid, "state": state, "body": body, "published_at": f"2026-11-28T{hour:02d}:00:00Z", **extra}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def sqlite_database(path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database in `path`."""
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.upgrade()
    try:
        yield database
    finally:
        await database.dispose()


def status_service(db: Database, url: str | None = None, **kw: Any) -> StatusService:
    """The status as the bot builds it, with fixed channels and (unless given) a clock at 12:30 on 28 Nov 2026."""
    fetcher = (
        FeedFetcher(url, timeout=kw.pop("timeout", 5.0), backoff=0.01, max_bytes=kw.pop("max_bytes", 16 << 20))
        if url
        else None
    )
    kw.setdefault("clock", Clock(datetime(2026, 11, 28, 12, 30, tzinfo=UTC)))
    return StatusService(
        db, DeviceCipher(TEST_KEY), fetcher=fetcher, status_channel_id=STATUS_CH, staff_channel_id=STAFF_CH, **kw
    )


async def outbox_rows(db: Database, route: str | None = None) -> list[Outbox]:
    """The outbox in order, or only the rows of one route (post, edit, dm)."""
    async with db.sessions() as s:
        q = select(Outbox).order_by(col(Outbox.id))
        if route:
            q = q.where(col(Outbox.kind) == route)
        return list(await s.scalars(q))


class RecordingSender:
    """The transport boundary: records what would go to Discord, can fail on demand."""

    def __init__(self) -> None:
        self.sent: list[OutboxItem] = []
        self.fail: list[Exception] = []
        self.unreachable: set[int] = set()
        self._ids = 9000

    async def deliver(self, item: OutboxItem) -> int | None:
        if self.fail:
            raise self.fail.pop(0)
        if item.route == "dm" and item.target_id in self.unreachable:
            raise Unreachable("50007 Cannot send messages to this user")
        self.sent.append(item)
        self._ids += 1
        return item.message_id or self._ids
