"""Slash commands from the terminal: which ones the person can use here, running one, and autocomplete."""

from __future__ import annotations

from typing import Any

from bot.sandbox.interactions import AUTOCOMPLETE
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import JSON, Channel, Role, User
from bot.sandbox.terminal.commandline import CommandLineError, ParsedCommand, parse_command_line, usage_lines
from bot.sandbox.terminal.forms import Forms
from bot.sandbox.terminal.options import OptionValues
from bot.sandbox.terminal.screen import Screen
from bot.sandbox.terminal.session import Session


class SlashCommands:
    def __init__(self, server: SandboxServer, session: Session, screen: Screen, values: OptionValues,
                 forms: Forms) -> None:
        self.server = server
        self.session = session
        self.driver = session.driver
        self.screen = screen
        self.values = values
        self.forms = forms

    def available(self) -> dict[str, JSON]:
        """Slash commands the current user can use in the current place, by name (guild ones win)."""
        s = self.session
        ch = s.place
        guild = self.server.world.guild_of(ch)
        cmds = {n: c for n, c in self.driver.commands(None).items() if c.data.get("type", 1) == 1}
        if guild is not None:
            cmds |= {n: c for n, c in self.driver.commands(guild).items() if c.data.get("type", 1) == 1}
        out: dict[str, JSON] = {}
        perms = self.server.world.permissions(ch, s.user.id)
        for name, c in cmds.items():
            if guild is None:
                contexts = c.data.get("contexts")
                if c.data.get("dm_permission") is False or (contexts is not None and 1 not in contexts):
                    continue
            else:
                need = c.default_member_permissions
                if need is not None and (perms & need) != need and s.user.id != guild.owner_id:
                    continue
            out[name.lower()] = c.data
        return out

    async def run(self, text: str) -> None:
        """``/`` lists the commands, ``/name`` alone shows its usage when it needs more; anything else runs."""
        s = self.session
        cmds = self.available()
        if text.strip() == "/":
            if not cmds:
                why = ("the bot's commands work in the server only" if s.in_dm and self.driver.commands(s.guild)
                       else "has the bot synced its commands?")
                await self.screen.note(f"no slash commands here ({why})")
                return
            lines = [f"slash commands in {s.where(s.place)} (/name to see how to use one):"]
            for name in sorted(cmds):
                lines.append(f"  /{name}  - {cmds[name].get('description') or ''}".rstrip(" -"))
            await self.screen.emit("\n".join(lines))
            return
        name = text[1:].split(maxsplit=1)[0].lower()
        if name in cmds and text[1:].strip().lower() == name and self._needs_input(cmds[name]):
            await self.screen.emit("\n".join(["usage:", *usage_lines(cmds[name])]))
            return
        parsed = parse_command_line(text, cmds)
        try:
            options = await self._convert(parsed)
        except CommandLineError as exc:
            raise CommandLineError(str(exc), exc.usage or parsed.usage) from None
        if options is None:
            return  # suggestions were shown
        handle = await self.driver.run_slash(s.user, parsed.path, options, channel=s.place)
        await self.forms.await_response(handle)

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
            out[name] = self.values.convert(d, value)
        return out

    async def _autocomplete(self, parsed: ParsedCommand, name: str, typed: str) -> list[JSON]:
        """Ask the bot for suggestions. As Discord does, only the options typed so far are sent (the driver's
        ``autocomplete`` wants every required option, so the interaction is built here)."""
        s = self.session
        guild = self.server.world.guild_of(s.place)
        cmd = self.driver.find_command(parsed.path, guild)
        defs = {str(d.get("name")): d for d in parsed.leaf.get("options") or []}
        options: list[JSON] = [{"name": name, "type": defs[name].get("type", 3), "value": typed, "focused": True}]
        for other, raw in parsed.raw.items():
            if other != name and raw.strip() and not defs[other].get("autocomplete"):
                try:
                    value = self.values.convert(defs[other], raw.strip())
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
        rec = await self.server.interactions.create(AUTOCOMPLETE, s.user, s.place, data)
        handle = self.driver.interaction(rec.id)
        try:
            await handle.wait_response(timeout=self.server.interaction_timeout + 0.5)
        except TimeoutError:
            return []
        return handle.choices or []

    async def _suggest(self, parsed: ParsedCommand, name: str, typed: str) -> None:
        choices = await self._autocomplete(parsed, name, typed)
        if not choices:
            await self.screen.note(f"no suggestions for {name}")
            return
        lines = [f"suggestions for {name}:"]
        lines.extend(f'  {c.get("name")}   ->  {name}:"{c.get("value")}"' for c in choices)
        await self.screen.emit("\n".join(lines))

    async def _autocompleted(self, parsed: ParsedCommand, name: str, typed: str) -> str:
        """An autocompleted option: a suggestion's value or name picks it; anything else is sent as typed."""
        for c in await self._autocomplete(parsed, name, typed):
            if str(c.get("value")) == typed or str(c.get("name", "")).lower() == typed.lower():
                return str(c.get("value"))
        return typed


__all__ = ["SlashCommands"]
