"""The ':' commands: their names, their help, and reading their arguments."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.terminal.commandline import CommandLineError

HELP = """\
Talk
  some text                    a message from you, here (in #support the bot answers in a thread)
  /                            list the slash commands you can use here
  /name [sub] opt:value opt2:"quoted value"
                               run a slash command (an unquoted value runs until the next option;
                               autocompleted options: opt:? lists suggestions)
Who and where
  :as alex|sam|jordan          act as alex (customer), sam (customer who refuses DMs) or jordan (staff)
  :in support|status|staff|dm  go to a channel, or to your DMs with the bot
  :in thread [N]               go to the latest thread opened for you, or thread N of :threads
  :threads                     list the threads you can see
  :history [N]                 show the last N messages here (default 10)
Act on what the bot sent
  :click N                     click button [N]            (:c N for short)
  :select N choice[,choice]    pick from menu [N]
  :save N path                 save file #N to path
  :quit                        leave (Ctrl-D works too)
Forms: answer each field at its prompt; empty keeps the default; :cancel dismisses the form.
Marks: [DM] a direct message  [only you] visible to you only  (edited) a message was changed"""

_NAMES = {
    "quit": "quit", "q": "quit", "exit": "quit",
    "help": "help", "h": "help", "?": "help",
    "as": "as", "in": "in", "threads": "threads", "history": "history",
    "click": "click", "c": "click", "select": "select", "save": "save",
}


@dataclass(frozen=True)
class MetaCommand:
    name: str  # the command's full name: "quit", "help", "as", "in", "threads", "history", "click", ...
    arg: str  # the rest of the line, stripped


def parse_meta(text: str) -> MetaCommand:
    """``:word rest`` -> the command (short names resolved); an unknown word is a CommandLineError."""
    word, _, arg = text.strip()[1:].partition(" ")
    word = word.lower()
    name = _NAMES.get(word)
    if name is None:
        raise CommandLineError(f"unknown command :{word}; :help lists them")
    return MetaCommand(name, arg.strip())


def item_number(arg: str, what: str) -> int:
    """The ``N`` (or ``[N]``) of ``:click N`` / ``:select N ...``."""
    first = arg.split()[0] if arg.split() else ""
    if not first.lstrip("[").rstrip("]").isdigit():
        raise CommandLineError(f"which {what}? give its number, e.g. :click 1")
    return int(first.lstrip("[").rstrip("]"))


def file_and_path(arg: str) -> tuple[int, str]:
    """``N path`` (or ``#N path``) of ``:save``."""
    num, _, target = arg.partition(" ")
    if not num.lstrip("#").isdigit() or not target.strip():
        raise CommandLineError("usage: :save N path  (N is the file number shown with the message)")
    return int(num.lstrip("#")), target.strip()


def history_count(arg: str) -> int:
    """``:history N``: how many messages (10 when not given as a number)."""
    return int(arg) if arg.isdigit() else 10


__all__ = ["HELP", "MetaCommand", "file_and_path", "history_count", "item_number", "parse_meta"]
