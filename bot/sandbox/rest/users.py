"""Who is who: gateway discovery, the bot's user and application, users, and opening a DM."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox import events as E
from bot.sandbox.rest.routes import Route, Routes
from bot.sandbox.rest.wire import read_body, snowflake_param
from bot.sandbox.validation import FormErrors, require_object, unknown
from bot.sandbox.world import as_int


class UserRoutes(Routes):
    def routes(self) -> list[Route]:
        return [
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/users/@me", self.get_me),  # before /users/{user_id}, which would match it too
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
        ]

    async def get_gateway(self, request: web.Request) -> web.Response:
        return self.reply(request, {"url": self.gateway.url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return self.reply(request, {"url": self.gateway.url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}})

    async def get_me(self, request: web.Request) -> web.Response:
        u = self.world.bot_user.to_dict() | {"verified": True, "mfa_enabled": False, "flags": 0,
                                              "email": None, "locale": "en-US", "bio": ""}
        return self.reply(request, u)

    async def get_user(self, request: web.Request) -> web.Response:
        u = self.world.users.get(snowflake_param(request, "user_id", "User"))
        if u is None:
            raise unknown("User")
        return self.reply(request, u.to_dict())

    async def get_application(self, request: web.Request) -> web.Response:
        w = self.world
        return self.reply(request, {
            "id": str(w.application_id), "name": w.bot_user.username, "description": "", "icon": None,
            "bot_public": True, "bot_require_code_grant": False, "owner": w.owner.to_dict(),
            "verify_key": "0" * 64, "team": None, "flags": 0, "summary": "", "rpc_origins": [],
            "bot": w.bot_user.to_dict(), "approximate_guild_count": len(w.guilds),
        })

    async def create_dm(self, request: web.Request) -> web.Response:
        body, _ = await read_body(request)
        body = require_object(body)
        uid = as_int(body.get("recipient_id"))
        if uid is None:
            errs = FormErrors()
            errs.add(("recipient_id",), "BASE_TYPE_REQUIRED", "This field is required")
            errs.raise_if_any()
        assert uid is not None
        user = self.world.users.get(uid)
        if user is None or uid == self.world.bot_user.id:
            raise unknown("User")
        ch = self.world.get_or_create_dm(user)
        self.log.add(E.DM_OPEN, data={"user_id": uid, "channel_id": ch.id})
        return self.reply(request, self.world.channel_dict(ch))


__all__ = ["UserRoutes"]
