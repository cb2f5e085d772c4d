"""`/healthz` and Prometheus `/metrics` on HEALTH_PORT (off unless set; keep it private, see docs/deploy.md).

`/healthz` is 200 when this process is ready (gateway connected, database reachable, status feed fresh or
paused or not configured; fresh: fetched within three poll intervals, and not failing as many polls in a row
as alert staff) and 503 otherwise, with each check in the JSON body. `/metrics` is the text format
Prometheus scrapes (bot/core/metrics.py says what is in it).
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING

import discord
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.core.metrics import Local, read_shared
from bot.core.models import utcnow

if TYPE_CHECKING:
    from bot.bot import SupportBot

log = logging.getLogger(__name__)

FEED_STALE_AFTER_POLLS = 3  # a feed is stale after this many poll intervals (at least two minutes) without news
DB_CHECK_SECONDS = 3.0


class RateLimitCounter(logging.Filter):
    """Counts discord.py's own report of each 429 (it logs one per rate-limited response)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("We are being rate limited"):
            self.count += 1
        return True


def gateway_connected(bot: discord.Client) -> bool:
    if not bot.is_ready() or bot.is_closed():
        return False
    if isinstance(bot, discord.AutoShardedClient):
        return bool(bot.shards) and all(not shard.is_closed() for shard in bot.shards.values())
    ws = bot.ws
    return ws is not None and ws.open


class HealthServer:
    def __init__(self, bot: SupportBot) -> None:
        self.bot = bot
        self.port: int | None = None
        self.rate_limits = RateLimitCounter()
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # the port chosen when 0 was asked for
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        logging.getLogger("discord.http").addFilter(self.rate_limits)
        log.info("health and metrics on http://%s:%s/healthz and /metrics", host, self.port)

    async def stop(self) -> None:
        logging.getLogger("discord.http").removeFilter(self.rate_limits)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def checks(self) -> dict[str, str]:
        """Each readiness check: "ok", or why not."""
        services = self.bot.services
        out = {"gateway": "ok" if gateway_connected(self.bot) else "not connected"}
        try:
            await asyncio.wait_for(services.db.ping(), DB_CHECK_SECONDS)
            out["database"] = "ok"
        except Exception as exc:  # unreachable, refused, too slow: not ready, whatever the reason
            out["database"] = f"unreachable ({type(exc).__name__})"
            out["feed"] = "unknown (no database)"
            return out
        if services.status.fetcher is None:
            out["feed"] = "ok (not configured)"
            return out
        feed = await services.status.health()
        settings = self.bot.settings
        limit = max(FEED_STALE_AFTER_POLLS * settings.status_poll_seconds, 120.0)
        if feed.paused:
            out["feed"] = "ok (paused by staff)"
        elif feed.last_good_at is None:
            out["feed"] = "stale (never fetched)"
        elif feed.failures >= settings.feed_alert_after_failures:
            # as many failed polls in a row as alert staff: what customers read may be out of date already
            # (the error itself is in the log, not here: the feed's URL may hold a token)
            out["feed"] = f"failing ({feed.failures} polls in a row)"
        else:
            age = (utcnow() - feed.last_good_at).total_seconds()
            out["feed"] = "ok" if age <= limit else f"stale ({age:.0f} s since the last good fetch)"
        return out

    async def _healthz(self, request: web.Request) -> web.Response:
        checks = await self.checks()
        ready = all(v.startswith("ok") for v in checks.values())
        return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        services = self.bot.services
        try:
            shared = await read_shared(services.db)
            feed = await services.status.health() if services.status.fetcher is not None else None
        except Exception as exc:  # the process's own figures are still worth a scrape
            log.warning("metrics without database figures (%s)", type(exc).__name__)
            shared, feed = None, None
        if shared is not None and feed is not None:
            shared.feed_configured = True
            shared.feed_paused = feed.paused
            shared.feed_last_good_at = feed.last_good_at
            shared.feed_failures = feed.failures
        latency = self.bot.latency
        local = Local(
            claims_won=services.claims.won,
            claims_lost=services.claims.lost,
            delivered=self.bot.outbox.delivered if self.bot.outbox is not None else 0,
            rate_limited=self.rate_limits.count,
            gateway_latency_seconds=latency if math.isfinite(latency) else None,
        )
        body = services.metrics.render(shared, local)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
