"""Staff tools: the audit log, runtime FAQ edits, and broadcasts through the outbox."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from bot.core.conversations import ConversationStore
from bot.core.db import Database
from bot.core.errors import UserFacingError
from bot.core.knowledge import FaqEntry, KnowledgeBase
from bot.core.models import AuditEntry, Broadcast, Device, FaqEdit, Outbox, Subscription, utcnow
from bot.core.outbox.notices import BroadcastDm
from bot.core.outbox.rows import enqueue, outbox_counts, outbox_row, text_post
from bot.core.safety import redact_device_ids

log = logging.getLogger(__name__)

AUDIENCES = {"subscribers": "everyone subscribed to status updates", "devices": "everyone with a registered device"}
BROADCAST_MAX = 1800


def _masked(value: Any) -> Any:
    """Audit arguments with every device ID masked (a staff member's own typing included)."""
    if isinstance(value, str):
        from bot.core.devices import InvalidDeviceId, parse_device_id

        try:
            return parse_device_id(value).masked if len(value) <= 64 else redact_device_ids(value)
        except InvalidDeviceId:
            return redact_device_ids(value)[:500]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class AuditView:
    created_at: datetime
    actor: str
    action: str
    subject: str | None
    args: dict[str, Any]


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, actor_id: int | None, action: str, subject_id: int | None = None, **args: Any) -> None:
        async with self.db.transaction() as session:
            session.add(
                AuditEntry(
                    actor_id=actor_id,
                    action=action[:40],
                    subject_id=subject_id,
                    args=json.dumps(_masked(args), default=str)[:4000],
                )
            )

    async def latest(self, limit: int = 20) -> list[AuditView]:
        async with self.db.sessions() as session:
            rows = await session.scalars(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit))
            return [
                AuditView(
                    r.created_at,
                    f"<@{r.actor_id}>" if r.actor_id else ("erased user" if r.actor_hash else "command line"),
                    r.action,
                    f"<@{r.subject_id}>" if r.subject_id else ("erased customer" if r.subject_hash else None),
                    json.loads(r.args or "{}"),
                )
                for r in rows
            ]


class FaqStore:
    """Staff FAQ edits kept in the database and applied on top of the files."""

    def __init__(self, db: Database, knowledge: KnowledgeBase, conversations: ConversationStore) -> None:
        self.db = db
        self.knowledge = knowledge
        self.conversations = conversations

    async def load(self) -> int:
        """Apply stored edits to the knowledge base (at start); returns how many there were."""
        async with self.db.sessions() as session:
            edits = list(await session.scalars(select(FaqEdit)))
        for e in edits:
            try:
                if e.removed:
                    if self.knowledge.get(e.key):
                        self.knowledge.remove(e.key)
                elif self.knowledge.get(e.key):
                    self.knowledge.replace(e.key, question=e.question, answer=e.answer, keywords=_kw(e.keywords))
                else:
                    self.knowledge.add(e.question, e.answer, _kw(e.keywords))
            except ValueError as exc:
                log.warning("stored FAQ edit %s no longer applies: %s", e.key, exc)
        return len(edits)

    async def _save(self, entry: FaqEntry | None, key: str, staff_id: int, *, removed: bool = False) -> None:
        async with self.db.transaction() as session:
            row = await session.get(FaqEdit, key) or FaqEdit(key=key)
            row.question = entry.question if entry else ""
            row.answer = entry.answer if entry else ""
            row.keywords = ",".join(entry.keywords) if entry else ""
            row.removed = removed
            row.updated_by = staff_id
            row.updated_at = utcnow()
            session.add(row)
        # answers built on the old text must not be served again
        await self.conversations.invalidate_cache({key})

    async def add(self, staff_id: int, question: str, answer: str, keywords: list[str]) -> FaqEntry:
        entry = self.knowledge.add(question, answer, keywords)
        await self._save(entry, entry.key, staff_id)
        return entry

    async def edit(
        self, staff_id: int, key: str, *, question: str | None, answer: str | None, keywords: list[str] | None
    ) -> FaqEntry:
        entry = self.knowledge.replace(key, question=question, answer=answer, keywords=keywords)
        await self._save(entry, key, staff_id)
        return entry

    async def remove(self, staff_id: int, key: str) -> FaqEntry:
        old = self.knowledge.remove(key)
        await self._save(None, key, staff_id, removed=True)
        return old

    async def reload(self) -> int:
        """Re-read the files (staff edits stay on top); every cached answer is dropped."""
        self.knowledge.reload()
        await self.conversations.invalidate_cache(None)
        return len(self.knowledge)


def _kw(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


@dataclass(frozen=True, slots=True)
class BroadcastView:
    id: int
    audience: str
    text: str
    status: str
    recipients: int
    counts: dict[str, int]


class Broadcasts:
    def __init__(self, db: Database, *, staff_channel_id: int | None, on_queued: Any = None) -> None:
        self.db = db
        self.staff_channel_id = staff_channel_id
        self.on_queued = on_queued or (lambda: None)

    async def audience_size(self, audience: str) -> int:
        async with self.db.sessions() as session:
            return len(await self._audience(session, audience))

    @staticmethod
    async def _audience(session: Any, audience: str) -> list[int]:
        if audience == "subscribers":
            return list(await session.scalars(select(col(Subscription.customer_id))))
        if audience == "devices":
            return list(await session.scalars(select(col(Device.customer_id)).distinct()))
        raise UserFacingError(f"Unknown audience {audience!r}: choose subscribers or devices.")

    async def draft(self, staff_id: int, audience: str, text: str) -> BroadcastView:
        text = text.strip()
        if not text:
            raise UserFacingError("The message is empty.")
        if len(text) > BROADCAST_MAX:
            raise UserFacingError(
                f"The message is {len(text)} characters; a broadcast can have at most {BROADCAST_MAX}. "
                "Please shorten it."
            )
        size = await self.audience_size(audience)
        async with self.db.transaction() as session:
            b = Broadcast(created_by=staff_id, audience=audience, text=text, recipients=size)
            session.add(b)
            await session.flush()
            assert b.id is not None
            return BroadcastView(b.id, audience, text, b.status, size, {})

    async def confirm(self, broadcast_id: int) -> BroadcastView:
        """Queue the messages, once: a second confirmation changes nothing."""
        async with self.db.transaction() as session:
            b = await session.get(Broadcast, broadcast_id)
            if b is None:
                raise UserFacingError(f"There is no broadcast #{broadcast_id}.")
            if b.status != "draft":
                return await self._view(b)
            people = await self._audience(session, b.audience)
            b.status, b.recipients, b.confirmed_at = "sending", len(people), utcnow()
            rows = [
                outbox_row(
                    "dm",
                    cid,
                    f"bc:{b.id}:{cid}",
                    BroadcastDm(content=b.text),
                    customer_id=cid,
                    broadcast_id=b.id,
                )
                for cid in people
            ]
            if self.staff_channel_id:
                rows.insert(
                    0,
                    text_post(
                        self.staff_channel_id,
                        f"bc-start:{b.id}",
                        f"Broadcast #{b.id} started: {len(people)} people ({AUDIENCES[b.audience]}).",
                    ),
                )
            await enqueue(session, rows)
        self.on_queued()
        return await self.get(broadcast_id)

    async def cancel(self, broadcast_id: int) -> BroadcastView:
        async with self.db.transaction() as session:
            b = await session.get(Broadcast, broadcast_id)
            if b is None:
                raise UserFacingError(f"There is no broadcast #{broadcast_id}.")
            if b.status in ("draft", "sending"):
                b.status = "cancelled"
                b.finished_at = utcnow()
                await session.execute(
                    update(Outbox)
                    .where(col(Outbox.broadcast_id) == broadcast_id, col(Outbox.status) == "pending")
                    .values(status="cancelled")
                )
        return await self.get(broadcast_id)

    async def get(self, broadcast_id: int) -> BroadcastView:
        async with self.db.sessions() as session:
            b = await session.get(Broadcast, broadcast_id)
            if b is None:
                raise UserFacingError(f"There is no broadcast #{broadcast_id}.")
            return await self._view(b)

    async def _view(self, b: Broadcast) -> BroadcastView:
        assert b.id is not None
        counts = await outbox_counts(self.db, broadcast_id=b.id)
        return BroadcastView(b.id, b.audience, b.text, b.status, b.recipients, counts)

    async def progress_tick(self) -> int:
        """Report finished broadcasts (and each quarter of the way) in the staff channel; returns reports queued."""
        async with self.db.sessions() as session:
            sending = list(await session.scalars(select(Broadcast).where(col(Broadcast.status) == "sending")))
        queued = 0
        for b in sending:
            assert b.id is not None
            counts = await outbox_counts(self.db, broadcast_id=b.id)
            done = counts.get("sent", 0) + counts.get("unreachable", 0) + counts.get("failed", 0)
            total = max(b.recipients, 1)
            finished = counts.get("pending", 0) == 0
            if finished:
                key, report = (
                    f"bc-done:{b.id}",
                    (
                        f"Broadcast #{b.id} finished: {counts.get('sent', 0)} sent, "
                        f"{counts.get('unreachable', 0)} not reachable (DMs closed), {counts.get('failed', 0)} failed."
                    ),
                )
            else:
                quarter = 25 * (100 * done // total // 25)
                key, report = f"bc-progress:{b.id}:{quarter}", f"Broadcast #{b.id}: {done} of {b.recipients} done."
            async with self.db.transaction() as session:
                if self.staff_channel_id and (finished or quarter):
                    queued += await enqueue(session, [text_post(self.staff_channel_id, key, report)])
                if finished:
                    await session.execute(
                        update(Broadcast).where(col(Broadcast.id) == b.id).values(status="done", finished_at=utcnow())
                    )
        if queued:
            self.on_queued()
        return queued
