"""Channels and their messages: read, post, edit, delete, react, type; and the CDN for attachments."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox import events as E
from bot.sandbox import permissions as P
from bot.sandbox.rest.routes import Route, Routes
from bot.sandbox.rest.wire import no_content, read_body
from bot.sandbox.state import DM
from bot.sandbox.validation import DiscordError, missing_access, missing_permissions, parse_message, require_object
from bot.sandbox.world import as_int


class MessageRoutes(Routes):
    def routes(self) -> list[Route]:
        return [
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("GET", "/channels/{channel_id}/messages", self.list_messages),
            ("POST", "/channels/{channel_id}/messages", self.post_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.add_reaction),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.no_op),
            ("POST", "/channels/{channel_id}/typing", self.typing),
        ]

    async def get_channel(self, request: web.Request) -> web.Response:
        return self.reply(request, self.world.channel_dict(self.channel(request)))

    async def list_messages(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        if not self.bot_perms(ch) & P.READ_MESSAGE_HISTORY:
            return self.reply(request, [])
        try:
            limit = int(request.query.get("limit", "50"))
        except ValueError:
            limit = 50
        limit = max(1, min(100, limit))
        before = as_int(request.query.get("before"))
        after = as_int(request.query.get("after"))
        msgs = [m for m in self.world.messages.values()
                if m.channel_id == ch.id and not m.deleted and not m.ephemeral
                and (before is None or m.id < before) and (after is None or m.id > after)]
        msgs.sort(key=lambda m: m.id, reverse=True)
        msgs = msgs[-limit:] if after is not None and before is None else msgs[:limit]
        return self.reply(request, [self.world.message_dict(m) for m in msgs])

    async def post_message(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        body, files = await read_body(request)
        draft = parse_message(require_object(body), files=len(files))
        msg, _ = await self.messages.create(ch, self.world.bot_user.id, draft, files, raw=body)
        return self.reply(request, self.world.message_dict(msg))

    async def get_message(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        if not self.bot_perms(ch) & P.READ_MESSAGE_HISTORY:
            raise missing_access()
        return self.reply(request, self.world.message_dict(self.message(request, ch)))

    async def edit_message(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        msg = self.message(request, ch)
        body, files = await read_body(request)
        draft = parse_message(require_object(body), files=len(files), require_nonempty=False)
        if msg.author_id != self.world.bot_user.id and (
                set(draft.present) - {"flags"} or not self.bot_perms(ch) & P.MANAGE_MESSAGES):
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        await self.messages.edit(msg, draft, files)
        return self.reply(request, self.world.message_dict(msg))

    async def delete_message(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        msg = self.message(request, ch)
        if msg.author_id != self.world.bot_user.id:
            if ch.type == DM:
                raise DiscordError(403, 50003, "Cannot execute action on a DM channel")
            if not self.bot_perms(ch) & P.MANAGE_MESSAGES:
                raise missing_permissions()
        await self.messages.delete(msg)
        return no_content()

    async def add_reaction(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        msg = self.message(request, ch)
        perms = self.bot_perms(ch)
        if not perms & P.READ_MESSAGE_HISTORY or not perms & P.ADD_REACTIONS:
            raise missing_permissions()
        self.log.add(E.REACTION, message=msg, data={"emoji": request.match_info["emoji"]})
        return no_content()

    async def no_op(self, request: web.Request) -> web.Response:
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        if ch.type != DM and not self.bot_perms(ch) & P.SEND_MESSAGES:
            raise missing_permissions()
        self.log.add(E.TYPING, data={"channel_id": ch.id})
        return no_content()

    async def cdn_attachment(self, request: web.Request) -> web.Response:
        aid = as_int(request.match_info["attachment_id"])
        for m in self.world.messages.values():
            for a in m.attachments:
                if a.id == aid:
                    return web.Response(body=a.data, content_type=a.content_type or "application/octet-stream")
        raise web.HTTPNotFound()


__all__ = ["MessageRoutes"]
