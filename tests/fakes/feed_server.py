"""A local HTTP server for status feeds: scripted bodies, failures, slow answers, ETags, cursors."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class FeedResponse:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0
    etag: bool = True
    last_modified: str | None = None  # sent as Last-Modified; a matching If-Modified-Since gets 304
    gzip: bool = False  # the body goes gzip-compressed, with Content-Encoding: gzip


@dataclass
class FeedServer:
    current: FeedResponse = field(default_factory=FeedResponse)
    script: deque[FeedResponse] = field(default_factory=deque)
    requests: list[dict[str, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # every request's headers, in order
    url: str = ""
    port: int = 0
    _runner: web.AppRunner | None = None

    def serve(self, body: bytes, content_type: str = "application/json") -> None:
        self.current = FeedResponse(body=body, content_type=content_type)

    async def start(self, port: int = 0) -> None:
        """Listen on `port` (any free one by default); after `stop`, start(port=server.port) comes back there."""
        app = web.Application()
        app.router.add_get("/feed", self._feed)
        app.router.add_get("/moved", self._moved)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}/feed"

    async def stop(self) -> None:
        """Close the port: connections are refused until `start` again."""
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def _moved(self, request: web.Request) -> web.StreamResponse:
        self.headers.append(dict(request.headers))
        raise web.HTTPFound("/feed" + (f"?{request.query_string}" if request.query_string else ""))

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        self.headers.append(dict(request.headers))
        self.requests.append({"since": request.query.get("since", ""), "if-none-match": request.headers.get(
            "If-None-Match", ""), "if-modified-since": request.headers.get("If-Modified-Since", "")})
        item = self.script.popleft() if self.script else self.current
        if item.delay:
            await asyncio.sleep(item.delay)
        tag = '"' + hashlib.sha256(item.body).hexdigest()[:16] + '"'
        if item.status == 200 and item.etag and request.headers.get("If-None-Match") == tag:
            return web.Response(status=304)
        if item.status == 200 and item.last_modified and request.headers.get("If-Modified-Since") == item.last_modified:
            return web.Response(status=304)
        headers = {"ETag": tag} if item.etag and item.status == 200 else {}
        if item.last_modified:
            headers["Last-Modified"] = item.last_modified
        body = item.body
        if item.gzip:
            body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
        return web.Response(body=body, status=item.status, content_type=item.content_type, headers=headers)
