"""`/admin broadcast`: a direct message to everyone affected; form -> preview with the audience size -> confirm."""

from __future__ import annotations

import re
from typing import Any, Literal

import discord
from discord import app_commands

from bot.core.text.wording import plural
from bot.exts.admin.base import NOT_AUDITED, AdminCog
from bot.exts.checks import bot_of, require_staff
from bot.exts.claims import Claimed
from bot.ui.errors import tell_user
from bot.ui.forms import Form, open_form
from bot.ui.ids import parse_id
from bot.ui.replies import reply_interaction


class BroadcastTools(AdminCog):
    @app_commands.command(name="broadcast", extras=NOT_AUDITED)
    @app_commands.describe(audience="Who receives it")
    async def broadcast(self, interaction: discord.Interaction, audience: Literal["subscribers", "devices"]) -> None:
        """Send a direct message to every subscriber or every customer with a registered device."""
        await open_form(interaction, BroadcastModal(audience))


class BroadcastModal(Form, title="Broadcast a message"):
    text: discord.ui.TextInput[BroadcastModal] = discord.ui.TextInput(
        label="Message (sent by direct message)", style=discord.TextStyle.paragraph, max_length=4000
    )

    def __init__(self, audience: str) -> None:
        super().__init__()
        self.audience = audience

    async def on_submit(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, "broadcast"):
            return
        draft = await bot_of(interaction).services.broadcasts.draft(interaction.user.id, self.audience, self.text.value)
        view = discord.ui.View(timeout=None)
        view.add_item(BroadcastButton("send", draft.id))
        view.add_item(BroadcastButton("cancel", draft.id))
        await reply_interaction(
            interaction,
            f"Broadcast #{draft.id} will reach **{plural(draft.recipients, 'person')}**. "
            f"Preview:\n\n>>> {draft.text[:1500]}",
            view=view,
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        await tell_user(interaction, error)


class BroadcastButton(
    Claimed, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bc:(?P<action>send|cancel):(?P<id>[0-9]{1,12})"
):
    """"Send it" / "Cancel broadcast": sending twice queues nothing more; cancelling stops what is not yet sent."""

    def __init__(self, action: str, broadcast_id: int) -> None:
        label = "Send it" if action == "send" else "Cancel broadcast"
        style = discord.ButtonStyle.danger if action == "send" else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"bc:{action}:{broadcast_id}"))
        self.action = action
        self.broadcast_id = broadcast_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> BroadcastButton:
        return cls(match["action"], parse_id(match["id"]) or 0)  # 0 matches nothing

    async def callback(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, f"broadcast.{self.action}"):
            return
        services = bot_of(interaction).services
        broadcasts = services.broadcasts
        if self.action == "cancel":
            b = await broadcasts.cancel(self.broadcast_id)
            await services.audit.record(interaction.user.id, "broadcast.cancel", id=b.id)
            await reply_interaction(
                interaction, f"Broadcast #{b.id} is {b.status}; {b.counts.get('sent', 0)} had already been sent."
            )
            return
        before = await broadcasts.get(self.broadcast_id)
        b = await broadcasts.confirm(self.broadcast_id)
        if before.status != "draft":
            await reply_interaction(interaction, f"Broadcast #{b.id} is already {b.status}; nothing was sent twice.")
            return
        await services.audit.record(interaction.user.id, "broadcast.send", id=b.id, recipients=b.recipients)
        view = discord.ui.View(timeout=None)
        view.add_item(BroadcastButton("cancel", b.id))
        await reply_interaction(
            interaction,
            f"Sending broadcast #{b.id} to {plural(b.recipients, 'person')}. Progress and the final report go to "
            "the staff channel.",
            view=view,
        )
