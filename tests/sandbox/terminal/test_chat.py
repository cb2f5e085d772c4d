"""The chat loop, end to end: a message, the bot's thread, typing, history, help, errors, the end of input."""

from __future__ import annotations

import asyncio

from .scripted import Script


async def test_message_round_trip_thread_typing_and_history(term: Script) -> None:
    term.send("my photos are gone")
    seen = await term.expect("[#support › Re: my photos are gone] SandboxBot: thread echo: my photos are gone")
    assert seen.count("(SandboxBot is typing…)") == 1
    assert "» SandboxBot opened the thread “Re: my photos are gone” on your message in #support" in seen
    term.send(":in thread")
    await term.prompt("alex @ #support › Re: my photos are gone")
    term.send("still there?")
    seen = await term.expect("SandboxBot: thread echo: still there?")
    assert "[#support" not in seen  # in the current place: no location tag
    term.send(":history")
    seen = await term.expect("\n--\n")
    assert "alex: still there?" in seen and "SandboxBot: thread echo: my photos are gone" in seen
    term.send(":threads")
    assert "[1] #support › Re: my photos are gone (public, yours)" in await term.expect("(public, yours)")
    await term.quit()
    assert term.text.rstrip().endswith("(bye)")


async def test_errors_are_shown_and_the_chat_goes_on(term: Script) -> None:
    term.send(":frob")
    await term.expect("! unknown command :frob; :help lists them")
    term.send(":help")
    await term.expect("(edited) a message was changed")
    term.send(":in", "   ", ":q")
    await term.expect("! where to? :in support|status|staff|dm|thread [N]")
    await asyncio.wait_for(term.task, 5)
    assert term.text.rstrip().endswith("(bye)") and "Traceback" not in term.text


async def test_end_of_input_ends_the_chat(term: Script) -> None:
    term.send(None)
    await asyncio.wait_for(term.task, 5)
    assert term.text.rstrip().endswith("(bye)")
