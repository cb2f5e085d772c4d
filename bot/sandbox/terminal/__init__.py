"""A line-oriented terminal chat over the sandbox: act as a customer or a staff member, talk to the bot.

One job per module, in the order a line travels:
  input        reading the terminal (stdin without blocking the event loop)
  screen       writing to it: colour, output kept above the prompt, asking for a line
  commandline  parsing slash commands (``/name sub opt:value``) and menu choices
  meta         the ':' commands: names, help, arguments
  session      who the person acts as and where (``:as``, ``:in``)
  options      typed option values (choices, ranges, users, channels, roles)
  slash        running slash commands and autocomplete
  forms        waiting for the bot's answer, and filling in the form (modal) it opens
  actions      ``:click``, ``:select``, ``:save``
  numbers      the [N] and #N shown next to components and files
  render       messages, embeds and components as text
  feed         which events concern the person, as text
  chat         the loop tying them together
"""

from bot.sandbox.terminal.chat import TerminalChat
from bot.sandbox.terminal.commandline import (
    CommandLineError,
    ParsedCommand,
    parse_command_line,
    split_options,
    usage_lines,
)
from bot.sandbox.terminal.input import StdinLines

__all__ = ["CommandLineError", "ParsedCommand", "StdinLines", "TerminalChat", "parse_command_line",
           "split_options", "usage_lines"]
