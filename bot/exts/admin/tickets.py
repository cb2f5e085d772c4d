"""`/admin tickets`: the hand-overs to staff: list (priority first, with waiting time), claim, assign,
read the transcript, and close with a reason the customer is told."""

from __future__ import annotations

import io
from typing import Literal

import discord
from discord import app_commands

from bot.exts.admin.base import AdminGroupCog
from bot.exts.checks import is_staff
from bot.ui.admin import already_claimed, tickets_text, transcript_text
from bot.ui.replies import reply_interaction


class TicketTools(AdminGroupCog, group_name="tickets", group_description="Hand-overs to staff"):
    @app_commands.command(name="list")
    @app_commands.describe(status="Which hand-overs")
    async def list_tickets(
        self, interaction: discord.Interaction, status: Literal["open", "failed", "closed"] = "open"
    ) -> None:
        """Hand-overs to staff: high priority first, then the longest waiting."""
        found = await self.services.handover.list(status=status)
        await reply_interaction(interaction, tickets_text(found) if found else f"No {status} hand-overs.")

    @app_commands.command(name="claim")
    @app_commands.describe(ticket="The ticket number")
    async def claim(self, interaction: discord.Interaction, ticket: app_commands.Range[int, 1]) -> None:
        """Take a hand-over yourself."""
        await self._give(interaction, ticket, interaction.user.id, take_over=False)

    @app_commands.command(name="assign")
    @app_commands.describe(ticket="The ticket number", member="The staff member who takes it")
    async def assign(
        self, interaction: discord.Interaction, ticket: app_commands.Range[int, 1], member: discord.Member
    ) -> None:
        """Give a hand-over to a staff member."""
        if not is_staff(self.bot, member):
            await reply_interaction(interaction, f"{member.mention} is not in a staff role.")
            return
        await self._give(interaction, ticket, member.id, take_over=True)

    async def _give(self, interaction: discord.Interaction, ticket: int, staff_id: int, *, take_over: bool) -> None:
        given = await self.services.handover.claim(ticket, staff_id, take_over=take_over)
        if given is None:
            await reply_interaction(interaction, f"There is no open ticket #{ticket}.")
            return
        view, previous = given
        if view.claimed_by != staff_id:
            await reply_interaction(interaction, already_claimed(view))
            return
        was = f" (it was <@{previous}>'s)" if previous and previous != staff_id else ""
        where = f" in <#{view.thread_id}>" if view.thread_id else ""
        await reply_interaction(interaction, f"Ticket #{ticket} is now <@{staff_id}>'s{was}{where}.")

    @app_commands.command(name="transcript")
    @app_commands.describe(ticket="The ticket number")
    async def transcript(self, interaction: discord.Interaction, ticket: app_commands.Range[int, 1]) -> None:
        """What was said in a hand-over's thread."""
        found = await self.services.handover.get(ticket)
        if found is None:
            await reply_interaction(interaction, f"There is no ticket #{ticket}.")
            return
        text = transcript_text(found, await self.services.handover.transcript(ticket))
        file = discord.File(io.BytesIO(text.encode("utf-8")), filename=f"ticket-{ticket}.txt")
        await reply_interaction(interaction, f"Transcript of ticket #{ticket}.", file=file)

    @app_commands.command(name="close")
    @app_commands.describe(ticket="The ticket number", reason="Why; the customer is told this by DM")
    async def close(
        self,
        interaction: discord.Interaction,
        ticket: app_commands.Range[int, 1],
        reason: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        """Close a hand-over; the customer is told (with your reason) and can reopen it."""
        t = await self.services.handover.close(ticket, interaction.user.id, reason or "")
        if t is None:
            await reply_interaction(interaction, f"There is no ticket #{ticket}.")
            return
        told = " The customer is told by DM and can reopen it." if t.thread_id else ""
        await reply_interaction(interaction, f"Ticket #{ticket} is closed.{told}")
