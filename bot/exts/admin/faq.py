"""`/admin faq`: add, edit (through a form), remove, list and reload the FAQ the bot answers from."""

from __future__ import annotations

import io

import discord
from discord import app_commands

from bot.core.text.wording import plural
from bot.exts.admin.base import NOT_AUDITED, AdminGroupCog
from bot.exts.checks import bot_of, require_staff
from bot.ui.admin import faq_lines
from bot.ui.errors import tell_user
from bot.ui.forms import Form, open_form
from bot.ui.replies import reply_interaction


class FaqTools(AdminGroupCog, group_name="faq", group_description="The FAQ the bot answers from"):
    @app_commands.command(name="add", extras=NOT_AUDITED)
    async def add(self, interaction: discord.Interaction) -> None:
        """Add an FAQ entry (a form opens)."""
        await open_form(interaction, FaqModal())

    @app_commands.command(name="edit", extras=NOT_AUDITED)
    @app_commands.describe(key="The entry to edit")
    async def edit(self, interaction: discord.Interaction, key: str) -> None:
        """Edit an FAQ entry (a form opens with its current text)."""
        entry = self.services.knowledge.get(key)
        if entry is None:
            await reply_interaction(interaction, f"There is no FAQ entry `{key}`; `/admin faq list` shows them.")
            return
        await open_form(
            interaction, FaqModal(key, question=entry.question, answer=entry.answer, keywords=", ".join(entry.keywords))
        )

    @app_commands.command(name="remove")
    @app_commands.describe(key="The entry to remove")
    async def remove(self, interaction: discord.Interaction, key: str) -> None:
        """Remove an FAQ entry."""
        if self.services.knowledge.get(key) is None:
            await reply_interaction(interaction, f"There is no FAQ entry `{key}`; `/admin faq list` shows them.")
            return
        old = await self.services.faq.remove(interaction.user.id, key)
        await reply_interaction(interaction, f"Removed “{old.question}”.")

    @edit.autocomplete("key")
    @remove.autocomplete("key")
    async def _keys(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        needle = current.lower()
        return [
            app_commands.Choice(name=e.question[:100], value=e.key)
            for e in self.services.knowledge.entries
            if needle in e.question.lower() or needle in e.key
        ][:25]

    @app_commands.command(name="list", extras=NOT_AUDITED)
    async def list_entries(self, interaction: discord.Interaction) -> None:
        """List the FAQ entries the bot answers from."""
        entries = self.services.knowledge.entries
        lines = faq_lines(entries)
        text = f"{plural(len(entries), 'entry')}:\n" + "\n".join(lines)
        if len(text) > 1900:
            file = discord.File(io.BytesIO("\n".join(lines).encode()), filename="faq.txt")
            await reply_interaction(interaction, f"{plural(len(entries), 'entry')} (attached).", file=file)
        else:
            await reply_interaction(interaction, text)

    @app_commands.command(name="reload")
    async def reload(self, interaction: discord.Interaction) -> None:
        """Re-read the FAQ files (staff edits stay on top)."""
        n = await self.services.faq.reload()
        await reply_interaction(interaction, f"Reloaded: {plural(n, 'entry')}. Stored answers will not be reused.")


class FaqModal(Form):
    question: discord.ui.TextInput[FaqModal] = discord.ui.TextInput(label="Question", max_length=300)
    answer: discord.ui.TextInput[FaqModal] = discord.ui.TextInput(
        label="Answer", style=discord.TextStyle.paragraph, max_length=4000
    )
    keywords: discord.ui.TextInput[FaqModal] = discord.ui.TextInput(
        label="Keywords (comma-separated, optional)", required=False, max_length=300
    )

    def __init__(self, key: str | None = None, *, question: str = "", answer: str = "", keywords: str = "") -> None:
        super().__init__(title="Edit FAQ entry" if key else "Add FAQ entry")
        self.key = key
        self.question.default = question[:300] or None
        self.answer.default = answer[:4000] or None
        self.keywords.default = keywords[:300] or None

    async def on_submit(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, "faq.edit" if self.key else "faq.add"):
            return
        services = bot_of(interaction).services
        keywords = [k.strip() for k in self.keywords.value.split(",") if k.strip()]
        if self.key is None:
            entry = await services.faq.add(interaction.user.id, self.question.value, self.answer.value, keywords)
            await services.audit.record(interaction.user.id, "faq.add", key=entry.key)
            await reply_interaction(interaction, f"Added FAQ entry `{entry.key}`; it is used from the next question.")
        else:
            entry = await services.faq.edit(
                interaction.user.id,
                self.key,
                question=self.question.value,
                answer=self.answer.value,
                keywords=keywords,
            )
            await services.audit.record(interaction.user.id, "faq.edit", key=entry.key)
            await reply_interaction(
                interaction, f"Updated `{entry.key}`. Answers that used the old text will not be reused."
            )

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        await tell_user(interaction, error)
