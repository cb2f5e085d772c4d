"""What the current person sees happen: their messages and DMs, pings from elsewhere, nothing meant for others."""

from __future__ import annotations

from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoWorld
from bot.sandbox.terminal.feed import Feed
from bot.sandbox.terminal.numbers import Numbers
from bot.sandbox.terminal.render import Renderer
from bot.sandbox.terminal.screen import Paint
from bot.sandbox.terminal.session import Session

from .scripted import Script


async def test_only_what_happens_after_the_start_and_concerns_the_person(server: SandboxServer,
                                                                          demo: DemoWorld) -> None:
    d = server.driver
    await d.user_says(demo.sam, demo.support, "said before the chat started")
    session = Session(server, demo)
    paint = Paint(False)
    feed = Feed(server, session, Renderer(session, paint, Numbers()), paint)
    assert list(feed.updates()) == []
    await d.user_says(demo.sam, demo.support, "sam here")
    await d.user_says(demo.alex, demo.support, "alex here")  # typed by the person: not shown back
    await d.user_says(demo.jordan, demo.staff, "staff only")  # alex cannot see #staff
    await d.user_says(demo.jordan, demo.status, f"<@{demo.alex.id}> see this")  # a ping from elsewhere
    assert list(feed.updates()) == ["sam: sam here", "[#status] jordan: @alex see this"]
    assert list(feed.updates()) == []  # each event once


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
