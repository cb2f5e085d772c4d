"""A local OpenAI-compatible HTTP server for tests: scripted replies, failures and slow answers.

The real `openai` client talks to it over 127.0.0.1; every request body is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Scripted:
    text: str | None = "This is a scripted answer."
    status: int = 200
    delay: float = 0.0
    tool: tuple[str, dict[str, Any]] | None = None
    tokens: int = 100
    raw: str | None = None  # a raw body instead of a well-formed completion


@dataclass
class FakeOpenAI:
    default: Scripted = field(default_factory=Scripted)
    script: deque[Scripted] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    port: int = 0
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    def queue(self, *items: Scripted) -> None:
        self.script.extend(items)

    def all_sent_text(self) -> str:
        return json.dumps(self.requests)

    async def start(self, port: int = 0) -> None:
        """Listen on `port` (any free one by default); after `stop`, start(port=server.port) comes back there."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    async def stop(self) -> None:
        """Close the port: connections are refused until `start` again. Requests still held are let go."""
        self.release()
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    def release(self) -> None:
        """End every scripted delay still running now (a server that hung answers at last)."""
        self._released.set()
        self._released.clear()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        item = self.script.popleft() if self.script else self.default
        if item.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), item.delay)
        if item.status != 200:
            return web.json_response(
                {"error": {"message": "scripted failure", "type": "server_error", "code": None}},
                status=item.status,
                headers={"retry-after-ms": "10"} if item.status == 429 else None,
            )
        if item.raw is not None:
            return web.Response(text=item.raw, content_type="application/json")
        message: dict[str, Any] = {"role": "assistant", "content": item.text}
        finish = "stop"
        if item.tool:
            name, args = item.tool
            message["tool_calls"] = [
                {"id": "call_1", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            ]
            finish = "tool_calls"
        return web.json_response(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake-model"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": item.tokens // 2, "completion_tokens": item.tokens // 2,
                          "total_tokens": item.tokens},
            }
        )
