"""Who may do what. Discord's permission settings can be wrong, so staff membership is checked here, server-side,
on every admin command, every staff form submitted and every staff button pressed."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord

from bot.ui.replies import reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot

STAFF_ONLY = "This is for support staff only."


def bot_of(interaction: discord.Interaction) -> SupportBot:
    return cast("SupportBot", interaction.client)


def is_staff(bot: SupportBot, user: discord.abc.User | discord.Member) -> bool:
    """Holds one of STAFF_ROLE_IDS; with none configured, nobody is staff."""
    staff = set(bot.settings.staff_role_ids)
    return bool(staff) and any(r.id in staff for r in getattr(user, "roles", []))


async def require_staff(interaction: discord.Interaction, action: str) -> bool:
    """True for staff; anyone else is told once, and the refusal is audited."""
    bot = bot_of(interaction)
    if is_staff(bot, interaction.user):
        return True
    await bot.services.audit.record(interaction.user.id, "denied", command=action)
    await reply_interaction(interaction, STAFF_ONLY)
    return False
