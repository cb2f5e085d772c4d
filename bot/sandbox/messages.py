"""Message lifecycle as Discord runs it: permissions, pings, nonce de-duplication, gateway dispatches."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.sandbox import events as E
from bot.sandbox import permissions as P
from bot.sandbox.events import EventLog
from bot.sandbox.gateway import DIRECT_MESSAGES, GUILD_MESSAGES, MESSAGE_CONTENT, Gateway, Session
from bot.sandbox.state import DM, JSON, Attachment, Channel, Message, Pings
from bot.sandbox.validation import DiscordError, MessageDraft, missing_access, missing_permissions, parse_mentions
from bot.sandbox.world import World

NONCE_WINDOW = 300.0  # Discord de-duplicates enforced nonces for "a few minutes"


@dataclass
class UploadedFile:
    index: int
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class InteractionLink:
    """Interaction metadata stamped on messages created by interaction responses/followups."""

    id: int
    type: int
    user_id: int


class MessageService:
    def __init__(self, world: World, gateway: Gateway, log: EventLog) -> None:
        self.world = world
        self.gateway = gateway
        self.log = log
        self.nonces: dict[tuple[int, int, str], tuple[int, float]] = {}

    # -- pings --------------------------------------------------------------------------------------
    def compute_pings(self, channel: Channel, author_id: int, content: str, allowed: JSON | None,
                      reply_to: Message | None, *, ephemeral: bool = False) -> Pings:
        """Who gets notified, as Discord decides it from content, allowed_mentions and permissions."""
        if ephemeral:
            return Pings()
        w = self.world
        found = parse_mentions(content)
        guild = w.guild_of(channel)
        perms = w.permissions(channel, author_id)
        can_everyone = bool(perms & P.MENTION_EVERYONE)
        parse: set[str] = {"users", "roles", "everyone"} if allowed is None else set(allowed["parse"])
        explicit_users: set[int] | None = None if allowed is None else allowed.get("users")
        explicit_roles: set[int] | None = None if allowed is None else allowed.get("roles")
        replied_user = True if allowed is None else bool(allowed.get("replied_user"))

        def user_exists(uid: int) -> bool:
            if guild is not None:
                return uid in guild.members
            return uid in channel.recipient_ids or uid == w.bot_user.id

        users = {u for u in found.users if user_exists(u)
                 and ("users" in parse or (explicit_users is not None and u in explicit_users))}
        roles: set[int] = set()
        if guild is not None:
            for r in found.roles:
                role = guild.roles.get(r)
                if role is None or r == guild.id:
                    continue
                if not (role.mentionable or can_everyone):
                    continue
                if "roles" in parse or (explicit_roles is not None and r in explicit_roles):
                    roles.add(r)
        everyone = found.everyone and can_everyone and "everyone" in parse and guild is not None
        if reply_to is not None and replied_user and reply_to.author_id != author_id and user_exists(
                reply_to.author_id):
            users.add(reply_to.author_id)
        return Pings(users=frozenset(users), roles=frozenset(roles), everyone=everyone)

    # -- create ---------------------------------------------------------------------------------------
    def check_send(self, channel: Channel, author_id: int, *, files: bool, reply: bool) -> None:
        w = self.world
        if channel.type == DM:
            other = next((w.users[u] for u in channel.recipient_ids if u != author_id), None)
            if author_id == w.bot_user.id and other is not None:
                mutual = any(other.id in g.members and w.bot_user.id in g.members for g in w.guilds.values())
                if not other.accepts_dms or other.bot or not mutual:
                    raise DiscordError(403, 50007, "Cannot send messages to this user")
            return
        perms = w.permissions(channel, author_id)
        if not perms & P.VIEW_CHANNEL:
            raise missing_access()
        if not perms & P.SEND_MESSAGES:
            raise missing_permissions()
        if files and not perms & P.ATTACH_FILES:
            raise missing_permissions()
        if reply and not perms & P.READ_MESSAGE_HISTORY:
            raise DiscordError(403, 160002, "Cannot reply without permission to read message history")
        if channel.is_thread and channel.locked and not perms & P.MANAGE_THREADS:
            raise DiscordError(403, 50083, "Thread is archived")

    def dedupe(self, channel: Channel, author_id: int, draft: MessageDraft) -> Message | None:
        if not draft.enforce_nonce or draft.nonce is None:
            return None
        hit = self.nonces.get((author_id, channel.id, str(draft.nonce)))
        if hit is None or time.monotonic() - hit[1] > NONCE_WINDOW:
            return None
        msg = self.world.messages.get(hit[0])
        return msg if msg is not None and not msg.deleted else None

    def make_attachments(self, channel: Channel, draft: MessageDraft, files: list[UploadedFile]) -> list[Attachment]:
        meta = {str(m.get("id")): m for m in draft.attachments_meta}
        out = []
        for f in files:
            m = meta.get(str(f.index), {})
            aid = self.world.ids.next()
            filename = str(m.get("filename") or f.filename)
            out.append(Attachment(
                id=aid, filename=filename, data=f.data, content_type=f.content_type,
                description=m.get("description") if isinstance(m.get("description"), str) else None,
                url=f"{self.world.base_url}/attachments/{channel.id}/{aid}/{filename}",
            ))
        return out

    async def create(self, channel: Channel, author_id: int, draft: MessageDraft,
                     files: list[UploadedFile] | None = None, *, check_perms: bool = True, type: int = 0,
                     webhook_id: int | None = None, interaction: InteractionLink | None = None,
                     extra_flags: int = 0, raw: JSON | None = None) -> tuple[Message, bool]:
        """Create (and dispatch) a message. Returns (message, created); created is False on nonce reuse."""
        files = files or []
        w = self.world
        if check_perms:
            self.check_send(channel, author_id, files=bool(files), reply=draft.reference_id is not None)
        existing = self.dedupe(channel, author_id, draft)
        if existing is not None:
            return existing, False
        reply_to: Message | None = None
        if draft.reference_id is not None:
            reply_to = w.messages.get(draft.reference_id)
            if reply_to is None or reply_to.deleted or reply_to.channel_id != channel.id:
                if draft.fail_if_not_exists:
                    raise DiscordError(400, 50035, "Invalid Form Body", {"message_reference": {"_errors": [
                        {"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}]}})
                reply_to = None
        flags = draft.flags | extra_flags
        msg = Message(
            id=w.ids.next(), channel_id=channel.id, guild_id=channel.guild_id, author_id=author_id,
            content=draft.content, embeds=draft.embeds, components=draft.components,
            attachments=self.make_attachments(channel, draft, files), type=19 if reply_to and type == 0 else type,
            flags=flags, tts=draft.tts, nonce=draft.nonce, reference_id=reply_to.id if reply_to else None,
            webhook_id=webhook_id, application_id=w.application_id if interaction else None,
            interaction_id=interaction.id if interaction else None,
            interaction_type=interaction.type if interaction else None,
            interaction_user_id=interaction.user_id if interaction else None,
            seq=w.next_seq(), raw=raw or {},
        )
        msg.pings = self.compute_pings(channel, author_id, msg.content, draft.allowed_mentions, reply_to,
                                       ephemeral=msg.ephemeral)
        w.messages[msg.id] = msg
        if not msg.ephemeral:
            channel.last_message_id = msg.id
            if channel.is_thread:
                channel.message_count += 1
        if draft.nonce is not None:
            self.nonces[(author_id, channel.id, str(draft.nonce))] = (msg.id, time.monotonic())
        if not msg.loading:
            self.log.add(E.MESSAGE, message=msg, interaction_id=msg.interaction_id)
        await self.dispatch("MESSAGE_CREATE", msg)
        return msg, True

    # -- dispatch -------------------------------------------------------------------------------------
    async def dispatch(self, event: str, msg: Message) -> None:
        if msg.ephemeral:
            return  # ephemeral messages exist only for the interaction's user
        channel = self.world.channels.get(msg.channel_id)
        if channel is None or not self.world.bot_can_see(channel):
            return
        intent = DIRECT_MESSAGES if channel.type == DM else GUILD_MESSAGES
        bot_id = self.world.bot_user.id

        def build(s: Session) -> JSON:
            blank = (channel.type != DM and not s.intents & MESSAGE_CONTENT and msg.author_id != bot_id
                     and bot_id not in msg.pings.users)
            return self.world.message_dict(msg, gateway=True, blank=blank)

        await self.gateway.dispatch(event, build, intent=intent)

    # -- edit / delete ------------------------------------------------------------------------------
    async def edit(self, msg: Message, draft: MessageDraft, files: list[UploadedFile] | None = None,
                   *, flags_mask: int = 1 << 2) -> Message:
        """Apply a PATCH body (only the keys present) and dispatch MESSAGE_UPDATE."""
        channel = self.world.channels[msg.channel_id]
        present = draft.present
        new_content = draft.content if "content" in present else msg.content
        new_embeds = draft.embeds if "embeds" in present or "embed" in present else msg.embeds
        new_components = draft.components if "components" in present else msg.components
        attachments = msg.attachments
        if "attachments" in present:
            keep = {str(m.get("id")) for m in draft.attachments_meta}
            attachments = [a for a in attachments if str(a.id) in keep]
        attachments = attachments + self.make_attachments(channel, draft, files or [])
        if not (new_content or new_embeds or new_components or attachments):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        msg.content, msg.embeds, msg.components, msg.attachments = new_content, new_embeds, new_components, attachments
        if "flags" in present:
            msg.flags = (msg.flags & ~flags_mask) | (draft.flags & flags_mask)
        was_loading = msg.loading
        msg.flags &= ~Message.LOADING
        msg.edited_timestamp = None if was_loading else time.time()
        if was_loading:
            msg.pings = self.compute_pings(channel, msg.author_id, msg.content, draft.allowed_mentions, None,
                                           ephemeral=msg.ephemeral)
            self.log.add(E.MESSAGE, message=msg, interaction_id=msg.interaction_id)
        else:
            self.log.add(E.MESSAGE_UPDATE, message=msg, interaction_id=msg.interaction_id)
        await self.dispatch("MESSAGE_UPDATE", msg)
        return msg

    async def delete(self, msg: Message) -> None:
        msg.deleted = True
        self.log.add(E.MESSAGE_DELETE, message=msg, interaction_id=msg.interaction_id)
        if msg.ephemeral:
            return
        channel = self.world.channels.get(msg.channel_id)
        if channel is None or not self.world.bot_can_see(channel):
            return
        data: JSON = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        await self.gateway.dispatch("MESSAGE_DELETE", data,
                                    intent=DIRECT_MESSAGES if channel.type == DM else GUILD_MESSAGES)
