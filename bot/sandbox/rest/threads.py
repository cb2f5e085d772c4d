"""Threads: starting one (from a message or not), and its members."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox import events as E
from bot.sandbox import permissions as P
from bot.sandbox.gateway import GUILD_MEMBERS, GUILDS
from bot.sandbox.rest.routes import Route, Routes
from bot.sandbox.rest.wire import no_content, read_body, snowflake_param
from bot.sandbox.state import GUILD_TEXT, JSON, PRIVATE_THREAD, PUBLIC_THREAD, Channel, ThreadMember
from bot.sandbox.validation import DiscordError, FormErrors, missing_permissions, require_object, unknown


class ThreadRoutes(Routes):
    def routes(self) -> list[Route]:
        return [
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message),
            ("POST", "/channels/{channel_id}/threads", self.thread_without_message),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member),
            ("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self.remove_thread_member),
            ("GET", "/channels/{channel_id}/thread-members", self.list_thread_members),
        ]

    def _thread_body(self, body: Any) -> tuple[str, int, JSON]:
        body = require_object(body)
        errs = FormErrors()
        errs.max_len(("name",), body.get("name"), 100, minimum=1)
        if body.get("name") is None:
            errs.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        dur = body.get("auto_archive_duration", 1440)
        if dur not in (60, 1440, 4320, 10080):
            errs.add(("auto_archive_duration",), "BASE_TYPE_CHOICES",
                     "Value must be one of {60, 1440, 4320, 10080}.")
        errs.raise_if_any()
        return str(body["name"]), int(dur), body

    async def _announce_thread(self, th: Channel) -> None:
        self.log.add(E.THREAD_CREATE, data={"channel_id": th.id, "parent_id": th.parent_id,
                                                "private": th.type == PRIVATE_THREAD})
        data = self.world.channel_dict(th) | {"newly_created": True}
        await self.gateway.dispatch("THREAD_CREATE", data, intent=GUILDS)

    async def thread_from_message(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        if ch.type != GUILD_TEXT:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        perms = self.bot_perms(ch)
        if not perms & P.CREATE_PUBLIC_THREADS or not perms & P.READ_MESSAGE_HISTORY:
            raise missing_permissions()
        msg = self.message(request, ch)
        name, dur, _ = self._thread_body((await read_body(request))[0])
        if msg.id in self.world.channels:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        th = self.world.create_thread(ch, name, owner_id=self.world.bot_user.id, private=False, thread_id=msg.id,
                                      auto_archive_duration=dur)
        await self._announce_thread(th)
        return self.reply(request, self.world.channel_dict(th), 201)

    async def thread_without_message(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        if ch.type != GUILD_TEXT:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        name, dur, body = self._thread_body((await read_body(request))[0])
        ttype = body.get("type", PRIVATE_THREAD)
        if ttype not in (PUBLIC_THREAD, PRIVATE_THREAD):
            errs = FormErrors()
            errs.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of {11, 12}.")
            errs.raise_if_any()
        need = P.CREATE_PRIVATE_THREADS if ttype == PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
        if not self.bot_perms(ch) & need:
            raise missing_permissions()
        th = self.world.create_thread(ch, name, owner_id=self.world.bot_user.id, private=ttype == PRIVATE_THREAD,
                                      invitable=body.get("invitable", True) is not False,
                                      auto_archive_duration=dur)
        await self._announce_thread(th)
        return self.reply(request, self.world.channel_dict(th), 201)

    def _thread_and_user(self, request: web.Request) -> tuple[Channel, int]:
        th = self.channel(request)
        if not th.is_thread:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        raw = request.match_info["user_id"]
        uid = self.world.bot_user.id if raw == "@me" else snowflake_param(request, "user_id", "User")
        if th.archived:
            raise DiscordError(400, 50083, "Operation cannot be performed on an archived thread")
        return th, uid

    async def _members_update(self, th: Channel, added: list[int], removed: list[int]) -> None:
        w = self.world
        guild = w.guild_of(th)
        assert guild is not None
        data: JSON = {
            "id": str(th.id), "guild_id": str(guild.id), "member_count": len(th.thread_members),
            "added_members": [w.thread_member_dict(th, th.thread_members[u])
                              | {"member": w.member_dict(guild, guild.members[u]), "presence": None}
                              for u in added],
            "removed_member_ids": [str(u) for u in removed],
        }
        bot_id = w.bot_user.id
        involves_bot = bot_id in added or bot_id in removed
        await self.gateway.dispatch(
            "THREAD_MEMBERS_UPDATE", lambda s: data if (s.intents & GUILD_MEMBERS or involves_bot) else None,
            intent=GUILDS)

    async def add_thread_member(self, request: web.Request) -> web.Response:
        th, uid = self._thread_and_user(request)
        guild = self.world.guild_of(th)
        assert guild is not None
        perms = self.bot_perms(th)
        bot_id = self.world.bot_user.id
        if uid != bot_id:
            if not perms & P.SEND_MESSAGES:
                raise missing_permissions()
            if th.type == PRIVATE_THREAD and not th.invitable and not perms & P.MANAGE_THREADS:
                raise missing_permissions()
        if uid not in guild.members:
            raise unknown("Member")
        if uid not in th.thread_members:
            th.thread_members[uid] = ThreadMember(uid)
            self.log.add(E.THREAD_MEMBER_ADD, data={"channel_id": th.id, "user_id": uid})
            await self._members_update(th, [uid], [])
        return no_content()

    async def remove_thread_member(self, request: web.Request) -> web.Response:
        th, uid = self._thread_and_user(request)
        if uid != self.world.bot_user.id and th.owner_id != self.world.bot_user.id \
                and not self.bot_perms(th) & P.MANAGE_THREADS:
            raise missing_permissions()
        if uid in th.thread_members:
            del th.thread_members[uid]
            await self._members_update(th, [], [uid])
        return no_content()

    async def list_thread_members(self, request: web.Request) -> web.Response:
        th = self.channel(request)
        if not th.is_thread:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        return self.reply(request, [self.world.thread_member_dict(th, m) for m in th.thread_members.values()])


__all__ = ["ThreadRoutes"]
