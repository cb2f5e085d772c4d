"""The chat loop: read a line, act on it, show what the bot does, until ``:quit`` or end of input.

Plain text is a message from the current person in the current place; ``/name sub opt:value`` runs a slash
command (parsed against the commands the bot synced); ``:help`` lists the rest. Everything the bot does that
concerns the current person is printed as it happens, by a task that watches the sandbox's event log.
"""

from __future__ import annotations

import asyncio
import logging

from bot.sandbox.demo import DemoWorld
from bot.sandbox.driver import SandboxError
from bot.sandbox.server import SandboxServer
from bot.sandbox.terminal.actions import Actions
from bot.sandbox.terminal.commandline import CommandLineError
from bot.sandbox.terminal.feed import Feed
from bot.sandbox.terminal.forms import Forms
from bot.sandbox.terminal.input import ReadLine, StdinLines, stdin_is_tty
from bot.sandbox.terminal.meta import HELP, history_count, parse_meta
from bot.sandbox.terminal.numbers import Numbers
from bot.sandbox.terminal.options import OptionValues
from bot.sandbox.terminal.render import Renderer
from bot.sandbox.terminal.screen import EndOfInput, Paint, Screen, Write, stdout_is_fancy, stdout_write
from bot.sandbox.terminal.session import Session
from bot.sandbox.terminal.slash import SlashCommands

log = logging.getLogger(__name__)


class TerminalChat:
    """The terminal front end: ``await TerminalChat(server, world).run()`` until ``:quit`` or end of input."""

    def __init__(self, server: SandboxServer, world: DemoWorld, *, read_line: ReadLine | None = None,
                 write: Write | None = None, ansi: bool | None = None, echo: bool | None = None) -> None:
        # colour and prompt redraw only for a real terminal we write to ourselves
        paint = Paint(ansi if ansi is not None else (write is None and stdout_is_fancy()))
        self.session = Session(server, world)
        numbers = Numbers()
        self.feed = Feed(server, self.session, Renderer(self.session, paint, numbers), paint)
        self.screen = Screen(read_line or StdinLines().readline, write or stdout_write, paint,
                             # repeat what was typed when no terminal echoes it (scripted input, piped stdin)
                             echo=echo if echo is not None else (read_line is not None or not stdin_is_tty()),
                             pending=self.feed.updates)
        forms = Forms(server, self.session, self.screen)
        self.slash = SlashCommands(server, self.session, self.screen, OptionValues(self.session), forms)
        self.actions = Actions(server, self.session, numbers, self.feed, forms, self.screen)

    def banner(self) -> str:
        s = self.session
        return (f"{s.world.guild.name}: a local sandbox. You are {s.user.username} in {s.where(s.place)}.\n"
                f"People: alex (customer), sam (customer, no DMs), jordan (support staff). "
                f"Type :help for commands, / for slash commands, :quit to leave.")

    async def run(self) -> None:
        """Chat until ``:quit`` or end of input (Ctrl-D). Ctrl-C is left to the caller."""
        screen = self.screen
        watcher = asyncio.create_task(self._watch())
        try:
            await screen.emit(self.banner())
            while True:
                try:
                    line = await screen.ask(self.session.prompt_text())
                except EndOfInput:
                    break
                try:
                    if not await self.handle(line):
                        break
                except EndOfInput:
                    break
                except CommandLineError as exc:
                    await screen.error(str(exc), exc.usage)
                except SandboxError as exc:
                    await screen.error(str(exc))
                except Exception as exc:
                    log.debug("command %r failed", line, exc_info=True)
                    await screen.error(f"that did not work ({type(exc).__name__}: {exc})")
            await screen.flush()
            await screen.note("(bye)")
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def _watch(self) -> None:
        while True:
            await self.feed.wait()
            await self.screen.flush()

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means quit."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(":"):
            return await self._meta(text)
        if text.startswith("/"):
            await self.slash.run(text)
            return True
        self.feed.typed()  # a new message: the bot may show it is typing once more
        await self.session.driver.user_says(self.session.user, self.session.place, line.rstrip())
        return True

    async def _meta(self, text: str) -> bool:
        cmd = parse_meta(text)
        s, screen, arg = self.session, self.screen, cmd.arg
        if cmd.name == "quit":
            return False
        if cmd.name == "help":
            await screen.emit(HELP)
        elif cmd.name == "as":
            await screen.note(s.switch_user(arg))
        elif cmd.name == "in":
            await screen.note(s.switch_place(arg))
        elif cmd.name == "threads":
            lines = s.thread_lines()
            if lines:
                await screen.emit("\n".join(["threads (`:in thread N` to go there):", *lines]))
            else:
                await screen.note("no threads you can see yet")
        elif cmd.name == "history":
            await self._history(history_count(arg))
        elif cmd.name == "click":
            await self.actions.click(arg)
        elif cmd.name == "select":
            await self.actions.select(arg)
        elif cmd.name == "save":
            await self.actions.save(arg)
        return True

    async def _history(self, n: int) -> None:
        s = self.session
        ch = s.place
        msgs = [m for m in s.driver.messages_in(ch)
                if not m.loading and (not m.ephemeral or m.interaction_user_id == s.user.id)][-n:]
        if not msgs:
            await self.screen.note(f"no messages in {s.where(ch)} yet")
            return
        body = [self.feed.message(m, in_history=True) for m in msgs]
        what = "message" if len(msgs) == 1 else f"{len(msgs)} messages"
        paint = self.screen.paint
        await self.screen.emit("\n".join([paint(f"-- last {what} in {s.where(ch)} --", "2"),
                                          *body, paint("--", "2")]))


__all__ = ["TerminalChat"]
