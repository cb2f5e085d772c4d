"""`/admin stats` and `/admin audit`: how the support effort is going, and who did what."""

from __future__ import annotations

import io

import discord
from discord import app_commands

from bot.core.stats import compute, hourly, render_chart
from bot.exts.admin.base import NOT_AUDITED, AdminCog
from bot.ui.admin import audit_text
from bot.ui.replies import reply_interaction


class ReportTools(AdminCog):
    @app_commands.command(name="stats")
    async def stats(self, interaction: discord.Interaction) -> None:
        """Registrations, questions, answers, hand-overs and feedback, with a chart per hour."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        s = await compute(self.services.db)
        png = render_chart(await hourly(self.services.db))
        await reply_interaction(
            interaction, "\n".join(s.lines())[:1900], file=discord.File(io.BytesIO(png), filename="activity.png")
        )

    @app_commands.command(name="audit", extras=NOT_AUDITED)
    @app_commands.describe(limit="How many entries")
    async def audit(self, interaction: discord.Interaction, limit: app_commands.Range[int, 1, 50] = 15) -> None:
        """The latest admin actions."""
        await reply_interaction(interaction, audit_text(await self.services.audit.latest(limit)))
