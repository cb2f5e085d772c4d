"""SandboxServer: the aiohttp application tying world, REST, gateway, rate limits and interactions together."""

from __future__ import annotations

import logging
import secrets
from types import TracebackType

from aiohttp import web

from bot.sandbox.driver import Driver
from bot.sandbox.events import EventLog
from bot.sandbox.gateway import Gateway
from bot.sandbox.interactions import InteractionService
from bot.sandbox.latency import Latency
from bot.sandbox.messages import MessageService
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.rest import API_PREFIX, RestApi
from bot.sandbox.state import SnowflakeGenerator
from bot.sandbox.waiters import Waiters
from bot.sandbox.world import World

STABLE_IDS_FROM_MS = 1_767_225_600_000  # 2026-01-01: where a world built with stable_ids starts its ids

log = logging.getLogger(__name__)


class SandboxServer:
    """A local Discord-compatible server. Use ``async with SandboxServer() as srv`` or start()/stop().

    Point discord.py at it with ``discord.http.Route.BASE = srv.api_base`` and
    ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(srv.gateway_url)``.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_name: str = "SandboxBot",
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: bool = True,
        rate_limit_scale: float = 1.0,
        global_rate_limit: int = 50,
        interaction_timeout: float = 3.0,
        interaction_token_ttl: float = 900.0,
        heartbeat_interval_ms: int = 41250,
        stable_ids: bool = False,
        latency: float = 0.0,
        jitter: float = 0.0,
    ) -> None:
        self.token = token or f"sandbox.{secrets.token_urlsafe(24)}"
        self.host = host
        self.port = port
        self.waiters = Waiters()
        ids = SnowflakeGenerator(pinned_ms=STABLE_IDS_FROM_MS if stable_ids else None)
        self.world = World(bot_name=bot_name, ids=ids)
        self.log = EventLog(self.waiters)
        self.gateway = Gateway(self.world, self.token, self.waiters, heartbeat_interval_ms=heartbeat_interval_ms)
        self.ratelimiter = RateLimiter(enabled=rate_limits, scale=rate_limit_scale, global_limit=global_rate_limit)
        self.messages = MessageService(self.world, self.gateway, self.log)
        self.interactions = InteractionService(self.world, self.gateway, self.messages, self.log,
                                               response_timeout=interaction_timeout,
                                               token_ttl=interaction_token_ttl)
        self.rest = RestApi(token=self.token, ratelimiter=self.ratelimiter, world=self.world, log=self.log,
                            gateway=self.gateway, messages=self.messages, interactions=self.interactions)
        self.latency = Latency(latency, jitter)  # round trip and jitter of every REST request, in seconds
        self._runner: web.AppRunner | None = None
        self._driver: Driver | None = None

    # -- settings that tests may change at runtime ------------------------------------------------------
    @property
    def interaction_timeout(self) -> float:
        return self.interactions.response_timeout

    @interaction_timeout.setter
    def interaction_timeout(self, value: float) -> None:
        self.interactions.response_timeout = value

    @property
    def interaction_token_ttl(self) -> float:
        return self.interactions.token_ttl

    @interaction_token_ttl.setter
    def interaction_token_ttl(self, value: float) -> None:
        self.interactions.token_ttl = value

    # -- URLs ---------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def gateway_base(self) -> str:
        return self.gateway_url

    @property
    def driver(self) -> Driver:
        if self._driver is None:
            self._driver = Driver(self)
        return self._driver

    # -- lifecycle ------------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.latency.middleware, self.rest.middleware],
                              client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        self.rest.add_routes(app)
        return app

    async def start(self) -> SandboxServer:
        if self._runner is not None:
            return self
        self._runner = web.AppRunner(self.make_app(), handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self.world.base_url = self.base_url
        self.gateway.url = self.gateway_url
        log.info("sandbox Discord listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self.gateway.close_all()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> SandboxServer:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()
