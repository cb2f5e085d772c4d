"""The sandbox's data model: snowflakes, users, guilds, roles, members, channels, messages."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox import permissions as P

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1420070400000

# Channel types
GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12


class SnowflakeGenerator:
    """Discord snowflakes: ms since 2015 << 22 | worker << 17 | process << 12 | increment."""

    def __init__(self, worker: int = 1, process: int = 0, *, pinned_ms: int | None = None) -> None:
        self._worker = worker & 0x1F
        self._process = process & 0x1F
        self._last_ms = 0
        self._inc = 0
        self._lock = threading.Lock()
        # While pinned, ids come from a fixed instant in order: a world built the same way gets the same
        # ids every time (so a bot's database still matches it after a restart). Unpin to use the clock.
        self._pinned_ms = pinned_ms

    def unpin(self) -> None:
        self._pinned_ms = None

    def next(self) -> int:
        with self._lock:
            ms = self._pinned_ms if self._pinned_ms is not None else int(time.time() * 1000)
            if ms <= self._last_ms:
                ms = self._last_ms
                self._inc += 1
                if self._inc > 0xFFF:
                    ms += 1
                    self._inc = 0
            else:
                self._inc = 0
            self._last_ms = ms
            return ((ms - DISCORD_EPOCH_MS) << 22) | (self._worker << 17) | (self._process << 12) | self._inc


def snowflake_time(sf: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(((sf >> 22) + DISCORD_EPOCH_MS) / 1000, tz=dt.UTC)


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat()


@dataclass(eq=False)
class User:
    id: int
    username: str
    bot: bool = False
    accepts_dms: bool = True
    global_name: str | None = None

    def to_dict(self) -> JSON:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass(eq=False)
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    mentionable: bool = False
    managed: bool = False
    color: int = 0

    def to_dict(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "hoist": False,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass(eq=False)
class Member:
    user_id: int
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: float = field(default_factory=time.time)


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def to_dict(self) -> JSON:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class ThreadMember:
    user_id: int
    joined_at: float = field(default_factory=time.time)


@dataclass(eq=False)
class Channel:
    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    recipient_ids: list[int] = field(default_factory=list)
    owner_id: int | None = None
    thread_members: dict[int, ThreadMember] = field(default_factory=dict)
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    message_count: int = 0
    last_message_id: int | None = None
    created_at: float = field(default_factory=time.time)

    @property
    def is_thread(self) -> bool:
        return self.type in (PUBLIC_THREAD, PRIVATE_THREAD)


@dataclass(eq=False)
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)


@dataclass(eq=False)
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    url: str = ""

    @property
    def size(self) -> int:
        return len(self.data)

    def to_dict(self) -> JSON:
        d: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type:
            d["content_type"] = self.content_type
        if self.description:
            d["description"] = self.description
        return d


@dataclass(frozen=True)
class Pings:
    """Who a message actually notifies, after allowed_mentions and permissions."""

    users: frozenset[int] = frozenset()
    roles: frozenset[int] = frozenset()
    everyone: bool = False  # @everyone or @here

    @property
    def empty(self) -> bool:
        return not self.users and not self.roles and not self.everyone


@dataclass(eq=False)
class Message:
    id: int
    channel_id: int
    author_id: int
    content: str = ""
    guild_id: int | None = None
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    type: int = 0
    flags: int = 0
    tts: bool = False
    nonce: str | int | None = None
    reference_id: int | None = None  # message_reference.message_id
    pings: Pings = field(default_factory=Pings)
    timestamp: float = field(default_factory=time.time)
    edited_timestamp: float | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    interaction_type: int | None = None
    interaction_user_id: int | None = None
    deleted: bool = False
    seq: int = 0  # global creation order inside the sandbox
    raw: JSON = field(default_factory=dict)  # the request body that created the message

    EPHEMERAL = 1 << 6
    LOADING = 1 << 7

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & self.EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & self.LOADING)

    def custom_ids(self) -> list[str]:
        out: list[str] = []

        def walk(items: list[Any]) -> None:
            for c in items:
                if isinstance(c, dict):
                    if isinstance(c.get("custom_id"), str):
                        out.append(c["custom_id"])
                    walk(c.get("components") or [])
                    if isinstance(c.get("accessory"), dict):
                        walk([c["accessory"]])

        walk(self.components)
        return out


def default_guild_roles(guild_id: int) -> dict[int, Role]:
    return {guild_id: Role(id=guild_id, guild_id=guild_id, name="@everyone", permissions=P.DEFAULT_EVERYONE)}
