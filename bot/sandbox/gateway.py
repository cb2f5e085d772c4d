"""The gateway: HELLO/IDENTIFY/READY/GUILD_CREATE, heartbeats, dispatches, RESUME and RECONNECT."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox.state import JSON
from bot.sandbox.waiters import Waiters
from bot.sandbox.world import World

log = logging.getLogger(__name__)

# Intents
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_RESUME = 0, 1, 2, 3, 6
OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 7, 8, 9, 10, 11


@dataclass
class Session:
    session_id: str
    intents: int
    shard: list[int] | None = None
    seq: int = 0
    buffer: deque[JSON] = field(default_factory=lambda: deque(maxlen=2000))
    ws: web.WebSocketResponse | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    invalid: bool = False
    resumes: int = 0
    heartbeats: int = 0
    identify_payload: JSON = field(default_factory=dict)

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed


class Gateway:
    def __init__(self, world: World, token: str, waiters: Waiters, *, heartbeat_interval_ms: int = 41250) -> None:
        self.world = world
        self.token = token
        self.waiters = waiters
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.url = ""
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        self.identify_count = 0
        self.connections = 0
        self._sockets: set[web.WebSocketResponse] = set()
        self._server_closed: set[web.WebSocketResponse] = set()  # closes we initiated (close_code is the peer's)

    # -- public state -------------------------------------------------------------------------------
    @property
    def identified(self) -> bool:
        return self.current is not None and self.current.connected and not self.current.invalid

    @property
    def intents(self) -> int | None:
        return self.current.intents if self.current is not None else None

    def has_intent(self, bit: int) -> bool:
        return self.current is not None and bool(self.current.intents & bit)

    # -- dispatch -------------------------------------------------------------------------------------
    async def dispatch(self, event: str, data: JSON | Callable[[Session], JSON | None], *,
                       intent: int | None = None) -> None:
        """Send a dispatch to every live session that subscribed to ``intent`` (None: always sent).

        ``data`` may be a function of the session (e.g. to blank content for sessions without the
        MESSAGE_CONTENT intent); returning None skips that session.
        """
        for s in list(self.sessions.values()):
            if s.invalid or (intent is not None and not s.intents & intent):
                continue
            payload = data(s) if callable(data) else data
            if payload is not None:
                await self._send_dispatch(s, event, payload)

    async def _send_dispatch(self, s: Session, event: str, data: JSON) -> None:
        async with s.lock:
            s.seq += 1
            payload = {"op": OP_DISPATCH, "t": event, "s": s.seq, "d": data}
            s.buffer.append(payload)
            if s.ws is not None and not s.ws.closed:
                try:
                    await s.ws.send_str(json.dumps(payload))
                except (ConnectionError, RuntimeError) as exc:
                    log.debug("dispatch %s lost: %s (kept for RESUME)", event, exc)

    async def send_reconnect(self) -> None:
        """Ask the client to reconnect (op 7); it should come back with RESUME."""
        s = self.current
        if s is not None and s.ws is not None and not s.ws.closed:
            await s.ws.send_str(json.dumps({"op": OP_RECONNECT, "d": None}))

    async def drop(self, code: int = 4000) -> None:
        """Close the socket from the server side (resumable unless code says otherwise)."""
        s = self.current
        if s is not None and s.ws is not None and not s.ws.closed:
            self._server_closed.add(s.ws)
            await s.ws.close(code=code, message=b"sandbox drop")

    async def invalidate(self, resumable: bool = False) -> None:
        s = self.current
        if s is not None and s.ws is not None and not s.ws.closed:
            if not resumable:
                s.invalid = True
            await s.ws.send_str(json.dumps({"op": OP_INVALID_SESSION, "d": resumable}))

    async def close_all(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"server shutdown")

    # -- connection handler ---------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        self.connections += 1
        self._sockets.add(ws)
        session: Session | None = None
        try:
            await ws.send_str(json.dumps({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                try:
                    raw = msg.data if isinstance(msg.data, str) else msg.data.decode()
                    payload = json.loads(raw)
                    op = payload["op"]
                    data = payload.get("d")
                except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                if op == OP_HEARTBEAT:
                    if session is not None:
                        session.heartbeats += 1
                    await ws.send_str(json.dumps({"op": OP_HEARTBEAT_ACK}))
                elif op == OP_IDENTIFY:
                    if session is not None:
                        await ws.close(code=4005, message=b"Already authenticated.")
                        break
                    session = await self._identify(ws, data)
                    if session is None:
                        break
                elif op == OP_RESUME:
                    if session is not None:
                        await ws.close(code=4005, message=b"Already authenticated.")
                        break
                    session = await self._resume(ws, data)
                elif session is None:
                    await ws.close(code=4003, message=b"Not authenticated.")
                    break
                elif op == OP_REQUEST_MEMBERS:
                    await self._members_chunk(session, data)
                elif op == OP_PRESENCE or op == 4:
                    pass
                else:
                    await ws.close(code=4001, message=b"Unknown opcode.")
                    break
        finally:
            self._sockets.discard(ws)
            if session is not None:
                if session.ws is ws:
                    session.ws = None
                if ws.close_code in (1000, 1001) and ws not in self._server_closed:
                    # closing with 1000/1001 ends the session, as on Discord
                    session.invalid = True
            self._server_closed.discard(ws)
            self.waiters.notify()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: Any) -> Session | None:
        if not isinstance(data, dict) or data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = data.get("intents")
        if not isinstance(intents, int) or isinstance(intents, bool) or intents < 0 or intents >= 1 << 26:
            await ws.close(code=4013, message=b"Invalid intent(s).")
            return None
        shard = data.get("shard")
        s = Session(session_id=secrets.token_hex(16), intents=intents,
                    shard=shard if isinstance(shard, list) else None, ws=ws, identify_payload=data)
        self.sessions[s.session_id] = s
        self.current = s
        self.identify_count += 1
        w = self.world
        bot = w.bot_user.to_dict() | {"verified": True, "mfa_enabled": False, "flags": 0, "email": None}
        guilds = [g for g in w.guilds.values() if w.bot_user.id in g.members]
        ready: JSON = {
            "v": 10,
            "user": bot,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": s.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.url,
            "application": {"id": str(w.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
        }
        if s.shard is not None:
            ready["shard"] = s.shard
        await self._send_dispatch(s, "READY", ready)
        for g in guilds:
            await self._send_dispatch(s, "GUILD_CREATE", w.guild_dict(g, all_members=bool(intents & GUILD_PRESENCES)))
        self.waiters.notify()
        return s

    async def _resume(self, ws: web.WebSocketResponse, data: Any) -> Session | None:
        ok = isinstance(data, dict) and data.get("token") == self.token
        s = self.sessions.get(str(data.get("session_id"))) if ok and isinstance(data, dict) else None
        if s is None or s.invalid:
            await ws.send_str(json.dumps({"op": OP_INVALID_SESSION, "d": False}))
            return None
        seq = data.get("seq") if isinstance(data, dict) else None
        seq = seq if isinstance(seq, int) else 0
        async with s.lock:
            s.ws = ws
            for p in list(s.buffer):
                if p["s"] > seq:
                    await ws.send_str(json.dumps(p))
        s.resumes += 1
        self.current = s
        await self._send_dispatch(s, "RESUMED", {})
        self.waiters.notify()
        return s

    async def _members_chunk(self, s: Session, data: Any) -> None:
        if not isinstance(data, dict):
            return
        gid = data.get("guild_id")
        gids = gid if isinstance(gid, list) else [gid]
        for g_id in gids:
            g = self.world.guilds.get(int(str(g_id))) if str(g_id).isdigit() else None
            if g is None:
                continue
            chunk: JSON = {
                "guild_id": str(g.id),
                "members": [self.world.member_dict(g, m) for m in g.members.values()],
                "chunk_index": 0,
                "chunk_count": 1,
            }
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            await self._send_dispatch(s, "GUILD_MEMBERS_CHUNK", chunk)
