"""`/admin`: staff tools. Hidden by default permissions AND checked against STAFF_ROLE_IDS on every use."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.devices import InvalidDeviceId
from bot.core.stats import compute, hourly, render_chart
from bot.ui.admin_views import BroadcastModal, FaqModal, StatusPostModal, is_staff, require_staff, when
from bot.ui.replies import reply_interaction

if TYPE_CHECKING:
    from bot.bot import SupportBot
    from bot.core.services import Services

log = logging.getLogger(__name__)

ATTACH_LIMIT = 50_000  # rows; larger exports are written to a file on the server
EXPORT_DIR = Path("data") / "exports"
PostState = Literal["investigating", "identified", "monitoring", "recovering", "resolved"]
MarkState = Literal["restored", "partial", "not_recoverable", "in_progress", "pending"]


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Admin(commands.GroupCog, group_name="admin", group_description="Support staff tools"):
    status = app_commands.Group(name="status", description="Incident status posting")
    devices = app_commands.Group(name="devices", description="Registered devices")
    faq = app_commands.Group(name="faq", description="The FAQ the bot answers from")
    tickets = app_commands.Group(name="tickets", description="Hand-overs to staff")

    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Discord's permission settings can be wrong: staff membership is checked here, every time."""
        name = interaction.command.qualified_name if interaction.command else "admin"
        if is_staff(self.bot, interaction.user):
            return True
        return await require_staff(interaction, name)

    @property
    def services(self) -> Services:
        return self.bot.services

    # -- status ---------------------------------------------------------------------------------------

    @status.command(name="show")
    async def status_show(self, interaction: discord.Interaction) -> None:
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
        await self.services.audit.record(interaction.user.id, "status.show")
        await reply_interaction(interaction, "\n".join(lines))

    @status.command(name="post")
    @app_commands.describe(state="The incident's state after this update")
    async def status_post(self, interaction: discord.Interaction, state: PostState) -> None:
        """Write a status update by hand; you'll see a preview before it is posted."""
        latest = await self.services.status.latest_updates(1)
        await interaction.response.send_modal(StatusPostModal(state, latest[0].incident_title if latest else None))

    @status.command(name="pause")
    async def status_pause(self, interaction: discord.Interaction) -> None:
        """Stop posting feed updates automatically (they are kept and posted on resume)."""
        await self.services.status.set_paused(True)
        await self.services.audit.record(interaction.user.id, "status.pause")
        await reply_interaction(
            interaction, "Automatic posting is paused. Feed updates are kept; `/admin status resume` posts them."
        )

    @status.command(name="resume")
    async def status_resume(self, interaction: discord.Interaction) -> None:
        """Resume automatic posting, posting what arrived while paused."""
        n = await self.services.status.set_paused(False)
        await self.services.audit.record(interaction.user.id, "status.resume", held=n)
        await reply_interaction(interaction, f"Automatic posting is on again; {n} held update(s) are being posted.")

    @status.command(name="poll")
    async def status_poll(self, interaction: discord.Interaction) -> None:
        """Poll the status feed now."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        r = await self.services.status.poll()
        await self.services.audit.record(interaction.user.id, "status.poll", ok=r.ok)
        if r.ok:
            text = (
                "Not modified since the last poll."
                if r.not_modified
                else (f"Polled: {r.new} new, {r.edited} edited, {r.devices_changed} device states changed.")
            )
        else:
            text = f"The poll failed: {r.error}"
        await reply_interaction(interaction, text)

    # -- devices --------------------------------------------------------------------------------------

    @devices.command(name="count")
    async def devices_count(self, interaction: discord.Interaction) -> None:
        """How many devices are registered."""
        c = await self.services.registry.count()
        kinds = ", ".join(f"{k.upper()} {v}" for k, v in c.items() if k not in ("total", "customers", "needs_review"))
        await self.services.audit.record(interaction.user.id, "devices.count")
        await reply_interaction(
            interaction,
            f"{c['total']} registrations from {c['customers']} customers ({kinds or 'none'}); "
            f"{c['needs_review']} need review (same device claimed by more than one customer).",
        )

    @devices.command(name="lookup")
    @app_commands.describe(device_id="An IMEI, MEID or serial", customer="A customer")
    async def devices_lookup(
        self, interaction: discord.Interaction, device_id: str | None = None, customer: discord.User | None = None
    ) -> None:
        """Find registrations by device ID or by customer (IDs are shown masked)."""
        if (device_id is None) == (customer is None):
            await reply_interaction(interaction, "Give either a device ID or a customer, not both.")
            return
        try:
            if device_id is not None:
                found = await self.services.registry.lookup_by_device(device_id)
            else:
                assert customer is not None
                found = await self.services.registry.lookup_by_customer(customer.id)
        except InvalidDeviceId as exc:
            await reply_interaction(interaction, f"That is not a valid device ID: {exc}")
            return
        await self.services.audit.record(
            interaction.user.id, "devices.lookup", subject_id=customer.id if customer else None, device_id=device_id
        )
        if not found:
            await reply_interaction(interaction, "No registration found.")
            return
        lines = [
            f"• {d.kind.upper()} {d.masked} by <@{d.customer_id}>, {discord.utils.format_dt(d.created_at, 'f')}"
            + (" · **needs review**" if d.needs_review else "")
            for d in found[:25]
        ]
        more = f"\n…and {len(found) - 25} more" if len(found) > 25 else ""
        await reply_interaction(interaction, "\n".join(lines) + more)

    @devices.command(name="export")
    async def devices_export(self, interaction: discord.Interaction) -> None:
        """Export every registration with full device IDs as CSV (handle with care)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        total = (await self.services.registry.count())["total"]
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        if total > ATTACH_LIMIT:
            EXPORT_DIR.mkdir(parents=True, exist_ok=True)
            path = EXPORT_DIR / f"devices-{stamp}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                n = await self.services.registry.export_csv(fh)
            await self.services.audit.record(interaction.user.id, "devices.export", rows=n, path=str(path))
            await reply_interaction(interaction, f"{n} rows: too many to attach, written on the server to `{path}`.")
            return
        buf = io.StringIO()
        n = await self.services.registry.export_csv(buf)
        await self.services.audit.record(interaction.user.id, "devices.export", rows=n)
        file = discord.File(io.BytesIO(buf.getvalue().encode("utf-8")), filename=f"devices-{stamp}.csv")
        await reply_interaction(
            interaction, f"{n} registrations. This file holds full device IDs: keep it safe.", file=file
        )

    @devices.command(name="mark")
    @app_commands.describe(
        device_id="The device's IMEI, MEID or serial",
        state="Its data's recovery state",
        note="Optional note for the customer",
    )
    async def devices_mark(
        self,
        interaction: discord.Interaction,
        device_id: str,
        state: MarkState,
        note: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        """Set a device's recovery state by hand; its owner is told like the feed would."""
        try:
            notified = await self.services.status.mark_device(device_id, state, note)
        except InvalidDeviceId as exc:
            await reply_interaction(interaction, f"That is not a valid device ID: {exc}")
            return
        await self.services.audit.record(interaction.user.id, "devices.mark", device_id=device_id, state=state)
        owners = await self.services.registry.lookup_by_device(device_id)
        await reply_interaction(
            interaction,
            f"Marked as {state.replace('_', ' ')}. Registered by {len(owners)} customer(s); "
            f"{notified} notice(s) queued.",
        )

    # -- FAQ ------------------------------------------------------------------------------------------

    @faq.command(name="add")
    async def faq_add(self, interaction: discord.Interaction) -> None:
        """Add an FAQ entry (a form opens)."""
        await interaction.response.send_modal(FaqModal())

    @faq.command(name="edit")
    @app_commands.describe(key="The entry to edit")
    async def faq_edit(self, interaction: discord.Interaction, key: str) -> None:
        """Edit an FAQ entry (a form opens with its current text)."""
        entry = self.services.knowledge.get(key)
        if entry is None:
            await reply_interaction(interaction, f"There is no FAQ entry `{key}`; `/admin faq list` shows them.")
            return
        await interaction.response.send_modal(
            FaqModal(key, question=entry.question, answer=entry.answer, keywords=", ".join(entry.keywords))
        )

    @faq.command(name="remove")
    @app_commands.describe(key="The entry to remove")
    async def faq_remove(self, interaction: discord.Interaction, key: str) -> None:
        """Remove an FAQ entry."""
        if self.services.knowledge.get(key) is None:
            await reply_interaction(interaction, f"There is no FAQ entry `{key}`; `/admin faq list` shows them.")
            return
        old = await self.services.faq.remove(interaction.user.id, key)
        await self.services.audit.record(interaction.user.id, "faq.remove", key=key)
        await reply_interaction(interaction, f"Removed “{old.question}”.")

    @faq_edit.autocomplete("key")
    @faq_remove.autocomplete("key")
    async def _faq_keys(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        needle = current.lower()
        return [
            app_commands.Choice(name=e.question[:100], value=e.key)
            for e in self.services.knowledge.entries
            if needle in e.question.lower() or needle in e.key
        ][:25]

    @faq.command(name="list")
    async def faq_list(self, interaction: discord.Interaction) -> None:
        """List the FAQ entries the bot answers from."""
        entries = self.services.knowledge.entries
        lines = [f"`{e.key}`{' (staff)' if e.source == 'staff' else ''}: {e.question}" for e in entries]
        text = f"{len(entries)} entries:\n" + "\n".join(lines)
        if len(text) > 1900:
            file = discord.File(io.BytesIO("\n".join(lines).encode()), filename="faq.txt")
            await reply_interaction(interaction, f"{len(entries)} entries (attached).", file=file)
        else:
            await reply_interaction(interaction, text)

    @faq.command(name="reload")
    async def faq_reload(self, interaction: discord.Interaction) -> None:
        """Re-read the FAQ files (staff edits stay on top)."""
        n = await self.services.faq.reload()
        await self.services.audit.record(interaction.user.id, "faq.reload", entries=n)
        await reply_interaction(interaction, f"Reloaded: {n} entries. Stored answers will not be reused.")

    # -- broadcast, tickets, stats, audit --------------------------------------------------------------

    @app_commands.command(name="broadcast")
    @app_commands.describe(audience="Who receives it")
    async def broadcast(self, interaction: discord.Interaction, audience: Literal["subscribers", "devices"]) -> None:
        """Send a direct message to every subscriber or every customer with a registered device."""
        await interaction.response.send_modal(BroadcastModal(audience))

    @tickets.command(name="list")
    @app_commands.describe(status="Which hand-overs")
    async def tickets_list(
        self, interaction: discord.Interaction, status: Literal["open", "failed", "closed"] = "open"
    ) -> None:
        """Hand-overs to staff."""
        found = await self.services.handover.list(status=status)
        await self.services.audit.record(interaction.user.id, "tickets.list", status=status)
        if not found:
            await reply_interaction(interaction, f"No {status} hand-overs.")
            return
        lines = [
            f"#{t.id} <@{t.customer_id}> ({t.reason}) {discord.utils.format_dt(t.created_at, 'R')}"
            + (f" in <#{t.thread_id}>" if t.thread_id else "")
            for t in found
        ]
        await reply_interaction(interaction, "\n".join(lines)[:1900])

    @tickets.command(name="close")
    @app_commands.describe(ticket="The ticket number")
    async def tickets_close(self, interaction: discord.Interaction, ticket: app_commands.Range[int, 1]) -> None:
        """Close a hand-over."""
        t = await self.services.handover.close(ticket, interaction.user.id)
        if t is None:
            await reply_interaction(interaction, f"There is no ticket #{ticket}.")
            return
        await self.services.audit.record(interaction.user.id, "tickets.close", subject_id=t.customer_id, ticket=ticket)
        await reply_interaction(interaction, f"Ticket #{ticket} is closed.")

    @app_commands.command(name="stats")
    async def stats(self, interaction: discord.Interaction) -> None:
        """Registrations, questions, answers, hand-overs and feedback, with a chart per hour."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        s = await compute(self.services.db)
        png = render_chart(await hourly(self.services.db))
        await self.services.audit.record(interaction.user.id, "stats")
        await reply_interaction(
            interaction, "\n".join(s.lines())[:1900], file=discord.File(io.BytesIO(png), filename="activity.png")
        )

    @app_commands.command(name="audit")
    @app_commands.describe(limit="How many entries")
    async def audit(self, interaction: discord.Interaction, limit: app_commands.Range[int, 1, 50] = 15) -> None:
        """The latest admin actions."""
        entries = await self.services.audit.latest(limit)
        lines = [
            f"{discord.utils.format_dt(e.created_at, 'f')} {e.actor}: {e.action}"
            + (f" on {e.subject}" if e.subject else "")
            + (f" {e.args}" if e.args else "")
            for e in entries
        ]
        await reply_interaction(interaction, "\n".join(lines)[:1900] or "No admin actions yet.")


async def setup(bot: SupportBot) -> None:
    await bot.add_cog(Admin(bot))
