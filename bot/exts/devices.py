"""`/device`: customers register, list and remove their own devices (IDs always masked)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.checks import bot_of
from bot.ui.embeds import device_status_text
from bot.ui.errors import tell_user
from bot.ui.forms import Form, open_form
from bot.ui.replies import reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot


class RegisterDeviceModal(Form, title="Register your phone"):
    """Where the customer types the device ID: never in a public message."""

    device_id: discord.ui.TextInput[RegisterDeviceModal] = discord.ui.TextInput(
        label="IMEI or MEID (dial *#06# to see it)",
        placeholder="15 digits, spaces and dashes are fine",
        min_length=1,
        max_length=100,
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        # InvalidDeviceId and DatabaseUnavailable carry customer-facing messages: on_error shows them
        services = bot_of(interaction).services
        result = await services.registry.register(
            interaction.user.id, self.device_id.value, username=interaction.user.name
        )
        services.answerer.forget_devices(interaction.user.id)  # the next answer sees the new device
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
        await tell_user(interaction, error)


class Devices(commands.GroupCog, group_name="device"):
    """Register your phone so we can tell you when its data is restored."""

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="register")
    async def register(self, interaction: discord.Interaction) -> None:
        """Register your phone's IMEI or MEID privately."""
        await open_form(interaction, RegisterDeviceModal())

    @app_commands.command(name="list")
    async def list_devices(self, interaction: discord.Interaction) -> None:
        """Show the devices you registered (only the last four characters)."""
        devices = await self.bot.services.registry.list_for(interaction.user.id)
        if not devices:
            await reply_interaction(interaction, "You have no registered device. Use `/device register` to add one.")
            return
        lines = [f"• {d.kind.upper()} {d.masked} (registered {d.created_at:%d %b %Y})" for d in devices]
        await reply_interaction(interaction, "Your registered devices:\n" + "\n".join(lines))

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Where the recovery of your registered devices' data stands, per data type."""
        rows = await self.bot.services.status.device_status(interaction.user.id)
        await reply_interaction(interaction, device_status_text(rows))

    @app_commands.command(name="remove")
    @app_commands.describe(device="Which of your devices to remove")
    async def remove(self, interaction: discord.Interaction, device: str) -> None:
        """Remove one of your registered devices."""
        registry = self.bot.services.registry
        removed = False
        if device.isdigit() and len(device) < 12:
            removed = await registry.remove(interaction.user.id, int(device))
        if not removed:
            try:
                removed = await registry.remove_by_value(interaction.user.id, device)
            except ValueError:
                removed = False
        if removed:
            self.bot.services.answerer.forget_devices(interaction.user.id)
            await reply_interaction(interaction, "Done: that device is no longer registered.")
        else:
            await reply_interaction(
                interaction, "I couldn't find that device among yours. `/device list` shows what you registered."
            )

    @remove.autocomplete("device")
    async def _own_devices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        devices = await self.bot.services.registry.list_for(interaction.user.id)
        return [
            app_commands.Choice(name=f"{d.kind.upper()} {d.masked}", value=str(d.id))
            for d in devices
            if current.lower() in f"{d.kind} {d.masked}".lower()
        ][:25]


async def setup(bot: SupportBot) -> None:
    await bot.add_cog(Devices(bot))
