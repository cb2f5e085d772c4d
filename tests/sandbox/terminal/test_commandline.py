"""Parsing slash commands against their synced definitions, and menu choices."""

from __future__ import annotations

import pytest

from bot.sandbox.terminal.commandline import (
    CommandLineError,
    choose,
    parse_command_line,
    split_options,
    usage_lines,
)

ECHO = {"name": "echo", "description": "Say it back", "options": [
    {"name": "text", "type": 3, "required": True, "description": "What to say"},
    {"name": "times", "type": 4, "min_value": 1, "max_value": 5, "description": "…"},
    {"name": "fruit", "type": 3, "autocomplete": True, "description": "A fruit"},
]}
MENU = {"type": 3, "custom_id": "wrap", "min_values": 1, "max_values": 2, "options": [
    {"label": "Paper", "value": "paper"}, {"label": "Ribbon", "value": "ribbon"}, {"label": "Box", "value": "box"}]}


def test_option_splitting_and_quoting() -> None:
    defs = [{"name": "text", "type": 3}, {"name": "times", "type": 4}]
    assert split_options("text:it's  two words times:3", defs) == {"text": "it's  two words", "times": "3"}
    assert split_options(r'text:"say \"hi\" times:9" times:1', defs) == {"text": 'say "hi" times:9', "times": "1"}
    with pytest.raises(CommandLineError, match="no closing quote"):
        split_options('text:"open', defs)
    with pytest.raises(CommandLineError, match="unknown option 'bogus'"):
        split_options("bogus:1 text:x", defs)
    with pytest.raises(CommandLineError, match="given twice"):
        split_options("text:a text:b", defs)
    group = {"name": "ticket", "description": "Tickets", "options": [
        {"name": "admin", "type": 2, "options": [
            {"name": "close", "type": 1, "description": "Close one", "options": [
                {"name": "reason", "type": 3, "required": True}]}]}]}
    parsed = parse_command_line("/ticket admin close reason:spam and eggs", {"ticket": group})
    assert (parsed.path, parsed.raw) == ("ticket admin close", {"reason": "spam and eggs"})
    with pytest.raises(CommandLineError) as err:
        parse_command_line("/ticket admin", {"ticket": group})
    assert "needs a subcommand" in str(err.value)
    assert "  /ticket admin close reason:<text>  - Close one" in err.value.usage


def test_usage_from_the_definition() -> None:
    assert usage_lines(ECHO) == [
        "/echo text:<text> [times:<integer>] [fruit:<text>]",
        "    Say it back",
        "    text (text, required)  What to say",
        "    times (integer, 1..5)",  # discord.py's "…" placeholder description is not shown
        "    fruit (text, suggestions: fruit:?)  A fruit",
    ]


def test_required_options_unless_asking_for_suggestions() -> None:
    with pytest.raises(CommandLineError, match="missing required option 'text'") as err:
        parse_command_line("/echo times:2", {"echo": ECHO})
    assert err.value.usage == usage_lines(ECHO, ["echo"])
    parsed = parse_command_line("/ECHO fruit:?", {"echo": ECHO})  # names are not case-sensitive
    assert (parsed.path, parsed.raw) == ("echo", {"fruit": "?"})
    with pytest.raises(CommandLineError, match="unknown command /nope"):
        parse_command_line("/nope", {"echo": ECHO})
    with pytest.raises(CommandLineError, match="unexpected 'hello': write options as name:value"):
        parse_command_line("/echo hello", {"echo": ECHO})


def test_menu_choices_by_label_value_or_number() -> None:
    assert choose(MENU, "ribbon") == ["ribbon"]
    assert choose(MENU, "Paper, 3") == ["paper", "box"]
    with pytest.raises(CommandLineError, match="'glitter' is not a choice; choose from: Paper, Ribbon, Box"):
        choose(MENU, "glitter")
    with pytest.raises(CommandLineError, match="choose 1 to 2 option"):
        choose(MENU, "1,2,3")
    with pytest.raises(CommandLineError, match="choose 1 to 2 option"):
        choose(MENU, "")
