"""Fetching the status feed: httpx with timeouts, a size cap, conditional requests and retries."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from bot.core.feeds.models import MAX_BODY_BYTES, FeedError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes | None  # None: not modified since the last fetch
    content_type: str | None
    etag: str | None
    last_modified: str | None
    url: str


def with_cursor(url: str, cursor: str | None) -> str:
    if not cursor:
        return url
    parts = urlsplit(url)
    query = (parts.query + "&" if parts.query else "") + urlencode({"since": cursor})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class FeedFetcher:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        max_bytes: int = MAX_BODY_BYTES,
        attempts: int = 3,
        backoff: float = 0.5,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.max_bytes = max_bytes
        self.attempts = attempts
        self.backoff = backoff
        self.is_http = url.startswith(("http://", "https://"))
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=True, headers={"User-Agent": "supportbot/0.1"}
        )

    async def fetch(
        self, *, cursor: str | None = None, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched:
        if not self.is_http:
            return await asyncio.to_thread(self._read_file)
        url = with_cursor(self.url, cursor)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return await self._get(url, headers)
            except _Retryable as exc:
                if attempt == self.attempts:
                    raise FeedError(f"status feed {url}: {exc} (after {attempt} attempts)", "unreachable") from None
                log.info("status feed fetch failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    async def _get(self, url: str, headers: dict[str, str]) -> Fetched:
        try:
            async with self._client.stream("GET", url, headers=headers) as resp:
                if resp.status_code == 304:
                    return Fetched(None, None, headers.get("If-None-Match"), headers.get("If-Modified-Since"), url)
                if resp.status_code >= 500 or resp.status_code == 429:
                    raise _Retryable(f"HTTP {resp.status_code}")
                if resp.status_code >= 400:
                    raise FeedError(f"status feed {url}: HTTP {resp.status_code}", "http")
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FeedError(f"status feed {url}: body of {int(declared):,} bytes is over the cap", "too_large")
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FeedError(f"status feed {url}: body over {self.max_bytes:,} bytes", "too_large")
                    chunks.append(chunk)
                return Fetched(
                    b"".join(chunks),
                    resp.headers.get("content-type"),
                    resp.headers.get("etag"),
                    resp.headers.get("last-modified"),
                    url,
                )
        except httpx.HTTPError as exc:
            raise _Retryable(f"{type(exc).__name__}") from exc

    def _read_file(self) -> Fetched:
        path = Path(self.url.removeprefix("file://"))
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise FeedError(f"status feed file {path}: {size:,} bytes is over the cap", "too_large")
            return Fetched(path.read_bytes(), None, None, None, str(path))
        except OSError as exc:
            raise FeedError(f"status feed file {path} cannot be read ({exc.strerror})", "unreachable") from None

    async def close(self) -> None:
        await self._client.aclose()


class _Retryable(Exception):
    pass
