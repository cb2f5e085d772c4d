"""Reading the stored status: the snapshot answers quote, the latest updates, and an update as it reads now."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from bot.core.compose import StatusFacts, progress_from
from bot.core.db import Database
from bot.core.kv import Kv
from bot.core.models import StatusUpdate, utcnow
from bot.core.outage import is_unavailable
from bot.core.outbox.notices import StatusView
from bot.core.status.labels import RESOLVED, STALE_IN_ANSWER, describe, format_time

SNAPSHOT_TTL = timedelta(seconds=5)
LAST_GOOD_KEY = "feed.last_good_at"


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """The current incident status as answers quote it."""

    text: str
    as_of: datetime
    version: str
    stale: bool = False  # the last good fetch of the feed is old
    facts: StatusFacts | None = None  # the latest update as data: answers are composed from it

    def line(self) -> str:
        warning = STALE_IN_ANSWER if self.stale else ""
        return f"Status as of {format_time(self.as_of)}{warning}: {self.text}"


def stale_after(poll_seconds: float) -> timedelta:
    """How old the last good fetch may be before the status is called possibly out of date."""
    return timedelta(seconds=max(3 * poll_seconds, 900))


def view_of(row: StatusUpdate) -> StatusView:
    return StatusView.model_validate(
        {
            "key": row.key,
            "incident": row.incident_title,
            "state": row.state,
            "impact": row.impact,
            "body": row.body,
            "progress": json.loads(row.progress or "{}"),
            "published_at": row.published_at,
            "next_update_by": row.next_update_by,
            "edited": row.edited,
        }
    )


class StatusSnapshots:
    """The status as answers quote it, read at most every few seconds however many questions arrive."""

    def __init__(
        self, db: Database, *, stale_after: timedelta | None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.stale_after = stale_after  # None: no feed, so nothing can go stale
        self.clock = clock
        self._lock = asyncio.Lock()
        self._cached: tuple[datetime, StatusSnapshot | None] | None = None
        self._last: tuple[StatusSnapshot | None] | None = None  # the last one read, kept through `changed()`

    async def snapshot(self) -> StatusSnapshot | None:
        cached = self._cached
        if cached is not None and (self.clock() - cached[0] < SNAPSHOT_TTL or self._lock.locked()):
            return cached[1]  # fresh, or being refreshed right now: no question waits for the database
        async with self._lock:  # one reader refreshes; the others share its result
            cached = self._cached
            if cached is not None and self.clock() - cached[0] < SNAPSHOT_TTL:
                return cached[1]
            try:
                value = await self._read()
            except Exception as exc:
                if self._last is None or not is_unavailable(exc):
                    raise
                # the database is away (a restart): answers go on quoting the status last read, which is
                # what the feed said then; it is read again once the database answers
                self.db.outage.failed("reading the status", exc)
                value = self._last[0]
            self._cached = (self.clock(), value)
            self._last = (value,)
            return value

    def changed(self) -> None:
        """The stored status changed: the next question reads it again."""
        self._cached = None

    async def latest_updates(self, limit: int = 1) -> list[StatusUpdate]:
        async with self.db.sessions() as session:
            return list(
                await session.scalars(select(StatusUpdate).order_by(col(StatusUpdate.published_at).desc()).limit(limit))
            )

    async def _read(self) -> StatusSnapshot | None:
        async with self.db.sessions() as session:
            latest = await session.scalar(
                select(StatusUpdate).order_by(col(StatusUpdate.published_at).desc(), col(StatusUpdate.id).desc())
            )
            if latest is None:
                return None
            open_incidents = list(
                await session.scalars(
                    select(StatusUpdate)
                    .where(col(StatusUpdate.state).not_in(sorted(RESOLVED)))
                    .order_by(col(StatusUpdate.published_at).desc())
                    .limit(20)
                )
            )
            last_good_text = await Kv.get(session, LAST_GOOD_KEY)
        rows: list[StatusUpdate] = []
        seen: set[str] = set()
        for r in [latest, *open_incidents]:
            if r.incident_key not in seen:
                seen.add(r.incident_key)
                rows.append(r)
        text = " ".join(describe(view_of(r)) for r in rows[:3])
        version = hashlib.sha256("|".join(f"{r.key}:{r.content_hash}" for r in rows).encode()).hexdigest()[:16]
        last_good = datetime.fromisoformat(last_good_text) if last_good_text else None
        stale = self.stale_after is not None and (last_good is None or self.clock() - last_good > self.stale_after)
        facts = StatusFacts(
            title=latest.incident_title,
            state=latest.state,
            as_of=latest.published_at,
            body=latest.body,
            progress=progress_from(json.loads(latest.progress or "{}")),
            next_update_by=latest.next_update_by,
            stale=stale,
        )
        return StatusSnapshot(text=text, as_of=latest.published_at, version=version, stale=stale, facts=facts)
