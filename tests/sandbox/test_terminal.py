"""The terminal front end, driven by scripted lines against a real discord.py bot on the sandbox server."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.sandbox import SandboxServer
from bot.sandbox import permissions as P
from bot.sandbox.demo import DemoWorld, build_demo_world
from bot.sandbox.terminal import CommandLineError, TerminalChat, parse_command_line, split_options

from .conftest import BotFactory

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


@pytest.fixture
async def demo(server: SandboxServer) -> DemoWorld:
    return await build_demo_world(server.driver)


@pytest.fixture
async def term(server: SandboxServer, demo: DemoWorld, make_bot: BotFactory) -> AsyncIterator[Script]:
    runner = await make_bot(support_bot(demo))
    await runner.wait(runner.bot.tree.sync())
    script = Script(server, demo)
    await script.prompt("alex @ #support")
    yield script
    if not script.task.done():
        script.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await script.task


# -- the demo world ------------------------------------------------------------------------------------------


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


# -- parsing -----------------------------------------------------------------------------------------------


def test_option_splitting_and_quoting() -> None:
    defs = [{"name": "text", "type": 3}, {"name": "times", "type": 4}]
    assert split_options("text:it's  two words times:3", defs) == {"text": "it's  two words", "times": "3"}
    assert split_options(r'text:"say \"hi\" times:9" times:1', defs) == {"text": 'say "hi" times:9', "times": "1"}
    with pytest.raises(CommandLineError, match="no closing quote"):
        split_options('text:"open', defs)
    with pytest.raises(CommandLineError, match="unknown option 'bogus'"):
        split_options("bogus:1 text:x", defs)
    with pytest.raises(CommandLineError, match="given twice"):
        split_options("text:a text:b", defs)
    group = {"name": "ticket", "description": "Tickets", "options": [
        {"name": "admin", "type": 2, "options": [
            {"name": "close", "type": 1, "description": "Close one", "options": [
                {"name": "reason", "type": 3, "required": True}]}]}]}
    parsed = parse_command_line("/ticket admin close reason:spam and eggs", {"ticket": group})
    assert (parsed.path, parsed.raw) == ("ticket admin close", {"reason": "spam and eggs"})
    with pytest.raises(CommandLineError) as err:
        parse_command_line("/ticket admin", {"ticket": group})
    assert "needs a subcommand" in str(err.value)
    assert "  /ticket admin close reason:<text>  - Close one" in err.value.usage


# -- the chat ----------------------------------------------------------------------------------------------


async def test_message_round_trip_thread_typing_and_history(term: Script) -> None:
    term.send("my photos are gone")
    seen = await term.expect("[#support › Re: my photos are gone] SandboxBot: thread echo: my photos are gone")
    assert seen.count("(SandboxBot is typing…)") == 1
    assert "» SandboxBot opened the thread “Re: my photos are gone” on your message in #support" in seen
    term.send(":in thread")
    await term.prompt("alex @ #support › Re: my photos are gone")
    term.send("still there?")
    seen = await term.expect("SandboxBot: thread echo: still there?")
    assert "[#support" not in seen  # in the current place: no location tag
    term.send(":history")
    seen = await term.expect("\n--\n")
    assert "alex: still there?" in seen and "SandboxBot: thread echo: my photos are gone" in seen
    term.send(":threads")
    assert "[1] #support › Re: my photos are gone (public, yours)" in await term.expect("(public, yours)")
    await term.quit()
    assert term.text.rstrip().endswith("(bye)")


async def test_slash_command_options_and_usage_errors(term: Script) -> None:
    term.send("/")
    listing = await term.expect("/status  - The incident status")
    assert "/echo  - Say it back" in listing and "/device  - Your devices" in listing
    term.send('/echo text:"a  b" times:2 loud:yes who:@sam')
    await term.expect("SandboxBot: echo: a  ba  b! for sam")
    term.send("/echo text:what's up times:1")
    await term.expect("SandboxBot: echo: what's up\n")
    term.send("/nope")
    await term.expect("! unknown command /nope; type / to list the commands")
    term.send("/echo times:2")
    seen = await term.expect("! missing required option 'text'")
    seen += await term.expect("who (user)")
    assert "/echo text:<text> [times:<integer>] [loud:<true/false>] [who:<user>]" in seen
    assert "text (text, required)  What to say" in seen and "    times (integer, 1..5)\n" in seen
    term.send("/echo bogus:1 text:x")
    await term.expect("! unknown option 'bogus'")
    term.send("/echo text:x times:9")
    await term.expect("! times: must be between 1 and 5")
    term.send("/echo text:x who:nobody")
    await term.expect("! who: no user 'nobody' here (try: ")
    term.send("/device frobnicate")
    seen = await term.expect("! /device has no subcommand 'frobnicate'")
    seen += await term.expect("/device export")
    assert "  /device register  - Register a phone privately" in seen
    await term.quit()


async def test_autocomplete_choices_and_select_menu(term: Script) -> None:
    term.send("/pick fruit:?")
    seen = await term.expect('Banana   ->  fruit:"banana"')
    assert 'Apple (red)   ->  fruit:"apple"' in seen
    term.send("/pick fruit:apple (red) size:large box")
    await term.expect("SandboxBot: picked apple in box 2\n  [1] menu “Wrapping”: Paper | Ribbon")
    term.send("/pick fruit:kiwi size:huge")
    await term.expect("! size: 'huge' is not one of: Small box, Large box")
    term.send(":select 1 ribbon")
    await term.expect("SandboxBot: wrapped in ribbon")
    term.send(":click 1")
    await term.expect("! [1] is a menu: use :select 1 <choice>")
    await term.quit()


async def test_modal_prompts_reask_and_submit(term: Script) -> None:
    term.send("/device register")
    await term.expect("» SandboxBot opened a form: “Register your phone”")
    await term.expect("IMEI or MEID (max 20 chars, required): ")
    term.send("")
    await term.expect("! IMEI or MEID is required")
    await term.expect("IMEI or MEID (max 20 chars, required): ")
    term.send("1" * 21)
    await term.expect("! IMEI or MEID: between 0 and 20 characters, please (21 given)")
    term.send("352099001761481")
    await term.expect("Nickname (max 30 chars, optional): ")
    term.send("work phone")
    await term.expect("SandboxBot [only you]: registered 352099001761481 as work phone")
    term.send("/device register", ":cancel")
    await term.expect("(form dismissed)")
    await term.quit()


async def test_buttons_click_by_number_disabled_and_edit(term: Script) -> None:
    term.send("/panel")
    await term.expect("SandboxBot: Was this helpful?\n  [1] Helpful  [2] Not helpful  [3] Archived (disabled)")
    term.send(":click 3")
    await term.expect("! [3] “Archived” is disabled")
    term.send(":click 1")
    await term.expect("SandboxBot [only you]: Thanks, glad it helped!")
    term.send(":click 2")
    seen = await term.expect("SandboxBot (edited): Sorry about that. A person will look.")
    term.send(":click 1")
    await term.expect("! [1] “Helpful” is no longer on that message")
    term.send(":click 9")
    await term.expect("! there is no [9]")
    assert "Traceback" not in term.text and "[1]" not in seen.split("(edited)")[1]
    await term.quit()


async def test_dm_marker_and_customer_without_dms(term: Script) -> None:
    term.send("please dm me")
    await term.expect("[DM] SandboxBot: psst, a DM for you")
    term.send(":in dm")
    await term.prompt("alex @ DM")
    term.send("hi bot")
    await term.expect("[DM] SandboxBot: dm echo: hi bot")
    term.send("/echo text:in private")
    await term.expect("[DM] SandboxBot: echo: in private")
    term.send(":as sam")
    await term.expect("you are now sam in DM")
    term.send(":in support", "dm me too")
    await term.expect("[#support › Re: dm me too] SandboxBot: I can't DM you")
    await term.quit()


async def test_staff_sees_role_pings_from_threads_they_do_not_follow(term: Script, server: SandboxServer,
                                                                      demo: DemoWorld) -> None:
    term.send(":as jordan", ":in staff")
    await term.prompt("jordan @ #staff")
    # someone else (not driven by the terminal) asks in #support; the bot answers in a thread, then pings staff
    await server.driver.user_says(demo.sam, demo.support, "another human please")
    seen = await term.expect("[#support › Re: another human please] SandboxBot: @Support Staff a customer needs "
                             "a person")
    assert "thread echo" not in seen and "opened the thread" not in seen  # not jordan's thread: only the ping
    term.send(":threads")
    assert "[1] #support › Re: another human please (public)\n" in await term.expect("please (public)\n")
    await term.quit()


async def test_ephemeral_marker_is_for_its_user_only(term: Script, server: SandboxServer, demo: DemoWorld) -> None:
    term.send("/device export")
    seen = await term.expect("file #1: devices.csv")
    assert "SandboxBot [only you]:" in seen and "  | Export ready\n  | 2 devices" in seen
    alex_only = next(m for m in server.world.messages.values() if m.ephemeral)
    term.send(":history")
    assert "SandboxBot [only you]:" in await term.expect("\n--\n")
    term.send(":as jordan")
    await term.prompt("jordan @ #support")
    assert term.chat.feed.concerns_me(alex_only) is False
    term.send(":history")
    await term.expect("no messages in #support yet")
    await term.quit()


async def test_embed_rendering(term: Script) -> None:
    term.send("/status")
    seen = await term.expect("-- Larkspur Support · 2025-01-02 03:04 UTC")
    assert ("SandboxBot:\n  | Incident status\n  | Restores are running.\n  | Affected: Photos, contacts\n"
            "  | Next update: 2025-01-02 03:04 UTC\n") in seen
    await term.quit()


async def test_attachment_save(term: Script, tmp_path: Path) -> None:
    term.send("/device export")
    await term.expect(f"file #1: devices.csv ({len(CSV)} B")
    target = tmp_path / "out.csv"
    term.send(f":save 1 {target}")
    await term.expect(f"saved devices.csv ({len(CSV)} B) to {target}")
    assert target.read_bytes() == CSV
    term.send(f":save 2 {target}", f":save 1 {tmp_path}/missing/dir/x.csv")
    await term.expect("! there is no file #2")
    await term.expect("! cannot write")
    await term.quit()


async def test_permission_errors_are_one_liners(term: Script) -> None:
    term.send(":in status")
    await term.expect("now in #status (you can read but not send here)")
    term.send("is it fixed?")
    await term.expect("! alex cannot send messages in #status\n")
    term.send(":in staff")
    await term.expect("! alex cannot see #staff")
    term.send(":as jordan", ":in staff")
    await term.expect("now in #staff (Support team only")
    term.send(":as alex")
    await term.expect("you are now alex in #support (alex cannot see that channel: moved to #support)")
    term.send(":frob")
    await term.expect("! unknown command :frob; :help lists them")
    term.send(":help")
    await term.expect("(edited) a message was changed")
    assert "Traceback" not in term.text
    await term.quit()


async def test_end_of_input_ends_the_chat(term: Script) -> None:
    term.send(None)
    await asyncio.wait_for(term.task, 5)
    assert term.text.rstrip().endswith("(bye)")


# -- a real terminal ---------------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _read_until(fd: int, needle: str, buf: list[str], timeout: float = 15.0) -> str:
    """Read the pty master until ``needle`` appears (ANSI codes stripped); return everything read so far."""
    end = time.monotonic() + timeout
    while needle not in ANSI.sub("", "".join(buf)):
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} not seen; terminal showed:\n{''.join(buf)}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            raise AssertionError(f"terminal closed before {needle!r}; it showed:\n{''.join(buf)}")
        buf.append(data.decode("utf-8", errors="replace"))
    return ANSI.sub("", "".join(buf))


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_real_pseudo_terminal() -> None:
    root = Path(__file__).resolve().parents[2]
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"PYTHONPATH": str(root), "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("terminal_demo_main.py"))],
                            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=root, start_new_session=True)
    os.close(slave)
    buf: list[str] = []
    try:
        _read_until(master, "alex @ #support> ", buf)
        os.write(master, b"hello from a tty\n")
        shown = _read_until(master, "SandboxBot: echo: hello from a tty", buf)
        assert "\x1b[" in "".join(buf)  # a TTY gets a little colour
        os.write(master, b":quit\n")
        shown = _read_until(master, "(bye)", buf)
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in shown
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
