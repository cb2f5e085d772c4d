"""Pure functions from plain data to Discord embeds. Feed text is untrusted: escaped and kept within limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import discord

from bot.core.status import DATA_STATE_LABELS, STATE_LABELS, DeviceRecovery, progress_item
from bot.core.text.mentions import neutralize_mentions

TITLE, DESCRIPTION, FIELD_NAME, FIELD_VALUE, FOOTER, TOTAL, FIELDS = 256, 4096, 256, 1024, 2048, 6000, 25
COLOURS = {
    "investigating": 0xE67E22,
    "identified": 0xE67E22,
    "monitoring": 0x3498DB,
    "recovering": 0x3498DB,
    "resolved": 0x2ECC71,
    "completed": 0x2ECC71,
}


def untrusted(text: str, limit: int) -> str:
    """Feed or customer text made safe to render: markdown escaped, mentions defused, length capped."""
    clean = neutralize_mentions(discord.utils.escape_markdown(text.replace("\r\n", "\n").strip()))
    return clip(clean, limit)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def stamp(iso: str | None, style: str = "f") -> str | None:
    if not iso:
        return None
    return discord.utils.format_dt(datetime.fromisoformat(iso), style)  # type: ignore[arg-type]


def progress_line(name: str, p: dict[str, Any]) -> tuple[str, str]:
    field_name, value = progress_item(name, p)
    return clip(field_name, FIELD_NAME), clip(value, FIELD_VALUE)


def status_embed(update: dict[str, Any]) -> discord.Embed:
    state = str(update.get("state", "unknown"))
    title = f"{STATE_LABELS.get(state, 'Update')}: {update.get('incident', '')}"
    embed = discord.Embed(
        title=untrusted(title, TITLE),
        description=untrusted(str(update.get("body", "")), 3000),
        colour=COLOURS.get(state, 0x95A5A6),
        timestamp=datetime.fromisoformat(update["published_at"]) if update.get("published_at") else None,
    )
    for name, p in list((update.get("progress") or {}).items())[: FIELDS - 2]:
        field_name, value = progress_line(untrusted(name, 64), p)
        embed.add_field(name=field_name, value=value, inline=True)
    next_by = stamp(update.get("next_update_by"))
    if next_by and state not in ("resolved", "completed", "postmortem"):
        embed.add_field(name="Next update by", value=next_by, inline=False)
    # footers cannot render Discord timestamps: spell the time out
    published = update.get("published_at")
    footer = f"Status as of {utc_text(published)}" if published else "Status update"
    if update.get("edited"):
        footer += " · edited"
    embed.set_footer(text=clip(footer, FOOTER))
    return _fit(embed)


def utc_text(iso: str) -> str:
    return f"{datetime.fromisoformat(iso):%d %b %Y, %H:%M UTC}"


def summary_embed(text: str, as_of: str, stale: bool) -> discord.Embed:
    embed = discord.Embed(
        title="Still working on it",
        description=untrusted(text, 3500),
        colour=0x3498DB,
        timestamp=datetime.fromisoformat(as_of),
    )
    note = "Latest status as of " + (stamp(as_of) or as_of)
    if stale:
        note += ". Our status feed has not updated recently; this may be out of date."
    embed.add_field(name="As of", value=note, inline=False)
    embed.set_footer(text="We post every confirmed update here. Use /subscribe to get them by direct message.")
    return _fit(embed)


def device_notice(payload: dict[str, Any]) -> str:
    kind = str(payload.get("device_kind", "device")).upper()
    masked = "****" + str(payload.get("tail", ""))
    state = payload.get("state")
    if state == "restored":
        head = f"Good news: the data for your {kind} {masked} has been restored."
    elif state == "partial":
        head = f"Update: part of the data for your {kind} {masked} has been restored."
    else:
        head = (
            f"We're very sorry: our team could not recover the online copy of the data for your {kind} {masked}. "
            "What is still on the phone itself is not affected, so please keep it on and charged and do not "
            "reset it. A member of our team can help: use `/human`."
        )
    lines = [head]
    progress = payload.get("progress") or {}
    for name, p in progress.items():
        field_name, value = progress_line(name, p)
        lines.append(f"• {field_name}: {value}")
    if payload.get("note"):
        lines.append(untrusted(str(payload["note"]), 500))
    lines.append("Use `/device status` any time to see this again.")
    return neutralize_mentions("\n".join(lines))[:2000]


def device_status_text(rows: list[DeviceRecovery]) -> str:
    if not rows:
        return "You have no registered device. Use `/device register` to add one."
    out = []
    for r in rows:
        label = DATA_STATE_LABELS.get(r.state, r.state)
        when = f" (as of {discord.utils.format_dt(r.updated_at, 'f')})" if r.updated_at else ""
        if r.state == "pending" and r.updated_at is None:
            label = "no news yet: we'll message you as soon as there is"
        out.append(f"**{r.kind.upper()} {r.masked}**: {label}{when}")
        for name, p in r.progress.items():
            field_name, value = progress_line(name, p)
            out.append(f"  • {field_name}: {value}")
    return "\n".join(out)[:2000]


def _fit(embed: discord.Embed) -> discord.Embed:
    """Keep the whole embed within Discord's 6000-character total."""
    while len(embed) > TOTAL and embed.description:
        embed.description = clip(embed.description, max(100, len(embed.description) - (len(embed) - TOTAL) - 10))
    return embed
