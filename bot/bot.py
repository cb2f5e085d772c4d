"""The Discord transport: SupportBot and how it is pointed at Discord (or a Discord-compatible server)."""

from __future__ import annotations

import logging
from typing import Any

import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

from bot.config import Settings
from bot.core.outbox.worker import OutboxWorker
from bot.core.scheduler import build_scheduler
from bot.core.services import Services
from bot.exts.claims import ClaimingTree
from bot.exts.components import PERSISTENT_ITEMS
from bot.exts.delivery import DiscordSender
from bot.exts.handover import claim_view, reopen_view
from bot.exts.status import subscribe_view
from bot.guard import PublishGuard, install_publish_guard
from bot.health import HealthServer
from bot.pacing import GlobalPacer, Pacing, pace

log = logging.getLogger(__name__)

# Every extension the bot loads, in order. Listed explicitly so a typo fails at start, not silently.
EXTENSIONS: tuple[str, ...] = (
    "bot.exts.errors",
    "bot.exts.answers",
    "bot.exts.surge",
    "bot.exts.handover",
    "bot.exts.devices",
    "bot.exts.status",
    "bot.exts.admin",
    "bot.exts.privacy",
)


def point_client_at(settings: Settings) -> None:
    """Send discord.py's REST and gateway traffic to the configured endpoints (process-wide)."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def intents() -> discord.Intents:
    it = discord.Intents.none()
    it.guilds = True
    it.guild_messages = True
    it.dm_messages = True
    it.message_content = True  # customers ask their questions in plain messages in support channels
    return it


class SupportBot(commands.Bot):
    def __init__(
        self, settings: Settings, services: Services, *, guild_ready_timeout: float = 2.0, **client_options: Any
    ) -> None:
        super().__init__(
            **client_options,
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            tree_cls=ClaimingTree,  # one process of several answers each command
        )
        self.settings = settings
        self.services = services
        self.pacing: Pacing | None = None
        if settings.discord_global_rate_limit:
            self.pacing = pace(self.http, GlobalPacer(limit=settings.discord_global_rate_limit))
        self.outbox: OutboxWorker | None = None
        self.publish_guard: PublishGuard | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.health: HealthServer | None = None

    async def on_command_error(self, context: commands.Context[Any], exception: commands.CommandError, /) -> None:
        # the bot has no prefix commands: "@bot my question" is a question, not an unknown command
        if isinstance(exception, commands.CommandNotFound):
            return
        await super().on_command_error(context, exception)

    async def setup_hook(self) -> None:
        # the last boundary: no device ID leaves in any message, embed, thread name or interaction reply
        self.publish_guard = install_publish_guard(self, self.services.scanner)
        for ext in EXTENSIONS:
            await self.load_extension(ext)
        self.add_dynamic_items(*PERSISTENT_ITEMS)
        await self.sync_commands()
        services = self.services
        await services.status.snapshot()  # warm: the first burst of questions must not queue for it
        self.outbox = OutboxWorker(
            services.db,
            DiscordSender(
                self,
                services.dm_channels,
                subscribe_view=subscribe_view,
                reopen_view=reopen_view,
                claim_view=claim_view,
            ),
            wakeup=services.wakeup,
            hook=services.status.delivery_hook,
            dm_per_second=self.settings.dm_per_second,
        )
        self.outbox.start()
        # started inside the running loop; what it triggers is idempotent (see core/scheduler.py)
        self.scheduler = build_scheduler(
            poll=services.status.poll if services.status.fetcher is not None else None,
            summary=services.status.summary_tick,
            reminder=services.status.reminder_tick,
            broadcast_progress=services.broadcasts.progress_tick,
            ticket_sla=services.handover.sla_tick,
            poll_seconds=self.settings.status_poll_seconds,
            summary_every=self.settings.status_summary_every,
            outage=services.db.outage,
        )
        self.scheduler.start()
        if self.settings.health_port is not None:
            self.health = HealthServer(self)
            await self.health.start(self.settings.health_host, self.settings.health_port)

    async def close(self) -> None:
        if self.health is not None:
            await self.health.stop()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.outbox is not None:
            await self.outbox.stop()
        if self.pacing is not None:
            log.info("%s", self.pacing.summary())
        await super().close()

    async def sync_commands(self) -> None:
        if self.settings.guild_id:
            guild = discord.Object(id=self.settings.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("synced %d application commands", len(synced))

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("connected as %s (%s) to %d guild(s)", self.user, self.user.id, len(self.guilds))


class ShardedSupportBot(SupportBot, commands.AutoShardedBot):
    """The same bot over several gateway shards (SHARD_COUNT, SHARD_IDS): processes split the shards between
    them, and claims (exts/claims.py) keep anything delivered to two of them from being handled twice."""


def bot_class(settings: Settings) -> tuple[type[SupportBot], dict[str, Any]]:
    """The bot class and its sharding options for these settings."""
    if settings.shard_count is None and not settings.shard_ids:
        return SupportBot, {}
    return ShardedSupportBot, {"shard_count": settings.shard_count, "shard_ids": settings.shard_ids or None}
