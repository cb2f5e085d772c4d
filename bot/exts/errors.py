"""The one place where command errors become replies: each interaction is answered exactly once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui.errors import tell_user

if TYPE_CHECKING:
    from bot.bot import SupportBot

log = logging.getLogger(__name__)


class ErrorHandler(commands.Cog):
    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error
        bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure) and interaction.response.is_done():
            return  # the check already told the user why (see bot/exts/checks.require_staff)
        await tell_user(interaction, error)


async def setup(bot: SupportBot) -> None:
    await bot.add_cog(ErrorHandler(bot))
