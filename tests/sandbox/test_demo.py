"""The demo world: who may do what where, and the settings that point the bot at it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Settings
from bot.sandbox import SandboxServer
from bot.sandbox import permissions as P
from bot.sandbox.demo import DemoWorld


async def test_demo_world_permissions_and_settings(server: SandboxServer, demo: DemoWorld,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    w = server.world
    bot_id = w.bot_user.id
    assert demo.guild.name == "Larkspur Support"
    assert set(demo.users) == {"alex", "sam", "jordan"}
    assert demo.alex.accepts_dms and not demo.sam.accepts_dms
    assert demo.staff_role.id in demo.guild.members[demo.jordan.id].role_ids

    def can(ch: Any, uid: int, perm: int) -> bool:
        return bool(w.permissions(ch, uid) & perm)

    assert can(demo.support, demo.alex.id, P.SEND_MESSAGES)
    assert can(demo.status, demo.alex.id, P.VIEW_CHANNEL) and not can(demo.status, demo.alex.id, P.SEND_MESSAGES)
    assert not can(demo.staff, demo.alex.id, P.VIEW_CHANNEL)
    assert can(demo.staff, demo.jordan.id, P.SEND_MESSAGES)
    for ch in (demo.support, demo.status, demo.staff):
        for perm in (P.SEND_MESSAGES, P.EMBED_LINKS, P.ATTACH_FILES, P.READ_MESSAGE_HISTORY):
            assert can(ch, bot_id, perm), (ch.name, perm)
    for perm in (P.MANAGE_MESSAGES, P.CREATE_PUBLIC_THREADS, P.CREATE_PRIVATE_THREADS, P.SEND_MESSAGES_IN_THREADS):
        assert can(demo.support, bot_id, perm)
    assert not can(demo.support, bot_id, P.MENTION_EVERYONE)

    env = demo.settings_env()
    assert env["DISCORD_API_BASE"] == server.api_base and env["DISCORD_TOKEN"] == server.token
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)
    assert settings.guild_id == demo.guild.id
    assert settings.support_channel_ids == [demo.support.id]
    assert (settings.status_channel_id, settings.staff_channel_id) == (demo.status.id, demo.staff.id)
    assert settings.staff_role_ids == [demo.staff_role.id]
    assert settings.discord_gateway_url == server.gateway_url
