"""Status in Discord: delivering the outbox, `/status`, `/subscribe`, `/unsubscribe`, and the subscribe button."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.notifications import DeliveryFailed, OutboxItem, RetryLater, Unreachable
from bot.ui.embeds import device_notice, status_embed, summary_embed, untrusted
from bot.ui.replies import NO_MENTIONS, reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot

log = logging.getLogger(__name__)


class SubscribeButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"status:(?P<action>sub|unsub)"):
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


class DiscordSender:
    """Delivers outbox rows to Discord; maps Discord's answers to the outbox's outcomes."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot

    def render(self, item: OutboxItem) -> dict[str, Any]:
        p = item.payload
        kind = p.get("kind")
        if kind == "status":
            out: dict[str, Any] = {"embed": status_embed(p["update"])}
            if item.kind == "post":
                out["view"] = subscribe_view()
            return out
        if kind == "summary":
            return {"embed": summary_embed(p["text"], p["as_of"], bool(p.get("stale")))}
        if kind == "device":
            return {"content": device_notice(p)}
        if kind == "text":
            return {"content": str(p["content"])[:2000]}
        if kind == "ticket_closed":
            from bot.exts.handover import reopen_view
            from bot.ui.embeds import ticket_closed_notice

            return {"content": ticket_closed_notice(p), "view": reopen_view(int(p["ticket"]))}
        if kind == "broadcast":
            return {
                "content": untrusted(str(p["content"]), 1900) + "\n\n(Sent to everyone affected. Reply here "
                "with any question.)"
            }
        raise DeliveryFailed(f"unknown payload kind {kind!r}")

    async def deliver(self, item: OutboxItem) -> int | None:
        kwargs = self.render(item)
        try:
            if item.kind == "edit":
                if item.message_id is None:
                    raise DeliveryFailed("nothing to edit")
                msg = self.bot.get_partial_messageable(item.target_id).get_partial_message(item.message_id)
                kwargs.pop("view", None)
                await msg.edit(**kwargs, allowed_mentions=NO_MENTIONS)
                return item.message_id
            if item.kind == "dm":
                channel = await self._dm_channel(item.target_id)
                sent = await channel.send(**kwargs, nonce=item.nonce, allowed_mentions=NO_MENTIONS)
                return sent.id
            channel = self.bot.get_partial_messageable(item.target_id)
            sent = await channel.send(**kwargs, nonce=item.nonce, allowed_mentions=NO_MENTIONS)
            return sent.id
        except discord.Forbidden as exc:
            if exc.code == 50007:
                raise Unreachable("the user does not accept direct messages (50007)") from None
            raise RetryLater(300, f"missing permission ({exc.code}): {exc.text}") from None
        except discord.NotFound as exc:
            raise DeliveryFailed(f"not found ({exc.code}): {exc.text}") from None
        except discord.DiscordServerError as exc:
            raise RetryLater(30, f"Discord error {exc.status}") from None
        except discord.HTTPException as exc:
            if exc.status == 429:
                raise RetryLater(10, "rate limited") from None
            raise DeliveryFailed(f"HTTP {exc.status} ({exc.code}): {exc.text}") from None


    async def _dm_channel(self, user_id: int) -> discord.abc.Messageable:
        """The customer's DM channel: opened once (one request), then remembered in the database."""
        directory = self.bot.services.dm_channels
        known = await directory.get(user_id)
        if known is not None:
            return self.bot.get_partial_messageable(known, type=discord.ChannelType.private)
        channel = await self.bot.create_dm(discord.Object(id=user_id))
        directory.remember(user_id, channel.id)
        return channel


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
        from bot.core.notifications import status_view

        snap = await self.bot.services.status.snapshot()
        note = None
        if snap is not None and snap.stale:
            note = "Our status feed has not updated recently, so this may be out of date."
        await reply_interaction(interaction, note, embed=status_embed(status_view(latest[0])))

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
