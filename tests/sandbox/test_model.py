"""Pure parts of the sandbox: snowflakes, permission computation, pings, validation."""

from __future__ import annotations

import time

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox import permissions as P
from bot.sandbox.state import Message, Overwrite, SnowflakeGenerator, ThreadMember, snowflake_time
from bot.sandbox.validation import DiscordError, parse_message


def test_snowflakes_are_increasing_and_timestamped() -> None:
    gen = SnowflakeGenerator()
    ids = [gen.next() for _ in range(5000)]
    assert ids == sorted(set(ids))
    assert abs(snowflake_time(ids[0]).timestamp() - time.time()) < 5


async def test_permission_overwrites_are_computed() -> None:
    srv = SandboxServer()
    d, w = srv.driver, srv.world
    alice, bob = d.create_user("alice"), d.create_user("bob")
    g = await d.create_guild("g")
    helpers = await d.create_role(g, "helpers", P.MANAGE_MESSAGES)
    await d.add_member(g, alice, roles=[helpers])
    await d.add_member(g, bob)
    ch = await d.create_text_channel(g, "c", overwrites={
        d.everyone_role(g): (0, P.SEND_MESSAGES | P.VIEW_CHANNEL), helpers: (P.VIEW_CHANNEL | P.SEND_MESSAGES, 0)})
    assert w.permissions(ch, alice.id) & P.SEND_MESSAGES
    assert w.permissions(ch, bob.id) == 0  # no VIEW_CHANNEL -> nothing
    ch.overwrites[alice.id] = Overwrite(alice.id, 1, 0, P.SEND_MESSAGES)
    perms = w.permissions(ch, alice.id)
    assert perms & P.VIEW_CHANNEL and not perms & P.SEND_MESSAGES and not perms & P.ATTACH_FILES
    assert w.permissions(ch, g.owner_id) == P.ALL
    admin = await d.create_role(g, "admin", P.ADMINISTRATOR)
    await d.add_role(g, bob, admin)
    assert w.permissions(ch, bob.id) == P.ALL
    th = w.create_thread(ch, "t", owner_id=alice.id, private=True)
    assert w.permissions(th, bob.id) == P.ALL  # admins see everything
    carol = d.create_user("carol")
    await d.add_member(g, carol, roles=[helpers])
    assert w.permissions(th, carol.id) == 0  # private thread, not a member, no MANAGE_THREADS
    th.thread_members[carol.id] = ThreadMember(carol.id)
    assert w.permissions(th, carol.id) & P.SEND_MESSAGES


async def test_pings_follow_allowed_mentions_and_permissions() -> None:
    srv = SandboxServer()
    d, w = srv.driver, srv.world
    alice, bob = d.create_user("alice"), d.create_user("bob")
    g = await d.create_guild("g", bot_permissions=P.VIEW_CHANNEL | P.SEND_MESSAGES)
    quiet = await d.create_role(g, "quiet", 0, mentionable=False)
    loud = await d.create_role(g, "loud", 0, mentionable=True)
    await d.add_member(g, alice)
    await d.add_member(g, bob)
    ch = await d.create_text_channel(g, "c")
    bot_id = w.bot_user.id
    content = f"<@{alice.id}> <@!{bob.id}> <@&{quiet.id}> <@&{loud.id}> @everyone"
    pings = srv.messages.compute_pings(ch, bot_id, content, None, None)
    assert pings.users == {alice.id, bob.id} and pings.roles == {loud.id} and not pings.everyone
    only_alice = {"parse": set(), "users": {alice.id}, "replied_user": False}
    assert srv.messages.compute_pings(ch, bot_id, content, only_alice, None).users == {alice.id}
    original = Message(id=w.ids.next(), channel_id=ch.id, author_id=bob.id, guild_id=g.id)
    none = {"parse": set(), "replied_user": False}
    assert srv.messages.compute_pings(ch, bot_id, "hi", none, original).empty
    assert srv.messages.compute_pings(ch, bot_id, "hi", None, original).users == {bob.id}
    d.bot_role(g).permissions |= P.MENTION_EVERYONE
    pings = srv.messages.compute_pings(ch, bot_id, content, None, None)
    assert pings.everyone and pings.roles == {quiet.id, loud.id}
    assert srv.messages.compute_pings(ch, bot_id, content, None, None, ephemeral=True).empty


def test_message_validation() -> None:
    with pytest.raises(DiscordError) as e:
        parse_message({"embeds": [{"title": "x", "fields": [{"name": "n", "value": "v"}] * 26}]})
    assert e.value.code == 50035 and "fields" in e.value.errors["embeds"]["0"]  # type: ignore[index]
    with pytest.raises(DiscordError) as e:
        parse_message({"embeds": [{"description": "d"}] * 11})
    assert e.value.errors["embeds"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"  # type: ignore[index]
    with pytest.raises(DiscordError) as e:
        parse_message({"embeds": [{"title": "t" * 257, "footer": {"text": "f" * 2049}}]})
    assert set(e.value.errors["embeds"]["0"]) == {"title", "footer"}  # type: ignore[index]
    with pytest.raises(DiscordError) as e:
        parse_message({"content": "", "embeds": []})
    assert e.value.code == 50006
    with pytest.raises(DiscordError) as e:
        parse_message({"content": "x", "nonce": "n" * 26})
    assert "nonce" in e.value.errors  # type: ignore[operator]
    ok = parse_message({"content": "x", "components": [{"type": 1, "components": [
        {"type": 2, "style": 5, "label": "docs", "url": "https://example.com"}]}]})
    assert ok.components[0]["components"][0]["url"] == "https://example.com"
