"""Reading what a program shows on a real pseudo-terminal (for the tests that run one)."""

from __future__ import annotations

import os
import re
import select
import time

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def read_until(fd: int, needle: str, buf: list[str], timeout: float = 15.0) -> str:
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
