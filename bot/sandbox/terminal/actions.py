"""Acting on what the bot sent: ``:click`` a button, ``:select`` from a menu, ``:save`` a file."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.driver import SandboxError
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import JSON, Message
from bot.sandbox.terminal.commandline import CommandLineError, choose
from bot.sandbox.terminal.feed import Feed
from bot.sandbox.terminal.forms import Forms
from bot.sandbox.terminal.meta import file_and_path, item_number
from bot.sandbox.terminal.numbers import NumberedComponent, Numbers, find_component, label
from bot.sandbox.terminal.render import size
from bot.sandbox.terminal.screen import Screen
from bot.sandbox.terminal.session import Session


class Actions:
    def __init__(self, server: SandboxServer, session: Session, numbers: Numbers, feed: Feed, forms: Forms,
                 screen: Screen) -> None:
        self.server = server
        self.session = session
        self.numbers = numbers
        self.feed = feed
        self.forms = forms
        self.screen = screen

    def _numbered(self, arg: str, what: str) -> tuple[int, NumberedComponent, Message, JSON]:
        n = item_number(arg, what)
        entry = self.numbers.components.get(n)
        if entry is None:
            raise CommandLineError(f"there is no [{n}]; buttons and menus are numbered as they are shown")
        m = self.server.world.messages.get(entry.message_id)
        if m is None or m.deleted:
            raise SandboxError(f"the message with [{n}] was deleted")
        comp = find_component(m, entry.custom_id)
        if comp is None:
            raise SandboxError(f"[{n}] “{entry.label}” is no longer on that message")
        if comp.get("disabled"):
            raise SandboxError(f"[{n}] “{label(comp)}” is disabled")
        return n, entry, m, comp

    async def click(self, arg: str) -> None:
        n, entry, m, comp = self._numbered(arg, "button")
        if comp.get("type") != 2:
            raise CommandLineError(f"[{n}] is a menu: use :select {n} <choice>")
        self.feed.touch(m)
        handle = await self.session.driver.click(self.session.user, m, entry.custom_id)
        await self.forms.await_response(handle)

    async def select(self, arg: str) -> None:
        n, entry, m, comp = self._numbered(arg, "menu")
        if comp.get("type") != 3:
            raise CommandLineError(f"[{n}] is not a text menu" if comp.get("type") != 2
                                   else f"[{n}] is a button: use :click {n}")
        values = choose(comp, arg.partition(" ")[2])
        self.feed.touch(m)
        handle = await self.session.driver.select(self.session.user, m, entry.custom_id, values)
        await self.forms.await_response(handle)

    async def save(self, arg: str) -> None:
        n, target = file_and_path(arg)
        ref = self.numbers.files.get(n)
        if ref is None:
            raise CommandLineError(f"there is no file #{n}")
        m = self.server.world.messages[ref[0]]
        att = m.attachments[ref[1]] if ref[1] < len(m.attachments) else None
        if att is None:
            raise SandboxError(f"file #{n} is no longer on its message")
        path = Path(target).expanduser()
        if path.is_dir():
            path = path / att.filename
        try:
            path.write_bytes(att.data)
        except OSError as exc:
            raise SandboxError(f"cannot write {path} ({exc.strerror or exc})") from None
        await self.screen.note(f"saved {att.filename} ({size(att.size)}) to {path}")


__all__ = ["Actions"]
