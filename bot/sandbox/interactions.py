"""Interactions: INTERACTION_CREATE payloads, callbacks (with Discord's 3 s / once-only rules), followups."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox import events as E
from bot.sandbox.events import EventLog
from bot.sandbox.gateway import Gateway
from bot.sandbox.messages import InteractionLink, MessageService, UploadedFile
from bot.sandbox.state import JSON, Channel, Message, User
from bot.sandbox.validation import EPHEMERAL, IS_COMPONENTS_V2, DiscordError, FormErrors, parse_message, unknown
from bot.sandbox.world import World

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
# callback types
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
RESPONSE_FLAGS = EPHEMERAL | (1 << 2) | (1 << 12) | IS_COMPONENTS_V2
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: JSON
    created: float = field(default_factory=time.monotonic)
    response_type: int | None = None
    response: JSON | None = None  # the callback's "data"
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: JSON | None = None  # custom_id, title, components of a modal opened by this interaction
    source_message_id: int | None = None  # message carrying the component (components / modal from one)
    choices: list[JSON] | None = None  # autocomplete result
    late_attempts: int = 0
    modal_submitted: bool = False
    double_attempts: int = 0

    @property
    def responded(self) -> bool:
        return self.response_type is not None


class InteractionService:
    def __init__(self, world: World, gateway: Gateway, messages: MessageService, log: EventLog, *,
                 response_timeout: float = 3.0, token_ttl: float = 900.0) -> None:
        self.world = world
        self.gateway = gateway
        self.messages = messages
        self.log = log
        self.response_timeout = response_timeout
        self.token_ttl = token_ttl
        self.by_id: dict[int, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}

    # -- creating interactions ------------------------------------------------------------------------
    async def create(self, type: int, user: User, channel: Channel, data: JSON, *,
                     message: Message | None = None) -> InteractionRecord:
        w = self.world
        iid = w.ids.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        guild = w.guild_of(channel)
        payload: JSON = {
            "id": str(iid),
            "application_id": str(w.application_id),
            "type": type,
            "data": data,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "app_permissions": str(w.permissions(channel, w.bot_user.id)),
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": str(channel.id),
            "channel": w.channel_dict(channel),
        }
        if guild is not None:
            payload.update({
                "guild_id": str(guild.id),
                "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
                "guild_locale": "en-US",
                "member": w.member_dict(guild, guild.members[user.id], channel=channel),
                "context": 0,
                "authorizing_integration_owners": {"0": str(guild.id)},
            })
        else:
            payload.update({"user": user.to_dict(), "context": 1,
                            "authorizing_integration_owners": {"0": "0"}})
        if message is not None:
            payload["message"] = w.message_dict(message)
        rec = InteractionRecord(id=iid, token=token, type=type, user_id=user.id, channel_id=channel.id,
                                guild_id=guild.id if guild else None, payload=payload,
                                source_message_id=message.id if message is not None else None)
        self.by_id[iid] = rec
        self.by_token[token] = rec
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return rec

    # -- callback -------------------------------------------------------------------------------------
    def _link(self, rec: InteractionRecord) -> InteractionLink:
        return InteractionLink(rec.id, rec.type, rec.user_id)

    async def callback(self, interaction_id: int, token: str, body: Any,
                       files: list[UploadedFile]) -> JSON:
        rec = self.by_id.get(interaction_id)
        if rec is None or not secrets.compare_digest(rec.token, token):
            raise unknown("interaction")
        if rec.responded:
            rec.double_attempts += 1
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - rec.created > self.response_timeout:
            rec.late_attempts += 1
            raise unknown("interaction")
        if not isinstance(body, dict) or not isinstance(body.get("type"), int):
            errs = FormErrors()
            errs.add(("type",), "BASE_TYPE_REQUIRED", "This field is required")
            errs.raise_if_any()
        assert isinstance(body, dict)
        rtype: int = body["type"]
        data = body.get("data") or {}
        if not isinstance(data, dict):
            errs = FormErrors()
            errs.add(("data",), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            errs.raise_if_any()
        valid = {
            APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
            MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE,
                                MODAL},
            AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
            MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE}
            | ({DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE} if rec.source_message_id else set()),
        }.get(rec.type, set())
        if rtype not in valid:
            errs = FormErrors()
            errs.add(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type")
            errs.raise_if_any()
        channel = self.world.channels[rec.channel_id]
        msg: Message | None = None
        if rtype == CHANNEL_MESSAGE:
            draft = parse_message(data, files=len(files), allowed_flags=RESPONSE_FLAGS)
            msg, _ = await self.messages.create(
                channel, self.world.bot_user.id, draft, files, check_perms=False,
                type=20 if rec.type == APPLICATION_COMMAND else 0, webhook_id=self.world.application_id,
                interaction=self._link(rec), raw=data)
            rec.original_message_id = msg.id
        elif rtype == DEFERRED_CHANNEL_MESSAGE:
            flags = data.get("flags", 0) if isinstance(data.get("flags", 0), int) else 0
            draft = parse_message({}, require_nonempty=False)
            msg, _ = await self.messages.create(
                channel, self.world.bot_user.id, draft, check_perms=False,
                type=20 if rec.type == APPLICATION_COMMAND else 0, webhook_id=self.world.application_id,
                interaction=self._link(rec), extra_flags=(flags & EPHEMERAL) | Message.LOADING, raw=data)
            rec.original_message_id = msg.id
        elif rtype in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
            rec.original_message_id = rec.source_message_id
            if rtype == UPDATE_MESSAGE and rec.source_message_id is not None:
                target = self.world.messages[rec.source_message_id]
                draft = parse_message(data, files=len(files), allowed_flags=RESPONSE_FLAGS, require_nonempty=False)
                msg = await self.messages.edit(target, draft, files)
        elif rtype == MODAL:
            errs = FormErrors()
            errs.max_len(("data", "custom_id"), data.get("custom_id"), 100, minimum=1)
            errs.max_len(("data", "title"), data.get("title"), 45, minimum=1)
            comps = data.get("components")
            if not isinstance(comps, list) or not 1 <= len(comps) <= 5:
                errs.add(("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
            errs.raise_if_any()
            rec.modal = {"custom_id": data["custom_id"], "title": data["title"], "components": comps}
        elif rtype == AUTOCOMPLETE_RESULT:
            choices = data.get("choices", [])
            if not isinstance(choices, list) or len(choices) > 25:
                errs = FormErrors()
                errs.add(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
                errs.raise_if_any()
            rec.choices = choices
        rec.response_type = rtype
        rec.response = data
        if rec.modal is not None and rtype == MODAL:
            self.log.add(E.MODAL, data=dict(rec.modal), interaction_id=rec.id)
        if rtype == AUTOCOMPLETE_RESULT:
            self.log.add(E.AUTOCOMPLETE, data={"choices": rec.choices}, interaction_id=rec.id)
        self.log.add(E.INTERACTION_RESPONSE, message=msg, data={"type": rtype, "data": data}, interaction_id=rec.id)
        inter: JSON = {"id": str(rec.id), "type": rec.type}
        resource: JSON = {"type": rtype}
        if msg is not None:
            inter["response_message_id"] = str(msg.id)
            inter["response_message_loading"] = msg.loading
            inter["response_message_ephemeral"] = msg.ephemeral
            resource["message"] = self.world.message_dict(msg)
        return {"interaction": inter, "resource": resource}

    # -- webhook (followups, @original) ---------------------------------------------------------------
    def by_webhook(self, webhook_id: int, token: str) -> InteractionRecord:
        if webhook_id != self.world.application_id:
            raise unknown("Webhook")
        rec = self.by_token.get(token)
        if rec is None or time.monotonic() - rec.created > self.token_ttl:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        return rec

    def resolve_message(self, rec: InteractionRecord, message_id: str) -> Message:
        if message_id == "@original":
            mid = rec.original_message_id
        else:
            mid = int(message_id) if message_id.isdigit() else None
            if mid is not None and mid != rec.original_message_id and mid not in rec.followup_ids:
                mid = None
        msg = self.world.messages.get(mid) if mid is not None else None
        if msg is None or msg.deleted:
            raise unknown("Message")
        return msg

    async def followup(self, rec: InteractionRecord, body: JSON, files: list[UploadedFile]) -> Message:
        if not rec.responded or rec.response_type in (MODAL, AUTOCOMPLETE_RESULT):
            raise unknown("Webhook")
        original = self.world.messages.get(rec.original_message_id) if rec.original_message_id else None
        if original is not None and original.loading and rec.response_type == DEFERRED_CHANNEL_MESSAGE:
            # As on Discord, the first followup after a deferred response replaces the "thinking" message
            # (its ephemerality was fixed by the defer).
            draft = parse_message(body, files=len(files), allowed_flags=RESPONSE_FLAGS)
            original.raw = body
            return await self.messages.edit(original, draft, files)
        draft = parse_message(body, files=len(files), allowed_flags=RESPONSE_FLAGS)
        channel = self.world.channels[rec.channel_id]
        msg, _ = await self.messages.create(
            channel, self.world.bot_user.id, draft, files, check_perms=False, webhook_id=self.world.application_id,
            interaction=self._link(rec), raw=body)
        rec.followup_ids.append(msg.id)
        return msg

    async def edit(self, rec: InteractionRecord, message_id: str, body: JSON,
                   files: list[UploadedFile]) -> Message:
        msg = self.resolve_message(rec, message_id)
        draft = parse_message(body, files=len(files), allowed_flags=RESPONSE_FLAGS, require_nonempty=False)
        return await self.messages.edit(msg, draft, files)

    async def delete(self, rec: InteractionRecord, message_id: str) -> None:
        msg = self.resolve_message(rec, message_id)
        await self.messages.delete(msg)
