"""`check`, the Discord part: is everything `run` needs configured, and can the bot post where it must?

Read-only REST calls with the bot's token (the same ones any client makes at start): who am I, the guild's
roles, the bot's member record, and each configured channel. Permissions are computed as Discord computes
them: the roles' permissions, then the channel's overwrites for @everyone, the roles, and the member.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.config import Settings
from bot.core.text.wording import plural

VIEW, SEND, EMBED, ATTACH, HISTORY = 1 << 10, 1 << 11, 1 << 14, 1 << 15, 1 << 16
MANAGE_MESSAGES, ADMINISTRATOR = 1 << 13, 1 << 3
PUBLIC_THREADS, PRIVATE_THREADS, SEND_IN_THREADS, MANAGE_THREADS = 1 << 35, 1 << 36, 1 << 38, 1 << 34
NAMES = {
    VIEW: "View Channel",
    SEND: "Send Messages",
    EMBED: "Embed Links",
    ATTACH: "Attach Files",
    HISTORY: "Read Message History",
    MANAGE_MESSAGES: "Manage Messages",
    PUBLIC_THREADS: "Create Public Threads",
    PRIVATE_THREADS: "Create Private Threads",
    SEND_IN_THREADS: "Send Messages in Threads",
    MANAGE_THREADS: "Manage Threads",
}
# what each channel is for, and what the bot must be allowed there for it
NEEDS = {
    "support": VIEW | SEND | HISTORY | MANAGE_MESSAGES | PUBLIC_THREADS | PRIVATE_THREADS | SEND_IN_THREADS
    | MANAGE_THREADS,
    "status": VIEW | SEND | EMBED,
    "staff": VIEW | SEND,
}


def configured(settings: Settings) -> list[tuple[str, bool, str]]:
    """(name, ok, detail) for every setting `run` cannot work without."""
    out = [
        (
            "GUILD_ID",
            settings.guild_id is not None,
            "set" if settings.guild_id else "not set: run needs your server's ID",
        ),
        (
            "SUPPORT_CHANNEL_IDS",
            bool(settings.support_channel_ids),
            plural(len(settings.support_channel_ids), "channel")
            if settings.support_channel_ids
            else "not set: customers would have nowhere to ask, and hand-overs nowhere to open",
        ),
        (
            "STATUS_CHANNEL_ID",
            settings.status_channel_id is not None,
            "set" if settings.status_channel_id else "not set: status updates would never be posted",
        ),
        (
            "STAFF_CHANNEL_ID",
            settings.staff_channel_id is not None,
            "set" if settings.staff_channel_id else "not set: ticket notices, SLA reminders and alerts would be lost",
        ),
        (
            "STAFF_ROLE_IDS",
            bool(settings.staff_role_ids),
            "set" if settings.staff_role_ids else "not set: nobody could use /admin or answer a hand-over",
        ),
    ]
    return out


def permissions(channel: dict[str, Any], roles: dict[int, int], member: dict[str, Any], guild_id: int) -> int:
    """The member's permissions in the channel (Discord's algorithm, without the owner shortcut)."""
    member_roles = [int(r) for r in member.get("roles", [])]
    base = roles.get(guild_id, 0)
    for r in member_roles:
        base |= roles.get(r, 0)
    if base & ADMINISTRATOR:
        return ~0
    overwrites = {int(o["id"]): (int(o["allow"]), int(o["deny"])) for o in channel.get("permission_overwrites", [])}
    allow, deny = overwrites.get(guild_id, (0, 0))
    base = (base & ~deny) | allow
    role_allow = role_deny = 0
    for r in member_roles:
        a, d = overwrites.get(r, (0, 0))
        role_allow |= a
        role_deny |= d
    base = (base & ~role_deny) | role_allow
    user_id = int(member.get("user", {}).get("id", 0))
    a, d = overwrites.get(user_id, (0, 0))
    return (base & ~d) | a


async def reachable(settings: Settings, *, timeout: float = 10) -> list[tuple[str, bool, str]]:
    """Ask Discord (or the server DISCORD_API_BASE names) whether the bot can post where it must."""
    assert settings.discord_token is not None and settings.guild_id is not None
    base = settings.discord_api_base.rstrip("/")
    headers = {"Authorization": f"Bot {settings.discord_token.get_secret_value()}"}
    out: list[tuple[str, bool, str]] = []
    async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)) as http:

        async def get(path: str) -> tuple[int, Any]:
            async with http.get(base + path) as resp:
                body = await resp.json(content_type=None) if resp.content_length != 0 else None
                return resp.status, body

        status, me = await get("/users/@me")
        if status == 401:
            return [("Discord", False, "the token was refused (401): put the bot token in DISCORD_TOKEN")]
        if status != 200:
            return [("Discord", False, f"{base} answered {status} to /users/@me")]
        out.append(("Discord", True, f"logged in as {me.get('username')} ({me.get('id')})"))
        guild_id = settings.guild_id
        status, member = await get(f"/guilds/{guild_id}/members/{me['id']}")
        if status != 200:
            out.append(("GUILD_ID", False, f"the bot is not a member of server {guild_id} ({status}): invite it"))
            return out
        _, role_list = await get(f"/guilds/{guild_id}/roles")
        roles = {int(r["id"]): int(r["permissions"]) for r in role_list or []}
        for role_id in settings.staff_role_ids:
            if role_id not in roles:
                out.append(("STAFF_ROLE_IDS", False, f"role {role_id} does not exist in server {guild_id}"))
        channels = [("support", c) for c in settings.support_channel_ids]
        for purpose, single in (("status", settings.status_channel_id), ("staff", settings.staff_channel_id)):
            if single is not None:
                channels.append((purpose, single))
        for purpose, channel_id in channels:
            name = f"{purpose} channel {channel_id}"
            status, channel = await get(f"/channels/{channel_id}")
            if status != 200:
                out.append((name, False, f"not visible to the bot ({status}): check the ID and the bot's access"))
                continue
            if str(channel.get("guild_id")) != str(guild_id):
                out.append((name, False, f"#{channel.get('name')} is not in server {guild_id}"))
                continue
            have = permissions(channel, roles, member, guild_id)
            missing = [label for bit, label in NAMES.items() if NEEDS[purpose] & bit and not have & bit]
            out.append(
                (name, False, f"#{channel.get('name')}: the bot lacks " + ", ".join(missing))
                if missing
                else (name, True, f"#{channel.get('name')}: the bot can do what it must there")
            )
    return out
