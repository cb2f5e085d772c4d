"""Slash commands from the terminal, against a real discord.py bot: listing, usage, options, autocomplete."""

from __future__ import annotations

from .scripted import Script


async def test_slash_command_options_and_usage_errors(term: Script) -> None:
    term.send("/")
    listing = await term.expect("/status  - The incident status")
    assert "/echo  - Say it back" in listing and "/device  - Your devices" in listing
    term.send('/echo text:"a  b" times:2 loud:yes who:@sam')
    await term.expect("SandboxBot: echo: a  ba  b! for sam")
    term.send("/echo text:what's up times:1")
    await term.expect("SandboxBot: echo: what's up\n")
    term.send("/nope")
    await term.expect("! unknown command /nope; type / to list the commands")
    term.send("/echo times:2")
    seen = await term.expect("! missing required option 'text'")
    seen += await term.expect("who (user)")
    assert "/echo text:<text> [times:<integer>] [loud:<true/false>] [who:<user>]" in seen
    assert "text (text, required)  What to say" in seen and "    times (integer, 1..5)\n" in seen
    term.send("/echo bogus:1 text:x")
    await term.expect("! unknown option 'bogus'")
    term.send("/echo text:x times:9")
    await term.expect("! times: must be between 1 and 5")
    term.send("/echo text:x who:nobody")
    await term.expect("! who: no user 'nobody' here (try: ")
    term.send("/device frobnicate")
    seen = await term.expect("! /device has no subcommand 'frobnicate'")
    seen += await term.expect("/device export")
    assert "  /device register  - Register a phone privately" in seen
    await term.quit()


async def test_autocomplete_choices_and_select_menu(term: Script) -> None:
    term.send("/pick fruit:?")
    seen = await term.expect('Banana   ->  fruit:"banana"')
    assert 'Apple (red)   ->  fruit:"apple"' in seen
    term.send("/pick fruit:apple (red) size:large box")
    await term.expect("SandboxBot: picked apple in box 2\n  [1] menu “Wrapping”: Paper | Ribbon")
    term.send("/pick fruit:kiwi size:huge")
    await term.expect("! size: 'huge' is not one of: Small box, Large box")
    term.send(":select 1 ribbon")
    await term.expect("SandboxBot: wrapped in ribbon")
    term.send(":click 1")
    await term.expect("! [1] is a menu: use :select 1 <choice>")
    await term.quit()


async def test_usage_for_a_bare_command_that_needs_options(term: Script) -> None:
    term.send("/echo")
    seen = await term.expect("who (user)")
    assert "usage:\n/echo text:<text> [times:<integer>] [loud:<true/false>] [who:<user>]" in seen
    term.send("/status")
    await term.expect("Incident status")  # needing nothing, it runs
    await term.quit()
