"""`python -m bot sandbox` as a person uses it: in a real pseudo-terminal, from an empty folder."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.terminal.pseudo_terminal import read_until

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def sandbox_chat(cwd: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`python -m bot sandbox` on a fresh pseudo-terminal in `cwd`, killed if a test leaves it running."""
    master, slave = os.openpty()
    keep = {k: os.environ[k] for k in ("PATH", "SYSTEMROOT") if k in os.environ}
    env = keep | {"PYTHONPATH": str(ROOT), "TERM": "xterm", "HOME": str(cwd), "KNOWLEDGE_DIR": str(ROOT / "prompts")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox"], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
        start_new_session=True,
    )
    os.close(slave)
    try:
        yield proc, master
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_sandbox_chat_in_a_real_terminal_keeps_its_data(tmp_path: Path) -> None:
    buf: list[str] = []
    with sandbox_chat(tmp_path) as (proc, master):
        read_until(master, "alex @ #support> ", buf, timeout=60)
        os.write(master, b"can I take the battery out?\n")
        read_until(master, "do not remove the battery", buf)
        read_until(master, "[1] Helpful", buf)
        os.write(master, b":click 1\n")
        read_until(master, "glad it helped", buf)
        os.write(master, b"/subscribe\n")
        read_until(master, "every status update", buf)
        os.write(master, b"/status\n")
        shown = read_until(master, "Status as of", buf)
        assert "Wren phones" in shown  # the sample incident's feed is posted and quoted
        os.write(master, b":quit\n")
        shown = read_until(master, "Bye!", buf)
        assert proc.wait(timeout=20) == 0
        assert "Traceback" not in shown
    assert (tmp_path / "data" / "sandbox.db").is_file()
    assert (tmp_path / "data" / "device_id.key").is_file()

    # a second start finds the same world and the same data: alex is still subscribed
    buf = []
    with sandbox_chat(tmp_path) as (proc, master):
        read_until(master, "alex @ #support> ", buf, timeout=60)
        os.write(master, b"/subscribe\n")
        read_until(master, "already subscribed", buf)
        os.kill(proc.pid, signal.SIGINT)  # Ctrl-C also exits cleanly
        shown = read_until(master, "Stopped.", buf)
        assert proc.wait(timeout=20) == 130
        assert "Traceback" not in shown


def test_sandbox_refuses_jitter_larger_than_its_latency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.__main__ import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", "--latency-ms", "10", "--jitter-ms", "20"])
    assert exit_info.value.code == 2
    assert not (tmp_path / "data").exists()  # refused before anything starts
