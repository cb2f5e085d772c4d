"""Outbox rows: written in the same transaction as the change that causes them, once per dedupe key."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import Outbox, utcnow
from bot.core.outbox.notices import Notice, Route, TextPost, check_route, dump_notice

_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def outbox_row(
    route: Route,
    target_id: int,
    dedupe_key: str,
    notice: Notice,
    *,
    update_key: str | None = None,
    message_id: int | None = None,
    customer_id: int | None = None,
    broadcast_id: int | None = None,
) -> dict[str, Any]:
    """One row to insert with `enqueue`. `target_id` is a channel (post, edit) or a user (dm)."""
    check_route(notice, route)
    if route == "edit" and message_id is None:
        raise ValueError("an edit needs the message to edit")
    now = utcnow()
    return {
        "kind": route,
        "target_id": target_id,
        "dedupe_key": dedupe_key[:300],
        "payload": dump_notice(notice),
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
    return outbox_row("post", channel_id, dedupe_key, TextPost(content=content))


async def enqueue(session: AsyncSession, rows: Iterable[dict[str, Any]]) -> int:
    """Add rows inside the caller's transaction, skipping any whose dedupe key already exists."""
    rows = list(rows)
    if not rows:
        return 0
    keys = [r["dedupe_key"] for r in rows]
    existing: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
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


async def outbox_counts(db: Database, *, broadcast_id: int | None = None) -> dict[str, int]:
    """Rows per status (pending, sent, unreachable, failed, cancelled), of one broadcast or of all."""
    async with db.sessions() as session:
        query = select(col(Outbox.status), func.count()).group_by(col(Outbox.status))
        if broadcast_id is not None:
            query = query.where(col(Outbox.broadcast_id) == broadcast_id)
        return {status: int(n) for status, n in await session.execute(query)}
