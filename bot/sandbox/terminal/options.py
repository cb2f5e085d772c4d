"""Typed slash-command option values from what was typed: choices, ranges, true/false, users, channels, roles."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.state import JSON, Channel, Role, User
from bot.sandbox.terminal.commandline import CommandLineError
from bot.sandbox.terminal.session import Session

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class OptionValues:
    """Converts as Discord's client would before sending: users, channels and roles are looked up by name or
    mention among those the current person can pick from."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def convert(self, d: JSON, value: str) -> Any:
        """``value`` typed for the option defined by ``d``, as the value to send; CommandLineError if invalid."""
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
            return self._user(name, value)
        if t == 7:
            return self._channel(name, value)
        if t == 8:
            return self._role(name, value)
        if t == 9:
            try:
                return self._user(name, value)
            except CommandLineError:
                return self._role(name, value)
        if t == 11:
            raise CommandLineError(f"{name}: attachments cannot be given from the terminal")
        return value

    def _user(self, name: str, value: str) -> User:
        w = self.session.server.world
        m = re.fullmatch(r"<@!?(\d+)>", value)
        guild = w.guild_of(self.session.place)
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

    def _channel(self, name: str, value: str) -> Channel:
        m = re.fullmatch(r"<#(\d+)>", value)
        key = value.lstrip("#").lower()
        hit = next((c for c in self.session.guild.channels.values()
                    if (m is not None and c.id == int(m.group(1))) or (m is None and str(c.name).lower() == key)),
                   None)
        if hit is None:
            raise CommandLineError(f"{name}: no channel {value!r}")
        return hit

    def _role(self, name: str, value: str) -> Role:
        guild = self.session.guild
        m = re.fullmatch(r"<@&(\d+)>", value)
        key = value.lower() if value.lower() == "@everyone" else value.lstrip("@").lower()
        hit = next((r for r in guild.roles.values()
                    if (m is not None and r.id == int(m.group(1))) or (m is None and r.name.lower() == key)), None)
        if hit is None:
            raise CommandLineError(f"{name}: no role {value!r} (roles: "
                                   f"{', '.join(r.name for r in guild.roles.values() if not r.managed)})")
        return hit


__all__ = ["OptionValues"]
