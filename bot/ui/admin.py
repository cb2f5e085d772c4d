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
from bot.core.staff.tickets import TicketView

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


def tickets_text(found: Sequence[TicketView]) -> str:
    lines = [
        f"#{t.id} <@{t.customer_id}> ({t.reason}) {discord.utils.format_dt(t.created_at, 'R')}"
        + (f" in <#{t.thread_id}>" if t.thread_id else "")
        for t in found
    ]
    return "\n".join(lines)[:MESSAGE]


def audit_text(entries: Sequence[AuditView]) -> str:
    lines = [
        f"{discord.utils.format_dt(e.created_at, 'f')} {e.actor}: {e.action}"
        + (f" on {e.subject}" if e.subject else "")
        + (f" {e.args}" if e.args else "")
        for e in entries
    ]
    return "\n".join(lines)[:MESSAGE] or "No admin actions yet."
