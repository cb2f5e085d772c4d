"""Application commands: reading and bulk-overwriting them, globally or in a guild, validated as Discord does."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from bot.sandbox import events as E
from bot.sandbox.rest.routes import Route, Routes
from bot.sandbox.rest.wire import read_body, snowflake_param
from bot.sandbox.validation import FormErrors, missing_access
from bot.sandbox.world import Command

_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


class CommandRoutes(Routes):
    def routes(self) -> list[Route]:
        return [
            ("GET", "/applications/{application_id}/commands", self.get_commands),
            ("PUT", "/applications/{application_id}/commands", self.put_commands),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self.get_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self.put_commands),
        ]

    def _command_scope(self, request: web.Request) -> tuple[dict[int, Command], int | None]:
        app_id = snowflake_param(request, "application_id", "Application")
        if app_id != self.world.application_id:
            raise missing_access()
        if "guild_id" not in request.match_info:
            return self.world.global_commands, None
        g = self.guild(request)
        return self.world.guild_commands.setdefault(g.id, {}), g.id

    async def get_commands(self, request: web.Request) -> web.Response:
        store, _ = self._command_scope(request)
        return self.reply(request, [c.to_dict() for c in store.values()])

    async def put_commands(self, request: web.Request) -> web.Response:
        store, guild_id = self._command_scope(request)
        body, _ = await read_body(request)
        if not isinstance(body, list):
            errs = FormErrors()
            errs.add((), "BASE_TYPE_ARRAY", "Must be an array.")
            errs.raise_if_any()
        assert isinstance(body, list)
        _validate_commands(body)
        old = {(c.name, int(c.data.get("type", 1))): c for c in store.values()}
        store.clear()
        w = self.world
        for data in body:
            key = (str(data["name"]), int(data.get("type", 1)))
            prev = old.get(key)
            if prev is not None and prev.data == data:
                cmd = prev
            else:
                cmd = Command(id=prev.id if prev else w.ids.next(), application_id=w.application_id,
                              guild_id=guild_id, version=w.ids.next(), data=data)
            store[cmd.id] = cmd
        self.log.add(E.COMMANDS_SYNC, data={"guild_id": guild_id, "names": [c.name for c in store.values()]})
        return self.reply(request, [c.to_dict() for c in store.values()])


def _validate_commands(body: list[Any]) -> None:
    errs = FormErrors()
    if len(body) > 100:
        errs.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    seen: set[tuple[str, int]] = set()
    for i, c in enumerate(body):
        if not isinstance(c, dict):
            errs.add((i,), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        ctype = c.get("type", 1)
        name = c.get("name")
        if not isinstance(name, str) or not _COMMAND_NAME.match(name) or (ctype == 1 and name != name.lower()):
            errs.add((i, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        elif (name, ctype) in seen:
            errs.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
        else:
            seen.add((name, ctype))
        if ctype == 1:
            errs.max_len((i, "description"), c.get("description"), 100, minimum=1)
        _validate_options(errs, (i, "options"), c.get("options") or [])
    errs.raise_if_any()


def _validate_options(errs: FormErrors, path: tuple[str | int, ...], options: Any) -> None:
    if not isinstance(options, list):
        errs.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(options) > 25:
        errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    required_done = False
    for j, o in enumerate(options):
        if not isinstance(o, dict):
            errs.add((*path, j), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        name = o.get("name")
        if not isinstance(name, str) or not _COMMAND_NAME.match(name) or name != name.lower():
            errs.add((*path, j, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        errs.max_len((*path, j, "description"), o.get("description"), 100, minimum=1)
        if o.get("required"):
            if required_done:
                errs.add((*path, j, "required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                         "Required options must be placed before non-required options")
        else:
            required_done = True
        choices = o.get("choices")
        if isinstance(choices, list) and len(choices) > 25:
            errs.add((*path, j, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if o.get("type") in (1, 2):
            _validate_options(errs, (*path, j, "options"), o.get("options") or [])


__all__ = ["CommandRoutes"]
