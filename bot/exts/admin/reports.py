"""`/admin stats` and `/admin audit`: how the support effort is going, and who did what."""

from __future__ import annotations

import io

import discord
from discord import app_commands

from bot.core.chart import activity, render_chart
from bot.core.stats import compute
from bot.exts.admin.base import NOT_AUDITED, AdminCog
from bot.ui.admin import audit_text
from bot.ui.replies import reply_interaction


class ReportTools(AdminCog):
    @app_commands.command(name="stats")
    async def stats(self, interaction: discord.Interaction) -> None:
        """Registrations, questions, answers, hand-overs and feedback, with a chart per hour or per day."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.services.conversations.flush()  # answers are written in batches: count the latest too
        s = await compute(self.services.db)
        png = render_chart(await activity(self.services.db))
        lines = s.lines()
        gate = self.services.answerer.gate.counters
        if gate.checked:  # model answers held back by the output checks since this process started
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(gate.reasons.items()))
            lines.append(f"Model answers refused by the checks: {gate.refused} of {gate.checked} ({reasons or 'none'})")
        await reply_interaction(
            interaction, "\n".join(lines)[:1900], file=discord.File(io.BytesIO(png), filename="activity.png")
        )

    @app_commands.command(name="audit", extras=NOT_AUDITED)
    @app_commands.describe(limit="How many entries")
    async def audit(self, interaction: discord.Interaction, limit: app_commands.Range[int, 1, 50] = 15) -> None:
        """The latest admin actions."""
        await reply_interaction(interaction, audit_text(await self.services.audit.latest(limit)))
