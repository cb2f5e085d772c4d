"""Messages as text: author and marks, content with mentions made readable, embeds, components and files."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.sandbox.state import DM, JSON, Channel, Message
from bot.sandbox.terminal.numbers import Numbers, label
from bot.sandbox.terminal.screen import Paint
from bot.sandbox.terminal.session import Session


def size(n: int) -> str:
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


class Renderer:
    """Renders for the current person; numbers the buttons, menus and files it shows (see ``numbers``)."""

    def __init__(self, session: Session, paint: Paint, numbers: Numbers) -> None:
        self.session = session
        self._c = paint
        self.numbers = numbers

    def location(self, ch: Channel) -> str:
        """The tag in front of something that happened elsewhere than the current place."""
        if ch.type == DM:
            return self._c("[DM] ", "35")
        if ch is self.session.place:
            return ""
        return self._c(f"[{self.session.where(ch)}] ", "34")

    def humanize(self, text: str) -> str:
        """Mentions, channel links and timestamps as a person would read them."""
        s = self.session
        w = s.server.world

        def user(m: re.Match[str]) -> str:
            return "@" + s.name(int(m.group(1)))

        def role(m: re.Match[str]) -> str:
            r = s.guild.roles.get(int(m.group(1)))
            return f"@{r.name}" if r is not None else m.group(0)

        def channel(m: re.Match[str]) -> str:
            ch = w.channels.get(int(m.group(1)))
            return s.where(ch) if ch is not None else m.group(0)

        def stamp(m: re.Match[str]) -> str:
            return dt.datetime.fromtimestamp(int(m.group(1)), tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

        text = re.sub(r"<@!?(\d+)>", user, text)
        text = re.sub(r"<@&(\d+)>", role, text)
        text = re.sub(r"<#(\d+)>", channel, text)
        text = re.sub(r"<t:(-?\d+)(?::[tTdDfFR])?>", stamp, text)
        text = re.sub(r"</([\w -]+):\d+>", r"/\1", text)
        return re.sub(r"<a?:(\w+):\d+>", r":\1:", text)

    def _components(self, m: Message, items: list[Any], out: list[str], indent: str = "  ") -> None:
        for c in items:
            if not isinstance(c, dict):
                continue
            t = c.get("type")
            if t == 1:  # action row
                row: list[str] = []
                for item in c.get("components") or []:
                    if isinstance(item, dict):
                        row.append(self._interactive(m, item))
                if row:
                    out.append(indent + "  ".join(row))
            elif t in (2, 3, 5, 6, 7, 8):
                out.append(indent + self._interactive(m, c))
            elif t == 10:
                out.extend(indent + line for line in self.humanize(str(c.get("content", ""))).splitlines())
            elif t == 9:  # section
                self._components(m, c.get("components") or [], out, indent)
                if isinstance(c.get("accessory"), dict):
                    self._components(m, [c["accessory"]], out, indent)
            elif t == 17:  # container
                self._components(m, c.get("components") or [], out, indent + "| ")
            elif t == 14:
                out.append(indent + "-" * 20)

    def _interactive(self, m: Message, c: JSON) -> str:
        text = label(c)
        if c.get("type") == 2 and c.get("style") == 5:
            return f"[link: {text} <{c.get('url')}>]"
        if c.get("type") == 2 and not c.get("custom_id"):
            return f"[{text}]"
        n = self.numbers.component(m, c)
        if c.get("type") == 2:
            return f"[{n}] {text}" + (" (disabled)" if c.get("disabled") else "")
        opts = " | ".join(str(o.get("label")) for o in c.get("options") or [])
        choose = f": {opts}" if opts else ""
        return f"[{n}] menu “{text}”{choose}" + (" (disabled)" if c.get("disabled") else "")

    def _embed(self, e: JSON) -> list[str]:
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

    def message(self, m: Message, *, edited: bool = False, in_history: bool = False) -> str:
        s = self.session
        w = s.server.world
        ch = w.channels[m.channel_id]
        bot = m.author_id == s.driver.bot_user.id
        author = self._c(s.name(m.author_id), "1;36" if bot else "1")
        marks: list[str] = []
        if m.ephemeral:
            marks.append(self._c("[only you]", "33"))
        if edited or (in_history and m.edited_timestamp):
            marks.append(self._c("(edited)", "33"))
        if m.reference_id is not None and m.reference_id in w.messages:
            marks.append(f"(replying to {s.name(w.messages[m.reference_id].author_id)})")
        head = ("" if in_history else self.location(ch)) + author + "".join(" " + x for x in marks) + ":"
        content = self.humanize(m.content).splitlines()
        lines = [head + (" " + content[0] if content else "")]
        lines.extend("    " + line for line in content[1:])
        for e in m.embeds:
            lines.extend(self._embed(e))
        self._components(m, m.components, lines)
        for i, a in enumerate(m.attachments):
            n = self.numbers.file(m, i)
            kind = f", {a.content_type}" if a.content_type else ""
            lines.append(f"  file #{n}: {a.filename} ({size(a.size)}{kind}): `:save {n} <path>` to keep it")
        return "\n".join(lines)


__all__ = ["Renderer", "size"]
