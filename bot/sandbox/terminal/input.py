"""Reading the terminal: lines from standard input, without blocking the event loop."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable

ReadLine = Callable[[], Awaitable[str | None]]
"""Returns the next input line without its newline, or None (or raises EOFError) at end of input."""


class StdinLines:
    """Reads lines from standard input without blocking the event loop (and without a thread on POSIX).

    The loop is told when fd 0 is readable (``add_reader``; the fd stays blocking, so a shared TTY's stdout is
    unaffected) and then reads what is there. Where that is impossible (a regular file, Windows) a worker thread
    does the read.
    """

    def __init__(self, fd: int | None = None) -> None:
        self._fd = sys.stdin.fileno() if fd is None else fd
        self._buf = b""
        self._eof = False

    async def _chunk(self) -> bytes:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        try:
            loop.add_reader(self._fd, wake)
        except (OSError, NotImplementedError, ValueError):
            return await asyncio.to_thread(os.read, self._fd, 65536)
        try:
            await ready
        finally:
            loop.remove_reader(self._fd)
        try:
            return os.read(self._fd, 65536)
        except BlockingIOError:
            return await self._chunk()

    async def readline(self) -> str | None:
        while b"\n" not in self._buf and not self._eof:
            chunk = await self._chunk()
            if chunk:
                self._buf += chunk
            else:
                self._eof = True
        if b"\n" in self._buf:
            line, _, self._buf = self._buf.partition(b"\n")
        elif self._buf:
            line, self._buf = self._buf, b""
        else:
            return None
        return line.decode("utf-8", errors="replace").rstrip("\r")


def stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


__all__ = ["ReadLine", "StdinLines", "stdin_is_tty"]
