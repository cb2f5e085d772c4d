"""Guilds: the guild, its channels, roles and members."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.rest.routes import Route, Routes
from bot.sandbox.rest.wire import snowflake_param
from bot.sandbox.validation import unknown


class GuildRoutes(Routes):
    def routes(self) -> list[Route]:
        return [
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.get_guild_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
        ]

    async def get_guild(self, request: web.Request) -> web.Response:
        d = self.world.guild_dict(self.guild(request))
        for k in ("members", "channels", "threads", "voice_states", "presences"):
            d.pop(k, None)
        return self.reply(request, d)

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        g = self.guild(request)
        return self.reply(request, [self.world.channel_dict(c) for c in g.channels.values() if not c.is_thread])

    async def get_guild_roles(self, request: web.Request) -> web.Response:
        return self.reply(request, [r.to_dict() for r in self.guild(request).roles.values()])

    async def get_member(self, request: web.Request) -> web.Response:
        g = self.guild(request)
        m = g.members.get(snowflake_param(request, "user_id", "User"))
        if m is None:
            raise unknown("Member")
        return self.reply(request, self.world.member_dict(g, m))


__all__ = ["GuildRoutes"]
