"""Writing to the terminal: colour, blocks of lines that keep the prompt below them, and asking for a line.

Works on a dumb terminal or a pipe (plain lines); on a TTY it adds a little colour and keeps the prompt tidy.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
from collections.abc import Callable, Iterable

from bot.sandbox.terminal.input import ReadLine

Write = Callable[[str], object]
"""Writes a chunk of output as is (it carries its own newlines); may be a coroutine function."""


class EndOfInput(Exception):
    """The person ended input (Ctrl-D, or the end of a pipe or script)."""


def stdout_write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def stdout_is_fancy() -> bool:
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM", "") != "dumb" and "NO_COLOR" not in os.environ


class Paint:
    """ANSI colour for a terminal that shows it; the text unchanged otherwise."""

    def __init__(self, ansi: bool) -> None:
        self.ansi = ansi

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.ansi else text


class Screen:
    """The terminal's one output and its prompt.

    ``pending`` yields what has happened since it was last asked (one text per event); it is shown before every
    prompt, so a line typed in answer to the bot comes after what the bot said.
    """

    def __init__(self, read: ReadLine, write: Write, paint: Paint, *, echo: bool,
                 pending: Callable[[], Iterable[str]]) -> None:
        self._read = read
        self._write = write
        self.paint = paint
        self._echo = echo  # repeat what was typed when no terminal echoes it (scripted input, piped stdin)
        self._pending = pending
        self._prompt: str | None = None  # the prompt currently shown, if any
        self._lock = asyncio.Lock()

    async def _raw(self, text: str) -> None:
        result = self._write(text)
        if inspect.isawaitable(result):
            await result

    async def emit(self, text: str) -> None:
        """Print lines (as a block), keeping a visible prompt below them."""
        async with self._lock:
            chunk = text + "\n"
            if self._prompt is not None:
                chunk = ("\r\x1b[K" if self.paint.ansi else "\n") + chunk + self._prompt
            await self._raw(chunk)

    async def error(self, text: str, usage: list[str] | None = None) -> None:
        await self.emit("\n".join([self.paint(f"! {text}", "31"), *(usage or [])]))

    async def note(self, text: str) -> None:
        await self.emit(self.paint(text, "2"))

    async def flush(self) -> None:
        """Show what has happened and not been shown yet."""
        for text in self._pending():
            await self.emit(text)

    async def ask(self, prompt: str) -> str:
        """Show ``prompt`` and read a line; raises EndOfInput at end of input."""
        await self.flush()
        shown = self.paint(prompt, "1")
        async with self._lock:
            await self._raw(shown)
            self._prompt = shown
        try:
            line = await self._read()
        except EOFError:
            line = None
        finally:
            self._prompt = None
        if line is None:
            await self._raw("\n")
            raise EndOfInput
        if self._echo:
            await self._raw(line + "\n")
        return line


__all__ = ["EndOfInput", "Paint", "Screen", "Write", "stdout_is_fancy", "stdout_write"]
