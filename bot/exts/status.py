"""Status in Discord: `/status`, `/subscribe`, `/unsubscribe`, and the subscribe button on status posts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.status.labels import STALE_ON_COMMAND
from bot.core.status.snapshot import view_of
from bot.exts.claims import Claimed
from bot.ui.notices import status_embed
from bot.ui.replies import reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot


class SubscribeButton(
    Claimed, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"status:(?P<action>sub|unsub)"
):
    def __init__(self, action: str = "sub") -> None:
        label = "Get updates by DM" if action == "sub" else "Stop updates by DM"
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=f"status:{action}")
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SubscribeButton:
        return cls(match["action"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = cast("SupportBot", interaction.client)
        await reply_interaction(interaction, await toggle(bot, interaction.user.id, self.action == "sub"))


async def toggle(bot: SupportBot, user_id: int, on: bool) -> str:
    status = bot.services.status
    if on:
        new = await status.subscribe(user_id)
        return (
            "You'll get every status update by direct message. Keep DMs from this server switched on. "
            "`/unsubscribe` stops them."
            if new
            else "You're already subscribed to status updates."
        )
    gone = await status.unsubscribe(user_id)
    return "You won't get status updates by DM any more." if gone else "You weren't subscribed."


def subscribe_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SubscribeButton("sub"))
    return view


class Status(commands.Cog):
    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """The current status of the incident, with the time it was published."""
        latest = await self.bot.services.status.latest_updates(1)
        if not latest:
            await reply_interaction(
                interaction, "No status update has been published yet. We'll post one here as soon as we can."
            )
            return
        snap = await self.bot.services.status.snapshot()
        note = STALE_ON_COMMAND if snap is not None and snap.stale else None
        await reply_interaction(interaction, note, embed=status_embed(view_of(latest[0])))

    @app_commands.command(name="subscribe")
    async def subscribe(self, interaction: discord.Interaction) -> None:
        """Get every status update by direct message."""
        await reply_interaction(interaction, await toggle(self.bot, interaction.user.id, True))

    @app_commands.command(name="unsubscribe")
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        """Stop getting status updates by direct message."""
        await reply_interaction(interaction, await toggle(self.bot, interaction.user.id, False))


async def setup(bot: SupportBot) -> None:
    await bot.add_cog(Status(bot))
