"""The REST API (aiohttp routes under /api/v10) with Discord's auth, rate limits, errors and validation."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, hdrs, web

from bot.sandbox import events as E
from bot.sandbox import permissions as P
from bot.sandbox.events import RequestRecord
from bot.sandbox.gateway import GUILD_MEMBERS, GUILDS
from bot.sandbox.messages import UploadedFile
from bot.sandbox.ratelimit import GLOBAL_EXEMPT_PREFIXES
from bot.sandbox.state import DM, GUILD_TEXT, JSON, PRIVATE_THREAD, PUBLIC_THREAD, Channel, Message, ThreadMember
from bot.sandbox.validation import (
    DiscordError,
    FormErrors,
    missing_access,
    missing_permissions,
    parse_message,
    require_object,
    unknown,
)
from bot.sandbox.world import Command, World, as_int

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
MAX_UPLOAD = 10 * 1024 * 1024
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
BODY_KEY = web.RequestKey("sandbox_body", object)
FILES_KEY = web.RequestKey("sandbox_files", list)
RESPONSE_KEY = web.RequestKey("sandbox_response", object)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Discord answers ``Content-Type: application/json`` exactly (discord.py checks it verbatim)."""
    h = {"Content-Type": "application/json"}
    if headers:
        h.update(headers)
    return web.Response(body=json.dumps(body).encode(), status=status, headers=h)


def no_content(headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=204, headers=headers or {})


def snowflake_param(request: web.Request, key: str, kind: str) -> int:
    raw = request.match_info[key]
    v = as_int(raw)
    if v is None:
        errs = FormErrors()
        errs.add((key,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
        errs.raise_if_any()
    assert v is not None
    return v


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """Parse JSON or multipart (payload_json + files[n]) bodies; bad JSON -> 50109 as on Discord."""
    if BODY_KEY in request:
        return request[BODY_KEY], request[FILES_KEY]
    files: list[UploadedFile] = []
    body: Any = None
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        total = 0
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            if name == "payload_json":
                body = _loads(await part.read(decode=False))
            elif name.startswith("files[") and name.endswith("]") and name[6:-1].isdigit():
                data = bytes(await part.read(decode=False))
                total += len(data)
                files.append(UploadedFile(int(name[6:-1]), part.filename or f"file{name[6:-1]}", data,
                                          part.headers.get(hdrs.CONTENT_TYPE)))
            elif name == "file" or part.filename:
                data = bytes(await part.read(decode=False))
                total += len(data)
                files.append(UploadedFile(len(files), part.filename or "file", data,
                                          part.headers.get(hdrs.CONTENT_TYPE)))
        if total > MAX_UPLOAD:
            raise DiscordError(413, 40005, "Request entity too large")
    else:
        raw = await request.read()
        if raw.strip():
            body = _loads(raw)
    request[BODY_KEY] = body
    request[FILES_KEY] = files
    return body, files


def _loads(raw: bytes | bytearray | str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from exc


class RestApi:
    def __init__(self, server: SandboxServer) -> None:
        self.srv = server

    @property
    def world(self) -> World:
        return self.srv.world

    # -- middleware -----------------------------------------------------------------------------------
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
            if not exempt and request.headers.get("Authorization") != f"Bot {self.srv.token}":
                raise DiscordError(401, 0, "401: Unauthorized")
            if template is not None:
                key = self.srv.token if not exempt else request.match_info.get("token", "")
                decision = self.srv.ratelimiter.check(key, request.method, template, dict(request.match_info))
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
        self.srv.log.add_request(RequestRecord(
            method=request.method, path=rel, query=dict(request.query), json=body, status=resp.status,
            timestamp=time.time(), route=template, bucket=decision.bucket if decision else None,
            files=[f.filename for f in files],
            response=request.get(RESPONSE_KEY),
        ))
        return resp

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

    # -- routes ---------------------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        r = app.router
        a = API_PREFIX
        r.add_get(a + "/gateway", self.get_gateway)
        r.add_get(a + "/gateway/bot", self.get_gateway_bot)
        r.add_get(a + "/users/@me", self.get_me)
        r.add_post(a + "/users/@me/channels", self.create_dm)
        r.add_get(a + "/users/{user_id}", self.get_user)
        r.add_get(a + "/oauth2/applications/@me", self.get_application)
        r.add_get(a + "/applications/@me", self.get_application)
        r.add_get(a + "/channels/{channel_id}", self.get_channel)
        r.add_get(a + "/channels/{channel_id}/messages", self.list_messages)
        r.add_post(a + "/channels/{channel_id}/messages", self.post_message)
        r.add_get(a + "/channels/{channel_id}/messages/{message_id}", self.get_message)
        r.add_patch(a + "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        r.add_delete(a + "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        r.add_put(a + "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.add_reaction)
        r.add_delete(a + "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.no_op)
        r.add_post(a + "/channels/{channel_id}/typing", self.typing)
        r.add_post(a + "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message)
        r.add_post(a + "/channels/{channel_id}/threads", self.thread_without_message)
        r.add_put(a + "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member)
        r.add_delete(a + "/channels/{channel_id}/thread-members/{user_id}", self.remove_thread_member)
        r.add_get(a + "/channels/{channel_id}/thread-members", self.list_thread_members)
        r.add_get(a + "/guilds/{guild_id}", self.get_guild)
        r.add_get(a + "/guilds/{guild_id}/channels", self.get_guild_channels)
        r.add_get(a + "/guilds/{guild_id}/roles", self.get_guild_roles)
        r.add_get(a + "/guilds/{guild_id}/members/{user_id}", self.get_member)
        r.add_get(a + "/applications/{application_id}/commands", self.get_commands)
        r.add_put(a + "/applications/{application_id}/commands", self.put_commands)
        r.add_get(a + "/applications/{application_id}/guilds/{guild_id}/commands", self.get_commands)
        r.add_put(a + "/applications/{application_id}/guilds/{guild_id}/commands", self.put_commands)
        r.add_post(a + "/interactions/{interaction_id}/{token}/callback", self.interaction_callback)
        r.add_post(a + "/webhooks/{webhook_id}/{token}", self.webhook_execute)
        r.add_get(a + "/webhooks/{webhook_id}/{token}/messages/{message_id}", self.webhook_get)
        r.add_patch(a + "/webhooks/{webhook_id}/{token}/messages/{message_id}", self.webhook_edit)
        r.add_delete(a + "/webhooks/{webhook_id}/{token}/messages/{message_id}", self.webhook_delete)
        r.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self.cdn_attachment)

    # -- basics ---------------------------------------------------------------------------------------
    async def get_gateway(self, request: web.Request) -> web.Response:
        return self.reply(request, {"url": self.srv.gateway_base})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return self.reply(request, {"url": self.srv.gateway_base, "shards": 1, "session_start_limit": {
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

    async def no_op(self, request: web.Request) -> web.Response:
        return no_content()

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
        self.srv.log.add(E.DM_OPEN, data={"user_id": uid, "channel_id": ch.id})
        return self.reply(request, self.world.channel_dict(ch))

    # -- channels & messages ---------------------------------------------------------------------------
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
        msg, _ = await self.srv.messages.create(ch, self.world.bot_user.id, draft, files, raw=body)
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
        await self.srv.messages.edit(msg, draft, files)
        return self.reply(request, self.world.message_dict(msg))

    async def delete_message(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        msg = self.message(request, ch)
        if msg.author_id != self.world.bot_user.id:
            if ch.type == DM:
                raise DiscordError(403, 50003, "Cannot execute action on a DM channel")
            if not self.bot_perms(ch) & P.MANAGE_MESSAGES:
                raise missing_permissions()
        await self.srv.messages.delete(msg)
        return no_content()

    async def add_reaction(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        msg = self.message(request, ch)
        perms = self.bot_perms(ch)
        if not perms & P.READ_MESSAGE_HISTORY or not perms & P.ADD_REACTIONS:
            raise missing_permissions()
        self.srv.log.add(E.REACTION, message=msg, data={"emoji": request.match_info["emoji"]})
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        ch = self.channel(request)
        if ch.type != DM and not self.bot_perms(ch) & P.SEND_MESSAGES:
            raise missing_permissions()
        self.srv.log.add(E.TYPING, data={"channel_id": ch.id})
        return no_content()

    # -- threads --------------------------------------------------------------------------------------
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
        self.srv.log.add(E.THREAD_CREATE, data={"channel_id": th.id, "parent_id": th.parent_id,
                                                "private": th.type == PRIVATE_THREAD})
        data = self.world.channel_dict(th) | {"newly_created": True}
        await self.srv.gateway.dispatch("THREAD_CREATE", data, intent=GUILDS)

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
        await self.srv.gateway.dispatch(
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
            self.srv.log.add(E.THREAD_MEMBER_ADD, data={"channel_id": th.id, "user_id": uid})
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

    # -- guilds ---------------------------------------------------------------------------------------
    def guild(self, request: web.Request) -> Any:
        g = self.world.guilds.get(snowflake_param(request, "guild_id", "Guild"))
        if g is None:
            raise unknown("Guild")
        if self.world.bot_user.id not in g.members:
            raise missing_access()
        return g

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

    # -- application commands ---------------------------------------------------------------------------
    def _command_scope(self, request: web.Request) -> tuple[dict[int, Command], int | None]:
        app_id = snowflake_param(request, "application_id", "Application")
        if app_id != self.world.application_id:
            raise missing_access()
        if "guild_id" not in request.match_info:
            return self.world.global_commands, None
        g = self.guild(request)
        return self.world.guild_commands.setdefault(g.id, {}), g.id

    async def get_commands(self, request: web.Request) -> web.Response:
        store, _ = self._command_scope(request)
        return self.reply(request, [c.to_dict() for c in store.values()])

    async def put_commands(self, request: web.Request) -> web.Response:
        store, guild_id = self._command_scope(request)
        body, _ = await read_body(request)
        if not isinstance(body, list):
            errs = FormErrors()
            errs.add((), "BASE_TYPE_ARRAY", "Must be an array.")
            errs.raise_if_any()
        assert isinstance(body, list)
        _validate_commands(body)
        old = {(c.name, int(c.data.get("type", 1))): c for c in store.values()}
        store.clear()
        w = self.world
        for data in body:
            key = (str(data["name"]), int(data.get("type", 1)))
            prev = old.get(key)
            if prev is not None and prev.data == data:
                cmd = prev
            else:
                cmd = Command(id=prev.id if prev else w.ids.next(), application_id=w.application_id,
                              guild_id=guild_id, version=w.ids.next(), data=data)
            store[cmd.id] = cmd
        self.srv.log.add(E.COMMANDS_SYNC, data={"guild_id": guild_id, "names": [c.name for c in store.values()]})
        return self.reply(request, [c.to_dict() for c in store.values()])

    # -- interactions & webhooks ------------------------------------------------------------------------
    async def interaction_callback(self, request: web.Request) -> web.Response:
        iid = snowflake_param(request, "interaction_id", "interaction")
        body, files = await read_body(request)
        result = await self.srv.interactions.callback(iid, request.match_info["token"], body, files)
        if request.query.get("with_response", "").lower() in ("1", "true"):
            return self.reply(request, result)
        return no_content()

    def _webhook(self, request: web.Request) -> Any:
        wid = snowflake_param(request, "webhook_id", "Webhook")
        return self.srv.interactions.by_webhook(wid, request.match_info["token"])

    async def webhook_execute(self, request: web.Request) -> web.Response:
        rec = self._webhook(request)
        body, files = await read_body(request)
        msg = await self.srv.interactions.followup(rec, require_object(body), files)
        if request.query.get("wait", "").lower() in ("1", "true"):
            return self.reply(request, self.world.message_dict(msg))
        return no_content()

    async def webhook_get(self, request: web.Request) -> web.Response:
        rec = self._webhook(request)
        msg = self.srv.interactions.resolve_message(rec, request.match_info["message_id"])
        return self.reply(request, self.world.message_dict(msg))

    async def webhook_edit(self, request: web.Request) -> web.Response:
        rec = self._webhook(request)
        body, files = await read_body(request)
        msg = await self.srv.interactions.edit(rec, request.match_info["message_id"], require_object(body), files)
        return self.reply(request, self.world.message_dict(msg))

    async def webhook_delete(self, request: web.Request) -> web.Response:
        rec = self._webhook(request)
        await self.srv.interactions.delete(rec, request.match_info["message_id"])
        return no_content()

    async def cdn_attachment(self, request: web.Request) -> web.Response:
        aid = as_int(request.match_info["attachment_id"])
        for m in self.world.messages.values():
            for a in m.attachments:
                if a.id == aid:
                    return web.Response(body=a.data, content_type=a.content_type or "application/octet-stream")
        raise web.HTTPNotFound()


def _validate_commands(body: list[Any]) -> None:
    errs = FormErrors()
    if len(body) > 100:
        errs.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    seen: set[tuple[str, int]] = set()
    for i, c in enumerate(body):
        if not isinstance(c, dict):
            errs.add((i,), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        ctype = c.get("type", 1)
        name = c.get("name")
        if not isinstance(name, str) or not _COMMAND_NAME.match(name) or (ctype == 1 and name != name.lower()):
            errs.add((i, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        elif (name, ctype) in seen:
            errs.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
        else:
            seen.add((name, ctype))
        if ctype == 1:
            errs.max_len((i, "description"), c.get("description"), 100, minimum=1)
        _validate_options(errs, (i, "options"), c.get("options") or [])
    errs.raise_if_any()


def _validate_options(errs: FormErrors, path: tuple[str | int, ...], options: Any) -> None:
    if not isinstance(options, list):
        errs.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(options) > 25:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    required_done = False
    for j, o in enumerate(options):
        if not isinstance(o, dict):
            errs.add((*path, j), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        name = o.get("name")
        if not isinstance(name, str) or not _COMMAND_NAME.match(name) or name != name.lower():
            errs.add((*path, j, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        errs.max_len((*path, j, "description"), o.get("description"), 100, minimum=1)
        if o.get("required"):
            if required_done:
                errs.add((*path, j, "required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                         "Required options must be placed before non-required options")
        else:
            required_done = True
        choices = o.get("choices")
        if isinstance(choices, list) and len(choices) > 25:
            errs.add((*path, j, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if o.get("type") in (1, 2):
            _validate_options(errs, (*path, j, "options"), o.get("options") or [])
