"""Helpers shared by several test modules (test modules never import one another).

Status feeds: the feed-parser tests' clock, inputs and fixture reader. Real captures live in
tests/fixtures/status-feeds/, synthetic ones in tests/fixtures/synthetic/.
Discord and data: buttons on a message, PNG sizes, rows still naming a customer, recovery feeds.
Status and outbox: a fake clock, the status service as the bot builds it, outbox rows, a recording Sender.
"""

from __future__ import annotations

import asyncio
import json
import selectors
import struct
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.feeds.fetch import FeedFetcher
from bot.core.models import Outbox
from bot.core.outbox.delivery import OutboxItem, Unreachable
from bot.core.status.service import StatusService
from tests.conftest import TEST_KEY

if TYPE_CHECKING:
    from bot.core.services import Services
    from bot.sandbox import Message

# ------------------------------------------------------------------------------ status feeds

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "status-feeds"
DATA = REPO / "tests" / "fixtures" / "synthetic"
SAMPLE_RECOVERY = REPO / "prompts" / "sample-status" / "recovery.json"
SCHEMA = REPO / "docs" / "recovery-feed.schema.json"
NOW = datetime(2025, 7, 16, 12, 0, tzinfo=UTC)
BEFORE_EDIT = "githubstatus_history_2025-07-14_before-edit.atom"
AFTER_EDIT = "githubstatus_history_2025-07-15_after-edit.atom"
EDITED_ENTRY = "tag:www.githubstatus.com,2005:Incident/25724106"


def fixture(name: str) -> bytes:
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(f"fixture {path} is missing from the repository")
    return path.read_bytes()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# ------------------------------------------------------------------------------ discord and data

IMEI = "490154203237518"


def buttons(message: Message) -> dict[str, str]:
    """label -> custom_id of every button on a message."""
    out = {}
    for row in message.components:
        for c in row.get("components", []):
            if c.get("type") == 2 and "custom_id" in c:
                out[c["label"]] = c["custom_id"]
    return out


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def every_row_naming(services: Services, customer_id: int) -> list[tuple[str, str]]:
    """Every (table, column) in the whole SQLite database that still holds this customer's id or IMEI."""
    found = []
    async with services.db.engine.connect() as conn:
        tables = [r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
        for table in tables:
            cols = [r[1] for r in await conn.execute(text(f'PRAGMA table_info("{table}")'))]
            for c in cols:
                n = await conn.scalar(
                    text(
                        f'SELECT count(*) FROM "{table}" '
                        f'WHERE CAST("{c}" AS TEXT) LIKE :a OR CAST("{c}" AS TEXT) LIKE :b'
                    ),
                    {"a": f"%{customer_id}%", "b": f"%{IMEI[-6:]}%"},
                )
                if n:
                    found.append((table, c))
    return found


def recovery_feed(
    updates: list[dict[str, Any]],
    devices: list[dict[str, Any]] | None = None,
    cursor: str | None = None,
    state: str = "recovering",
) -> bytes:
    """A status feed in the "recovery" format: one incident with these updates, and device states."""
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
    return {"id": uid, "state": state, "body": body, "published_at": f"2026-11-28T{hour:02d}:00:00Z", **extra}


# ------------------------------------------------------------------------------ a virtual clock

T = TypeVar("T")


class _SkippingSelector(selectors.DefaultSelector):
    """Waits for real I/O only when nothing is scheduled; otherwise jumps the loop's clock to the next timer."""

    def __init__(self, loop: VirtualClockLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None or timeout <= 0:
            return super().select(timeout)
        ready = super().select(0)
        if not ready:
            self._loop.advance(timeout)
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop on a fake clock: `loop.time()` starts at 0 and moves only when the loop would sleep.

    Sleeps, timeouts and `call_later` take no real time, so code that paces itself on the loop can be
    tested for *when* it acts, exactly, without a timing assertion on the machine's real clock. Real I/O
    (a database thread, a socket) still works: when no timer is due the loop waits for it as usual.
    """

    def __init__(self) -> None:
        self._now = 0.0
        super().__init__(selector=_SkippingSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


def run_on_virtual_clock(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion on a fresh VirtualClockLoop."""
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


# ------------------------------------------------------------------------------ status and outbox

STATUS_CH, STAFF_CH = 111, 222


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
