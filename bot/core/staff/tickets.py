"""Hand-overs to staff: a ticket with a summary, so staff need not ask again."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import col

from bot.core.conversations import ConversationStore
from bot.core.db import Database
from bot.core.models import Ticket, utcnow
from bot.core.registry import DeviceRegistry
from bot.core.text.mentions import neutralize_mentions
from bot.core.text.scanner import redact_device_ids

log = logging.getLogger(__name__)

REASONS = {
    "asked": "asked for a person",
    "upset": "seems upset",
    "unanswered": "the bot could not answer",
    "not_helpful": "marked an answer as not helpful",
    "assistant": "the assistant asked for staff",
}
SUMMARY_LIMIT = 1500


@dataclass(frozen=True, slots=True)
class TicketView:
    id: int
    customer_id: int
    reason: str
    status: str
    summary: str
    thread_id: int | None
    created_at: datetime


def _view(t: Ticket) -> TicketView:
    assert t.id is not None
    return TicketView(t.id, t.customer_id, t.reason, t.status, t.summary, t.thread_id, t.created_at)


class HandoverService:
    def __init__(self, db: Database, conversations: ConversationStore, registry: DeviceRegistry) -> None:
        self.db = db
        self.conversations = conversations
        self.registry = registry

    async def open_ticket(self, customer_id: int, reason: str) -> TicketView:
        """Record the hand-over first, so that it exists even if Discord then fails."""
        async with self.db.sessions() as session:
            existing = await session.scalar(
                select(Ticket).where(col(Ticket.customer_id) == customer_id, col(Ticket.status) == "open")
            )
            if existing is not None and existing.thread_id is not None:
                return _view(existing)
        summary = await self.summary(customer_id, reason)
        async with self.db.transaction() as session:
            ticket = Ticket(customer_id=customer_id, reason=reason if reason in REASONS else "asked", summary=summary)
            session.add(ticket)
            await session.flush()
            return _view(ticket)

    async def summary(self, customer_id: int, reason: str) -> str:
        devices = await self.registry.list_for(customer_id)
        lines = [f"Why: the customer {REASONS.get(reason, reason)}."]
        if devices:
            lines.append("Registered devices: " + ", ".join(f"{d.kind.upper()} {d.masked}" for d in devices) + ".")
        else:
            lines.append("No registered device.")
        turns = await self.conversations.recent_turns_for(customer_id, limit=4)
        if turns:
            lines.append("Latest questions and answers:")
            for question, answer in turns:
                lines.append(f"• Q: {_clip(question, 200)}")
                lines.append(f"  A: {_clip(answer, 160)}")
        text = neutralize_mentions(redact_device_ids("\n".join(lines)))
        return text[:SUMMARY_LIMIT]

    async def opened(self, ticket_id: int, thread_id: int) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(Ticket).where(col(Ticket.id) == ticket_id).values(thread_id=thread_id))

    async def failed(self, ticket_id: int, why: str) -> None:
        log.warning("hand-over %d could not be opened: %s", ticket_id, why)
        async with self.db.transaction() as session:
            await session.execute(
                update(Ticket).where(col(Ticket.id) == ticket_id).values(status="failed", failure=why[:500])
            )

    async def close(self, ticket_id: int, staff_id: int) -> TicketView | None:
        async with self.db.transaction() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                return None
            if ticket.status != "closed":
                ticket.status = "closed"
                ticket.closed_at = utcnow()
                ticket.closed_by = staff_id
            return _view(ticket)

    async def list(self, status: str | None = "open", limit: int = 25) -> list[TicketView]:
        async with self.db.sessions() as session:
            query = select(Ticket).order_by(col(Ticket.id).desc()).limit(limit)
            if status:
                query = query.where(col(Ticket.status) == status)
            return [_view(t) for t in await session.scalars(query)]


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
