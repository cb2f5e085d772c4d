"""Hand-over to staff: a private thread with the customer and the staff role, `/human`, and its button."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.checks import bot_of, is_staff, require_staff
from bot.exts.claims import Claimed, claim_message
from bot.ui.admin import already_claimed
from bot.ui.ids import parse_id
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
        urgency = ", high priority" if ticket.priority == "high" else ""
        await thread.send(
            f"{ping} A customer needs a person (ticket #{ticket.id}{urgency}).\n{ticket.summary}".strip()[:2000],
            allowed_mentions=discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False),
        )
        await thread.send(
            "Hello! A member of our support team will reply here. Only you and our staff can see this thread.",
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except (discord.HTTPException, LookupError) as exc:
        await services.handover.failed(ticket.id, f"{type(exc).__name__}: {exc}")
        return services.answerer.handover_failed_text()
    await services.handover.opened(ticket.id, thread.id, thread.jump_url)
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


class ReopenButton(
    Claimed, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ticket:reopen:(?P<id>[0-9]{1,12})"
):
    """Under the DM that tells a customer their ticket was closed: "I still need help"."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="I still need help: reopen", style=discord.ButtonStyle.secondary,
                custom_id=f"ticket:reopen:{ticket_id}",
            )
        )
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ReopenButton:
        return cls(parse_id(match["id"]) or 0)  # 0 matches nothing: the callback says so

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        ticket = await bot.services.handover.reopen(self.ticket_id, interaction.user.id)
        if ticket is None:
            await reply_interaction(interaction, "This conversation can no longer be reopened. Use `/human` instead.")
            return
        if ticket.thread_id is not None:
            await _unarchive(bot, ticket.thread_id)
        await reply_interaction(
            interaction, f"I've reopened your conversation with our staff: <#{ticket.thread_id}>. They've been told."
        )


class ClaimButton(
    Claimed, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ticket:claim:(?P<id>[0-9]{1,12})"
):
    """Under a new ticket's notice in the staff channel: "I'll take it" (staff only, audited)."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Claim", style=discord.ButtonStyle.primary, custom_id=f"ticket:claim:{ticket_id}"
            )
        )
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ClaimButton:
        return cls(parse_id(match["id"]) or 0)  # 0 matches nothing: the callback says so

    async def callback(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, "tickets.claim"):
            return
        services = bot_of(interaction).services
        await services.audit.record(interaction.user.id, "tickets.claim", ticket=self.ticket_id)
        given = await services.handover.claim(self.ticket_id, interaction.user.id)
        if given is None:
            await reply_interaction(interaction, f"Ticket #{self.ticket_id} is no longer open.")
            return
        ticket, _ = given
        if ticket.claimed_by != interaction.user.id:
            await reply_interaction(interaction, already_claimed(ticket))
            return
        await reply_interaction(interaction, f"Ticket #{ticket.id} is now yours: <#{ticket.thread_id}>.")


def claim_view(ticket_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ClaimButton(ticket_id))
    return view


def reopen_view(ticket_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReopenButton(ticket_id))
    return view


async def _unarchive(bot: SupportBot, thread_id: int) -> None:
    """A closed conversation's thread may have been archived meanwhile: open it again (best effort)."""
    channel = bot.get_channel(thread_id)
    if isinstance(channel, discord.Thread) and channel.archived:
        try:
            await channel.edit(archived=False)
        except discord.HTTPException as exc:
            log.warning("could not unarchive hand-over thread %d (%s)", thread_id, exc.status)


class Handover(commands.Cog):
    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Keep the transcript of hand-over threads (private threads the bot opened under a support channel)."""
        channel = message.channel
        me = self.bot.user
        if (
            message.author.bot
            or me is None
            or not isinstance(channel, discord.Thread)
            or channel.type != discord.ChannelType.private_thread
            or channel.owner_id != me.id
            or channel.parent_id not in self.bot.settings.support_channel_ids
        ):
            return
        if not await claim_message(self.bot, message, scope="transcript", retry=lambda: self.on_message(message)):
            return  # another process of this bot keeps it
        await self.bot.services.handover.record_message(
            channel.id, message.author.id, staff=is_staff(self.bot, message.author), content=message.content
        )

    @app_commands.command(name="human")
    async def human(self, interaction: discord.Interaction) -> None:
        """Talk to a member of our support team."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await reply_interaction(interaction, await hand_over(self.bot, interaction.user, "asked"))


async def setup(bot: SupportBot) -> None:
    await bot.add_cog(Handover(bot))
