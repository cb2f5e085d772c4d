"""`/privacy export`, `/privacy delete` and `/help`: what we store, and the customer's control over it."""

from __future__ import annotations

import io
import json
import re
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.text.wording import plural
from bot.exts.claims import Claimed
from bot.ui.ids import parse_id
from bot.ui.replies import reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot

HELP = """**What I can do**
• Answer questions about the outage: ask in the support channel (I reply in a thread), mention me, DM me,
  or use `/ask`.
• `/status`: the latest official status, with the time it was published. `/subscribe` / `/unsubscribe`:
  status updates by DM.
• `/device register`: register your phone's IMEI or MEID privately, so we can tell you when its data is
  restored. `/device list`, `/device status`, `/device remove`.
• `/human`: talk to a member of our support team.

**What I store, and why**
• Your device IDs, encrypted, only to tell you about your phone's recovery. I only ever show the last four characters.
• Your questions and my answers, to follow a conversation and to improve our answers (device IDs are removed first).
• Whether you subscribed, and the notices sent to you.

**Your data, your choice**
• `/privacy export`: a file with everything stored about you.
• `/privacy delete`: erase everything about you, at once."""


class DeleteButton(
    Claimed, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"privacy:delete:(?P<uid>[0-9]{1,20})"
):
    def __init__(self, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Yes, delete everything", style=discord.ButtonStyle.danger, custom_id=f"privacy:delete:{user_id}"
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DeleteButton:
        return cls(parse_id(match["uid"]) or 0)  # 0 matches nobody: the callback refuses it

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id:
            await reply_interaction(interaction, "This button is for the person who asked to delete their data.")
            return
        bot = cast("SupportBot", interaction.client)
        erased = await bot.services.privacy.erase(interaction.user.id)
        await reply_interaction(
            interaction,
            f"Done: everything we stored about you is deleted ({plural(erased.devices, 'device')}, "
            f"{plural(erased.answers, 'answer')}, {plural(erased.notices, 'notice')}). "
            "If you register again, we start afresh.",
        )


class Privacy(commands.GroupCog, group_name="privacy", group_description="Your data"):
    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="export")
    async def export(self, interaction: discord.Interaction) -> None:
        """Get a file with everything stored about you (only you see it)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.bot.services.privacy.export(interaction.user.id)
        blob = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
        await reply_interaction(
            interaction,
            "Here is everything we store about you. It includes your full device IDs: keep the file private.",
            file=discord.File(io.BytesIO(blob), filename="my-data.json"),
        )

    @app_commands.command(name="delete")
    async def delete(self, interaction: discord.Interaction) -> None:
        """Erase everything stored about you (asks you to confirm)."""
        view = discord.ui.View(timeout=None)
        view.add_item(DeleteButton(interaction.user.id))
        await reply_interaction(
            interaction,
            "This erases your registered devices, subscription, conversations and notices at once. We will no "
            "longer be able to tell you when your phone's data is restored. Are you sure?",
            view=view,
        )


class Help(commands.Cog):
    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """What this bot can do, what it stores and why, and your privacy controls."""
        await reply_interaction(interaction, HELP)


async def setup(bot: SupportBot) -> None:
    await bot.add_cog(Privacy(bot))
    await bot.add_cog(Help(bot))
