"""Who the person acts as and where: ``:as``, ``:in``, threads, and what the prompt says."""

from __future__ import annotations

import pytest

from bot.sandbox import SandboxError, SandboxServer
from bot.sandbox.demo import DemoWorld
from bot.sandbox.terminal.commandline import CommandLineError
from bot.sandbox.terminal.session import Session

from .scripted import Script


async def test_moving_around_the_demo_world(server: SandboxServer, demo: DemoWorld) -> None:
    s = Session(server, demo)
    assert s.prompt_text() == "alex @ #support> "
    assert s.switch_place("#status") == "now in #status (you can read but not send here)"
    with pytest.raises(SandboxError, match="alex cannot see #staff"):
        s.switch_place("staff")
    with pytest.raises(CommandLineError, match="no channel #lobby; channels: support, status, staff, or dm / thread"):
        s.switch_place("lobby")
    with pytest.raises(CommandLineError, match="the bot has not opened a thread for you yet"):
        s.switch_place("thread")
    assert s.switch_user("@Jordan") == "you are now jordan in #status"
    assert s.switch_place("dm") == "now in DM"
    assert s.place == server.driver.dm_channel(demo.jordan)
    assert s.switch_user("alex") == "you are now alex in DM"  # a DM follows the person
    with pytest.raises(CommandLineError, match="who is 'bob'\\? Choose one of: alex, sam, jordan"):
        s.switch_user("bob")


async def test_threads_are_numbered_and_named_briefly(server: SandboxServer, demo: DemoWorld) -> None:
    d = server.driver
    s = Session(server, demo)
    asked = await d.user_says(demo.alex, demo.support, "where are my photos?")
    name = "Re: where are my photos? They were all on the phone"
    mine = await d.create_thread(demo.support, name, owner=demo.sam, message=asked)
    await d.create_thread(demo.support, "staff notes", owner=demo.jordan, private=True, members=[demo.jordan])
    assert s.my_threads() == [mine]
    assert s.thread_lines() == ["  [1] #support › Re: where are my photos? They w… (public, yours)"]
    s.switch_user("jordan")
    assert s.thread_lines() == ["  [1] #support › Re: where are my photos? They w… (public)",
                                "  [2] #support › staff notes (private, yours)"]
    assert s.switch_place("thread 2") == "now in #support › staff notes"
    with pytest.raises(CommandLineError, match="no thread '3'; :threads lists them"):
        s.switch_place("thread 3")


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
    assert "Traceback" not in term.text
    await term.quit()
