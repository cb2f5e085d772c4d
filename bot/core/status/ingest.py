"""Feed updates into the `status_updates` table, and what each new or edited update makes necessary.

Exactly-once lives in the database: each feed update has a unique key; each message it causes is an
outbox row with a unique dedupe key, written in the same transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.feeds import FeedSnapshot, FeedUpdate
from bot.core.kv import Kv
from bot.core.models import StatusUpdate, utcnow
from bot.core.outbox.notices import StatusEdit
from bot.core.outbox.rows import outbox_row
from bot.core.status.labels import RESOLVED
from bot.core.status.subscriptions import announce, subscriber_ids

PAUSED_KEY = "status.paused"
STATUS_UPDATES = StatusUpdate.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def progress_json(update: FeedUpdate) -> str:
    return json.dumps({k: v.model_dump() for k, v in sorted(update.progress.items())}, separators=(",", ":"))


def stored_row(u: FeedUpdate, posted: str) -> dict[str, Any]:
    """A new `status_updates` row; `posted` is history (never posted), held (paused) or queued."""
    now = utcnow()
    return {
        "key": u.key,
        "incident_key": u.incident_key,
        "incident_title": u.incident_title,
        "state": u.state,
        "impact": u.impact,
        "body": u.body,
        "progress": progress_json(u),
        "next_update_by": u.next_update_by,
        "published_at": u.published_at,
        "content_hash": u.content_hash,
        "edited": False,
        "posted": posted,
        "message_id": None,
        "posted_hash": None,
        "first_seen_at": now,
        "changed_at": now,
    }


def status_edit(channel_id: int, key: str, content_hash: str, message_id: int) -> dict[str, Any]:
    """Edit the message that shows a status update, once per version of its content."""
    return outbox_row(
        "edit", channel_id, f"edit:{key}:{content_hash}", StatusEdit(key=key), update_key=key, message_id=message_id
    )


def current_keys(snapshot: FeedSnapshot) -> set[str]:
    """On a first run only the current state is posted: the latest update of each open incident."""
    open_latest = {inc.updates[-1].key for inc in snapshot.incidents if inc.updates and inc.state not in RESOLVED}
    if open_latest:
        return open_latest
    everything = [u for inc in snapshot.incidents for u in inc.updates]
    return {max(everything, key=lambda u: u.published_at).key} if everything else set()


def _apply(row: StatusUpdate, u: FeedUpdate) -> None:
    row.incident_title = u.incident_title
    row.state = u.state
    row.impact = u.impact
    row.body = u.body
    row.progress = progress_json(u)
    row.next_update_by = u.next_update_by
    row.content_hash = u.content_hash
    row.edited = True
    row.changed_at = utcnow()


class UpdateIngest:
    def __init__(self, *, status_channel_id: int | None) -> None:
        self.status_channel_id = status_channel_id

    async def ingest(self, session: AsyncSession, snapshot: FeedSnapshot) -> tuple[int, int, list[dict[str, Any]]]:
        """Record the feed's updates in the caller's transaction: (new, edited, outbox rows to queue).

        New updates are announced in order (held while staff have paused posting); on the very first
        run only the current state is, the rest is kept as history. An update edited at the source
        edits the message that shows it.
        """
        updates = sorted((u for inc in snapshot.incidents for u in inc.updates), key=lambda u: (u.published_at, u.key))
        paused = await Kv.get(session, PAUSED_KEY) == "1"
        first_run = not await session.scalar(select(func.count()).select_from(StatusUpdate))
        posting_now = current_keys(snapshot) if first_run else set()
        existing: dict[str, StatusUpdate] = {}
        keys = [u.key for u in updates]
        for i in range(0, len(keys), _CHUNK):
            for seen in await session.scalars(
                select(StatusUpdate).where(col(StatusUpdate.key).in_(keys[i : i + _CHUNK]))
            ):
                existing[seen.key] = seen
        subscribers: list[int] | None = None
        new = edited = 0
        rows: list[dict[str, Any]] = []
        for u in updates:
            row = existing.get(u.key)
            if row is None:
                posted = "history" if first_run and u.key not in posting_now else ("held" if paused else "queued")
                await session.execute(insert(STATUS_UPDATES), [stored_row(u, posted)])
                new += 1
                if posted == "queued":
                    if subscribers is None:
                        subscribers = await subscriber_ids(session)
                    rows.extend(announce(u.key, subscribers, self.status_channel_id))
            elif row.content_hash != u.content_hash:
                edited += 1
                _apply(row, u)
                if row.message_id is not None and self.status_channel_id:
                    rows.append(status_edit(self.status_channel_id, u.key, u.content_hash, row.message_id))
        return new, edited, rows
