"""What every group of REST routes shares: the sandbox's parts, and looking up what a request names."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.sandbox.events import EventLog
from bot.sandbox.gateway import Gateway
from bot.sandbox.interactions import InteractionService
from bot.sandbox.messages import MessageService
from bot.sandbox.rest.wire import RESPONSE_KEY, json_response, snowflake_param
from bot.sandbox.state import DM, Channel, Guild, Message
from bot.sandbox.validation import missing_access, unknown
from bot.sandbox.world import World

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Route = tuple[str, str, Handler]
"""(method, path below the API prefix, handler)"""


class Routes(ABC):
    """A group of routes (one area of the API); ``routes()`` lists them in the order they are matched."""

    def __init__(self, world: World, log: EventLog, gateway: Gateway, messages: MessageService,
                 interactions: InteractionService) -> None:
        self.world = world
        self.log = log
        self.gateway = gateway
        self.messages = messages
        self.interactions = interactions

    @abstractmethod
    def routes(self) -> list[Route]: ...

    def reply(self, request: web.Request, body: Any, status: int = 200) -> web.Response:
        request[RESPONSE_KEY] = body
        return json_response(body, status)

    # -- lookups --------------------------------------------------------------------------------------
    def channel(self, request: web.Request, key: str = "channel_id") -> Channel:
        cid = snowflake_param(request, key, "Channel")
        ch = self.world.channels.get(cid)
        if ch is None:
            raise unknown("Channel")
        if ch.type != DM and not self.world.bot_can_see(ch):
            raise missing_access()
        return ch

    def message(self, request: web.Request, ch: Channel) -> Message:
        mid = snowflake_param(request, "message_id", "Message")
        msg = self.world.messages.get(mid)
        if msg is None or msg.deleted or msg.channel_id != ch.id or msg.ephemeral:
            raise unknown("Message")
        return msg

    def bot_perms(self, ch: Channel) -> int:
        return self.world.permissions(ch, self.world.bot_user.id)

    def guild(self, request: web.Request) -> Guild:
        g = self.world.guilds.get(snowflake_param(request, "guild_id", "Guild"))
        if g is None:
            raise unknown("Guild")
        if self.world.bot_user.id not in g.members:
            raise missing_access()
        return g


__all__ = ["Handler", "Route", "Routes"]
