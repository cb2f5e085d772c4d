"""What a customer is told when something fails: a domain error's own message, else a plain apology."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.core.devices import InvalidDeviceId
from bot.core.errors import UserFacingError
from bot.core.outage import describe, is_unavailable
from bot.core.text.wording import plural
from bot.ui.replies import reply_interaction

log = logging.getLogger(__name__)

DATABASE_AWAY = (
    "Sorry, I can't reach our records just now, so that didn't go through. Please try again in a minute or two."
)
ALREADY_ACKNOWLEDGED = 40060  # Discord: "Interaction has already been acknowledged"
GENERIC = "Sorry, something went wrong on our side. Nothing you sent was lost; please try again in a moment."


def user_message(error: BaseException) -> str:
    """The text for the person whose command, form or button failed; never internals or a traceback."""
    original = getattr(error, "original", None) or getattr(error, "__cause__", None) or error
    if isinstance(original, InvalidDeviceId | UserFacingError):
        return str(original)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in the server, not in direct messages."
    if isinstance(error, app_commands.CommandOnCooldown):  # a CheckFailure too: before the general case
        return f"Please wait {plural(max(1, round(error.retry_after)), 'second')} before trying again."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if is_unavailable(original):  # a restart of the database: not a bug, and it says so once (bot/core/outage.py)
        log.warning("a command failed: the database is unreachable (%s)", describe(original))
        return DATABASE_AWAY
    log.error("command failed", exc_info=original)
    return GENERIC


def answered_elsewhere(error: BaseException) -> bool:
    """Whether `error` is Discord refusing a second answer to an interaction: another process of this bot
    answered it (they could not claim it, the database being away), so there is nothing to tell anyone."""
    original = getattr(error, "original", None) or getattr(error, "__cause__", None) or error
    return isinstance(original, discord.HTTPException) and original.code == ALREADY_ACKNOWLEDGED


async def tell_user(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer the person whose command, form or button failed, once; never raises."""
    if answered_elsewhere(error):
        log.info("an interaction was answered by another process")
        return
    try:
        await reply_interaction(interaction, user_message(error))
    except discord.HTTPException:
        log.warning("could not tell the user about an error (interaction expired?)")
