"""Channel history that outlives the sandbox process: messages, threads and DM channels, as JSON.

A world built with stable ids gets the same guild, channels and people at every start; what happened
in it afterwards (messages, hand-over threads, DMs) is saved here and put back at the next start, so
the bot's stored message ids (a status post it later edits, a hand-over thread) still mean something.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from bot.sandbox.state import DM, Attachment, Channel, Message, Pings, ThreadMember
from bot.sandbox.world import World

VERSION = 1
_LATER_CHANNELS = (DM, 11, 12)  # DMs and threads: created while the sandbox runs, with clock ids


def save_history(world: World, path: Path) -> None:
    """Write every kept message and every DM/thread channel to `path` (atomically)."""
    channels = [_channel(ch) for ch in world.channels.values() if ch.type in _LATER_CHANNELS]
    messages = [_message(m) for m in world.messages.values() if not m.deleted and m.channel_id in world.channels]
    doc = {"version": VERSION, "seq": world.seq, "channels": channels, "messages": messages}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)


def load_history(world: World, path: Path) -> int:
    """Put saved channels and messages back into a freshly built world; returns how many messages.

    Anything that no longer fits the world (a channel of a guild that is gone, a message of a channel
    that is gone, a file of another version) is left out rather than half restored.
    """
    if not path.is_file():
        return 0
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        return 0
    for raw in doc.get("channels", []):
        ch = _channel_from(raw)
        if ch.id in world.channels:
            continue
        if ch.type == DM:
            if not ch.recipient_ids or ch.recipient_ids[0] not in world.users:
                continue
            world.dm_by_user[ch.recipient_ids[0]] = ch.id
        else:
            guild = world.guilds.get(ch.guild_id or 0)
            if guild is None or ch.parent_id not in world.channels:
                continue
            guild.channels[ch.id] = ch
        world.channels[ch.id] = ch
    restored = 0
    for raw in doc.get("messages", []):
        msg = _message_from(raw)
        home = world.channels.get(msg.channel_id)
        if home is None or msg.id in world.messages or msg.author_id not in world.users:
            continue
        world.messages[msg.id] = msg
        if home.last_message_id is None or msg.id > home.last_message_id:
            home.last_message_id = msg.id
        restored += 1
    world.seq = max(world.seq, int(doc.get("seq", 0)))
    return restored


def _channel(ch: Channel) -> dict[str, Any]:
    d = dataclasses.asdict(ch)
    d["overwrites"] = [dataclasses.asdict(o) for o in ch.overwrites.values()]
    d["thread_members"] = [dataclasses.asdict(t) for t in ch.thread_members.values()]
    return d


def _channel_from(raw: dict[str, Any]) -> Channel:
    raw = dict(raw)
    raw["overwrites"] = {}  # DMs and threads carry none
    raw["thread_members"] = {t["user_id"]: ThreadMember(**t) for t in raw.get("thread_members", [])}
    return Channel(**raw)


def _message(m: Message) -> dict[str, Any]:
    d = {f.name: getattr(m, f.name) for f in dataclasses.fields(m) if f.name not in ("attachments", "pings")}
    d["attachments"] = [
        {**{k: v for k, v in dataclasses.asdict(a).items() if k != "data"}, "data": base64.b64encode(a.data).decode()}
        for a in m.attachments
    ]
    d["pings"] = {"users": sorted(m.pings.users), "roles": sorted(m.pings.roles), "everyone": m.pings.everyone}
    return d


def _message_from(raw: dict[str, Any]) -> Message:
    raw = dict(raw)
    raw["attachments"] = [Attachment(**{**a, "data": base64.b64decode(a["data"])}) for a in raw.get("attachments", [])]
    pings = raw.get("pings") or {}
    raw["pings"] = Pings(
        users=frozenset(pings.get("users", [])),
        roles=frozenset(pings.get("roles", [])),
        everyone=bool(pings.get("everyone")),
    )
    return Message(**raw)
