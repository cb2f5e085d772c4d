"""Modals: where customers type what should not be typed in public."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord

from bot.ui.replies import reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot


class RegisterDeviceModal(discord.ui.Modal, title="Register your phone"):
    device_id: discord.ui.TextInput[RegisterDeviceModal] = discord.ui.TextInput(
        label="IMEI or MEID (dial *#06# to see it)",
        placeholder="e.g. 35 209900 176148 1",
        min_length=1,
        max_length=100,
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot = cast("SupportBot", interaction.client)
        # InvalidDeviceId and DatabaseUnavailable carry customer-facing messages: on_error shows them
        result = await bot.services.registry.register(interaction.user.id, self.device_id.value)
        device = result.device
        if result.created:
            text = (
                f"Thanks: your {device.kind.upper()} {device.masked} is registered. We'll message you when "
                "there is news about its data. Use `/subscribe` for every status update too."
            )
        else:
            text = f"Your {device.kind.upper()} {device.masked} was already registered; nothing more to do."
        await reply_interaction(interaction, text)

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        from bot.exts.errors import user_message

        await reply_interaction(interaction, user_message(error))
