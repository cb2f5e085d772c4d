"""The scripted side of the terminal tests: a small support bot (real discord.py) for the terminal to talk to,
and ``Script``, which types lines into a TerminalChat and waits for what it prints."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoWorld
from bot.sandbox.terminal import TerminalChat

CSV = b"user,device\nalex,35209900176148\nsam,99000086420315\n"
STAMP = dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.UTC)


# -- the bot under the terminal ------------------------------------------------------------------------------


class Feedback(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Helpful", custom_id="fb:h", style=discord.ButtonStyle.success)
    async def helpful(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_message("Thanks, glad it helped!", ephemeral=True)

    @discord.ui.button(label="Not helpful", custom_id="fb:n")
    async def not_helpful(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content="Sorry about that. A person will look.", view=None)

    @discord.ui.button(label="Archived", custom_id="fb:a", disabled=True)
    async def archived(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        raise AssertionError("a disabled button was clicked")


class Register(discord.ui.Modal, title="Register your phone"):
    device: discord.ui.TextInput[Register] = discord.ui.TextInput(label="IMEI or MEID", max_length=20)
    nick: discord.ui.TextInput[Register] = discord.ui.TextInput(label="Nickname", required=False, max_length=30)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"registered {self.device.value} as {self.nick.value or 'unnamed'}", ephemeral=True)


def support_bot(world: DemoWorld):
    async def setup(bot: commands.Bot) -> None:
        @bot.event
        async def on_message(message: discord.Message) -> None:
            if message.author.bot:
                return
            channel = message.channel
            if isinstance(channel, discord.DMChannel):
                await channel.send(f"dm echo: {message.content}")
            elif channel.id == world.support.id:
                async with channel.typing():
                    thread = await message.create_thread(name=f"Re: {message.content}"[:80])
                await thread.send(f"thread echo: {message.content}")
                if "human" in message.content:
                    await thread.send(f"<@&{world.staff_role.id}> a customer needs a person",
                                      allowed_mentions=discord.AllowedMentions(roles=True))
                if "dm me" in message.content:
                    try:
                        await message.author.send("psst, a DM for you")
                    except discord.Forbidden:
                        await thread.send("I can't DM you")
            elif isinstance(channel, discord.Thread) and channel.parent_id == world.support.id:
                await channel.send(f"thread echo: {message.content}")

        tree = bot.tree

        @tree.command(name="echo", description="Say it back")
        @app_commands.describe(text="What to say")
        async def echo(interaction: discord.Interaction, text: str, times: app_commands.Range[int, 1, 5] = 1,
                       loud: bool = False, who: discord.Member | None = None) -> None:
            suffix = f" for {who.name}" if who else ""
            await interaction.response.send_message(f"echo: {text * times}{'!' if loud else ''}{suffix}")

        device = app_commands.Group(name="device", description="Your devices")

        @device.command(name="register", description="Register a phone privately")
        async def register(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Register())

        @device.command(name="export", description="Export every registration as CSV")
        async def export(interaction: discord.Interaction) -> None:
            embed = discord.Embed(title="Export ready", description="2 devices")
            await interaction.response.send_message(embed=embed, file=discord.File(io.BytesIO(CSV), "devices.csv"),
                                                    ephemeral=True)

        tree.add_command(device)

        @tree.command(name="status", description="The incident status")
        async def status(interaction: discord.Interaction) -> None:
            embed = discord.Embed(title="Incident status", description="Restores are running.", timestamp=STAMP)
            embed.add_field(name="Affected", value="Photos, contacts")
            embed.add_field(name="Next update", value="<t:1735787040:f>")
            embed.set_footer(text="Larkspur Support")
            await interaction.response.send_message(embed=embed)

        @tree.command(name="panel", description="Was the answer helpful?")
        async def panel(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Was this helpful?", view=Feedback())

        async def fruit_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            fruits = {"Apple (red)": "apple", "Apricot": "apricot", "Banana": "banana"}
            return [app_commands.Choice(name=n, value=v) for n, v in fruits.items()
                    if n.lower().startswith(current.lower())]

        @tree.command(name="pick", description="Pick a fruit and a box")
        @app_commands.autocomplete(fruit=fruit_names)
        @app_commands.choices(size=[app_commands.Choice(name="Small box", value=1),
                                    app_commands.Choice(name="Large box", value=2)])
        async def pick(interaction: discord.Interaction, fruit: str, size: app_commands.Choice[int]) -> None:
            view = discord.ui.View()
            wrap: discord.ui.Select[Any] = discord.ui.Select(custom_id="wrap", placeholder="Wrapping", options=[
                discord.SelectOption(label=w, value=w.lower()) for w in ("Paper", "Ribbon")])

            async def chosen(inter: discord.Interaction) -> None:
                await inter.response.send_message(f"wrapped in {wrap.values[0]}")

            wrap.callback = chosen  # type: ignore[method-assign,assignment]
            view.add_item(wrap)
            await interaction.response.send_message(f"picked {fruit} in box {size.value}", view=view)

        bot.add_view(Feedback())

    return setup


# -- a scripted terminal ---------------------------------------------------------------------------------------


class Script:
    """Feeds TerminalChat lines and collects what it prints; ``expect`` waits for text after the last match."""

    def __init__(self, server: SandboxServer, world: DemoWorld) -> None:
        self.inputs: asyncio.Queue[str | None] = asyncio.Queue()
        self.chunks: list[str] = []
        self.mark = 0
        self._changed = asyncio.Event()
        self.chat = TerminalChat(server, world, read_line=self.inputs.get, write=self._write)
        self.task = asyncio.create_task(self.chat.run())

    def _write(self, text: str) -> None:
        self.chunks.append(text)
        self._changed.set()

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def send(self, *lines: str | None) -> None:
        for line in lines:
            self.inputs.put_nowait(line)

    async def expect(self, needle: str, timeout: float = 5.0) -> str:
        """Wait until ``needle`` is printed after the previous match; return the output up to and including it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            text = self.text
            at = text.find(needle, self.mark)
            if at >= 0:
                seen, self.mark = text[self.mark:at + len(needle)], at + len(needle)
                return seen
            if self.task.done():
                self.task.result()
                raise AssertionError(f"chat ended before {needle!r} was printed; output:\n{text[self.mark:]}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{needle!r} not printed within {timeout}s; output:\n{text[self.mark:]}")
            self._changed.clear()
            waiter = asyncio.ensure_future(self._changed.wait())
            await asyncio.wait({waiter, self.task}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()

    async def prompt(self, where: str) -> str:
        return await self.expect(f"{where}> ")

    async def quit(self) -> None:
        self.send(":quit")
        await asyncio.wait_for(self.task, 5)
