"""Hand-over to staff: a private thread with the customer and the staff role, `/human`, and its button."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.checks import bot_of
from bot.exts.claims import Claimed
from bot.ui.replies import reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot

log = logging.getLogger(__name__)


async def hand_over(bot: SupportBot, user: discord.abc.User, reason: str) -> str:
    """Open (or find) the customer's private thread with staff; returns what to tell the customer."""
    services = bot.services
    ticket = await services.handover.open_ticket(user.id, reason)
    if ticket.thread_id is not None:
        return f"You already have a private conversation with our staff: <#{ticket.thread_id}>."
    try:
        parent = _handover_channel(bot)
        thread = await parent.create_thread(
            name=f"Help for {user.display_name}"[:90], type=discord.ChannelType.private_thread, invitable=False
        )
        await thread.add_user(user)
        roles = [discord.Object(id=r) for r in bot.settings.staff_role_ids]
        ping = " ".join(f"<@&{r}>" for r in bot.settings.staff_role_ids)
        await thread.send(
            f"{ping} A customer needs a person (ticket #{ticket.id}).\n{ticket.summary}".strip()[:2000],
            allowed_mentions=discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False),
        )
        await thread.send(
            "Hello! A member of our support team will reply here. Only you and our staff can see this thread.",
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except (discord.HTTPException, LookupError) as exc:
        await services.handover.failed(ticket.id, f"{type(exc).__name__}: {exc}")
        return services.answerer.handover_failed_text()
    await services.handover.opened(ticket.id, thread.id)
    log.info("hand-over ticket %d opened in thread %d", ticket.id, thread.id)
    return f"I've opened a private conversation with our staff: {thread.mention}. They can see what you asked me."


def _handover_channel(bot: SupportBot) -> discord.TextChannel:
    for channel_id in bot.settings.support_channel_ids:
        channel = bot.get_channel(channel_id)
        if isinstance(channel, discord.TextChannel):
            return channel
    raise LookupError("no support channel is configured or visible to the bot")


class HumanButton(
    Claimed, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"human:(?P<reason>asked|unanswered|not_helpful)"
):
    """"Talk to a person": offered under an answer the bot could not give, or one marked not helpful."""

    def __init__(self, reason: str = "asked") -> None:
        super().__init__(
            discord.ui.Button(label="Talk to a person", style=discord.ButtonStyle.primary, custom_id=f"human:{reason}")
        )
        self.reason = reason

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> HumanButton:
        return cls(match["reason"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        text = await hand_over(bot_of(interaction), interaction.user, self.reason)
        await reply_interaction(interaction, text)


class Handover(commands.Cog):
    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot

    @app_commands.command(name="human")
    async def human(self, interaction: discord.Interaction) -> None:
        """Talk to a member of our support team."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply_interaction(interaction, await hand_over(self.bot, interaction.user, "asked"))


async def setup(bot: SupportBot) -> None:
    await bot.add_cog(Handover(bot))
