"""The data of the interactions a user starts, built as Discord's client builds it: a slash command's options
from Python values (with the ``resolved`` users, roles and channels), a component's click or choice, a modal's
answers. What the client would refuse to send is a SandboxError."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.sandbox import permissions as P
from bot.sandbox.handle import SandboxError
from bot.sandbox.state import JSON, Channel, Guild, Member, Message, Role, User
from bot.sandbox.world import Command, World


def check_command_allowed(world: World, cmd: Command, user: User, channel: Channel, guild: Guild | None) -> None:
    if guild is None:
        contexts = cmd.data.get("contexts")
        if cmd.data.get("dm_permission") is False or (contexts is not None and 1 not in contexts):
            raise SandboxError(f"/{cmd.name} is not available in DMs")
        return
    perms = world.permissions(channel, user.id)
    if not perms & P.VIEW_CHANNEL or not perms & P.USE_APPLICATION_COMMANDS:
        raise SandboxError(f"{user.username} cannot use commands in #{channel.name}")
    need = cmd.default_member_permissions
    if need is not None and (perms & need) != need and user.id != guild.owner_id:
        raise SandboxError(f"{user.username} lacks permissions for /{cmd.name}")


def _option_value(w: World, opt: JSON, value: Any, resolved: JSON, guild: Guild | None) -> Any:
    t = opt.get("type")
    if t in (6, 9) and isinstance(value, (User, Member)):
        uid = value.id if isinstance(value, User) else value.user_id
        resolved.setdefault("users", {})[str(uid)] = w.users[uid].to_dict()
        if guild is not None and uid in guild.members:
            resolved.setdefault("members", {})[str(uid)] = w.member_dict(guild, guild.members[uid], with_user=False)
        return str(uid)
    if t in (8, 9) and isinstance(value, Role):
        resolved.setdefault("roles", {})[str(value.id)] = value.to_dict()
        return str(value.id)
    if t == 7 and isinstance(value, Channel):
        resolved.setdefault("channels", {})[str(value.id)] = w.channel_dict(value) | {
            "permissions": str(P.ALL)}
        return str(value.id)
    if t in (6, 7, 8, 9, 11):
        raise SandboxError(f"option {opt.get('name')!r} needs a User/Role/Channel object")
    conv: dict[int, Callable[[Any], Any]] = {3: str, 4: int, 5: bool, 10: float}
    v = conv[t](value) if isinstance(t, int) and t in conv else value
    choices = opt.get("choices")
    if choices and v not in [c.get("value") for c in choices]:
        raise SandboxError(f"{v!r} is not a choice of option {opt.get('name')!r}")
    return v


def _build_options(w: World, defs: list[JSON], values: Mapping[str, Any], resolved: JSON, guild: Guild | None,
                   focused: str | None) -> list[JSON]:
    out: list[JSON] = []
    by_name = {d["name"]: d for d in defs}
    for k, v in values.items():
        d = by_name.get(k)
        if d is None:
            raise SandboxError(f"unknown option {k!r}")
        if k == focused:
            out.append({"name": k, "type": d["type"], "value": str(v), "focused": True})
        else:
            out.append({"name": k, "type": d["type"], "value": _option_value(w, d, v, resolved, guild)})
    for d in defs:
        if d.get("required") and d["name"] not in values:
            raise SandboxError(f"missing required option {d['name']!r}")
    return out


def slash_command_data(world: World, cmd: Command, command: str, options: Mapping[str, Any] | None,
                       guild: Guild | None, focused: str | None = None) -> JSON:
    """``command`` is ``"name"`` or ``"name group sub"``; ``focused`` names the option being autocompleted."""
    parts = command.split()
    resolved: JSON = {}
    defs: list[JSON] = cmd.data.get("options") or []
    chain: list[JSON] = []
    for sub in parts[1:]:
        d = next((o for o in defs if o.get("name") == sub and o.get("type") in (1, 2)), None)
        if d is None:
            raise SandboxError(f"/{cmd.name} has no subcommand {sub!r}")
        chain.append(d)
        defs = d.get("options") or []
    if any(o.get("type") in (1, 2) for o in defs):
        raise SandboxError(f"/{command} needs a subcommand")
    leaf = _build_options(world, defs, options or {}, resolved, guild, focused)
    for d in reversed(chain):
        leaf = [{"name": d["name"], "type": d["type"], "options": leaf}]
    data: JSON = {"id": str(cmd.id), "name": cmd.name, "type": 1, "options": leaf}
    if resolved:
        data["resolved"] = resolved
    if cmd.guild_id is not None:
        data["guild_id"] = str(cmd.guild_id)
    return data


def _find_component(message: Message, custom_id: str) -> JSON:
    found: list[JSON] = []

    def walk(items: list[Any]) -> None:
        for c in items:
            if isinstance(c, dict):
                if c.get("custom_id") == custom_id:
                    found.append(c)
                walk(c.get("components") or [])
                if isinstance(c.get("accessory"), dict):
                    walk([c["accessory"]])

    walk(message.components)
    if not found:
        raise SandboxError(f"message {message.id} has no component {custom_id!r}")
    return found[0]


def component_data(message: Message, custom_id: str, values: list[str] | None) -> JSON:
    """A click on button ``custom_id`` (``values`` None) or a choice from that select menu."""
    comp = _find_component(message, custom_id)
    if comp.get("disabled"):
        raise SandboxError(f"component {custom_id!r} is disabled")
    data: JSON = {"custom_id": custom_id, "component_type": comp.get("type", 2)}
    if comp.get("id") is not None:
        data["id"] = comp["id"]
    if values is not None:
        data["values"] = values
    return data


def modal_answers(modal: JSON, values: Mapping[str, str | list[str]]) -> list[JSON]:
    """The components of a modal submission; ``values`` maps input custom_id -> value."""
    used: set[str] = set()

    def answer(c: JSON) -> JSON | None:
        cid = c.get("custom_id")
        if not isinstance(cid, str):
            return None
        out: JSON = {"type": c.get("type"), "custom_id": cid}
        if c.get("id") is not None:
            out["id"] = c["id"]
        v = values.get(cid)
        if c.get("type") == 4:
            text = v if isinstance(v, str) else ""
            if c.get("required", True) and not text:
                raise SandboxError(f"text input {cid!r} is required")
            if len(text) > int(c.get("max_length", 4000)) or (text and len(text) < int(c.get("min_length", 0))):
                raise SandboxError(f"text input {cid!r}: length out of bounds")
            out["value"] = text
        else:
            out["values"] = list(v) if isinstance(v, list) else ([] if v is None else [v])
        used.add(cid)
        return out

    comps: list[JSON] = []
    for top in modal.get("components") or []:
        if top.get("type") == 1:
            kids = [a for a in (answer(c) for c in top.get("components") or []) if a is not None]
            comps.append({"type": 1, "components": kids})
        elif top.get("type") == 18 and isinstance(top.get("component"), dict):
            a = answer(top["component"])
            if a is not None:
                comps.append({"type": 18, **({"id": top["id"]} if "id" in top else {}), "component": a})
    unknown = set(values) - used
    if unknown:
        raise SandboxError(f"modal has no inputs {sorted(unknown)}")
    return comps


__all__ = ["check_command_allowed", "component_data", "modal_answers", "slash_command_data"]
