"""Every outbox notice as Discord sees it, in one place: typed notice -> send keyword arguments.

The words come from the core (`bot/core/status/labels.py`); this module adds Discord's formatting,
escapes untrusted feed text and keeps within Discord's limits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import discord

from bot.core.outbox.delivery import DeliveryFailed
from bot.core.outbox.notices import (
    BroadcastDm,
    DeviceNotice,
    Notice,
    Route,
    StatusEdit,
    StatusPost,
    StatusView,
    Summary,
    TextPost,
    TicketClosed,
    TicketOpened,
)
from bot.core.status.labels import STALE_IN_SUMMARY, device_headline, promises_next_update, state_label
from bot.core.text.mentions import neutralize_mentions
from bot.ui.embeds import FIELDS, FOOTER, TITLE, clip, fit, progress_line, untrusted

COLOURS = {
    "investigating": 0xE67E22,
    "identified": 0xE67E22,
    "monitoring": 0x3498DB,
    "recovering": 0x3498DB,
    "resolved": 0x2ECC71,
    "completed": 0x2ECC71,
}
NEUTRAL = 0x95A5A6
BROADCAST_FOOTNOTE = "\n\n(Sent to everyone affected. Reply here with any question.)"


def utc_text(when: datetime) -> str:
    # footers cannot render Discord timestamps: spell the time out
    return f"{when:%d %b %Y, %H:%M UTC}"


def status_embed(view: StatusView) -> discord.Embed:
    embed = discord.Embed(
        title=untrusted(f"{state_label(view.state)}: {view.incident}", TITLE),
        description=untrusted(view.body, 3000),
        colour=COLOURS.get(view.state, NEUTRAL),
    )  # no embed timestamp: Discord prints it beside the footer, which already says the time
    for name, p in list(view.progress.items())[: FIELDS - 2]:
        field_name, value = progress_line(untrusted(name, 64), p)
        embed.add_field(name=field_name, value=value, inline=True)
    if view.next_update_by and promises_next_update(view.state):
        embed.add_field(name="Next update by", value=discord.utils.format_dt(view.next_update_by, "f"), inline=False)
    footer = f"Status as of {utc_text(view.published_at)}" if view.published_at else "Status update"
    if view.edited:
        footer += " · edited"
    embed.set_footer(text=clip(footer, FOOTER))
    return fit(embed)


def summary_embed(summary: Summary) -> discord.Embed:
    embed = discord.Embed(
        title="Still working on it",
        description=untrusted(summary.text, 3500),
        colour=0x3498DB,
    )  # the time is in the "As of" field, once
    note = "Latest status as of " + discord.utils.format_dt(summary.as_of, "f")
    if summary.stale:
        note += STALE_IN_SUMMARY
    embed.add_field(name="As of", value=note, inline=False)
    embed.set_footer(text="We post every confirmed update here. Use /subscribe to get them by direct message.")
    return fit(embed)


def device_notice(notice: DeviceNotice) -> str:
    lines = [device_headline(notice.device_kind, "****" + notice.tail, notice.state)]
    for name, p in notice.progress.items():
        field_name, value = progress_line(name, p)
        lines.append(f"• {field_name}: {value}")
    if notice.note:
        lines.append(untrusted(notice.note, 500))
    lines.append("Use `/device status` any time to see this again.")
    return neutralize_mentions("\n".join(lines))[:2000]


def ticket_closed_text(notice: TicketClosed) -> str:
    """The DM that tells a customer staff closed their conversation, and why."""
    reason = untrusted(notice.reason, 500)
    lines = [f"Our staff closed your support conversation (ticket #{notice.ticket})."]
    lines.append(f"Reason: {reason}" if reason else "No reason was given.")
    lines.append("If you still need help, press the button below and the same conversation opens again.")
    return neutralize_mentions("\n".join(lines))[:2000]


def render(
    notice: Notice,
    route: Route,
    *,
    subscribe_view: Callable[[], discord.ui.View] | None = None,
    reopen_view: Callable[[int], discord.ui.View] | None = None,
    claim_view: Callable[[int], discord.ui.View] | None = None,
) -> dict[str, Any]:
    """The keyword arguments for `send` (or `edit`). A status post in a channel carries `subscribe_view()`,
    a new ticket's notice `claim_view(ticket)`, a closed ticket's DM `reopen_view(ticket)`."""
    if isinstance(notice, StatusPost | StatusEdit):
        if notice.update is None:
            raise DeliveryFailed(f"status update {notice.key!r} is no longer stored")
        out: dict[str, Any] = {"embed": status_embed(notice.update)}
        if route == "post" and subscribe_view is not None:
            out["view"] = subscribe_view()
        return out
    if isinstance(notice, Summary):
        return {"embed": summary_embed(notice)}
    if isinstance(notice, DeviceNotice):
        return {"content": device_notice(notice)}
    if isinstance(notice, TextPost):
        return {"content": notice.content[:2000]}
    if isinstance(notice, TicketOpened):
        opened: dict[str, Any] = {"content": notice.content[:2000]}
        if claim_view is not None:
            opened["view"] = claim_view(notice.ticket)
        return opened
    if isinstance(notice, TicketClosed):
        out = {"content": ticket_closed_text(notice)}
        if reopen_view is not None:
            out["view"] = reopen_view(notice.ticket)
        return out
    if isinstance(notice, BroadcastDm):
        return {"content": untrusted(notice.content, 1900) + BROADCAST_FOOTNOTE}
    raise DeliveryFailed(f"no rendering for {type(notice).__name__}")
