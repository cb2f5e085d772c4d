"""Pinned messages: pin and unpin (Discord's 2025 routes under /messages/pins), and the list of pins."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox import permissions as P
from bot.sandbox.rest.routes import Route, Routes
from bot.sandbox.rest.wire import no_content
from bot.sandbox.validation import DiscordError, missing_permissions

MAX_PINS = 250


class PinRoutes(Routes):
    def __init__(self, *parts: Any) -> None:
        super().__init__(*parts)
        self.pinned: dict[int, list[int]] = {}  # channel id -> pinned message ids, oldest first

    def routes(self) -> list[Route]:
        return [
            ("GET", "/channels/{channel_id}/messages/pins", self.list_pins),
            ("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin),
            ("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.unpin),
        ]

    async def pin(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        if not self.bot_perms(ch) & P.MANAGE_MESSAGES:
            raise missing_permissions()
        msg = self.message(request, ch)
        pins = self.pinned.setdefault(ch.id, [])
        if msg.id not in pins:
            if len(pins) >= MAX_PINS:
                raise DiscordError(400, 30003, "Maximum number of pins reached (250)")
            pins.append(msg.id)
        return no_content()

    async def unpin(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        if not self.bot_perms(ch) & P.MANAGE_MESSAGES:
            raise missing_permissions()
        msg = self.message(request, ch)
        pins = self.pinned.get(ch.id, [])
        if msg.id in pins:
            pins.remove(msg.id)
        return no_content()

    async def list_pins(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        items = [{"pinned_at": None, "message": self.world.message_dict(self.world.messages[mid])}
                 for mid in reversed(self.pinned.get(ch.id, [])) if mid in self.world.messages]
        return self.reply(request, {"items": items, "has_more": False})
