"""Parsing what is typed: ``/name [group] [sub] opt:value ...`` against the commands the bot synced, and menu
choices. Pure functions over command definitions (JSON, as the bot synced them); nothing here acts."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.sandbox.state import JSON

OPTION_TYPES = {1: "subcommand", 2: "group", 3: "text", 4: "integer", 5: "true/false", 6: "user", 7: "channel",
                8: "role", 9: "user or role", 10: "number", 11: "attachment"}
_OPTION_START = re.compile(r'([^\s:"]+):')


class CommandLineError(Exception):
    """A mistake in what the user typed; ``usage`` (if any) is shown after the message."""

    def __init__(self, message: str, usage: list[str] | None = None) -> None:
        super().__init__(message)
        self.usage = usage or []


def _placeholder(opt: JSON) -> str:
    t = opt.get("type")
    if opt.get("choices"):
        return "|".join(str(c.get("name")) for c in opt["choices"])
    return OPTION_TYPES.get(t, "value") if isinstance(t, int) else "value"


def _option_line(opt: JSON) -> str:
    facts = [OPTION_TYPES.get(opt.get("type", 3), "value")]
    if opt.get("required"):
        facts.append("required")
    lo, hi = opt.get("min_value"), opt.get("max_value")
    if lo is not None or hi is not None:
        facts.append(f"{'' if lo is None else lo}..{'' if hi is None else hi}")
    if opt.get("max_length") is not None:
        facts.append(f"max {opt['max_length']} chars")
    if opt.get("autocomplete"):
        facts.append(f"suggestions: {opt['name']}:?")
    desc = str(opt.get("description") or "").strip()
    if desc in ("…", "..."):  # discord.py's placeholder for an undescribed option
        desc = ""
    return f"    {opt['name']} ({', '.join(facts)}){'  ' + desc if desc else ''}"


def usage_lines(data: JSON, path: list[str] | None = None) -> list[str]:
    """How to call a command (or a group/subcommand inside it), built from its synced definition."""
    path = path or [str(data.get("name"))]
    opts: list[JSON] = data.get("options") or []
    subs = [o for o in opts if o.get("type") in (1, 2)]
    lines: list[str] = []
    if subs:
        desc = str(data.get("description") or "")
        lines.append(f"/{' '.join(path)}{'  - ' + desc if desc else ''}")
        for leaf_path, leaf in _leaves(data, path):
            desc = str(leaf.get("description") or "")
            lines.append(f"  {_synopsis(leaf_path, leaf)}{'  - ' + desc if desc else ''}")
        return lines
    lines.append(_synopsis(path, data))
    if data.get("description"):
        lines.append(f"    {data['description']}")
    lines.extend(_option_line(o) for o in opts)
    return lines


def _synopsis(path: list[str], data: JSON) -> str:
    parts = [f"/{' '.join(path)}"]
    for o in data.get("options") or []:
        p = f"{o['name']}:<{_placeholder(o)}>"
        parts.append(p if o.get("required") else f"[{p}]")
    return " ".join(parts)


def _leaves(data: JSON, path: list[str]) -> Iterator[tuple[list[str], JSON]]:
    subs = [o for o in data.get("options") or [] if o.get("type") in (1, 2)]
    if not subs:
        yield path, data
        return
    for s in subs:
        yield from _leaves(s, [*path, str(s.get("name"))])


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """``text[start]`` is a double quote: return the unescaped value and the index after the closing quote."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise CommandLineError("a quoted value has no closing quote (\")")


def split_options(text: str, defs: list[JSON]) -> dict[str, str]:
    """``opt:value opt2:"quoted value"`` -> raw strings. An unquoted value runs until the next known option."""
    known = {str(d.get("name")).lower(): str(d.get("name")) for d in defs}
    out: dict[str, str] = {}
    current: str | None = None
    i, n = 0, len(text)
    while True:
        j = i
        while j < n and text[j].isspace():
            j += 1
        if j >= n:
            break
        m = _OPTION_START.match(text, j)
        if m is not None and m.group(1).lower() in known:
            name = known[m.group(1).lower()]
            if name in out:
                raise CommandLineError(f"option {name!r} is given twice")
            k = m.end()
            if k < n and text[k] == '"':
                value, k = _read_quoted(text, k)
                if k < n and not text[k].isspace():
                    raise CommandLineError(f"put a space after the closing quote of {name}:")
                out[name], current = value, None
            else:
                e = k
                while e < n and not text[e].isspace():
                    e += 1
                out[name], current = text[k:e], name
                k = e
            i = k
            continue
        e = j
        while e < n and not text[e].isspace():
            e += 1
        if current is not None:
            out[current] += text[i:e]
        elif m is not None:
            raise CommandLineError(f"unknown option {m.group(1)!r}")
        else:
            raise CommandLineError(f"unexpected {text[j:e]!r}: write options as name:value")
        i = e
    return out


@dataclass
class ParsedCommand:
    path: str  # "name" or "name group sub", as Driver.run_slash takes it
    leaf: JSON  # the definition holding the options
    raw: dict[str, str]  # option name -> typed text
    usage: list[str]


def parse_command_line(line: str, commands: Mapping[str, JSON]) -> ParsedCommand:
    """Parse ``/name [group] [sub] opt:value ...`` against command definitions (name -> data)."""
    body = line.strip().removeprefix("/").strip()
    name, _, rest = body.partition(" ")
    data = commands.get(name.lower())
    if data is None:
        raise CommandLineError(f"unknown command /{name}; type / to list the commands")
    path = [str(data.get("name"))]
    leaf = data
    while any(o.get("type") in (1, 2) for o in leaf.get("options") or []):
        rest = rest.lstrip()
        word, _, after = rest.partition(" ")
        if not word or ":" in word:
            raise CommandLineError(f"/{' '.join(path)} needs a subcommand", usage_lines(data))
        sub = next((o for o in leaf.get("options") or []
                    if o.get("type") in (1, 2) and str(o.get("name")).lower() == word.lower()), None)
        if sub is None:
            raise CommandLineError(f"/{' '.join(path)} has no subcommand {word!r}", usage_lines(data))
        path.append(str(sub.get("name")))
        leaf, rest = sub, after
    usage = usage_lines(leaf, path)
    defs: list[JSON] = leaf.get("options") or []
    try:
        raw = split_options(rest, defs)
    except CommandLineError as exc:
        raise CommandLineError(str(exc), usage) from None
    asking = any(d.get("autocomplete") and raw.get(str(d.get("name")), "").strip() in ("", "?")
                 for d in defs if str(d.get("name")) in raw)
    for d in defs:
        if d.get("required") and not raw.get(str(d.get("name")), "").strip() and not asking:
            raise CommandLineError(f"missing required option {d.get('name')!r}", usage)
    return ParsedCommand(" ".join(path), leaf, raw, usage)


def choose(comp: JSON, text: str) -> list[str]:
    """The values picked from select menu ``comp`` by ``text``: labels, values or 1-based numbers, comma-separated."""
    options: list[JSON] = comp.get("options") or []
    picked: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        opt = next((o for o in options if str(o.get("label", "")).lower() == part.lower()
                    or str(o.get("value", "")) == part), None)
        if opt is None and part.isdigit() and 1 <= int(part) <= len(options):
            opt = options[int(part) - 1]
        if opt is None:
            labels = ", ".join(str(o.get("label")) for o in options)
            raise CommandLineError(f"{part!r} is not a choice; choose from: {labels}")
        picked.append(str(opt.get("value")))
    lo, hi = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
    if not lo <= len(picked) <= hi:
        raise CommandLineError(f"choose {lo}" + (f" to {hi}" if hi != lo else "") + " option(s)")
    return picked


__all__ = ["OPTION_TYPES", "CommandLineError", "ParsedCommand", "choose", "parse_command_line", "split_options",
           "usage_lines"]
