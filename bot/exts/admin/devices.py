"""`/admin devices`: count, look up (masked), export (full IDs, handle with care) and mark recovery by hand."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import Literal

import discord
from discord import app_commands

from bot.core.devices import InvalidDeviceId
from bot.core.text.wording import plural
from bot.exts.admin.base import AdminGroupCog
from bot.ui.admin import registrations_text, review_text
from bot.ui.replies import reply_interaction

log = logging.getLogger(__name__)

ATTACH_LIMIT = 50_000  # rows; larger exports are written to a file on the server
MarkState = Literal["restored", "partial", "not_recoverable", "in_progress", "pending"]


class DeviceTools(AdminGroupCog, group_name="devices", group_description="Registered devices"):
    @app_commands.command(name="count")
    async def count(self, interaction: discord.Interaction) -> None:
        """How many devices are registered."""
        c = await self.services.registry.count()
        kinds = ", ".join(f"{k.upper()} {v}" for k, v in c.items() if k not in ("total", "customers", "needs_review"))
        await reply_interaction(
            interaction,
            f"{plural(c['total'], 'registration')} from {plural(c['customers'], 'customer')} ({kinds or 'none'}); "
            f"{plural(c['needs_review'], 'registration')} {'needs' if c['needs_review'] == 1 else 'need'} review "
            "(same device claimed by more than one customer): `/admin devices review`.",
        )

    @app_commands.command(name="review")
    async def review(self, interaction: discord.Interaction) -> None:
        """Devices registered by more than one customer, waiting for review (IDs masked)."""
        found = await self.services.review.list()
        await reply_interaction(interaction, review_text(found) if found else "No device needs review.")

    @app_commands.command(name="resolve")
    @app_commands.describe(
        registration="A registration number from `/admin devices review`",
        keep="this: only this registration's customer keeps the device; all: every claimant keeps it",
    )
    async def resolve(
        self,
        interaction: discord.Interaction,
        registration: app_commands.Range[int, 1],
        keep: Literal["this", "all"],
    ) -> None:
        """Resolve a shared device: keep one owner, or all of them."""
        done = await self.services.review.resolve(registration, keep)
        if done is None:
            await reply_interaction(interaction, f"Registration {registration} is not waiting for review.")
            return
        if done.removed:
            removed = ", ".join(f"<@{c}>" for c in done.removed)
            text = (
                f"{done.masked} now belongs to <@{done.kept[0]}> only. Removed the registration of {removed} "
                f"({plural(len(done.removed), 'customer')} told by DM)."
            )
        else:
            text = f"{done.masked} stays with all {plural(len(done.kept), 'claimant')}; it no longer needs review."
        await reply_interaction(interaction, text)

    @app_commands.command(name="lookup")
    @app_commands.describe(device_id="An IMEI, MEID or serial", customer="A customer")
    async def lookup(
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
        await reply_interaction(interaction, registrations_text(found) if found else "No registration found.")

    @app_commands.command(name="export")
    async def export(self, interaction: discord.Interaction) -> None:
        """Export every registration with full device IDs as CSV (handle with care)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        total = (await self.services.registry.count())["total"]
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        if total > ATTACH_LIMIT:
            folder = self.bot.settings.data_dir / "exports"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"devices-{stamp}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                n = await self.services.registry.export_csv(fh)
            log.info("device export of %d rows written to %s", n, path)
            await reply_interaction(
                interaction, f"{plural(n, 'row')}: too many to attach, written on the server to `{path}`."
            )
            return
        buf = io.StringIO()
        n = await self.services.registry.export_csv(buf)
        file = discord.File(io.BytesIO(buf.getvalue().encode("utf-8")), filename=f"devices-{stamp}.csv")
        await reply_interaction(
            interaction, f"{plural(n, 'registration')}. This file holds full device IDs: keep it safe.", file=file
        )

    @app_commands.command(name="mark")
    @app_commands.describe(
        device_id="The device's IMEI, MEID or serial",
        state="Its data's recovery state",
        note="Optional note for the customer",
    )
    async def mark(
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
        owners = await self.services.registry.lookup_by_device(device_id)
        await reply_interaction(
            interaction,
            f"Marked as {state.replace('_', ' ')}. Registered by {plural(len(owners), 'customer')}; "
            f"{plural(notified, 'notice')} queued.",
        )
