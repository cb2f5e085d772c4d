"""Writing to the terminal: output keeps the prompt below it, what is pending is shown first, end of input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.terminal.screen import EndOfInput, Paint, Screen


class Terminal:
    """A Screen over lines to type; records everything written. ``said_while_typing`` is emitted (as the watcher
    task would) while the Screen waits for a line."""

    def __init__(self, *lines: str | None, ansi: bool = False, echo: bool = False) -> None:
        self.lines = list(lines)
        self.out: list[str] = []
        self.pending: list[str] = []
        self.said_while_typing: list[str] = []
        self.shown_while_typing = ""
        self.screen = Screen(self.read, self.out.append, Paint(ansi), echo=echo, pending=self.take)

    async def read(self) -> str | None:
        self.shown_while_typing = "".join(self.out)
        for text in self.said_while_typing:
            await self.screen.error(text)
        line = self.lines.pop(0)
        if line == "EOF":
            raise EOFError
        return line

    def take(self) -> Iterator[str]:
        while self.pending:
            yield self.pending.pop(0)


async def test_pending_output_comes_before_the_prompt_and_typed_lines_are_echoed() -> None:
    t = Terminal("hello", echo=True)
    t.pending.append("bot: earlier news")
    assert await t.screen.ask("alex> ") == "hello"
    assert t.shown_while_typing == "bot: earlier news\nalex> "
    assert "".join(t.out) == "bot: earlier news\nalex> hello\n"


@pytest.mark.parametrize(("ansi", "expected"), [
    (False, "\n! no\nalex> "),
    (True, "\r\x1b[K\x1b[31m! no\x1b[0m\n\x1b[1malex> \x1b[0m"),  # a TTY redraws the prompt line in place
])
async def test_output_while_a_prompt_is_shown_is_printed_above_it(ansi: bool, expected: str) -> None:
    t = Terminal("ok", ansi=ansi)
    t.said_while_typing.append("no")
    assert await t.screen.ask("alex> ") == "ok"
    assert t.out[-1] == expected


@pytest.mark.parametrize("end", [None, "EOF"])
async def test_end_of_input(end: str | None) -> None:
    t = Terminal(end, echo=True)
    with pytest.raises(EndOfInput):
        await t.screen.ask("alex> ")
    assert "".join(t.out) == "alex> \n"
