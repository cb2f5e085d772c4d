"""How the staff tools' lists read: plain functions from core results to message text.

Device IDs arrive masked and stay masked; customers are shown as mentions, which the reply helpers never let
ping anyone. Each text fits in one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from bot.core.knowledge import FaqEntry
from bot.core.registry import DeviceView
from bot.core.staff.audit import AuditView
from bot.core.staff.review import SharedDevice
from bot.core.staff.tickets import TicketView, TranscriptLine
from bot.core.text.wording import minutes, plural

MESSAGE = 1900  # room left under Discord's 2000 characters
SHOWN = 25  # registrations listed before "…and N more"


def when(dt: datetime | None) -> str:
    return discord.utils.format_dt(dt, "R") if dt else "never"


def registrations_text(found: Sequence[DeviceView]) -> str:
    lines = [
        f"• {d.kind.upper()} {d.masked} by <@{d.customer_id}>, {discord.utils.format_dt(d.created_at, 'f')}"
        + (" · **needs review**" if d.needs_review else "")
        for d in found[:SHOWN]
    ]
    more = f"\n…and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return "\n".join(lines) + more


def faq_lines(entries: Sequence[FaqEntry]) -> list[str]:
    return [f"`{e.key}`{' (staff)' if e.source == 'staff' else ''}: {e.question}" for e in entries]


def tickets_text(found: Sequence[TicketView], *, now: datetime | None = None) -> str:
    lines = []
    for t in found:
        parts = [f"#{t.id}"]
        if t.priority == "high":
            parts.append("**HIGH**")
        parts.append(f"<@{t.customer_id}> ({t.reason}) opened {when(t.created_at)}")
        waited = t.waiting(now)
        if waited is not None:
            parts.append(f"· **waiting {minutes(waited)}**")
        elif t.status == "open" and t.responded_at is not None:
            parts.append("· answered")
        parts.append(
            f"· claimed by <@{t.claimed_by}>" if t.claimed_by else ("· unclaimed" if t.status == "open" else "")
        )
        if t.thread_id:
            parts.append(f"in <#{t.thread_id}>")
        if t.close_reason:
            parts.append(f"· closed: {t.close_reason}")
        lines.append(" ".join(p for p in parts if p))
    return "\n".join(lines)[:MESSAGE]


def already_claimed(ticket: TicketView) -> str:
    return (
        f"Ticket #{ticket.id} is already <@{ticket.claimed_by}>'s. To hand it over: "
        f"`/admin tickets assign ticket:{ticket.id} member:...`."
    )


def transcript_text(ticket: TicketView, lines: Sequence[TranscriptLine]) -> str:
    """A plain-text file: the ticket's summary, then every message of its thread."""
    out = [
        f"Ticket #{ticket.id} ({ticket.priority} priority, {ticket.status}), "
        f"opened {ticket.created_at:%d %b %Y %H:%M} UTC",
        ticket.summary,
        "",
    ]
    for m in lines:
        who = m.role if m.author_id is None else f"{m.role} {m.author_id}"
        out.append(f"[{m.at:%d %b %H:%M} UTC] {who}: {m.content}")
    if not lines:
        out.append("(nothing was written in the thread)")
    if ticket.close_reason:
        out.append(f"Closed: {ticket.close_reason}")
    return "\n".join(out)


def review_text(found: Sequence[SharedDevice]) -> str:
    """Shared devices, masked, each with its claimants and the registration number to resolve with."""
    lines = []
    for d in found:
        lines.append(f"**{d.kind.upper()} {d.masked}**, claimed by {plural(len(d.claims), 'customer')}:")
        lines.extend(
            f"  • registration {c.registration_id}: <@{c.customer_id}>, {when(c.created_at)}" for c in d.claims
        )
    lines.append("Resolve with `/admin devices resolve registration:<number> keep:this` (or `keep:all`).")
    return "\n".join(lines)[:MESSAGE]


def audit_args(args: dict[str, object]) -> str:
    """Arguments as people read them: "device id ****7518, state restored" (options left empty are left out)."""
    shown = []
    for key, value in args.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = audit_args(value)
        shown.append(f"{key.replace('_', ' ')} {value}")
    return ", ".join(shown)


def audit_text(entries: Sequence[AuditView]) -> str:
    lines = []
    for e in entries:
        args = audit_args(e.args)
        lines.append(
            f"{discord.utils.format_dt(e.created_at, 'f')} {e.actor}: {e.action}"
            + (f" on {e.subject}" if e.subject else "")
            + (f" ({args})" if args else "")
        )
    return "\n".join(lines)[:MESSAGE] or "No admin actions yet."
