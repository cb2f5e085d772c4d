"""A line-oriented terminal chat over the sandbox driver: act as a customer or a staff member, talk to the bot.

Plain text is a message from the current person in the current place; ``/name sub opt:value`` runs a slash
command (parsed against the commands the bot synced); ``:help`` lists the rest. Everything the bot does that
concerns the current person is printed as it happens, by a task that watches the sandbox's event log.

Works on a dumb terminal or a pipe (plain lines); on a TTY it adds a little colour and keeps the prompt tidy.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.sandbox import events as E
from bot.sandbox import permissions as P
from bot.sandbox.demo import DemoWorld
from bot.sandbox.driver import Driver, InteractionHandle, SandboxError
from bot.sandbox.interactions import AUTOCOMPLETE
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import DM, JSON, PRIVATE_THREAD, Channel, Guild, Message, Role, User

log = logging.getLogger(__name__)

ReadLine = Callable[[], Awaitable[str | None]]
"""Returns the next input line without its newline, or None (or raises EOFError) at end of input."""
Write = Callable[[str], object]
"""Writes a chunk of output as is (it carries its own newlines); may be a coroutine function."""

OPTION_TYPES = {1: "subcommand", 2: "group", 3: "text", 4: "integer", 5: "true/false", 6: "user", 7: "channel",
                8: "role", 9: "user or role", 10: "number", 11: "attachment"}
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_OPTION_START = re.compile(r'([^\s:"]+):')


class CommandLineError(Exception):
    """A mistake in what the user typed; ``usage`` (if any) is shown after the message."""

    def __init__(self, message: str, usage: list[str] | None = None) -> None:
        super().__init__(message)
        self.usage = usage or []


class _EndOfInput(Exception):
    pass


# -- default terminal I/O --------------------------------------------------------------------------------


class StdinLines:
    """Reads lines from standard input without blocking the event loop (and without a thread on POSIX).

    The loop is told when fd 0 is readable (``add_reader``; the fd stays blocking, so a shared TTY's stdout is
    unaffected) and then reads what is there. Where that is impossible (a regular file, Windows) a worker thread
    does the read.
    """

    def __init__(self, fd: int | None = None) -> None:
        self._fd = sys.stdin.fileno() if fd is None else fd
        self._buf = b""
        self._eof = False

    async def _chunk(self) -> bytes:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        try:
            loop.add_reader(self._fd, wake)
        except (OSError, NotImplementedError, ValueError):
            return await asyncio.to_thread(os.read, self._fd, 65536)
        try:
            await ready
        finally:
            loop.remove_reader(self._fd)
        try:
            return os.read(self._fd, 65536)
        except BlockingIOError:
            return await self._chunk()

    async def readline(self) -> str | None:
        while b"\n" not in self._buf and not self._eof:
            chunk = await self._chunk()
            if chunk:
                self._buf += chunk
            else:
                self._eof = True
        if b"\n" in self._buf:
            line, _, self._buf = self._buf.partition(b"\n")
        elif self._buf:
            line, self._buf = self._buf, b""
        else:
            return None
        return line.decode("utf-8", errors="replace").rstrip("\r")


def _stdout_write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _stdout_is_fancy() -> bool:
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM", "") != "dumb" and "NO_COLOR" not in os.environ


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


# -- slash command definitions -----------------------------------------------------------------------------


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


# -- message rendering helpers ----------------------------------------------------------------------------


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _when(value: Any) -> str:
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC)
    return t.strftime("%Y-%m-%d %H:%M UTC")


def _walk_components(items: list[Any]) -> Iterator[JSON]:
    for c in items:
        if isinstance(c, dict):
            yield c
            yield from _walk_components(c.get("components") or [])
            if isinstance(c.get("accessory"), dict):
                yield from _walk_components([c["accessory"]])
            if isinstance(c.get("component"), dict):
                yield from _walk_components([c["component"]])


def _find_component(message: Message, custom_id: str) -> JSON | None:
    return next((c for c in _walk_components(message.components) if c.get("custom_id") == custom_id), None)


def _label(comp: JSON) -> str:
    if comp.get("label"):
        return str(comp["label"])
    emoji = comp.get("emoji")
    if isinstance(emoji, dict) and emoji.get("name"):
        return str(emoji["name"])
    return str(comp.get("placeholder") or comp.get("custom_id") or "?")


# -- the chat ---------------------------------------------------------------------------------------------


@dataclass
class _Component:
    message_id: int
    custom_id: str
    label: str


class TerminalChat:
    """The terminal front end: ``await TerminalChat(server, world).run()`` until ``:quit`` or end of input."""

    def __init__(self, server: SandboxServer, world: DemoWorld, *, read_line: ReadLine | None = None,
                 write: Write | None = None, ansi: bool | None = None, echo: bool | None = None) -> None:
        self.server = server
        self.world = world
        self.driver: Driver = server.driver
        self._read: ReadLine = read_line or StdinLines().readline
        self._write: Write = write or _stdout_write
        # colour and prompt redraw only for a real terminal we write to ourselves
        self._ansi = ansi if ansi is not None else (write is None and _stdout_is_fancy())
        # repeat what was typed when no terminal echoes it (scripted input, piped stdin)
        self._echo = echo if echo is not None else (read_line is not None or not _stdin_is_tty())
        self.user: User = world.alex
        self._place: Channel = world.support
        self._in_dm = False
        self._components: dict[int, _Component] = {}
        self._component_numbers: dict[tuple[int, str], int] = {}
        self._files: dict[int, tuple[int, int]] = {}  # number -> (message id, attachment index)
        self._file_numbers: dict[int, int] = {}  # attachment id -> number
        self._typing_shown: set[int] = set()
        self._touched: set[int] = set()  # messages the user clicked on: show their edits wherever they are
        self._pos = len(server.log.events)  # only what happens from now on is printed as it arrives
        self._prompt: str | None = None  # the prompt currently shown, if any
        self._lock = asyncio.Lock()

    # -- output -----------------------------------------------------------------------------------------
    def _c(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self._ansi else text

    async def _raw(self, text: str) -> None:
        result = self._write(text)
        if inspect.isawaitable(result):
            await result

    async def _emit(self, text: str) -> None:
        """Print lines (as a block), keeping a visible prompt below them."""
        async with self._lock:
            chunk = text + "\n"
            if self._prompt is not None:
                chunk = ("\r\x1b[K" if self._ansi else "\n") + chunk + self._prompt
            await self._raw(chunk)

    async def _error(self, text: str, usage: list[str] | None = None) -> None:
        await self._emit("\n".join([self._c(f"! {text}", "31"), *(usage or [])]))

    async def _note(self, text: str) -> None:
        await self._emit(self._c(text, "2"))

    async def _ask(self, prompt: str) -> str:
        """Show ``prompt`` and read a line; raises _EndOfInput at end of input."""
        await self._flush_events()
        shown = self._c(prompt, "1")
        async with self._lock:
            await self._raw(shown)
            self._prompt = shown
        try:
            line = await self._read()
        except EOFError:
            line = None
        finally:
            self._prompt = None
        if line is None:
            await self._raw("\n")
            raise _EndOfInput
        if self._echo:
            await self._raw(line + "\n")
        return line

    # -- where am I ---------------------------------------------------------------------------------------
    @property
    def guild(self) -> Guild:
        return self.world.guild

    @property
    def place(self) -> Channel:
        """The channel messages and commands go to (the current user's DM when in ``dm``)."""
        return self.driver.dm_channel(self.user) if self._in_dm else self._place

    def _can_view(self, ch: Channel, user: User | None = None) -> bool:
        uid = (user or self.user).id
        if ch.type == DM:
            return uid in ch.recipient_ids
        return bool(self.server.world.permissions(ch, uid) & P.VIEW_CHANNEL)

    def _can_send(self, ch: Channel) -> bool:
        return ch.type == DM or bool(self.server.world.permissions(ch, self.user.id) & P.SEND_MESSAGES)

    def _where(self, ch: Channel) -> str:
        if ch.type == DM:
            return "DM"
        if ch.is_thread:
            parent = self.server.world.channels.get(ch.parent_id or 0)
            name = str(ch.name or "thread")
            short = name if len(name) <= 32 else name[:31] + "…"
            return f"#{parent.name if parent else '?'} › {short}"
        return f"#{ch.name}"

    def prompt_text(self) -> str:
        return f"{self.user.username} @ {self._where(self.place)}> "

    def _name(self, user_id: int) -> str:
        u = self.server.world.users.get(user_id)
        return u.username if u is not None else str(user_id)

    def _my_threads(self, user: User | None = None) -> list[Channel]:
        """Threads opened for ``user``: started on their message, or with them as a member."""
        u = user or self.user
        w = self.server.world
        out = []
        for ch in self.guild.channels.values():
            if not ch.is_thread or not self._can_view(ch, u):
                continue
            starter = w.messages.get(ch.id)
            if (starter is not None and starter.author_id == u.id) or u.id in ch.thread_members:
                out.append(ch)
        return sorted(out, key=lambda c: (c.created_at, c.id))

    def _visible_threads(self) -> list[Channel]:
        return sorted((c for c in self.guild.channels.values() if c.is_thread and self._can_view(c)),
                      key=lambda c: (c.created_at, c.id))

    # -- events -----------------------------------------------------------------------------------------
    async def _watch(self) -> None:
        events = self.server.log.events
        while True:
            try:
                await self.server.waiters.wait_for(lambda: True if len(events) > self._pos else None, 3600)
            except TimeoutError:
                continue
            await self._flush_events()

    async def _flush_events(self) -> None:
        events = self.server.log.events
        while self._pos < len(events):
            ev = events[self._pos]
            self._pos += 1
            try:
                text = self._render_event(ev)
            except Exception:
                log.debug("could not render event %s", ev.kind, exc_info=True)
                continue
            if text:
                await self._emit(text)

    def _render_event(self, ev: E.Event) -> str | None:
        w = self.server.world
        if ev.kind in (E.MESSAGE, E.MESSAGE_UPDATE) and ev.message is not None:
            m = ev.message
            if m.deleted or not self._concerns_me(m):
                return None
            return self.render_message(m, edited=ev.kind == E.MESSAGE_UPDATE)
        if ev.kind == E.MESSAGE_DELETE and ev.message is not None:
            m = ev.message
            ch = w.channels.get(m.channel_id)
            if m.author_id == self.user.id and ch is not None and not m.ephemeral:
                return self._c(f"(your message in {self._where(ch)} was removed)", "33")
            if ch is not None and ch is self.place and not m.ephemeral:
                return self._c(f"(a message from {self._name(m.author_id)} was deleted)", "2")
            return None
        if ev.kind == E.TYPING:
            ch = w.channels.get(int(ev.data.get("channel_id", 0)))
            if ch is None or ch.id in self._typing_shown or not self._follows(ch):
                return None
            self._typing_shown.add(ch.id)
            return self._c(f"{self._loc(ch)}({self.driver.bot_user.username} is typing…)", "2")
        if ev.kind == E.INTERACTION_RESPONSE and ev.data.get("type") == 5:
            rec = self.server.interactions.by_id.get(ev.interaction_id or 0)
            if rec is None or rec.user_id != self.user.id:
                return None
            return self._c(f"({self.driver.bot_user.username} is thinking…)", "2")
        if ev.kind == E.THREAD_CREATE:
            th = w.channels.get(int(ev.data.get("channel_id", 0)))
            starter = w.messages.get(th.id) if th is not None else None
            if th is None or starter is None or starter.author_id != self.user.id or not self._can_view(th):
                return None
            return self._c(f"» {self.driver.bot_user.username} opened the thread “{th.name}” on your message in "
                           f"{self._where(w.channels[th.parent_id or 0])}: `:in thread` to go there", "33")
        if ev.kind == E.THREAD_MEMBER_ADD and ev.data.get("user_id") == self.user.id:
            th = w.channels.get(int(ev.data.get("channel_id", 0)))
            if th is None:
                return None
            kind = "private thread" if th.type == PRIVATE_THREAD else "thread"
            return self._c(f"» you were added to the {kind} “{th.name}” in "
                           f"{self._where(w.channels[th.parent_id or 0])}: `:in thread` to go there", "33")
        return None

    def _follows(self, ch: Channel) -> bool:
        """Channels whose new messages the current user sees as they arrive."""
        if ch is self.place:
            return True
        if ch.type == DM:
            return self.user.id in ch.recipient_ids
        return ch.is_thread and ch in self._my_threads()

    def _concerns_me(self, m: Message) -> bool:
        me = self.user.id
        if m.author_id == me and m.edited_timestamp is None:
            return False  # what I typed myself
        ch = self.server.world.channels.get(m.channel_id)
        if ch is None:
            return False
        if m.ephemeral:
            return m.interaction_user_id == me
        if not self._can_view(ch):
            return False
        if self._follows(ch) or m.interaction_user_id == me or m.id in self._touched:
            return True
        pings = m.pings
        member = self.guild.members.get(me)
        my_roles = set(member.role_ids) if member is not None else set()
        return me in pings.users or bool(pings.roles & my_roles) or pings.everyone

    def _loc(self, ch: Channel) -> str:
        if ch.type == DM:
            return self._c("[DM] ", "35")
        if ch is self.place:
            return ""
        return self._c(f"[{self._where(ch)}] ", "34")

    # -- rendering --------------------------------------------------------------------------------------
    def humanize(self, text: str) -> str:
        """Mentions, channel links and timestamps as a person would read them."""
        w = self.server.world

        def user(m: re.Match[str]) -> str:
            return "@" + self._name(int(m.group(1)))

        def role(m: re.Match[str]) -> str:
            r = self.guild.roles.get(int(m.group(1)))
            return f"@{r.name}" if r is not None else m.group(0)

        def channel(m: re.Match[str]) -> str:
            ch = w.channels.get(int(m.group(1)))
            return self._where(ch) if ch is not None else m.group(0)

        def stamp(m: re.Match[str]) -> str:
            return dt.datetime.fromtimestamp(int(m.group(1)), tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

        text = re.sub(r"<@!?(\d+)>", user, text)
        text = re.sub(r"<@&(\d+)>", role, text)
        text = re.sub(r"<#(\d+)>", channel, text)
        text = re.sub(r"<t:(-?\d+)(?::[tTdDfFR])?>", stamp, text)
        text = re.sub(r"</([\w -]+):\d+>", r"/\1", text)
        return re.sub(r"<a?:(\w+):\d+>", r":\1:", text)

    def _component_number(self, m: Message, comp: JSON) -> int:
        key = (m.id, str(comp.get("custom_id")))
        n = self._component_numbers.get(key)
        if n is None:
            n = len(self._components) + 1
            self._component_numbers[key] = n
        self._components[n] = _Component(m.id, key[1], _label(comp))
        return n

    def _render_components(self, m: Message, items: list[Any], out: list[str], indent: str = "  ") -> None:
        for c in items:
            if not isinstance(c, dict):
                continue
            t = c.get("type")
            if t == 1:  # action row
                row: list[str] = []
                for item in c.get("components") or []:
                    if isinstance(item, dict):
                        row.append(self._render_interactive(m, item))
                if row:
                    out.append(indent + "  ".join(row))
            elif t in (2, 3, 5, 6, 7, 8):
                out.append(indent + self._render_interactive(m, c))
            elif t == 10:
                out.extend(indent + line for line in self.humanize(str(c.get("content", ""))).splitlines())
            elif t == 9:  # section
                self._render_components(m, c.get("components") or [], out, indent)
                if isinstance(c.get("accessory"), dict):
                    self._render_components(m, [c["accessory"]], out, indent)
            elif t == 17:  # container
                self._render_components(m, c.get("components") or [], out, indent + "| ")
            elif t == 14:
                out.append(indent + "-" * 20)

    def _render_interactive(self, m: Message, c: JSON) -> str:
        label = _label(c)
        if c.get("type") == 2 and c.get("style") == 5:
            return f"[link: {label} <{c.get('url')}>]"
        if c.get("type") == 2 and not c.get("custom_id"):
            return f"[{label}]"
        n = self._component_number(m, c)
        if c.get("type") == 2:
            return f"[{n}] {label}" + (" (disabled)" if c.get("disabled") else "")
        opts = " | ".join(str(o.get("label")) for o in c.get("options") or [])
        choose = f": {opts}" if opts else ""
        return f"[{n}] menu “{label}”{choose}" + (" (disabled)" if c.get("disabled") else "")

    def _render_embed(self, e: JSON) -> list[str]:
        lines: list[str] = []
        author = e.get("author")
        if isinstance(author, dict) and author.get("name"):
            lines.append(str(author["name"]))
        if e.get("title"):
            title = self._c(self.humanize(str(e["title"])), "1")
            lines.append(title + (f" <{e['url']}>" if e.get("url") else ""))
        if e.get("description"):
            lines.extend(self.humanize(str(e["description"])).splitlines())
        for f in e.get("fields") or []:
            value = self.humanize(str(f.get("value", ""))).splitlines() or [""]
            lines.append(f"{self.humanize(str(f.get('name', '')))}: {value[0]}")
            lines.extend("  " + v for v in value[1:])
        for key in ("image", "thumbnail"):
            item = e.get(key)
            if isinstance(item, dict) and item.get("url"):
                lines.append(f"({key}: {item['url']})")
        footer = e.get("footer")
        tail = [str(footer["text"])] if isinstance(footer, dict) and footer.get("text") else []
        if e.get("timestamp"):
            tail.append(_when(e["timestamp"]))
        if tail:
            lines.append(self._c("-- " + " · ".join(tail), "2"))
        return ["  | " + line for line in lines] or ["  | (empty embed)"]

    def render_message(self, m: Message, *, edited: bool = False, in_history: bool = False) -> str:
        w = self.server.world
        ch = w.channels[m.channel_id]
        bot = m.author_id == self.driver.bot_user.id
        author = self._c(self._name(m.author_id), "1;36" if bot else "1")
        marks: list[str] = []
        if m.ephemeral:
            marks.append(self._c("[only you]", "33"))
        if edited or (in_history and m.edited_timestamp):
            marks.append(self._c("(edited)", "33"))
        if m.reference_id is not None and m.reference_id in w.messages:
            marks.append(f"(replying to {self._name(w.messages[m.reference_id].author_id)})")
        head = ("" if in_history else self._loc(ch)) + author + "".join(" " + x for x in marks) + ":"
        content = self.humanize(m.content).splitlines()
        lines = [head + (" " + content[0] if content else "")]
        lines.extend("    " + line for line in content[1:])
        for e in m.embeds:
            lines.extend(self._render_embed(e))
        self._render_components(m, m.components, lines)
        for i, a in enumerate(m.attachments):
            n = self._file_numbers.get(a.id)
            if n is None:
                n = self._file_numbers[a.id] = len(self._files) + 1
                self._files[n] = (m.id, i)
            kind = f", {a.content_type}" if a.content_type else ""
            lines.append(f"  file #{n}: {a.filename} ({_size(a.size)}{kind}): `:save {n} <path>` to keep it")
        if bot:
            self._typing_shown.discard(m.channel_id)
        return "\n".join(lines)

    # -- the loop ---------------------------------------------------------------------------------------
    def banner(self) -> str:
        w = self.world
        return (f"{w.guild.name}: a local sandbox. You are {self.user.username} in {self._where(self.place)}.\n"
                f"People: alex (customer), sam (customer, no DMs), jordan (support staff). "
                f"Type :help for commands, / for slash commands, :quit to leave.")

    async def run(self) -> None:
        """Chat until ``:quit`` or end of input (Ctrl-D). Ctrl-C is left to the caller."""
        watcher = asyncio.create_task(self._watch())
        try:
            await self._emit(self.banner())
            while True:
                try:
                    line = await self._ask(self.prompt_text())
                except _EndOfInput:
                    break
                try:
                    if not await self.handle(line):
                        break
                except _EndOfInput:
                    break
                except CommandLineError as exc:
                    await self._error(str(exc), exc.usage)
                except SandboxError as exc:
                    await self._error(str(exc))
                except Exception as exc:
                    log.debug("command %r failed", line, exc_info=True)
                    await self._error(f"that did not work ({type(exc).__name__}: {exc})")
            await self._flush_events()
            await self._note("(bye)")
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means quit."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(":"):
            return await self._meta(text)
        if text.startswith("/"):
            await self._slash(text)
            return True
        self._typing_shown.clear()  # a new message: the bot may show it is typing once more
        await self.driver.user_says(self.user, self.place, line.rstrip())
        return True

    async def _meta(self, text: str) -> bool:
        word, _, arg = text[1:].partition(" ")
        word, arg = word.lower(), arg.strip()
        if word in ("quit", "q", "exit"):
            return False
        if word in ("help", "h", "?"):
            await self._emit(HELP)
        elif word == "as":
            await self._switch_user(arg)
        elif word == "in":
            await self._switch_place(arg)
        elif word == "threads":
            await self._list_threads()
        elif word == "history":
            await self._history(arg)
        elif word in ("click", "c"):
            await self._click(arg)
        elif word == "select":
            await self._select(arg)
        elif word == "save":
            await self._save(arg)
        else:
            raise CommandLineError(f"unknown command :{word}; :help lists them")
        return True

    # -- :as / :in / :threads / :history ------------------------------------------------------------------
    async def _switch_user(self, arg: str) -> None:
        users = self.world.users
        user = users.get(arg.lower().lstrip("@"))
        if user is None:
            raise CommandLineError(f"who is {arg!r}? Choose one of: {', '.join(users)}")
        self.user = user
        moved = ""
        if not self._in_dm and not self._can_view(self._place):
            self._place = self.world.support
            moved = f" ({user.username} cannot see that channel: moved to #support)"
        await self._note(f"you are now {user.username} in {self._where(self.place)}{moved}")

    async def _switch_place(self, arg: str) -> None:
        words = arg.lower().split()
        if not words:
            raise CommandLineError("where to? :in support|status|staff|dm|thread [N]")
        target = words[0].lstrip("#")
        if target == "dm":
            self._in_dm = True
        elif target == "thread":
            if len(words) > 1:
                threads = self._visible_threads()
                if not words[1].isdigit() or not 1 <= int(words[1]) <= len(threads):
                    raise CommandLineError(f"no thread {words[1]!r}; :threads lists them")
                th = threads[int(words[1]) - 1]
            else:
                mine = self._my_threads()
                if not mine:
                    raise CommandLineError("the bot has not opened a thread for you yet; :threads lists the "
                                           "threads you can see")
                th = mine[-1]
            self._place, self._in_dm = th, False
        else:
            ch = next((c for c in self.guild.channels.values() if not c.is_thread and c.name == target), None)
            if ch is None:
                names = ", ".join(str(c.name) for c in self.guild.channels.values() if not c.is_thread)
                raise CommandLineError(f"no channel #{target}; channels: {names}, or dm / thread")
            if not self._can_view(ch):
                raise SandboxError(f"{self.user.username} cannot see #{ch.name}")
            self._place, self._in_dm = ch, False
        ch = self.place
        extra = ""
        if ch.type != DM and not self._can_send(ch):
            extra = " (you can read but not send here)"
        elif ch.topic:
            extra = f" ({ch.topic})"
        await self._note(f"now in {self._where(ch)}{extra}")

    async def _list_threads(self) -> None:
        threads = self._visible_threads()
        if not threads:
            await self._note("no threads you can see yet")
            return
        mine = set(map(id, self._my_threads()))
        lines = []
        for i, th in enumerate(threads, 1):
            facts = ["private" if th.type == PRIVATE_THREAD else "public"]
            if id(th) in mine:
                facts.append("yours")
            lines.append(f"  [{i}] {self._where(th)} ({', '.join(facts)})")
        await self._emit("\n".join(["threads (`:in thread N` to go there):", *lines]))

    async def _history(self, arg: str) -> None:
        n = int(arg) if arg.isdigit() else 10
        ch = self.place
        msgs = [m for m in self.driver.messages_in(ch)
                if not m.loading and (not m.ephemeral or m.interaction_user_id == self.user.id)][-n:]
        if not msgs:
            await self._note(f"no messages in {self._where(ch)} yet")
            return
        body = [self.render_message(m, in_history=True) for m in msgs]
        what = "message" if len(msgs) == 1 else f"{len(msgs)} messages"
        await self._emit("\n".join([self._c(f"-- last {what} in {self._where(ch)} --", "2"),
                                    *body, self._c("--", "2")]))

    # -- buttons, menus, files ----------------------------------------------------------------------------
    def _numbered(self, arg: str, what: str) -> tuple[int, _Component, Message, JSON]:
        first = arg.split()[0] if arg.split() else ""
        if not first.lstrip("[").rstrip("]").isdigit():
            raise CommandLineError(f"which {what}? give its number, e.g. :click 1")
        n = int(first.lstrip("[").rstrip("]"))
        entry = self._components.get(n)
        if entry is None:
            raise CommandLineError(f"there is no [{n}]; buttons and menus are numbered as they are shown")
        m = self.server.world.messages.get(entry.message_id)
        if m is None or m.deleted:
            raise SandboxError(f"the message with [{n}] was deleted")
        comp = _find_component(m, entry.custom_id)
        if comp is None:
            raise SandboxError(f"[{n}] “{entry.label}” is no longer on that message")
        if comp.get("disabled"):
            raise SandboxError(f"[{n}] “{_label(comp)}” is disabled")
        return n, entry, m, comp

    async def _click(self, arg: str) -> None:
        n, entry, m, comp = self._numbered(arg, "button")
        if comp.get("type") != 2:
            raise CommandLineError(f"[{n}] is a menu: use :select {n} <choice>")
        self._touched.add(m.id)
        handle = await self.driver.click(self.user, m, entry.custom_id)
        await self._await_response(handle)

    async def _select(self, arg: str) -> None:
        n, entry, m, comp = self._numbered(arg, "menu")
        if comp.get("type") != 3:
            raise CommandLineError(f"[{n}] is not a text menu" if comp.get("type") != 2
                                   else f"[{n}] is a button: use :click {n}")
        values = self._choose(comp, arg.partition(" ")[2])
        self._touched.add(m.id)
        handle = await self.driver.select(self.user, m, entry.custom_id, values)
        await self._await_response(handle)

    def _choose(self, comp: JSON, text: str) -> list[str]:
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

    async def _save(self, arg: str) -> None:
        num, _, target = arg.partition(" ")
        if not num.lstrip("#").isdigit() or not target.strip():
            raise CommandLineError("usage: :save N path  (N is the file number shown with the message)")
        n = int(num.lstrip("#"))
        ref = self._files.get(n)
        if ref is None:
            raise CommandLineError(f"there is no file #{n}")
        m = self.server.world.messages[ref[0]]
        att = m.attachments[ref[1]] if ref[1] < len(m.attachments) else None
        if att is None:
            raise SandboxError(f"file #{n} is no longer on its message")
        path = Path(target.strip()).expanduser()
        if path.is_dir():
            path = path / att.filename
        try:
            path.write_bytes(att.data)
        except OSError as exc:
            raise SandboxError(f"cannot write {path} ({exc.strerror or exc})") from None
        await self._note(f"saved {att.filename} ({_size(att.size)}) to {path}")

    # -- slash commands and modals ----------------------------------------------------------------------
    def available_commands(self) -> dict[str, JSON]:
        """Slash commands the current user can use in the current place, by name (guild ones win)."""
        ch = self.place
        guild = self.server.world.guild_of(ch)
        cmds = {n: c for n, c in self.driver.commands(None).items() if c.data.get("type", 1) == 1}
        if guild is not None:
            cmds |= {n: c for n, c in self.driver.commands(guild).items() if c.data.get("type", 1) == 1}
        out: dict[str, JSON] = {}
        perms = self.server.world.permissions(ch, self.user.id)
        for name, c in cmds.items():
            if guild is None:
                contexts = c.data.get("contexts")
                if c.data.get("dm_permission") is False or (contexts is not None and 1 not in contexts):
                    continue
            else:
                need = c.default_member_permissions
                if need is not None and (perms & need) != need and self.user.id != guild.owner_id:
                    continue
            out[name.lower()] = c.data
        return out

    async def _slash(self, text: str) -> None:
        cmds = self.available_commands()
        if text.strip() == "/":
            if not cmds:
                why = ("the bot's commands work in the server only" if self._in_dm and self.driver.commands(self.guild)
                       else "has the bot synced its commands?")
                await self._note(f"no slash commands here ({why})")
                return
            lines = [f"slash commands in {self._where(self.place)} (/name to see how to use one):"]
            for name in sorted(cmds):
                lines.append(f"  /{name}  - {cmds[name].get('description') or ''}".rstrip(" -"))
            await self._emit("\n".join(lines))
            return
        name = text[1:].split(maxsplit=1)[0].lower()
        if name in cmds and text[1:].strip().lower() == name and self._needs_input(cmds[name]):
            await self._emit("\n".join(["usage:", *usage_lines(cmds[name])]))
            return
        parsed = parse_command_line(text, cmds)
        try:
            options = await self._convert(parsed)
        except CommandLineError as exc:
            raise CommandLineError(str(exc), exc.usage or parsed.usage) from None
        if options is None:
            return  # suggestions were shown
        handle = await self.driver.run_slash(self.user, parsed.path, options, channel=self.place)
        await self._await_response(handle)

    @staticmethod
    def _needs_input(data: JSON) -> bool:
        return any(o.get("required") or o.get("type") in (1, 2) for o in data.get("options") or [])

    async def _convert(self, parsed: ParsedCommand) -> dict[str, Any] | None:
        defs = {str(d.get("name")): d for d in parsed.leaf.get("options") or []}
        out: dict[str, Any] = {}
        for name, raw in parsed.raw.items():
            d = defs[name]
            value = raw.strip()
            if d.get("autocomplete"):
                if value in ("", "?"):
                    await self._suggest(parsed, name, "")
                    return None
                value = await self._autocompleted(parsed, name, value)
            elif not value:
                continue  # "opt:" with nothing after it: as if not given
            out[name] = self._convert_one(d, value)
        return out

    async def _autocomplete(self, parsed: ParsedCommand, name: str, typed: str) -> list[JSON]:
        """Ask the bot for suggestions. As Discord does, only the options typed so far are sent (the driver's
        ``autocomplete`` wants every required option, so the interaction is built here)."""
        guild = self.server.world.guild_of(self.place)
        cmd = self.driver.find_command(parsed.path, guild)
        defs = {str(d.get("name")): d for d in parsed.leaf.get("options") or []}
        options: list[JSON] = [{"name": name, "type": defs[name].get("type", 3), "value": typed, "focused": True}]
        for other, raw in parsed.raw.items():
            if other != name and raw.strip() and not defs[other].get("autocomplete"):
                try:
                    value = self._convert_one(defs[other], raw.strip())
                except CommandLineError:
                    continue
                if isinstance(value, (User, Channel, Role)):
                    value = str(value.id)
                options.append({"name": other, "type": defs[other].get("type", 3), "value": value})
        subs = parsed.path.split()[1:]
        for i in range(len(subs) - 1, -1, -1):
            options = [{"name": subs[i], "type": 1 if i == len(subs) - 1 else 2, "options": options}]
        data: JSON = {"id": str(cmd.id), "name": cmd.name, "type": 1, "options": options}
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        rec = await self.server.interactions.create(AUTOCOMPLETE, self.user, self.place, data)
        handle = InteractionHandle(self.driver, rec)
        try:
            await handle.wait_response(timeout=self.server.interaction_timeout + 0.5)
        except TimeoutError:
            return []
        return handle.choices or []

    async def _suggest(self, parsed: ParsedCommand, name: str, typed: str) -> None:
        choices = await self._autocomplete(parsed, name, typed)
        if not choices:
            await self._note(f"no suggestions for {name}")
            return
        lines = [f"suggestions for {name}:"]
        lines.extend(f'  {c.get("name")}   ->  {name}:"{c.get("value")}"' for c in choices)
        await self._emit("\n".join(lines))

    async def _autocompleted(self, parsed: ParsedCommand, name: str, typed: str) -> str:
        """An autocompleted option: a suggestion's value or name picks it; anything else is sent as typed."""
        for c in await self._autocomplete(parsed, name, typed):
            if str(c.get("value")) == typed or str(c.get("name", "")).lower() == typed.lower():
                return str(c.get("value"))
        return typed

    def _convert_one(self, d: JSON, value: str) -> Any:
        name, t = str(d.get("name")), d.get("type", 3)
        choices: list[JSON] = d.get("choices") or []
        if choices:
            hit = next((c for c in choices if str(c.get("name", "")).lower() == value.lower()
                        or str(c.get("value")) == value), None)
            if hit is None:
                names = ", ".join(str(c.get("name")) for c in choices)
                raise CommandLineError(f"{name}: {value!r} is not one of: {names}")
            return hit.get("value")
        if t == 3:
            lo, hi = d.get("min_length"), d.get("max_length")
            if lo is not None and len(value) < int(lo):
                raise CommandLineError(f"{name}: at least {lo} characters, please")
            if hi is not None and len(value) > int(hi):
                raise CommandLineError(f"{name}: at most {hi} characters, please ({len(value)} given)")
            return value
        if t in (4, 10):
            try:
                number: float = int(value) if t == 4 else float(value)
            except ValueError:
                raise CommandLineError(f"{name}: {value!r} is not {'an integer' if t == 4 else 'a number'}") \
                    from None
            lo, hi = d.get("min_value"), d.get("max_value")
            if (lo is not None and number < lo) or (hi is not None and number > hi):
                raise CommandLineError(f"{name}: must be between {'' if lo is None else lo} and "
                                       f"{'' if hi is None else hi}")
            return number
        if t == 5:
            if value.lower() in _TRUE:
                return True
            if value.lower() in _FALSE:
                return False
            raise CommandLineError(f"{name}: say true or false, not {value!r}")
        if t == 6:
            return self._resolve_user(name, value)
        if t == 7:
            return self._resolve_channel(name, value)
        if t == 8:
            return self._resolve_role(name, value)
        if t == 9:
            try:
                return self._resolve_user(name, value)
            except CommandLineError:
                return self._resolve_role(name, value)
        if t == 11:
            raise CommandLineError(f"{name}: attachments cannot be given from the terminal")
        return value

    def _resolve_user(self, name: str, value: str) -> User:
        w = self.server.world
        m = re.fullmatch(r"<@!?(\d+)>", value)
        guild = w.guild_of(self.place)
        candidates = [w.users[uid] for uid in guild.members if uid in w.users] if guild else list(w.users.values())
        if m is not None:
            hit = next((u for u in candidates if u.id == int(m.group(1))), None)
        else:
            key = value.lstrip("@").lower()
            hit = next((u for u in candidates if u.username.lower() == key
                        or (u.global_name or "").lower() == key), None)
        if hit is None:
            people = ", ".join(u.username for u in candidates if not u.bot)
            raise CommandLineError(f"{name}: no user {value!r} here (try: {people})")
        return hit

    def _resolve_channel(self, name: str, value: str) -> Channel:
        m = re.fullmatch(r"<#(\d+)>", value)
        key = value.lstrip("#").lower()
        hit = next((c for c in self.guild.channels.values()
                    if (m is not None and c.id == int(m.group(1))) or (m is None and str(c.name).lower() == key)),
                   None)
        if hit is None:
            raise CommandLineError(f"{name}: no channel {value!r}")
        return hit

    def _resolve_role(self, name: str, value: str) -> Role:
        m = re.fullmatch(r"<@&(\d+)>", value)
        key = value.lower() if value.lower() == "@everyone" else value.lstrip("@").lower()
        hit = next((r for r in self.guild.roles.values()
                    if (m is not None and r.id == int(m.group(1))) or (m is None and r.name.lower() == key)), None)
        if hit is None:
            raise CommandLineError(f"{name}: no role {value!r} (roles: "
                                   f"{', '.join(r.name for r in self.guild.roles.values() if not r.managed)})")
        return hit

    async def _await_response(self, handle: InteractionHandle) -> None:
        try:
            rtype = await handle.wait_response(timeout=self.server.interaction_timeout + 0.5)
        except TimeoutError:
            await self._error(f"{self.driver.bot_user.username} did not respond (the interaction failed)")
            return
        if rtype == 9:
            await self._fill_modal(handle)

    async def _fill_modal(self, handle: InteractionHandle) -> None:
        modal = handle.modal or {}
        await self._emit(self._c(f"» {self.driver.bot_user.username} opened a form: “{modal.get('title')}” "
                                 "(answer each field; :cancel dismisses it)", "33"))
        values: dict[str, str | list[str]] = {}
        for label, comp in _modal_fields(modal.get("components") or []):
            cid = str(comp.get("custom_id"))
            answer: str | list[str] | None
            if comp.get("type") == 4:
                answer = await self._ask_text(label, comp)
            elif comp.get("type") == 3:
                answer = await self._ask_choice(label, comp)
            else:
                await self._note(f"  ({label}: this kind of field cannot be filled from the terminal; left empty)")
                continue
            if answer is None:
                await self._note("(form dismissed)")
                return
            values[cid] = answer
        submitted = await self.driver.submit_modal(self.user, handle, values)
        await self._await_response(submitted)

    async def _ask_text(self, label: str, comp: JSON) -> str | None:
        required = bool(comp.get("required", True))
        lo, hi = int(comp.get("min_length") or 0), int(comp.get("max_length") or 4000)
        default = str(comp.get("value") or "")
        paragraph = comp.get("style") == 2
        facts = [f"max {hi} chars"]
        if lo > 1:
            facts.append(f"min {lo}")
        facts.append("required" if required else "optional")
        if default:
            facts.append(f"empty keeps “{default}”")
        if comp.get("placeholder"):
            await self._note(f"  ({comp['placeholder']})")
        if paragraph:
            facts.append("type \\n for a new line")
        prompt = f"  {label} ({', '.join(facts)}): "
        while True:
            text = (await self._ask(prompt)).strip()
            if text == ":cancel":
                return None
            if paragraph:
                text = text.replace("\\n", "\n")
            if not text and default:
                text = default
            if not text:
                if required:
                    await self._error(f"{label} is required")
                    continue
                return ""
            if len(text) > hi or len(text) < lo:
                await self._error(f"{label}: between {lo} and {hi} characters, please ({len(text)} given)")
                continue
            return text

    async def _ask_choice(self, label: str, comp: JSON) -> list[str] | None:
        options: list[JSON] = comp.get("options") or []
        await self._emit("\n".join([f"  {label}:", *(f"    {i}. {o.get('label')}" for i, o in enumerate(options, 1))]))
        while True:
            text = (await self._ask(f"  {label} (number or name; several: 1,3): ")).strip()
            if text == ":cancel":
                return None
            if not text and not bool(comp.get("required", True)):
                return []
            try:
                return self._choose(comp, text)
            except CommandLineError as exc:
                await self._error(str(exc))


def _modal_fields(components: list[Any]) -> Iterator[tuple[str, JSON]]:
    """(label, input) for each input of a modal: inputs in action rows, or in label components (type 18)."""
    for top in components:
        if not isinstance(top, dict):
            continue
        if top.get("type") == 1:
            for c in top.get("components") or []:
                if isinstance(c, dict) and c.get("custom_id"):
                    yield str(c.get("label") or c.get("custom_id")), c
        elif top.get("type") == 18 and isinstance(top.get("component"), dict):
            c = top["component"]
            label = str(top.get("label") or c.get("label") or c.get("custom_id"))
            if top.get("description"):
                label = f"{label} - {top['description']}"
            yield label, c


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


__all__ = ["CommandLineError", "ParsedCommand", "StdinLines", "TerminalChat", "parse_command_line",
           "split_options", "usage_lines"]
