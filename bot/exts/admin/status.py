"""`/admin status`: feed health, pause and resume, poll now, and a hand-written update (form -> preview -> confirm)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Literal

import discord
from discord import app_commands

from bot.core.feeds.prose import parse_promise, progress_from_text
from bot.core.outbox.notices import StatusView
from bot.core.status.labels import RESOLVED, progress_form_text
from bot.core.text.wording import plural
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
            f"Unreadable items left out of the last poll: {h.skipped}",
        ]
        await reply_interaction(interaction, "\n".join(lines))

    @app_commands.command(name="post", extras=NOT_AUDITED)
    @app_commands.describe(state="The incident's state after this update")
    async def post(self, interaction: discord.Interaction, state: PostState) -> None:
        """Write a status update by hand; you'll see a preview before it is posted."""
        current = await self.services.status.current_update()
        if current is not None and current.state in RESOLVED:
            current = None  # the last incident is over: the form starts a new one
        await open_form(interaction, StatusPostModal(state, current))

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
        await reply_interaction(
            interaction,
            f"Automatic posting is on again; {plural(n, 'held update')} {'is' if n == 1 else 'are'} being posted.",
        )

    @app_commands.command(name="poll")
    async def poll(self, interaction: discord.Interaction) -> None:
        """Poll the status feed now."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        r = await self.services.status.poll()
        if r.ok:
            text = (
                "Not modified since the last poll."
                if r.not_modified
                else (
                    f"Polled: {r.new} new, {r.edited} edited, {r.devices_changed} device states changed"
                    + (f", {r.skipped} unreadable item(s) left out." if r.skipped else ".")
                )
            )
        else:
            text = f"The poll failed: {r.error}"
        await reply_interaction(interaction, text)


class StatusPostModal(Form, title="Post a status update"):
    """Title, text, progress per data type and the next promised time, pre-filled from the current state."""

    incident: discord.ui.TextInput[StatusPostModal] = discord.ui.TextInput(
        label="Incident title", max_length=200, placeholder="e.g. Contacts and photos unavailable"
    )
    body: discord.ui.TextInput[StatusPostModal] = discord.ui.TextInput(
        label="What changed", style=discord.TextStyle.paragraph, max_length=3000
    )
    progress: discord.ui.TextInput[StatusPostModal] = discord.ui.TextInput(
        label="Progress per data type (one a line)",
        style=discord.TextStyle.paragraph,
        max_length=1000,
        required=False,
        placeholder="Contacts: 100% restored\nPhotos: 70% in progress",
    )
    next_update: discord.ui.TextInput[StatusPostModal] = discord.ui.TextInput(
        label="Next update by (empty: no promise)",
        max_length=60,
        required=False,
        placeholder="e.g. 20:15 UTC, 2:30 PM PT or in 2 hours",
    )

    def __init__(self, state: str, current: Any = None) -> None:
        super().__init__()
        self.state = state
        self.incident_key: str | None = None
        if current is not None:
            self.incident_key = current.incident_key
            self.incident.default = current.incident_title[:200]
            progress = json.loads(current.progress or "{}")
            if progress:
                self.progress.default = progress_form_text(progress)[:1000]
            promised = current.next_update_by
            if promised is not None and promised > datetime.now(UTC):
                self.next_update.default = f"{promised.astimezone(UTC):%Y-%m-%d %H:%M} UTC"

    async def on_submit(self, interaction: discord.Interaction) -> None:
        if not await require_staff(interaction, "status.post"):
            return
        try:
            promised = parse_promise(self.next_update.value or "", datetime.now(UTC))
        except ValueError as exc:
            await reply_interaction(interaction, f"Nothing was saved: {exc}.")
            return
        progress = {name: p.model_dump() for name, p in progress_from_text(self.progress.value or "").items()}
        next_by = promised.isoformat() if promised else None
        draft_id = await bot_of(interaction).services.drafts.save(
            self.incident.value,
            self.state,
            self.body.value,
            progress=progress,
            next_update_by=next_by,
            incident_key=self.incident_key,
        )
        preview = status_embed(
            StatusView.model_validate(
                {
                    "key": f"draft:{draft_id}",
                    "incident": self.incident.value.strip(),
                    "state": self.state,
                    "body": self.body.value.strip(),
                    "progress": progress,
                    "published_at": discord.utils.utcnow(),
                    "next_update_by": promised,
                }
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
    """The "Post it" button under a preview; the draft id it carries makes a second press harmless."""

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
        posted = await services.status.manual_post(
            self.draft_id,
            title=draft.title,
            state=draft.state,
            body=draft.body,
            progress=draft.progress,
            next_update_by=datetime.fromisoformat(draft.next_update_by) if draft.next_update_by else None,
            incident_key=draft.incident_key,
        )
        if posted:
            await services.audit.record(interaction.user.id, "status.post", title=draft.title, state=draft.state)
            await reply_interaction(interaction, "Posted. It goes to the status channel and to subscribers now.")
        else:
            await reply_interaction(interaction, "This update was already posted; nothing was sent twice.")
