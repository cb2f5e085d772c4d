"""Discord permission bits and the permission computation Discord performs for a member in a channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.sandbox.state import Channel, Guild

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_AUDIT_LOG = 1 << 7
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38

ALL = (1 << 51) - 1

#: What a fresh guild's @everyone role gets (a close subset of Discord's default).
DEFAULT_EVERYONE = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)

#: Permissions that only make sense when the member can send messages in the channel.
_SEND_DEPENDENT = MENTION_EVERYONE | SEND_TTS_MESSAGES | ATTACH_FILES | EMBED_LINKS


def base_permissions(guild: Guild, user_id: int) -> int:
    """Guild-level permissions: @everyone plus every role of the member (Discord's algorithm)."""
    if user_id == guild.owner_id:
        return ALL
    member = guild.members.get(user_id)
    if member is None:
        return 0
    perms = guild.roles[guild.id].permissions
    for role_id in member.role_ids:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def channel_permissions(guild: Guild, channel: Channel, user_id: int) -> int:
    """Permissions of a member in a channel; threads use their parent's overwrites (as on Discord)."""
    if user_id not in guild.members and user_id != guild.owner_id:
        return 0
    perms = base_permissions(guild, user_id)
    if perms & ADMINISTRATOR or perms == ALL:
        return ALL
    target = channel
    if channel.is_thread and channel.parent_id is not None:
        parent = guild.channels.get(channel.parent_id)
        if parent is not None:
            target = parent
    member = guild.members.get(user_id)
    role_ids = set(member.role_ids) if member is not None else set()
    ow = target.overwrites
    everyone = ow.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for oid, o in ow.items():
        if o.type == 0 and oid in role_ids:
            allow |= o.allow
            deny |= o.deny
    perms = (perms & ~deny) | allow
    mo = ow.get(user_id)
    if mo is not None and mo.type == 1:
        perms = (perms & ~mo.deny) | mo.allow
    if not perms & VIEW_CHANNEL:
        return 0
    if channel.is_thread:
        # In threads SEND_MESSAGES_IN_THREADS governs sending; a private thread is visible only to
        # its members and to those who can manage threads.
        if channel.type == 12 and user_id not in channel.thread_members and not perms & MANAGE_THREADS:
            return 0
        if not perms & SEND_MESSAGES_IN_THREADS:
            perms &= ~(SEND_MESSAGES | _SEND_DEPENDENT)
        else:
            perms |= SEND_MESSAGES
    elif not perms & SEND_MESSAGES:
        perms &= ~_SEND_DEPENDENT
    return perms
