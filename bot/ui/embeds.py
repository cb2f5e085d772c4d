"""Pure functions from plain data to Discord text and embeds. Untrusted text is escaped and kept within limits."""

from __future__ import annotations

import discord

from bot.core.outbox.notices import Progress
from bot.core.status.labels import device_state_label, progress_item
from bot.core.status.recovery import DeviceRecovery
from bot.core.text.mentions import neutralize_mentions

TITLE, DESCRIPTION, FIELD_NAME, FIELD_VALUE, FOOTER, TOTAL, FIELDS = 256, 4096, 256, 1024, 2048, 6000, 25


def untrusted(text: str, limit: int) -> str:
    """Feed or customer text made safe to render: markdown escaped, mentions defused, length capped."""
    clean = neutralize_mentions(discord.utils.escape_markdown(text.replace("\r\n", "\n").strip()))
    return clip(clean, limit)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def progress_line(name: str, p: Progress) -> tuple[str, str]:
    field_name, value = progress_item(name, p)
    return clip(field_name, FIELD_NAME), clip(value, FIELD_VALUE)


def device_status_text(rows: list[DeviceRecovery]) -> str:
    if not rows:
        return "You have no registered device. Use `/device register` to add one."
    out = []
    for r in rows:
        label = device_state_label(r.state, heard=r.updated_at is not None)
        when = f" (as of {discord.utils.format_dt(r.updated_at, 'f')})" if r.updated_at else ""
        out.append(f"**{r.kind.upper()} {r.masked}**: {label}{when}")
        for name, p in r.progress.items():
            field_name, value = progress_line(name, p)
            out.append(f"  • {field_name}: {value}")
    return "\n".join(out)[:2000]


def fit(embed: discord.Embed) -> discord.Embed:
    """Keep the whole embed within Discord's 6000-character total."""
    while len(embed) > TOTAL and embed.description:
        embed.description = clip(embed.description, max(100, len(embed.description) - (len(embed) - TOTAL) - 10))
    return embed
