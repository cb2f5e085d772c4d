"""Claim each incoming event before acting on it, so N processes on one token act once (see core/claims.py).

- messages: `claim_message` at the top of a listener, once the message is known to concern the bot;
- edits: `claim_edit`;
- slash commands and autocomplete: `ClaimingTree.interaction_check`, which runs before every command;
- buttons: the `Claimed` mixin on each DynamicItem, which also makes sure a failing button still answers.

If the database cannot be reached the event is handled anyway: a customer may then hear twice from a
pair of processes, which beats hearing nothing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from sqlalchemy.exc import SQLAlchemyError

from bot.core.claims import edit_key, interaction_key, message_key
from bot.core.errors import DatabaseUnavailable
from bot.ui.errors import user_message
from bot.ui.replies import reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot

log = logging.getLogger(__name__)


async def _claim(client: discord.Client, key: str) -> bool:
    services = getattr(client, "services", None)
    if services is None:  # a client without our services (never the product bot): nothing to share
        return True
    try:
        return await services.claims.claim(key)
    except (SQLAlchemyError, DatabaseUnavailable, OSError) as exc:
        log.warning("could not claim %s (%s); handling it here", key.split(":")[0], type(exc).__name__)
        return True


async def claim_message(bot: SupportBot, message: discord.Message) -> bool:
    return await _claim(bot, message_key(message.id))


async def claim_edit(bot: SupportBot, message: discord.Message) -> bool:
    return await _claim(bot, edit_key(message.id, message.edited_at))


async def claim_interaction(interaction: discord.Interaction) -> bool:
    return await _claim(interaction.client, interaction_key(interaction.id))


class ClaimingTree(app_commands.CommandTree[discord.Client]):
    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await claim_interaction(interaction)


Callback = Callable[[Any, discord.Interaction], Awaitable[None]]


class Claimed:
    """Mixin for a DynamicItem: one process answers a press, and a press is always answered.

    `class MyButton(Claimed, discord.ui.DynamicItem[...], template=...)`. discord.py only logs an exception
    raised by a dynamic item's callback; here the person who pressed is told, once.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        original = cls.__dict__.get("callback")
        if original is not None:
            setattr(cls, "callback", _answering(cast(Callback, original)))  # noqa: B010

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await claim_interaction(interaction)


def _answering(callback: Callback) -> Callback:
    @functools.wraps(callback)
    async def answered(self: Any, interaction: discord.Interaction) -> None:
        try:
            await callback(self, interaction)
        except Exception as exc:  # user_message logs what is not the user's doing
            with contextlib.suppress(discord.HTTPException):
                await reply_interaction(interaction, user_message(exc))

    return answered
