"""The ':' commands: names and short names, and reading their arguments."""

from __future__ import annotations

import pytest

from bot.sandbox.terminal.commandline import CommandLineError
from bot.sandbox.terminal.meta import HELP, MetaCommand, file_and_path, history_count, item_number, parse_meta


def test_names_and_short_names() -> None:
    assert parse_meta(":c 2") == MetaCommand("click", "2")
    assert parse_meta(":EXIT") == MetaCommand("quit", "")
    assert parse_meta(":?") == MetaCommand("help", "")
    assert parse_meta(":select  1 paper, ribbon ") == MetaCommand("select", "1 paper, ribbon")
    with pytest.raises(CommandLineError, match="unknown command :frob; :help lists them"):
        parse_meta(":frob now")


def test_every_command_in_the_help_is_understood() -> None:
    documented = {line.split()[0] for line in HELP.splitlines() if line.startswith("  :")}
    assert documented == {":as", ":in", ":threads", ":history", ":click", ":select", ":save", ":quit"}
    for word in documented:
        assert parse_meta(word).name == word[1:]


def test_arguments() -> None:
    assert item_number("[3] ribbon", "menu") == 3
    with pytest.raises(CommandLineError, match="which button\\? give its number"):
        item_number("Helpful", "button")
    assert file_and_path("#2  ~/out dir/x.csv ") == (2, "~/out dir/x.csv")
    with pytest.raises(CommandLineError, match="usage: :save N path"):
        file_and_path("2")
    assert (history_count("3"), history_count(""), history_count("all")) == (3, 10, 10)
