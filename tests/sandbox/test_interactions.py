"""Slash commands, command sync, defer + followup, buttons, modals and Discord's interaction timing rules."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.sandbox import SandboxError

from .conftest import BotFactory, World


class Panel(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Close ticket", style=discord.ButtonStyle.danger, custom_id="panel:close")
    async def close(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content=f"closed by {interaction.user.name}", view=None)


class Feedback(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Your feedback", custom_id="fb_text",
                                                           style=discord.TextStyle.long)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


def interaction_bot(world: World, errors: asyncio.Queue[Exception]):
    async def setup(bot: commands.Bot) -> None:
        tree = bot.tree

        @tree.command(name="echo", description="Echo some text")
        async def echo(interaction: discord.Interaction, text: str, times: int = 1,
                       who: discord.Member | None = None) -> None:
            await interaction.response.send_message(f"{text * times} for {who.name if who else 'nobody'}",
                                                    allowed_mentions=discord.AllowedMentions.none())

        ticket = app_commands.Group(name="ticket", description="Tickets",
                                    default_permissions=discord.Permissions(manage_messages=True))
        admin = app_commands.Group(name="admin", description="Admin actions", parent=ticket)

        @admin.command(name="close", description="Close a ticket")
        async def close(interaction: discord.Interaction, reason: str) -> None:
            await interaction.response.send_message(f"closing: {reason}")

        tree.add_command(ticket)

        @tree.command(name="slow", description="Think first")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send("done thinking")
            await interaction.followup.send("and one more", ephemeral=True)

        @tree.command(name="panel", description="Post the ticket panel")
        async def panel(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Ticket panel", view=Panel())

        @tree.command(name="feedback", description="Give feedback")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Feedback())

        @tree.command(name="answer", description="Answer (maybe too late)")
        async def answer(interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_message("answer")
            except discord.HTTPException as exc:
                await errors.put(exc)

        async def fruit_complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            fruits = ("apple", "apricot", "banana")
            return [app_commands.Choice(name=f, value=f) for f in fruits if f.startswith(current)]

        @tree.command(name="fruit", description="Pick a fruit")
        @app_commands.autocomplete(name=fruit_complete)
        async def fruit(interaction: discord.Interaction, name: str) -> None:
            view = discord.ui.View()
            select: discord.ui.Select[Any] = discord.ui.Select(custom_id="size", options=[
                discord.SelectOption(label=s) for s in ("small", "large")])

            async def chosen(inter: discord.Interaction) -> None:
                await inter.response.send_message(f"{name}: {select.values[0]}")

            select.callback = chosen  # type: ignore[method-assign,assignment]
            view.add_item(select)
            await interaction.response.send_message(f"size of {name}?", view=view)

        @tree.command(name="local", description="Guild-only command", guild=discord.Object(world.guild.id))
        async def local(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("local ok")

        bot.add_view(Panel())

    return setup


async def start(world: World, make_bot: BotFactory) -> tuple[Any, asyncio.Queue[Exception]]:
    errors: asyncio.Queue[Exception] = asyncio.Queue()
    runner = await make_bot(interaction_bot(world, errors))
    synced = await runner.wait(runner.bot.tree.sync())
    guild_synced = await runner.wait(runner.bot.tree.sync(guild=discord.Object(world.guild.id)))
    assert {c.name for c in synced} == {"echo", "ticket", "slow", "panel", "feedback", "answer", "fruit"}
    assert [c.name for c in guild_synced] == ["local"]
    return runner, errors


async def test_command_sync(world: World, make_bot: BotFactory) -> None:
    runner, _ = await start(world, make_bot)
    d = world.driver
    glob = d.commands()
    assert set(glob) == {"echo", "ticket", "slow", "panel", "feedback", "answer", "fruit"}
    assert glob["ticket"].default_member_permissions == discord.Permissions(manage_messages=True).value
    sub = glob["ticket"].data["options"][0]
    assert sub["name"] == "admin" and sub["type"] == 2 and sub["options"][0]["name"] == "close"
    assert [o["name"] for o in glob["echo"].data["options"]] == ["text", "times", "who"]
    assert set(d.commands(world.guild)) == {"local"}
    fetched = await runner.wait(runner.bot.tree.fetch_commands())
    assert {c.id for c in fetched} == {c.id for c in glob.values()}
    # re-syncing the same definitions keeps ids (as Discord does)
    again = await runner.wait(runner.bot.tree.sync())
    assert {c.id for c in again} == {c.id for c in glob.values()}


async def test_slash_command_with_options_and_subcommands(world: World, make_bot: BotFactory) -> None:
    runner, _ = await start(world, make_bot)
    d = world.driver
    h = await d.run_slash(world.alice, "echo", {"text": "ab", "times": 2, "who": world.bob}, channel=world.general)
    msg = await runner.wait(h.wait_message())
    assert msg.content == "abab for bob" and not msg.ephemeral and msg.interaction_id == h.id
    assert h.response_type == 4 and msg.type == 20
    with pytest.raises(SandboxError):  # alice lacks manage_messages (default_member_permissions)
        await d.run_slash(world.alice, "ticket admin close", {"reason": "x"}, channel=world.general)
    h2 = await d.run_slash(world.bob, "ticket admin close", {"reason": "solved"}, channel=world.general)
    assert (await runner.wait(h2.wait_message())).content == "closing: solved"
    dm = await d.run_slash(world.alice, "echo", {"text": "psst"}, channel=d.dm_channel(world.alice))
    assert (await runner.wait(dm.wait_message())).channel_id == d.dm_channel(world.alice).id
    with pytest.raises(SandboxError):  # guild commands do not exist in DMs
        await d.run_slash(world.alice, "local", channel=d.dm_channel(world.alice))
    h3 = await d.run_slash(world.alice, "local", channel=world.general)
    assert (await runner.wait(h3.wait_message())).content == "local ok"
    with pytest.raises(SandboxError):
        await d.run_slash(world.alice, "echo", {"times": 2}, channel=world.general)  # missing required


async def test_defer_then_followups(world: World, make_bot: BotFactory) -> None:
    runner, _ = await start(world, make_bot)
    d = world.driver
    h = await d.run_slash(world.alice, "slow", channel=world.general)
    assert await runner.wait(h.wait_response()) == 5
    first = await runner.wait(h.wait_message(lambda m: m.content == "done thinking"))
    # the first followup fills the deferred message, which stays ephemeral as the defer was
    assert h.original_message is not None and first.id == h.original_message.id and first.ephemeral
    second = await runner.wait(h.wait_message(lambda m: m.content == "and one more"))
    assert second.ephemeral and second.id in [m.id for m in h.followups]
    hooks = d.requests("POST", "/webhooks/{webhook_id}/{token}")
    assert len(hooks) == 2 and all(r.status == 200 for r in hooks)


async def test_persistent_button_click(world: World, make_bot: BotFactory) -> None:
    runner, _ = await start(world, make_bot)
    d = world.driver
    h = await d.run_slash(world.alice, "panel", channel=world.general)
    panel = await runner.wait(h.wait_message())
    assert panel.custom_ids() == ["panel:close"]
    after = d.cursor()
    click = await d.click(world.bob, panel, "panel:close")
    assert await runner.wait(click.wait_response()) == 7
    await runner.wait(d.wait_for_event("message_update", lambda e: e.message is panel, after=after))
    assert panel.content == "closed by bob" and panel.components == []
    with pytest.raises(SandboxError):
        await d.click(world.bob, panel, "panel:close")  # the button is gone


async def test_modal_round_trip(world: World, make_bot: BotFactory) -> None:
    runner, _ = await start(world, make_bot)
    d = world.driver
    h = await d.run_slash(world.alice, "feedback", channel=world.general)
    modal = await runner.wait(h.wait_modal())
    assert modal["title"] == "Feedback" and h.response_type == 9
    submitted = await d.submit_modal(world.alice, h, {"fb_text": "great support"})
    reply = await runner.wait(submitted.wait_message())
    assert reply.content == "thanks: great support" and reply.ephemeral
    with pytest.raises(SandboxError):
        await d.submit_modal(world.alice, h, {"fb_text": "again"})


async def test_double_and_late_responses(world: World, make_bot: BotFactory) -> None:
    runner, errors = await start(world, make_bot)
    d = world.driver
    h = await d.run_slash(world.alice, "echo", {"text": "x"}, channel=world.general)
    await runner.wait(h.wait_message())
    url = f"{world.server.api_base}/interactions/{h.id}/{h.token}/callback"
    async with aiohttp.ClientSession() as http, http.post(url, json={"type": 4, "data": {"content": "again"}}) as r:
        assert r.status == 400 and (await r.json())["code"] == 40060
    world.server.interaction_timeout = 0.0  # every answer is now later than Discord's deadline
    await d.run_slash(world.alice, "answer", channel=world.general)
    exc = await runner.wait(errors.get())
    assert isinstance(exc, discord.NotFound) and exc.code == 10062
    assert [m.content for m in d.bot_messages()] == ["x for nobody"]
    world.server.interaction_token_ttl = 0.0  # followups are allowed for 15 minutes only
    hook = f"{world.server.api_base}/webhooks/{d.application_id}/{h.token}?wait=true"
    async with aiohttp.ClientSession() as http, http.post(hook, json={"content": "too late"}) as r:
        assert r.status == 401 and (await r.json())["code"] == 50027


async def test_autocomplete_and_select(world: World, make_bot: BotFactory) -> None:
    runner, _ = await start(world, make_bot)
    d = world.driver
    ac = await d.autocomplete(world.alice, "fruit", {"name": "ap"}, "name", channel=world.general)
    assert await runner.wait(ac.wait_response()) == 8
    assert [c["value"] for c in ac.choices or []] == ["apple", "apricot"]
    h = await d.run_slash(world.alice, "fruit", {"name": "apple"}, channel=world.general)
    question = await runner.wait(h.wait_message())
    picked = await d.select(world.alice, question, "size", ["large"])
    assert (await runner.wait(picked.wait_message())).content == "apple: large"
