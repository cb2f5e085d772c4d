"""Delivery to Discord: the outbox worker's Sender. Renders each notice (bot/ui/notices.py), opens DM
channels once, and maps Discord's answers to the outbox's outcomes.
"""

from __future__ import annotations

from collections.abc import Callable

import discord

from bot.core.outbox.delivery import DeliveryFailed, OutboxItem, RetryLater, Unreachable
from bot.core.outbox.dm_channels import DmChannels
from bot.ui.notices import render
from bot.ui.replies import NO_MENTIONS


class DiscordSender:
    def __init__(
        self,
        client: discord.Client,
        dm_channels: DmChannels,
        *,
        subscribe_view: Callable[[], discord.ui.View] | None = None,
        reopen_view: Callable[[int], discord.ui.View] | None = None,
        claim_view: Callable[[int], discord.ui.View] | None = None,
    ) -> None:
        self.client = client
        self.dm_channels = dm_channels
        self.subscribe_view = subscribe_view  # the buttons under a status post in the channel
        self.reopen_view = reopen_view  # the button under a closed ticket's DM
        self.claim_view = claim_view  # the button under a new ticket's notice to staff

    async def deliver(self, item: OutboxItem) -> int | None:
        kwargs = render(
            item.notice,
            item.route,
            subscribe_view=self.subscribe_view,
            reopen_view=self.reopen_view,
            claim_view=self.claim_view,
        )
        try:
            if item.route == "edit":
                if item.message_id is None:
                    raise DeliveryFailed("nothing to edit")
                msg = self.client.get_partial_messageable(item.target_id).get_partial_message(item.message_id)
                await msg.edit(**kwargs, allowed_mentions=NO_MENTIONS)
                return item.message_id
            if item.route == "dm":
                channel = await self._dm_channel(item.target_id)
                sent = await channel.send(**kwargs, nonce=item.nonce, allowed_mentions=NO_MENTIONS)
                return sent.id
            sent = await self.client.get_partial_messageable(item.target_id).send(
                **kwargs, nonce=item.nonce, allowed_mentions=NO_MENTIONS
            )
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
        known = await self.dm_channels.get(user_id)
        if known is not None:
            return self.client.get_partial_messageable(known, type=discord.ChannelType.private)
        channel = await self.client.create_dm(discord.Object(id=user_id))
        self.dm_channels.remember(user_id, channel.id)
        return channel
