"""`/admin status`: feed health, pause and resume, poll now, and a hand-written update (form -> preview -> confirm)."""

from __future__ import annotations

import re
from typing import Any, Literal

import discord
from discord import app_commands

from bot.core.outbox.notices import StatusView
from bot.exts.admin.base import NOT_AUDITED, AdminGroupCog
from bot.exts.checks import bot_of, require_staff
from bot.exts.claims import Claimed
from bot.ui.admin import when
from bot.ui.forms import Form, open_form
from bot.ui.notices import status_embed
from bot.ui.replies import reply_interaction

PostState = Literal["investigating", "identified", "monitoring", "recovering", "resolved"]


class StatusTools(AdminGroupCog, group_name="status", group_description="Incident status posting"):
    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Feed health: last good fetch, last error, next poll, paused or not."""
        h = await self.services.status.health()
        job = self.bot.scheduler.get_job("status-poll") if self.bot.scheduler else None
        lines = [
            f"Feed: {self.bot.settings.status_feed_url or 'not configured'}",
            f"Automatic posting: {'PAUSED' if h.paused else 'on'}",
            f"Last good fetch: {when(h.last_good_at)}",
            f"Failures in a row: {h.failures}",
            f"Last error: {h.last_error or 'none'}" + (f" ({when(h.last_error_at)})" if h.last_error_at else ""),
            f"Next poll: {when(job.next_run_time) if job and job.next_run_time else 'not scheduled'}",
            f"Updates seen: {h.updates_seen}",
        ]
        await reply_interaction(interaction, "\n".join(lines))

    @app_commands.command(name="post", extras=NOT_AUDITED)
    @app_commands.describe(state="The incident's state after this update")
    async def post(self, interaction: discord.Interaction, state: PostState) -> None:
        """Write a status update by hand; you'll see a preview before it is posted."""
        latest = await self.services.status.latest_updates(1)
        await open_form(interaction, StatusPostModal(state, latest[0].incident_title if latest else None))

    @app_commands.command(name="pause")
    async def pause(self, interaction: discord.Interaction) -> None:
        """Stop posting feed updates automatically (they are kept and posted on resume)."""
        await self.services.status.set_paused(True)
        await reply_interaction(
            interaction, "Automatic posting is paused. Feed updates are kept; `/admin status resume` posts them."
        )

    @app_commands.command(name="resume")
    async def resume(self, interaction: discord.Interaction) -> None:
        """Resume automatic posting, posting what arrived while paused."""
        n = await self.services.status.set_paused(False)
        await reply_interaction(interaction, f"Automatic posting is on again; {n} held update(s) are being posted.")

    @app_commands.command(name="poll")
    async def poll(self, interaction: discord.Interaction) -> None:
        """Poll the status feed now."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        r = await self.services.status.poll()
        if r.ok:
            text = (
                "Not modified since the last poll."
                if r.not_modified
                else (f"Polled: {r.new} new, {r.edited} edited, {r.devices_changed} device states changed.")
            )
        else:
            text = f"The poll failed: {r.error}"
        await reply_interaction(interaction, text)


class StatusPostModal(Form, title="Post a status update"):
    incident: discord.ui.TextInput[StatusPostModal] = discord.ui.TextInput(
        label="Incident title", max_length=200, placeholder="e.g. Contacts and photos unavailable"
    )
    body: discord.ui.TextInput[StatusPostModal] = discord.ui.TextInput(
        label="What changed", style=discord.TextStyle.paragraph, max_length=3000
    )

    def __init__(self, state: str, default_title: str | None) -> None:
        super().__init__()
        self.state = state
        if default_title:
            self.incident.default = default_title[:200]

    async def on_submit(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, "status.post"):
            return
        draft_id = await bot_of(interaction).services.drafts.save(self.incident.value, self.state, self.body.value)
        preview = status_embed(
            StatusView(
                incident=self.incident.value.strip(),
                state=self.state,
                body=self.body.value.strip(),
                published_at=discord.utils.utcnow(),
            )
        )
        view = discord.ui.View(timeout=None)
        view.add_item(StatusPostConfirm(draft_id))
        await reply_interaction(
            interaction,
            "Preview: press **Post it** to publish this in the status channel and to subscribers.",
            embed=preview,
            view=view,
        )


class StatusPostConfirm(
    Claimed, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sp:(?P<draft>[0-9a-f]{16})"
):
    """"Post it" under a preview; the draft id it carries makes a second press harmless."""

    def __init__(self, draft_id: str) -> None:
        super().__init__(
            discord.ui.Button(label="Post it", style=discord.ButtonStyle.danger, custom_id=f"sp:{draft_id}")
        )
        self.draft_id = draft_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> StatusPostConfirm:
        return cls(match["draft"])

    async def callback(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, "status.post"):
            return
        services = bot_of(interaction).services
        draft = await services.drafts.get(self.draft_id)
        if draft is None:
            await reply_interaction(
                interaction, "That draft no longer exists; write it again with `/admin status post`."
            )
            return
        posted = await services.status.manual_post(self.draft_id, title=draft.title, state=draft.state, body=draft.body)
        if posted:
            await services.audit.record(interaction.user.id, "status.post", title=draft.title, state=draft.state)
            await reply_interaction(interaction, "Posted. It goes to the status channel and to subscribers now.")
        else:
            await reply_interaction(interaction, "This update was already posted; nothing was sent twice.")
