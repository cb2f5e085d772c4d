"""Customers' privacy controls: export everything stored about them, or erase it at once."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import col

from bot.core.conversations import ConversationStore
from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.models import (
    AnswerCache,
    AnswerRecord,
    AuditEntry,
    Conversation,
    Device,
    DeviceState,
    DmChannel,
    Outbox,
    Subscription,
    Ticket,
    TicketMessage,
    Turn,
)
from bot.core.outbox.dm_channels import DmChannels
from bot.core.registry import DeviceRegistry
from bot.core.staff.tickets import erase_tickets
from bot.core.stats import fold_erased

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Erased:
    devices: int
    conversations: int
    answers: int
    notices: int
    tickets: int
    subscription: int

    @property
    def total(self) -> int:
        return self.devices + self.conversations + self.answers + self.notices + self.tickets + self.subscription


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


class PrivacyService:
    def __init__(
        self,
        db: Database,
        cipher: DeviceCipher,
        registry: DeviceRegistry,
        conversations: ConversationStore,
        dm_channels: DmChannels,
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.registry = registry
        self.conversations = conversations
        self.dm_channels = dm_channels

    async def export(self, customer_id: int) -> dict[str, Any]:
        """Everything stored about a customer, for them: their own device IDs are shown in full."""
        await self.registry.flush()
        await self.conversations.flush()
        async with self.db.sessions() as session:
            devices = list(await session.scalars(select(Device).where(col(Device.customer_id) == customer_id)))
            states = {
                s.id_hash: s
                for s in await session.scalars(
                    select(DeviceState).where(col(DeviceState.id_hash).in_([d.id_hash for d in devices]))
                )
            }
            subscribed = await session.get(Subscription, customer_id)
            convs = list(
                await session.scalars(select(Conversation).where(col(Conversation.customer_id) == customer_id))
            )
            turns = list(
                await session.scalars(
                    select(Turn).where(col(Turn.conversation_id).in_([c.id for c in convs])).order_by(col(Turn.id))
                )
            )
            answers = list(
                await session.scalars(
                    select(AnswerRecord)
                    .where(col(AnswerRecord.customer_id) == customer_id)
                    .order_by(col(AnswerRecord.created_at))
                )
            )
            notices = list(
                await session.scalars(
                    select(Outbox).where(col(Outbox.customer_id) == customer_id).order_by(col(Outbox.id))
                )
            )
            tickets = list(
                await session.scalars(
                    select(Ticket).where(col(Ticket.customer_id) == customer_id).order_by(col(Ticket.id))
                )
            )
            transcript = list(
                await session.scalars(
                    select(TicketMessage)
                    .where(col(TicketMessage.ticket_id).in_([t.id for t in tickets]))
                    .order_by(col(TicketMessage.id))
                )
            )
        by_conv: dict[int | None, list[dict[str, Any]]] = {}
        for t in turns:
            by_conv.setdefault(t.conversation_id, []).append(
                {"from": t.role, "text": t.content, "at": _iso(t.created_at)}
            )
        return {
            "customer_id": str(customer_id),
            "devices": [
                {
                    "kind": d.kind,
                    "device_id": self.cipher.decrypt(d.id_cipher),
                    "registered_at": _iso(d.created_at),
                    "recovery": (
                        {
                            "state": states[d.id_hash].state,
                            "progress": json.loads(states[d.id_hash].progress),
                            "updated_at": _iso(states[d.id_hash].updated_at),
                        }
                        if d.id_hash in states
                        else None
                    ),
                }
                for d in devices
            ],
            "subscribed_to_status_dms": subscribed is not None,
            "conversations": [
                {"place": c.kind, "started_at": _iso(c.created_at), "messages": by_conv.get(c.id, [])} for c in convs
            ],
            "answers": [
                {
                    "question": a.question,
                    "answer": a.answer,
                    "source": a.source,
                    "feedback": a.feedback,
                    "at": _iso(a.created_at),
                }
                for a in answers
            ],
            "notices": [
                {
                    "kind": json.loads(n.payload).get("kind"),
                    "status": n.status,
                    "queued_at": _iso(n.created_at),
                    "sent_at": _iso(n.sent_at),
                }
                for n in notices
            ],
            "hand_overs": [
                {
                    "ticket": t.id,
                    "reason": t.reason,
                    "status": t.status,
                    "opened_at": _iso(t.created_at),
                    "closed_at": _iso(t.closed_at),
                    "close_reason": t.close_reason,
                    "transcript": [
                        {"from": m.role, "text": m.content, "at": _iso(m.created_at)}
                        for m in transcript
                        if m.ticket_id == t.id
                    ],
                }
                for t in tickets
            ],
        }

    async def erase(self, customer_id: int) -> Erased:
        """Erase everything about a customer in one transaction; audit entries keep only a keyed hash."""
        await self.registry.flush()
        await self.conversations.flush()
        self.dm_channels.forget(customer_id)  # nothing queued for them may be written after the erasure
        await self.dm_channels.flush()
        digest = self.cipher.hash_text(f"customer:{customer_id}")
        async with self.db.transaction() as session:
            await fold_erased(session, customer_id)  # the counts outlive the rows, without the person
            hashes = list(
                await session.scalars(select(col(Device.id_hash)).where(col(Device.customer_id) == customer_id))
            )
            devices = await self.registry.erase_in(session, customer_id)
            # recovery states of devices nobody else registered say something about this customer's phone
            if hashes:
                still_owned = set(
                    await session.scalars(select(col(Device.id_hash)).where(col(Device.id_hash).in_(hashes)))
                )
                orphans = [h for h in hashes if h not in still_owned]
                if orphans:
                    await session.execute(delete(DeviceState).where(col(DeviceState.id_hash).in_(orphans)))
            conv_ids = list(
                await session.scalars(select(col(Conversation.id)).where(col(Conversation.customer_id) == customer_id))
            )
            if conv_ids:
                await session.execute(delete(Turn).where(col(Turn.conversation_id).in_(conv_ids)))
            answers = await _count_delete(session, AnswerRecord, AnswerRecord.customer_id, customer_id)
            conversations = await _count_delete(session, Conversation, Conversation.customer_id, customer_id)
            await _count_delete(session, AnswerCache, AnswerCache.customer_id, customer_id)
            notices = await _count_delete(session, Outbox, Outbox.customer_id, customer_id)
            tickets = await erase_tickets(session, customer_id)
            subscription = await _count_delete(session, Subscription, Subscription.customer_id, customer_id)
            await _count_delete(session, DmChannel, DmChannel.customer_id, customer_id)
            await session.execute(
                update(AuditEntry)
                .where(col(AuditEntry.subject_id) == customer_id)
                .values(subject_id=None, subject_hash=digest)
            )
            await session.execute(
                update(AuditEntry)
                .where(col(AuditEntry.actor_id) == customer_id)
                .values(actor_id=None, actor_hash=digest)
            )
        self.conversations.forget(customer_id)
        erased = Erased(devices, conversations, answers, notices, tickets, subscription)
        log.info("erased a customer's data: %d rows", erased.total)
        return erased


async def _count_delete(session: Any, model: Any, column: Any, customer_id: int) -> int:
    result = await session.execute(delete(model).where(col(column) == customer_id))
    return int(result.rowcount or 0)
