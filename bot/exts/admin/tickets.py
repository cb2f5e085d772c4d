"""`/admin tickets`: the hand-overs to staff, and closing them."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands

from bot.exts.admin.base import AdminGroupCog
from bot.ui.admin import tickets_text
from bot.ui.replies import reply_interaction


class TicketTools(AdminGroupCog, group_name="tickets", group_description="Hand-overs to staff"):
    @app_commands.command(name="list")
    @app_commands.describe(status="Which hand-overs")
    async def list_tickets(
        self, interaction: discord.Interaction, status: Literal["open", "failed", "closed"] = "open"
    ) -> None:
        """Hand-overs to staff."""
        found = await self.services.handover.list(status=status)
        await reply_interaction(interaction, tickets_text(found) if found else f"No {status} hand-overs.")

    @app_commands.command(name="close")
    @app_commands.describe(ticket="The ticket number")
    async def close(self, interaction: discord.Interaction, ticket: app_commands.Range[int, 1]) -> None:
        """Close a hand-over."""
        t = await self.services.handover.close(ticket, interaction.user.id)
        if t is None:
            await reply_interaction(interaction, f"There is no ticket #{ticket}.")
            return
        await reply_interaction(interaction, f"Ticket #{ticket} is closed.")
