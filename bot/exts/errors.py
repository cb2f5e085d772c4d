"""The one place where command errors become replies: each interaction is answered exactly once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.devices import InvalidDeviceId
from bot.core.errors import UserFacingError
from bot.ui.replies import reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot

log = logging.getLogger(__name__)

GENERIC = "Sorry, something went wrong on our side. Nothing you sent was lost; please try again in a moment."


def user_message(error: BaseException) -> str:
    original = getattr(error, "original", None) or getattr(error, "__cause__", None) or error
    if isinstance(original, InvalidDeviceId | UserFacingError):
        return str(original)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in the server, not in direct messages."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Please wait {error.retry_after:.0f} seconds before trying again."
    log.error("command failed", exc_info=original)
    return GENERIC


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
            return  # the check already told the user why (see bot/ui/admin_views.require_staff)
        try:
            await reply_interaction(interaction, user_message(error))
        except discord.HTTPException:
            log.warning("could not tell the user about an error (interaction expired?)")


async def setup(bot: SupportBot) -> None:
    await bot.add_cog(ErrorHandler(bot))
