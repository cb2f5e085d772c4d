"""The REST API (aiohttp routes under /api/v10) with Discord's auth, rate limits and errors.

The middleware does what every request shares (the bot's token, rate limits, Discord's error bodies, recording
the request for tests); the routes, one module per area of the API, do the rest.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web

from bot.sandbox.events import EventLog, RequestRecord
from bot.sandbox.gateway import Gateway
from bot.sandbox.interactions import InteractionService
from bot.sandbox.messages import MessageService
from bot.sandbox.ratelimit import GLOBAL_EXEMPT_PREFIXES, RateLimiter
from bot.sandbox.rest.commands import CommandRoutes
from bot.sandbox.rest.guilds import GuildRoutes
from bot.sandbox.rest.interactions import InteractionRoutes
from bot.sandbox.rest.messages import MessageRoutes
from bot.sandbox.rest.pins import PinRoutes
from bot.sandbox.rest.routes import Routes
from bot.sandbox.rest.threads import ThreadRoutes
from bot.sandbox.rest.users import UserRoutes
from bot.sandbox.rest.wire import API_PREFIX, BODY_KEY, FILES_KEY, RESPONSE_KEY, json_response
from bot.sandbox.validation import DiscordError
from bot.sandbox.world import World

log = logging.getLogger(__name__)


class RestApi:
    def __init__(self, *, token: str, ratelimiter: RateLimiter, world: World, log: EventLog, gateway: Gateway,
                 messages: MessageService, interactions: InteractionService) -> None:
        self.token = token
        self.ratelimiter = ratelimiter
        self.log = log
        parts = (world, log, gateway, messages, interactions)
        self._messages = MessageRoutes(*parts)
        self.pins = PinRoutes(*parts)
        # in the order they are matched: a literal path (/users/@me) before a pattern that also matches it
        self.areas: list[Routes] = [UserRoutes(*parts), self.pins, self._messages, ThreadRoutes(*parts),
                                    GuildRoutes(*parts), CommandRoutes(*parts), InteractionRoutes(*parts)]

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path
        if not path.startswith(API_PREFIX + "/"):
            return await handler(request)
        rel = path[len(API_PREFIX):]
        resource = getattr(request.match_info.route, "resource", None)
        template = resource.canonical[len(API_PREFIX):] if resource is not None else None
        exempt = rel.startswith(GLOBAL_EXEMPT_PREFIXES)
        decision = None
        resp: web.StreamResponse
        try:
            if not exempt and request.headers.get("Authorization") != f"Bot {self.token}":
                raise DiscordError(401, 0, "401: Unauthorized")
            if template is not None:
                key = self.token if not exempt else request.match_info.get("token", "")
                decision = self.ratelimiter.check(key, request.method, template, dict(request.match_info))
            if decision is not None and not decision.allowed:
                resp = json_response({"message": "You are being rate limited.",
                                      "retry_after": decision.retry_after, "global": decision.is_global},
                                     429, decision.headers)
            else:
                resp = await handler(request)
        except DiscordError as e:
            resp = json_response(e.body(), e.status)
        except web.HTTPException as e:
            resp = json_response({"message": f"{e.status}: {e.reason}", "code": 0}, e.status)
        except Exception:
            log.exception("sandbox: unexpected error on %s %s", request.method, path)
            resp = json_response({"message": "500: Internal Server Error", "code": 0}, 500)
        if decision is not None and decision.allowed:
            for k, v in decision.headers.items():
                resp.headers[k] = v
        body = request.get(BODY_KEY)
        files = request.get(FILES_KEY) or []
        self.log.add_request(RequestRecord(
            method=request.method, path=rel, query=dict(request.query), json=body, status=resp.status,
            timestamp=time.time(), route=template, bucket=decision.bucket if decision else None,
            files=[f.filename for f in files],
            response=request.get(RESPONSE_KEY),
        ))
        return resp

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        add = {"GET": r.add_get, "POST": r.add_post, "PUT": r.add_put, "PATCH": r.add_patch, "DELETE": r.add_delete}
        for area in self.areas:
            for method, path, handler in area.routes():
                add[method](API_PREFIX + path, handler)
        # attachments are served by the CDN, outside the API (no token, no rate limits)
        r.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._messages.cdn_attachment)


__all__ = ["API_PREFIX", "RestApi"]
