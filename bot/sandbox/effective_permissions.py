"""What a member may do in a channel, computed as Discord computes it: @everyone, their roles, then the channel's
overwrites (a thread uses its parent's), then the rules for threads and sending."""

from __future__ import annotations

from bot.sandbox import permissions as P
from bot.sandbox.state import PRIVATE_THREAD, Channel, Guild

#: Permissions that only make sense when the member can send messages in the channel.
_SEND_DEPENDENT = P.MENTION_EVERYONE | P.SEND_TTS_MESSAGES | P.ATTACH_FILES | P.EMBED_LINKS


def base_permissions(guild: Guild, user_id: int) -> int:
    """Guild-level permissions: @everyone plus every role of the member (Discord's algorithm)."""
    if user_id == guild.owner_id:
        return P.ALL
    member = guild.members.get(user_id)
    if member is None:
        return 0
    perms = guild.roles[guild.id].permissions
    for role_id in member.role_ids:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & P.ADMINISTRATOR:
        return P.ALL
    return perms


def channel_permissions(guild: Guild, channel: Channel, user_id: int) -> int:
    """Permissions of a member in a channel; threads use their parent's overwrites (as on Discord)."""
    if user_id not in guild.members and user_id != guild.owner_id:
        return 0
    perms = base_permissions(guild, user_id)
    if perms & P.ADMINISTRATOR or perms == P.ALL:
        return P.ALL
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
    if not perms & P.VIEW_CHANNEL:
        return 0
    if channel.is_thread:
        # In threads P.SEND_MESSAGES_IN_THREADS governs sending; a private thread is visible only to
        # its members and to those who can manage threads.
        if channel.type == PRIVATE_THREAD and user_id not in channel.thread_members and not perms & P.MANAGE_THREADS:
            return 0
        if not perms & P.SEND_MESSAGES_IN_THREADS:
            perms &= ~(P.SEND_MESSAGES | _SEND_DEPENDENT)
        else:
            perms |= P.SEND_MESSAGES
    elif not perms & P.SEND_MESSAGES:
        perms &= ~_SEND_DEPENDENT
    return perms


__all__ = ["base_permissions", "channel_permissions"]
