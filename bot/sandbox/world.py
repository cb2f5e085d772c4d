"""The World: every object of the sandbox Discord, lookups and JSON serialisation as Discord sends it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox import permissions as P
from bot.sandbox.effective_permissions import channel_permissions
from bot.sandbox.state import (
    DM,
    GUILD_TEXT,
    JSON,
    PRIVATE_THREAD,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    SnowflakeGenerator,
    ThreadMember,
    User,
    default_guild_roles,
    iso,
)


@dataclass
class Command:
    """An application command as stored after a bulk overwrite."""

    id: int
    application_id: int
    guild_id: int | None
    version: int
    data: JSON

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def default_member_permissions(self) -> int | None:
        v = self.data.get("default_member_permissions")
        return None if v is None else int(v)

    def to_dict(self) -> JSON:
        d = dict(self.data)
        d.setdefault("type", 1)
        d.setdefault("description", "")
        d.setdefault("options", [])
        d.setdefault("nsfw", False)
        d.setdefault("default_member_permissions", None)
        d["id"] = str(self.id)
        d["application_id"] = str(self.application_id)
        d["version"] = str(self.version)
        if self.guild_id is not None:
            d["guild_id"] = str(self.guild_id)
        return d


@dataclass
class World:
    bot_name: str = "SandboxBot"
    base_url: str = ""
    ids: SnowflakeGenerator = field(default_factory=SnowflakeGenerator)
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    dm_by_user: dict[int, int] = field(default_factory=dict)
    global_commands: dict[int, Command] = field(default_factory=dict)
    guild_commands: dict[int, dict[int, Command]] = field(default_factory=dict)
    seq: int = 0

    def __post_init__(self) -> None:
        self.bot_user = User(id=self.ids.next(), username=self.bot_name, bot=True)
        self.users[self.bot_user.id] = self.bot_user
        self.application_id = self.bot_user.id  # as for every modern bot: app id == bot user id
        self.owner = User(id=self.ids.next(), username="app-owner")
        self.users[self.owner.id] = self.owner

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # -- creation -----------------------------------------------------------------------------------
    def create_user(self, username: str, *, bot: bool = False, accepts_dms: bool = True) -> User:
        u = User(id=self.ids.next(), username=username, bot=bot, accepts_dms=accepts_dms)
        self.users[u.id] = u
        return u

    def create_guild(self, name: str, *, owner: User | None = None, bot_permissions: int) -> Guild:
        gid = self.ids.next()
        owner_id = owner.id if owner is not None else self.owner.id
        g = Guild(id=gid, name=name, owner_id=owner_id, roles=default_guild_roles(gid))
        self.guilds[gid] = g
        bot_role = Role(id=self.ids.next(), guild_id=gid, name=self.bot_name, permissions=bot_permissions,
                        position=1, managed=True)
        g.roles[bot_role.id] = bot_role
        g.members[owner_id] = Member(user_id=owner_id, guild_id=gid)
        g.members[self.bot_user.id] = Member(user_id=self.bot_user.id, guild_id=gid, role_ids=[bot_role.id])
        return g

    def create_channel(self, guild: Guild, name: str, *, type: int = GUILD_TEXT,
                       parent_id: int | None = None, topic: str | None = None) -> Channel:
        ch = Channel(id=self.ids.next(), type=type, name=name, guild_id=guild.id, parent_id=parent_id,
                     topic=topic, position=len(guild.channels))
        guild.channels[ch.id] = ch
        self.channels[ch.id] = ch
        return ch

    def create_thread(self, parent: Channel, name: str, *, owner_id: int, private: bool,
                      thread_id: int | None = None, invitable: bool = True,
                      auto_archive_duration: int = 1440) -> Channel:
        assert parent.guild_id is not None
        guild = self.guilds[parent.guild_id]
        th = Channel(id=thread_id or self.ids.next(), type=PRIVATE_THREAD if private else 11, name=name,
                     guild_id=guild.id, parent_id=parent.id, owner_id=owner_id, invitable=invitable,
                     auto_archive_duration=auto_archive_duration)
        th.thread_members[owner_id] = ThreadMember(owner_id)
        guild.channels[th.id] = th
        self.channels[th.id] = th
        return th

    def get_or_create_dm(self, user: User) -> Channel:
        cid = self.dm_by_user.get(user.id)
        if cid is not None:
            return self.channels[cid]
        ch = Channel(id=self.ids.next(), type=DM, recipient_ids=[user.id])
        self.channels[ch.id] = ch
        self.dm_by_user[user.id] = ch.id
        return ch

    def create_role(self, guild: Guild, name: str, permissions: int = 0, *, mentionable: bool = False) -> Role:
        r = Role(id=self.ids.next(), guild_id=guild.id, name=name, permissions=permissions,
                 position=len(guild.roles), mentionable=mentionable)
        guild.roles[r.id] = r
        return r

    # -- queries ------------------------------------------------------------------------------------
    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id is not None else None

    def permissions(self, channel: Channel, user_id: int) -> int:
        """A user's permissions in a channel (DMs: everything a DM allows, minus guild-only ones)."""
        guild = self.guild_of(channel)
        if guild is None:
            if user_id in channel.recipient_ids or user_id == self.bot_user.id:
                return (P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY | P.EMBED_LINKS
                        | P.ATTACH_FILES | P.ADD_REACTIONS | P.MENTION_EVERYONE)
            return 0
        return channel_permissions(guild, channel, user_id)

    def bot_can_see(self, channel: Channel) -> bool:
        return bool(self.permissions(channel, self.bot_user.id) & P.VIEW_CHANNEL)

    # -- serialisation --------------------------------------------------------------------------------
    def member_dict(self, guild: Guild, member: Member, *, with_user: bool = True,
                    channel: Channel | None = None) -> JSON:
        d: JSON = {
            "roles": [str(r) for r in member.role_ids],
            "nick": member.nick,
            "avatar": None,
            "joined_at": iso(member.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            d["user"] = self.users[member.user_id].to_dict()
        if channel is not None:
            d["permissions"] = str(self.permissions(channel, member.user_id))
        return d

    def thread_member_dict(self, thread: Channel, tm: ThreadMember) -> JSON:
        return {"id": str(thread.id), "user_id": str(tm.user_id), "join_timestamp": iso(tm.joined_at),
                "flags": 0}

    def channel_dict(self, ch: Channel) -> JSON:
        if ch.type == DM:
            return {"id": str(ch.id), "type": DM, "last_message_id": _s(ch.last_message_id), "flags": 0,
                    "recipients": [self.users[u].to_dict() for u in ch.recipient_ids]}
        d: JSON = {
            "id": str(ch.id),
            "type": ch.type,
            "guild_id": str(ch.guild_id),
            "name": ch.name,
            "position": ch.position,
            "parent_id": _s(ch.parent_id),
            "last_message_id": _s(ch.last_message_id),
            "rate_limit_per_user": 0,
            "nsfw": False,
            "flags": 0,
        }
        if ch.is_thread:
            d.pop("position")
            d.update({
                "owner_id": str(ch.owner_id),
                "message_count": ch.message_count,
                "total_message_sent": ch.message_count,
                "member_count": min(len(ch.thread_members), 50),
                "thread_metadata": {
                    "archived": ch.archived,
                    "auto_archive_duration": ch.auto_archive_duration,
                    "archive_timestamp": iso(ch.created_at),
                    "locked": ch.locked,
                    "invitable": ch.invitable,
                    "create_timestamp": iso(ch.created_at),
                },
            })
            me = ch.thread_members.get(self.bot_user.id)
            if me is not None:
                d["member"] = self.thread_member_dict(ch, me)
        else:
            d["topic"] = ch.topic
            d["permission_overwrites"] = [o.to_dict() for o in ch.overwrites.values()]
        return d

    def guild_dict(self, guild: Guild, *, all_members: bool = True) -> JSON:
        """GUILD_CREATE; without ``all_members`` (no GUILD_PRESENCES intent) only the bot's own member is
        inlined, as on Discord, and ``member_count`` tells the client to chunk if it wants the rest."""
        channels = [c for c in guild.channels.values() if not c.is_thread]
        threads = [c for c in guild.channels.values() if c.is_thread and not c.archived and self.bot_can_see(c)]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.to_dict() for r in guild.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": iso(guild.members[self.bot_user.id].joined_at),
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "voice_states": [],
            "members": [self.member_dict(guild, m) for m in guild.members.values()
                        if all_members or m.user_id == self.bot_user.id],
            "channels": [self.channel_dict(c) for c in channels],
            "threads": [self.channel_dict(c) for c in threads],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def message_dict(self, msg: Message, *, gateway: bool = False, blank: bool = False,
                     with_reference: bool = True) -> JSON:
        author = self.users[msg.author_id]
        d: JSON = {
            "id": str(msg.id),
            "channel_id": str(msg.channel_id),
            "type": msg.type,
            "content": "" if blank else msg.content,
            "author": author.to_dict(),
            "timestamp": iso(msg.timestamp),
            "edited_timestamp": iso(msg.edited_timestamp) if msg.edited_timestamp else None,
            "tts": msg.tts,
            "mention_everyone": msg.pings.everyone,
            "mentions": [],
            "mention_roles": [str(r) for r in sorted(msg.pings.roles)],
            "attachments": [] if blank else [a.to_dict() for a in msg.attachments],
            "embeds": [] if blank else msg.embeds,
            "components": [] if blank else msg.components,
            "pinned": False,
            "flags": msg.flags,
        }
        guild = self.guilds.get(msg.guild_id) if msg.guild_id is not None else None
        for uid in sorted(msg.pings.users):
            u = self.users.get(uid)
            if u is None:
                continue
            ud = u.to_dict()
            if gateway and guild is not None and uid in guild.members:
                ud["member"] = self.member_dict(guild, guild.members[uid], with_user=False)
            d["mentions"].append(ud)
        if msg.guild_id is not None:
            d["guild_id"] = str(msg.guild_id)
            if gateway and guild is not None and msg.author_id in guild.members and msg.webhook_id is None:
                d["member"] = self.member_dict(guild, guild.members[msg.author_id], with_user=False)
        if msg.nonce is not None:
            d["nonce"] = msg.nonce
        if msg.webhook_id is not None:
            d["webhook_id"] = str(msg.webhook_id)
        if msg.application_id is not None:
            d["application_id"] = str(msg.application_id)
        if msg.interaction_id is not None and msg.interaction_user_id is not None:
            d["interaction_metadata"] = {
                "id": str(msg.interaction_id),
                "type": msg.interaction_type or 2,
                "user": self.users[msg.interaction_user_id].to_dict(),
                "authorizing_integration_owners": {},
            }
        if msg.reference_id is not None:
            d["message_reference"] = {"type": 0, "message_id": str(msg.reference_id),
                                      "channel_id": str(msg.channel_id)}
            if msg.guild_id is not None:
                d["message_reference"]["guild_id"] = str(msg.guild_id)
            if with_reference:
                ref = self.messages.get(msg.reference_id)
                d["referenced_message"] = (
                    self.message_dict(ref, with_reference=False) if ref is not None and not ref.deleted else None
                )
        return d


def _s(v: int | None) -> str | None:
    return None if v is None else str(v)


def now() -> float:
    return time.time()


def as_int(v: Any) -> int | None:
    """Parse a snowflake given as int or numeric string; None when it is neither."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.isdigit():
        return int(v)
    return None
