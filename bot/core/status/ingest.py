"""Feed updates into the `status_updates` table, and what each new or edited update makes necessary.

Exactly-once lives in the database: each feed update has a unique key; each message it causes is an
outbox row with a unique dedupe key, written in the same transaction.

Keys name the incident and update, not the format or URL (`bot.core.feeds.identity`). The feed's source
(key scheme, format, URL) is remembered: when it changes (JSON -> RSS, another URL, or a database keyed
by an older scheme) the poll counts as a first run for posting: stored updates are matched to the new
keys by incident title, minute and state and take them over silently, and nothing that is not newer
than what was already announced is announced.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.feeds import FeedSnapshot, FeedUpdate
from bot.core.feeds.identity import KEY_SCHEME, order_key
from bot.core.kv import Kv
from bot.core.models import StatusUpdate, utcnow
from bot.core.outbox.notices import StatusEdit
from bot.core.outbox.rows import outbox_row
from bot.core.status.labels import RESOLVED
from bot.core.status.subscriptions import announce, subscriber_ids
from bot.core.text.scanner import IdScanner

PAUSED_KEY = "status.paused"
SOURCE_KEY = "feed.source"
MANUAL_PREFIX = "manual:"
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


def source_of(snapshot: FeedSnapshot, url: str | None) -> str:
    """What the stored keys were made from; a change means the next poll is a first run for posting."""
    return f"{KEY_SCHEME}|{snapshot.format}|{url or ''}"


def ordered_updates(snapshot: FeedSnapshot) -> list[FeedUpdate]:
    """Every update, oldest first; updates of one minute in the order their incident gives them."""
    return [
        u
        for _, u in sorted(
            ((order_key(u, i), u) for inc in snapshot.incidents for i, u in enumerate(inc.updates)),
            key=lambda pair: (pair[0], pair[1].key),
        )
    ]


def current_keys(snapshot: FeedSnapshot) -> set[str]:
    """On a first run only the current state is posted: the latest update of each open incident."""
    open_latest = {inc.updates[-1].key for inc in snapshot.incidents if inc.updates and inc.state not in RESOLVED}
    if open_latest:
        return open_latest
    everything = ordered_updates(snapshot)
    return {everything[-1].key} if everything else set()


def _refresh(row: StatusUpdate, u: FeedUpdate) -> None:
    """Take the feed's text and key without calling it an edit (the same update, another rendering)."""
    row.key = u.key
    row.incident_key = u.incident_key
    _take_content(row, u)
    if row.posted_hash is not None:
        row.posted_hash = u.content_hash  # what the message shows is this update; no edit is due
    row.changed_at = utcnow()


def _minute(u: FeedUpdate | StatusUpdate) -> str:
    return f"{u.published_at:%Y-%m-%dT%H:%M}"


def _take_content(row: StatusUpdate, u: FeedUpdate) -> None:
    """What the update says, as the feed says it now."""
    row.incident_title = u.incident_title
    row.state = u.state
    row.impact = u.impact
    row.body = u.body
    row.progress = progress_json(u)
    row.next_update_by = u.next_update_by
    row.content_hash = u.content_hash


def _apply(row: StatusUpdate, u: FeedUpdate) -> None:
    """The source edited the update in place: take its content and mark it edited."""
    _take_content(row, u)
    row.edited = True
    row.changed_at = utcnow()


class UpdateIngest:
    def __init__(self, *, status_channel_id: int | None, scanner: IdScanner | None = None) -> None:
        self.status_channel_id = status_channel_id
        # the feed is text from outside: a device ID in it never reaches a post, a DM, an answer or the LLM
        self.scanner = scanner or IdScanner()

    def _clean(self, u: FeedUpdate) -> FeedUpdate:
        title, body = self.scanner.redact(u.incident_title), self.scanner.redact(u.body)
        if title == u.incident_title and body == u.body:
            return u
        return u.model_copy(update={"incident_title": title, "body": body})

    async def ingest(
        self, session: AsyncSession, snapshot: FeedSnapshot, *, source: str | None = None
    ) -> tuple[int, int, list[dict[str, Any]]]:
        """Record the feed's updates in the caller's transaction: (new, edited, outbox rows to queue).

        New updates are announced in order (held while staff have paused posting); on the very first
        run only the current state is, the rest is kept as history. An update edited at the source
        edits the message that shows it. `source` (see `source_of`) tells a switch of format or URL.
        """
        updates = [self._clean(u) for u in ordered_updates(snapshot)]
        paused = await Kv.get(session, PAUSED_KEY) == "1"
        source = source or source_of(snapshot, None)
        feed_rows = await session.scalar(
            select(func.count()).select_from(StatusUpdate).where(col(StatusUpdate.key).not_like(f"{MANUAL_PREFIX}%"))
        )
        first_run = not feed_rows
        switched = not first_run and await Kv.get(session, SOURCE_KEY) != source
        await Kv.put(session, SOURCE_KEY, source)
        horizon = None
        if switched:
            horizon = await session.scalar(
                select(func.max(col(StatusUpdate.published_at))).where(col(StatusUpdate.posted).in_(["queued", "held"]))
            )
            first_run = horizon is None  # nothing was ever announced: as good as a first run
        posting_now = current_keys(snapshot) if first_run else set()
        existing: dict[str, StatusUpdate] = {}
        keys = [u.key for u in updates]
        for i in range(0, len(keys), _CHUNK):
            for seen in await session.scalars(
                select(StatusUpdate).where(col(StatusUpdate.key).in_(keys[i : i + _CHUNK]))
            ):
                existing[seen.key] = seen
        if switched:
            await self._adopt(session, [u for u in updates if u.key not in existing], existing)
        subscribers: list[int] | None = None
        new = edited = 0
        rows: list[dict[str, Any]] = []
        for u in updates:
            row = existing.get(u.key)
            if row is None:
                if first_run:
                    posted = "queued" if u.key in posting_now else "history"
                elif horizon is not None and u.published_at <= horizon:
                    posted = "history"  # a switch of feed: older than what was announced
                else:
                    posted = "queued"
                if posted == "queued" and paused:
                    posted = "held"
                await session.execute(insert(STATUS_UPDATES), [stored_row(u, posted)])
                new += 1
                if posted == "queued":
                    if subscribers is None:
                        subscribers = await subscriber_ids(session)
                    rows.extend(announce(u.key, subscribers, self.status_channel_id))
            elif row.content_hash != u.content_hash:
                if switched:
                    _refresh(row, u)  # another format renders the same text differently: not an edit
                    continue
                edited += 1
                _apply(row, u)
                if row.message_id is not None and self.status_channel_id:
                    rows.append(status_edit(self.status_channel_id, u.key, u.content_hash, row.message_id))
        return new, edited, rows

    async def _adopt(self, session: AsyncSession, unknown: list[FeedUpdate], existing: dict[str, StatusUpdate]) -> None:
        """Stored updates of the previous source take over the new keys of the same updates.

        The same update is the same incident title, UTC minute and state; among several, in order.
        """
        if not unknown:
            return
        titles = sorted({u.incident_title for u in unknown})
        candidates: dict[tuple[str, str, str], list[StatusUpdate]] = {}
        claimed = {row.id for row in existing.values()}
        for i in range(0, len(titles), _CHUNK):
            for row in await session.scalars(
                select(StatusUpdate)
                .where(col(StatusUpdate.incident_title).in_(titles[i : i + _CHUNK]))
                .where(col(StatusUpdate.key).not_like(f"{MANUAL_PREFIX}%"))
                .order_by(col(StatusUpdate.published_at), col(StatusUpdate.id))
            ):
                if row.id not in claimed:
                    candidates.setdefault((row.incident_title, _minute(row), row.state), []).append(row)
        for u in unknown:
            match = candidates.get((u.incident_title, _minute(u), u.state))
            if match:
                row = match.pop(0)
                _refresh(row, u)
                existing[u.key] = row
        await session.flush()
