"""Hand-overs to staff as support teams run them: a ticket with a summary, a notice in the staff channel,
priority for distress, claim and assignment, a transcript, closing with a reason the customer is told,
reopening, and reminders when a ticket waits too long for a reply.

Every notice goes through the outbox in the same transaction as the change that causes it, so a restart
neither loses nor repeats one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.conversations import ConversationStore
from bot.core.db import Database
from bot.core.models import Ticket, TicketMessage, utcnow
from bot.core.outbox.notices import TextPost, TicketClosed, TicketOpened
from bot.core.outbox.rows import enqueue, outbox_row
from bot.core.registry import DeviceRegistry
from bot.core.text.mentions import neutralize_mentions
from bot.core.text.scanner import IdScanner
from bot.core.text.wording import minutes

log = logging.getLogger(__name__)

REASONS = {
    "asked": "asked for a person",
    "upset": "seems upset",
    "unanswered": "the bot could not answer",
    "not_helpful": "marked an answer as not helpful",
    "assistant": "the assistant asked for staff",
}
HIGH_PRIORITY = frozenset({"upset"})  # distress goes first
SUMMARY_LIMIT = 1500
TRANSCRIPT_LIMIT = 4000  # characters kept per message
SLA_STEPS = (1, 2, 4)  # reminders at 1x, 2x and 4x the SLA, each once per ticket


@dataclass(frozen=True, slots=True)
class TicketView:
    id: int
    customer_id: int
    reason: str
    status: str
    summary: str
    thread_id: int | None
    created_at: datetime
    priority: str = "normal"
    claimed_by: int | None = None
    waiting_since: datetime | None = None
    responded_at: datetime | None = None
    close_reason: str | None = None

    def waiting(self, now: datetime | None = None) -> timedelta | None:
        """How long the customer has waited for staff's first reply (None: answered, or not open)."""
        if self.status != "open" or self.responded_at is not None or self.waiting_since is None:
            return None
        return (now or utcnow()) - self.waiting_since


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    role: str
    author_id: int | None
    content: str
    at: datetime


def _view(t: Ticket) -> TicketView:
    assert t.id is not None
    return TicketView(
        t.id,
        t.customer_id,
        t.reason,
        t.status,
        t.summary,
        t.thread_id,
        t.created_at,
        t.priority,
        t.claimed_by,
        t.waiting_since,
        t.responded_at,
        t.close_reason,
    )


class HandoverService:
    def __init__(
        self,
        db: Database,
        conversations: ConversationStore,
        registry: DeviceRegistry,
        scanner: IdScanner | None = None,
        *,
        staff_channel_id: int | None = None,
        sla_minutes: int = 0,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.conversations = conversations
        self.registry = registry
        self.scanner = scanner or IdScanner()
        self.staff_channel_id = staff_channel_id
        self.sla_minutes = sla_minutes
        self.on_queued = on_queued  # wakes the outbox worker after notices are committed

    def _queued(self, n: int) -> None:
        if n and self.on_queued is not None:
            self.on_queued()

    async def open_ticket(self, customer_id: int, reason: str) -> TicketView:
        """Record the hand-over first, so that it exists even if Discord then fails."""
        async with self.db.sessions() as session:
            existing = await session.scalar(
                select(Ticket).where(col(Ticket.customer_id) == customer_id, col(Ticket.status) == "open")
            )
            if existing is not None and existing.thread_id is not None:
                return _view(existing)
        reason = reason if reason in REASONS else "asked"
        summary = await self.summary(customer_id, reason)
        async with self.db.transaction() as session:
            ticket = Ticket(
                customer_id=customer_id,
                reason=reason,
                summary=summary,
                priority="high" if reason in HIGH_PRIORITY else "normal",
            )
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
            redact = self.scanner.redact  # before clipping: a clipped ID would no longer look like one
            for question, answer in turns:
                lines.append(f"• Q: {_clip(redact(question), 200)}")
                lines.append(f"  A: {_clip(redact(answer), 160)}")
        text = neutralize_mentions(self.scanner.redact("\n".join(lines)))
        return text[:SUMMARY_LIMIT]

    async def opened(self, ticket_id: int, thread_id: int, jump_url: str | None = None) -> None:
        """The thread exists: remember it and tell the staff channel, with a link and the summary."""
        async with self.db.transaction() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                return
            ticket.thread_id = thread_id
            queued = 0
            if self.staff_channel_id is not None:
                flag = "**High priority** (the customer seems upset). " if ticket.priority == "high" else ""
                notice = (
                    f"{flag}New ticket #{ticket_id} from <@{ticket.customer_id}>: {jump_url or f'<#{thread_id}>'}\n"
                    f"{ticket.summary}\nClaim it with the button or `/admin tickets claim ticket:{ticket_id}`."
                )
                row = outbox_row(
                    "post",
                    self.staff_channel_id,
                    f"ticket-open:{ticket_id}",
                    TicketOpened(ticket=ticket_id, content=notice[:2000]),
                    customer_id=ticket.customer_id,
                )
                queued = await enqueue(session, [row])
        self._queued(queued)

    async def failed(self, ticket_id: int, why: str) -> None:
        log.warning("hand-over %d could not be opened: %s", ticket_id, why)
        async with self.db.transaction() as session:
            await session.execute(
                update(Ticket).where(col(Ticket.id) == ticket_id).values(status="failed", failure=why[:500])
            )

    async def get(self, ticket_id: int) -> TicketView | None:
        async with self.db.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            return _view(ticket) if ticket is not None else None

    async def claim(
        self, ticket_id: int, staff_id: int, *, take_over: bool = False
    ) -> tuple[TicketView, int | None] | None:
        """Give an open ticket to a staff member; returns it and who had it before (None: no open ticket).

        A claim does not take a ticket someone else holds (two people pressing Claim at once: the first
        wins, atomically); an assignment (`take_over`) does. The returned view says who holds it now.
        """
        async with self.db.transaction() as session:
            previous = await session.scalar(
                select(col(Ticket.claimed_by)).where(col(Ticket.id) == ticket_id, col(Ticket.status) == "open")
            )
            query = update(Ticket).where(col(Ticket.id) == ticket_id, col(Ticket.status) == "open")
            if not take_over:
                query = query.where(or_(col(Ticket.claimed_by).is_(None), col(Ticket.claimed_by) == staff_id))
            changed = (await session.execute(query.values(claimed_by=staff_id))).rowcount  # type: ignore[attr-defined]
            ticket = await session.get(Ticket, ticket_id, populate_existing=True)
            if ticket is None or (ticket.status != "open" and not changed):
                return None
            return _view(ticket), previous

    async def close(self, ticket_id: int, staff_id: int, reason: str = "") -> TicketView | None:
        """Close a ticket; the customer is told why by DM, with a button to reopen it."""
        reason = neutralize_mentions(self.scanner.redact(" ".join(reason.split())))[:500]
        queued = 0
        async with self.db.transaction() as session:
            # the change of state is one conditional UPDATE: of two closes at once, one closes and tells
            closing = await session.execute(
                update(Ticket)
                .where(col(Ticket.id) == ticket_id, col(Ticket.status) != "closed")
                .values(status="closed", closed_at=utcnow(), closed_by=staff_id, close_reason=reason or None)
            )
            ticket = await session.get(Ticket, ticket_id, populate_existing=True)
            if ticket is None:
                return None
            if closing.rowcount and ticket.thread_id is not None:  # type: ignore[attr-defined]
                notice = TicketClosed(ticket=ticket_id, reason=reason)
                key = f"ticket-closed:{ticket_id}:{ticket.reopened}"
                row = outbox_row("dm", ticket.customer_id, key, notice, customer_id=ticket.customer_id)
                queued = await enqueue(session, [row])
            view = _view(ticket)
        self._queued(queued)
        return view

    async def reopen(self, ticket_id: int, customer_id: int) -> TicketView | None:
        """The customer's own closed ticket opens again, and the waiting clock restarts (None: not theirs)."""
        queued = 0
        async with self.db.transaction() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None or ticket.customer_id != customer_id:
                return None
            newer = await session.scalar(
                select(Ticket).where(
                    col(Ticket.customer_id) == customer_id,
                    col(Ticket.status) == "open",
                    col(Ticket.thread_id).is_not(None),
                    col(Ticket.id) != ticket_id,
                )
            )
            if newer is not None:  # they have another conversation with staff open: send them there
                return _view(newer)
            if ticket.status == "closed":
                now = utcnow()
                ticket.status = "open"
                ticket.reopened += 1
                ticket.waiting_since = now
                ticket.responded_at = None
                ticket.sla_level = 0
                ticket.closed_at = ticket.closed_by = ticket.close_reason = None
                rows = []
                if self.staff_channel_id is not None:
                    flag = "**High priority.** " if ticket.priority == "high" else ""
                    rows.append(
                        _staff_post(
                            self.staff_channel_id,
                            f"ticket-reopen:{ticket_id}:{ticket.reopened}",
                            f"{flag}Ticket #{ticket_id} was reopened by <@{customer_id}>: <#{ticket.thread_id}>",
                            ticket,
                        )
                    )
                queued = await enqueue(session, rows)
            view = _view(ticket)
        self._queued(queued)
        return view

    async def record_message(self, thread_id: int, author_id: int, *, staff: bool, content: str) -> bool:
        """Keep a message of a hand-over thread in the ticket's transcript; a staff reply stops the clock."""
        if not content.strip():
            return False
        async with self.db.transaction() as session:
            ticket = await session.scalar(
                select(Ticket).where(col(Ticket.thread_id) == thread_id).order_by(col(Ticket.id).desc()).limit(1)
            )
            if ticket is None or ticket.id is None:
                return False
            session.add(
                TicketMessage(
                    ticket_id=ticket.id,
                    author_id=author_id,
                    role="staff" if staff else "customer",
                    content=self.scanner.redact(content)[:TRANSCRIPT_LIMIT],
                )
            )
            if staff and ticket.status == "open" and ticket.responded_at is None:
                ticket.responded_at = utcnow()
            return True

    async def transcript(self, ticket_id: int) -> list[TranscriptLine]:
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(TicketMessage).where(col(TicketMessage.ticket_id) == ticket_id).order_by(col(TicketMessage.id))
            )
            return [TranscriptLine(m.role, m.author_id, m.content, m.created_at) for m in rows]

    async def list(self, status: str | None = "open", limit: int = 25) -> list[TicketView]:
        """Open tickets: high priority first, then the longest waiting; others: the newest first."""
        async with self.db.sessions() as session:
            query = select(Ticket).limit(limit)
            if status:
                query = query.where(col(Ticket.status) == status)
            if status == "open":
                query = query.order_by(
                    case((col(Ticket.priority) == "high", 0), else_=1), col(Ticket.waiting_since), col(Ticket.id)
                )
            else:
                query = query.order_by(col(Ticket.id).desc())
            return [_view(t) for t in await session.scalars(query)]

    async def sla_tick(self, now: datetime | None = None) -> int:
        """Remind staff of open tickets nobody has answered within the SLA: once per ticket per step."""
        if not self.sla_minutes or self.staff_channel_id is None:
            return 0
        now = now or utcnow()
        sla = timedelta(minutes=self.sla_minutes)
        queued = 0
        async with self.db.transaction() as session:
            waiting = await session.scalars(
                select(Ticket).where(
                    col(Ticket.status) == "open",
                    col(Ticket.thread_id).is_not(None),
                    col(Ticket.responded_at).is_(None),
                    col(Ticket.sla_level) < len(SLA_STEPS),
                    col(Ticket.waiting_since) <= now - sla,
                )
            )
            rows = []
            for t in waiting:
                waited = now - t.waiting_since
                level = sum(1 for step in SLA_STEPS if waited >= sla * step)
                if level <= t.sla_level:
                    continue
                t.sla_level = level
                who = f"claimed by <@{t.claimed_by}>" if t.claimed_by else "nobody has claimed it"
                flag = "**High priority** " if t.priority == "high" else ""
                rows.append(
                    _staff_post(
                        self.staff_channel_id,
                        f"ticket-sla:{t.id}:{t.reopened}:{level}",
                        f"{flag}Ticket #{t.id} has waited {minutes(waited)} for a reply (SLA {self.sla_minutes} "
                        f"min; {who}): <#{t.thread_id}>",
                        t,
                    )
                )
            queued = await enqueue(session, rows)
        self._queued(queued)
        return queued


async def erase_tickets(session: AsyncSession, customer_id: int) -> int:
    """Delete a customer's tickets and their transcripts inside an erasure's transaction."""
    ids = list(await session.scalars(select(col(Ticket.id)).where(col(Ticket.customer_id) == customer_id)))
    if ids:
        await session.execute(delete(TicketMessage).where(col(TicketMessage.ticket_id).in_(ids)))
    # what they wrote in other people's threads (a staff member's own erasure) loses its author
    await session.execute(
        update(TicketMessage).where(col(TicketMessage.author_id) == customer_id).values(author_id=None)
    )
    result = await session.execute(delete(Ticket).where(col(Ticket.customer_id) == customer_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _staff_post(channel_id: int, key: str, content: str, ticket: Ticket) -> dict[str, Any]:
    """A notice for the staff channel that names a customer: an erasure of that customer takes it with them."""
    return outbox_row("post", channel_id, key, TextPost(content=content[:2000]), customer_id=ticket.customer_id)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
