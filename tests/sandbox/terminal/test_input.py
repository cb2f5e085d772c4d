"""Reading the terminal: StdinLines over a real pipe, and the whole chat on a real pseudo-terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox.terminal.input import StdinLines

from .pseudo_terminal import read_until


async def test_lines_from_a_pipe_without_blocking() -> None:
    read_fd, write_fd = os.pipe()
    try:
        lines = StdinLines(read_fd)
        os.write(write_fd, b"first\r\nsecond\nthird, no newline: caf" + "é".encode()[:1])
        assert await lines.readline() == "first"  # a CRLF line ends without its \r
        assert await lines.readline() == "second"
        os.close(write_fd)
        write_fd = -1
        assert await lines.readline() == "third, no newline: caf\ufffd"  # a broken UTF-8 byte does not crash
        assert await lines.readline() is None  # end of input
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_real_pseudo_terminal() -> None:
    root = Path(__file__).resolve().parents[3]
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"PYTHONPATH": str(root), "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("terminal_demo_main.py"))],
                            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=root, start_new_session=True)
    os.close(slave)
    buf: list[str] = []
    try:
        read_until(master, "alex @ #support> ", buf)
        os.write(master, b"hello from a tty\n")
        shown = read_until(master, "SandboxBot: echo: hello from a tty", buf)
        assert "\x1b[" in "".join(buf)  # a TTY gets a little colour
        os.write(master, b":quit\n")
        shown = read_until(master, "(bye)", buf)
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in shown
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
